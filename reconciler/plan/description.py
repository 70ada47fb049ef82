"""The alias-description codec: user text plus the tool's markers, both ways.

CI runners keep nothing between runs, so what the tool must remember about an
alias lives in AWS itself, at the end of the alias's description:

* a rollout's state (source and target version, current step, time of the
  last step, or a failed target)::

      production [reconciler:rollout from=3 to=4 step=1/2 at=1764000000]
      production [reconciler:rollout-failed from=3 to=4 at=1764000000]

  Keeping it in the description makes a weight change and its state change
  ONE ``UpdateAlias`` guarded by ``RevisionId``: two runs racing on the same
  step cannot both advance (the loser gets 412 and plans again);
* ownership of the alias's provisioned concurrency, ``[reconciler:provisioned]``,
  which arrives free with ListAliases (so in-sync functions stay at one call).

Anyone with console access can write a description, so :func:`parse` is total:
any text gives a :class:`Description`; text that looks like a marker but is
not one this tool writes (damaged, foreign, out-of-range numbers, non-ASCII
digits) stays user text and is flagged in ``foreign`` so the planner can say so.

Limits: AWS allows 256 characters, so the user text before a marker is cut to
what is left (a manifest-managed description is restored in full when the
marker goes; an unmanaged one stays cut).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from reconciler.plan.pending import PendingVersion, Version, decode, encode

DESCRIPTION_LIMIT = 256
PROVISIONED_MARKER = "[reconciler:provisioned]"

_ROLLOUT = re.compile(
    r"(?:^|\s)\[reconciler:(?P<kind>rollout|rollout-failed)"
    r"(?P<fields>(?: [a-z]+=[^\s\[\]]+)+)\]\s*$",
    re.ASCII,
)
_ANY_MARKER = re.compile(r"\[reconciler:[^\]]*\]?\s*$", re.ASCII)
_FIELD = re.compile(r"([a-z]+)=([^\s\[\]]+)", re.ASCII)
_STEP = re.compile(r"([0-9]{1,3})/([0-9]{1,3})", re.ASCII)
_NUMBER = re.compile(r"[0-9]{1,10}", re.ASCII)
_SHA = re.compile(r"[A-Za-z0-9+/=]{1,64}", re.ASCII)
# Unix seconds: 12 digits reach the year 33658; more is damage, not a time.
_TIME = re.compile(r"[0-9]{1,12}", re.ASCII)


@dataclass(frozen=True)
class Marker:
    """What a rollout records between runs.

    ``kind`` "rollout": in flight, ``step`` of ``steps`` taken at ``at`` (Unix
    seconds; step 0 means reset to ``source`` and about to go to ``target``).
    ``kind`` "failed": rolled back from ``target`` to ``source`` at ``at``.
    ``target`` is a :class:`PendingVersion` only in a plan, until the executor
    has published it (:meth:`resolved`).
    """

    kind: Literal["rollout", "failed"]
    source: str
    target: Version
    at: int
    step: int = 0
    steps: int = 0

    def text(self) -> str:
        source, target = self.source, encode(self.target)
        if self.kind == "failed":
            return f"[reconciler:rollout-failed from={source} to={target} at={self.at}]"
        return (
            f"[reconciler:rollout from={source} to={target} "
            f"step={self.step}/{self.steps} at={self.at}]"
        )

    def timeless(self) -> Marker:
        """The marker without its time: what two runs taking one step agree on."""
        return replace(self, at=0)

    def resolved(self, published: dict[str, str]) -> Marker:
        """With a pending version replaced by the one just published."""

        def one(v: Version) -> Version:
            return published.get(v.code_sha256, v) if isinstance(v, PendingVersion) else v

        return replace(self, target=one(self.target))


@dataclass(frozen=True)
class Description:
    """A live description taken apart: what the user wrote and what is ours."""

    user: str
    rollout: Marker | None = None
    provisioned: bool = False
    # A trailing "[reconciler:...]" that is not a marker this tool writes.
    foreign: str | None = None

    def render(self) -> str:
        return render(self.user, self.rollout, provisioned=self.provisioned)


def parse(text: str) -> Description:
    """Total: any text (``None`` included, as AWS omits empty ones) parses."""
    if not isinstance(text, str):
        return Description("")
    return _parse(text)


# Planning asks about one alias's description several times (rollout, provisioned
# concurrency, lifecycle, foreign markers); the answers are immutable, so keep them.
@lru_cache(maxsize=4096)
def _parse(text: str) -> Description:
    user, owned = split_provisioned(text)
    user, marker = split_rollout(user)
    foreign = None
    if marker is None:
        found = _ANY_MARKER.search(user)
        foreign = found.group(0).strip() if found else None
    return Description(user, marker, owned, foreign)


def render(user: str, rollout: Marker | None = None, *, provisioned: bool = False) -> str:
    """The description to write: user text, then a marker; at most 256 characters."""
    tail = rollout.text() if rollout is not None else PROVISIONED_MARKER if provisioned else ""
    if not tail:
        return user[:DESCRIPTION_LIMIT]
    room = DESCRIPTION_LIMIT - len(tail) - 1
    kept = user[: max(room, 0)].rstrip()
    return f"{kept} {tail}" if kept else tail


@lru_cache(maxsize=4096)
def split_rollout(text: str) -> tuple[str, Marker | None]:
    """(text before the rollout marker, the marker) or (text, None)."""
    match = _ROLLOUT.search(text)
    if match is None:
        return text, None
    marker = _marker(match.group("kind"), dict(_FIELD.findall(match.group("fields"))))
    if marker is None:
        return text, None  # not one we wrote (or damaged): the user's text
    return text[: match.start()].rstrip(), marker


def split_provisioned(text: str) -> tuple[str, bool]:
    """(user text, whether the tool owns the alias's provisioned concurrency)."""
    stripped = text.rstrip()
    if stripped.endswith(PROVISIONED_MARKER):
        return stripped[: -len(PROVISIONED_MARKER)].rstrip(), True
    return text, False


def _version(text: str) -> Version | None:
    version = decode(text)
    if isinstance(version, PendingVersion):
        return version if _SHA.fullmatch(version.code_sha256) else None
    return version if _NUMBER.fullmatch(version) else None


def _marker(kind: str, fields: dict[str, str]) -> Marker | None:
    source = fields.get("from", "")
    target = _version(fields.get("to", ""))
    at = fields.get("at", "")
    if not _NUMBER.fullmatch(source) or target is None or not _TIME.fullmatch(at):
        return None
    if kind == "rollout-failed":
        return Marker("failed", source, target, int(at))
    step = _STEP.fullmatch(fields.get("step", ""))
    if step is None or int(step.group(1)) > int(step.group(2)):
        return None
    return Marker("rollout", source, target, int(at), int(step.group(1)), int(step.group(2)))


# -- operations on a description's rollout marker ---------------------------------
def compose(user_text: str, marker: Marker | None) -> str:
    """User text and a rollout marker (or none) as one description."""
    return render(user_text, marker)


def timeless(description: str | None) -> str | None:
    """The description with its marker's time zeroed (for comparing two runs' steps)."""
    if description is None:
        return None
    user, marker = split_rollout(description)
    return description if marker is None else compose(user, marker.timeless())


def restamp(description: str, at: int) -> str:
    """The same description with the marker's time set to ``at`` (when it is written)."""
    user, marker = split_rollout(description)
    return description if marker is None else compose(user, replace(marker, at=at))


def resolve_pending(description: str, published: dict[str, str]) -> str:
    """The description with a pending version in its marker replaced by the one
    just published (the executor, once, after the publish)."""
    user, marker = split_rollout(description)
    return description if marker is None else compose(user, marker.resolved(published))
