"""The rollout marker: a rollout's state, kept in the alias description.

CI runners keep nothing between runs, so the state a rollout needs (source and
target version, current step, time of the last step, failed target) lives in
AWS itself, appended to the alias's description::

    production [reconciler:rollout from=3 to=4 step=1/2 at=1764000000]
    production [reconciler:rollout-failed from=3 to=4 at=1764000000]

Keeping it in the description makes a weight change and its state change ONE
``UpdateAlias`` guarded by ``RevisionId``: two runs racing on the same step
cannot both advance (the loser gets 412 and plans again).

Limits: AWS allows 256 characters in a description, so during a rollout the
user text before the marker is cut to what is left (a manifest-managed
description is restored in full at promotion; an unmanaged one stays cut).
The marker is visible in the console, and a manifest-managed description is
compared without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

DESCRIPTION_LIMIT = 256

_MARKER = re.compile(
    r"(?:^|\s)\[reconciler:(?P<kind>rollout|rollout-failed)"
    r"(?P<fields>(?: [a-z]+=[^\s\[\]]+)+)\]\s*$"
)
_FIELD = re.compile(r"([a-z]+)=([^\s\[\]]+)")
_STEP = re.compile(r"([0-9]{1,3})/([0-9]{1,3})")
_VERSION = re.compile(r"[0-9]{1,10}|pending:[A-Za-z0-9+/=]{1,64}")


@dataclass(frozen=True)
class Marker:
    """What a rollout records between runs.

    ``kind`` "rollout": in flight, ``step`` of ``steps`` taken at ``at`` (Unix
    seconds; step 0 means reset to ``source`` and about to go to ``target``).
    ``kind`` "failed": rolled back from ``target`` to ``source`` at ``at``.
    """

    kind: Literal["rollout", "failed"]
    source: str
    target: str
    at: int
    step: int = 0
    steps: int = 0

    def text(self) -> str:
        if self.kind == "failed":
            return f"[reconciler:rollout-failed from={self.source} to={self.target} at={self.at}]"
        return (
            f"[reconciler:rollout from={self.source} to={self.target} "
            f"step={self.step}/{self.steps} at={self.at}]"
        )

    def timeless(self) -> Marker:
        """The marker without its time: what two runs taking one step agree on."""
        return replace(self, at=0)


def parse(description: str) -> tuple[str, Marker | None]:
    """Split a live description into (user text, marker or None)."""
    match = _MARKER.search(description)
    if match is None:
        return description, None
    fields = dict(_FIELD.findall(match.group("fields")))
    marker = _marker(match.group("kind"), fields)
    if marker is None:
        # Not one we wrote (or damaged): leave it to the user text.
        return description, None
    return description[: match.start()].rstrip(), marker


def _marker(kind: str, fields: dict[str, str]) -> Marker | None:
    source, target, at = fields.get("from", ""), fields.get("to", ""), fields.get("at", "")
    if not (_VERSION.fullmatch(source) and _VERSION.fullmatch(target) and at.isdigit()):
        return None
    if kind == "rollout-failed":
        return Marker("failed", source, target, int(at))
    step = _STEP.fullmatch(fields.get("step", ""))
    if step is None or int(step.group(1)) > int(step.group(2)):
        return None
    return Marker("rollout", source, target, int(at), int(step.group(1)), int(step.group(2)))


def compose(user_text: str, marker: Marker | None) -> str:
    """The description to write: user text, then the marker; at most 256 characters."""
    if marker is None:
        return user_text[:DESCRIPTION_LIMIT]
    tail = marker.text()
    room = DESCRIPTION_LIMIT - len(tail) - 1
    user = user_text[: max(room, 0)].rstrip()
    return f"{user} {tail}" if user else tail


def timeless(description: str | None) -> str | None:
    """The description with its marker's time zeroed (for comparing two runs' steps)."""
    if description is None:
        return None
    user, marker = parse(description)
    return description if marker is None else compose(user, marker.timeless())


def restamp(description: str, at: int) -> str:
    """The same description with the marker's time set to ``at`` (when it is written)."""
    user, marker = parse(description)
    return description if marker is None else compose(user, replace(marker, at=at))


def materialise(description: str, published: dict[str, str]) -> str:
    """Replace a pending version in the marker by the version just published."""
    user, marker = parse(description)
    if marker is None:
        return description
    versions = {f"pending:{sha}": version for sha, version in published.items()}
    return compose(
        user,
        replace(
            marker,
            source=versions.get(marker.source, marker.source),
            target=versions.get(marker.target, marker.target),
        ),
    )
