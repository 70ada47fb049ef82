"""From checked manifest data to the model: references, rollouts, FunctionSpec.

The resolving helpers are shared with the semantic checks, which call them on
data that may still be ill-typed; :func:`build_function` runs only on a
document without any diagnostic.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.manifest.annotations import show
from reconciler.manifest.loader import Document
from reconciler.manifest.model import (
    FUNCTION_NAME_RE,
    LATEST,
    AliasSpec,
    ContentVersion,
    CorsSpec,
    EventSourceSpec,
    FunctionSpec,
    FunctionUrlSpec,
    LatestVersion,
    PermissionSpec,
    PinnedVersion,
    RetainVersions,
    Rollout,
    SourcePos,
    VersionRef,
)

_DIGITS = re.compile(r"[0-9]+")
# Version numbers are 64-bit at most; longer digit strings are typos (and
# int() refuses to parse thousands of digits).
_MAX_NUMBER_DIGITS = 18
_INTERVAL = re.compile(r"([0-9]{1,9})([smh])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
_CANARY_PRESET = re.compile(r"Canary([0-9]+)Percent([0-9]+)Minutes")
_LINEAR_PRESET = re.compile(r"Linear([0-9]+)PercentEvery([0-9]+)Minutes?")
STRATEGIES = ("canary", "linear", "all-at-once")


@dataclass(frozen=True)
class FunctionId:
    """What a `function` value names, split by botocore's FunctionName pattern."""

    name: str
    region: str | None
    account: str | None
    qualifier: str | None


def parse_function(text: str) -> FunctionId | None:
    """Split a name / partial ARN / ARN; None when it does not match the pattern."""
    match = FUNCTION_NAME_RE.match(text)
    if match is None:
        return None
    # Groups of FUNCTION_NAME_RE: 3 region + ':', 9 account + ':', 11 name, 13 qualifier.
    region, account = match.group(3), match.group(9)
    return FunctionId(
        name=match.group(11),
        region=region[:-1] if region else None,
        account=account[:-1] if account else None,
        qualifier=match.group(13),
    )


def is_number(value: Any) -> bool:
    """int or float but not bool (YAML booleans are ints to Python)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def define_version(name: str, raw: Any) -> VersionRef | None:
    """A `versions` entry as a reference; None when its shape is wrong."""
    if is_number(raw) and float(raw).is_integer() and raw >= 1:
        return PinnedVersion(int(raw), name)
    if isinstance(raw, dict) and isinstance(raw.get("code_sha256"), str):
        description = raw.get("description")
        return ContentVersion(
            name, raw["code_sha256"], description if isinstance(description, str) else None
        )
    return None


def defined_versions(data: Mapping[str, Any]) -> dict[str, VersionRef | None] | None:
    """Named versions of a document; None when `versions` is not a mapping."""
    raw = data.get("versions", {})
    if not isinstance(raw, dict):
        return None
    return {name: define_version(name, value) for name, value in raw.items()}


def resolve_reference(
    raw: Any, defined: Mapping[str, VersionRef | None] | None
) -> tuple[VersionRef | None, str | None]:
    """(reference, problem). Both None: the shape is wrong and the schema says so."""
    if is_number(raw):
        if float(raw).is_integer() and raw >= 1:
            return PinnedVersion(int(raw)), None
        return None, None
    if not isinstance(raw, str) or not raw:
        return None, None
    if raw == LATEST:
        return LatestVersion(), None
    if _DIGITS.fullmatch(raw):
        if len(raw) > _MAX_NUMBER_DIGITS:
            return None, f"version {show(raw)}, a number too large to be a version"
        if int(raw) < 1:
            return None, f"version {show(raw)}, but version numbers start at 1"
        return PinnedVersion(int(raw)), None
    if defined is None:
        return None, None
    if raw in defined:
        return defined[raw], None
    close = difflib.get_close_matches(raw, list(defined), n=1)
    suggestion = f" (did you mean {show(close[0])}?)" if close else ""
    names = ", ".join(defined) or "none"
    return None, (
        f"version {show(raw)}, which is not defined in `versions`{suggestion}; a version is "
        f'a number, "$LATEST" or a defined name (defined: {names})'
    )


def same_version(first: VersionRef, second: VersionRef) -> bool:
    """Whether two references surely resolve to the same version."""
    if isinstance(first, PinnedVersion) and isinstance(second, PinnedVersion):
        return first.number == second.number
    if isinstance(first, ContentVersion) and isinstance(second, ContentVersion):
        return first.code_sha256 == second.code_sha256
    return isinstance(first, LatestVersion) and isinstance(second, LatestVersion)


def interval_seconds(text: Any) -> int | None:
    """Seconds in "90s" / "10m" / "2h"; None when not in that form (or absurdly long)."""
    match = _INTERVAL.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def linear_steps(increment: float) -> tuple[float, ...]:
    """increment, 2*increment, ... while below 1; rounded so 3*0.1 is 0.3."""
    steps: list[float] = []
    count = 1
    while (weight := round(count * increment, 9)) < 1:
        steps.append(weight)
        count += 1
    return tuple(steps)


def expand_preset(preset: str, alarms: tuple[str, ...] = ()) -> Rollout:
    """A CodeDeploy-style preset name as a Rollout."""
    if preset == "AllAtOnce":
        return Rollout("all-at-once", (), 0, alarms, preset=preset)
    if match := _CANARY_PRESET.fullmatch(preset):
        percent, minutes = int(match.group(1)), int(match.group(2))
        return Rollout("canary", (percent / 100,), minutes * 60, alarms, preset=preset)
    if match := _LINEAR_PRESET.fullmatch(preset):
        percent, minutes = int(match.group(1)), int(match.group(2))
        return Rollout("linear", linear_steps(percent / 100), minutes * 60, alarms, preset=preset)
    raise ValueError(f"unknown rollout preset {preset!r}")


def build_rollout(raw: Any, alias_alarms: Any) -> Rollout:
    if isinstance(raw, str):
        return expand_preset(raw, tuple(alias_alarms or ()))
    strategy = raw["strategy"]
    alarms = tuple(raw.get("alarms", ()))
    if strategy == "all-at-once":
        return Rollout(strategy, (), 0, alarms)
    if strategy == "canary":
        steps = tuple(float(step) for step in raw["steps"])
    else:
        steps = linear_steps(float(raw["linear"]["increment"]))
    return Rollout(strategy, steps, _checked(interval_seconds(raw["interval"])), alarms)


def _checked(value: Any) -> Any:
    # build_function runs only on documents that passed every check.
    if value is None:
        raise ValueError("build_function was given an unchecked manifest")
    return value


def _resolved(raw: Any, defined: Mapping[str, VersionRef | None]) -> VersionRef:
    ref: VersionRef = _checked(resolve_reference(raw, defined)[0])
    return ref


def _optional_int(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    # The schema's "integer" admits 10.0; the model holds ints.
    return None if value is None else int(value)


def _event_source(raw: Mapping[str, Any], pos: SourcePos) -> EventSourceSpec:
    return EventSourceSpec(
        source=raw["source"],
        batch_size=_optional_int(raw, "batch_size"),
        enabled=bool(raw.get("enabled", True)),
        maximum_batching_window=_optional_int(raw, "maximum_batching_window"),
        starting_position=raw.get("starting_position"),
        pos=pos,
    )


def _cors(raw: Mapping[str, Any]) -> CorsSpec:
    return CorsSpec(
        allow_origins=tuple(raw.get("allow_origins", ())),
        allow_methods=tuple(raw.get("allow_methods", ())),
        allow_headers=tuple(raw.get("allow_headers", ())),
        expose_headers=tuple(raw.get("expose_headers", ())),
        allow_credentials=bool(raw.get("allow_credentials", False)),
        max_age=int(raw.get("max_age", 0)),
    )


def _function_url(raw: Mapping[str, Any], pos: SourcePos) -> FunctionUrlSpec:
    cors = raw.get("cors")
    return FunctionUrlSpec(
        auth_type=raw["auth_type"],
        invoke_mode=raw.get("invoke_mode", "BUFFERED"),
        cors=None if cors is None else _cors(cors),
        pos=pos,
    )


def _permission(raw: Mapping[str, Any], pos: SourcePos) -> PermissionSpec:
    return PermissionSpec(
        sid=raw["sid"],
        principal=raw["principal"],
        action=raw.get("action", "lambda:InvokeFunction"),
        source_arn=raw.get("source_arn"),
        source_account=raw.get("source_account"),
        function_url_auth_type=raw.get("function_url_auth_type"),
        pos=pos,
    )


Attachments = tuple[
    tuple[EventSourceSpec, ...] | None, FunctionUrlSpec | None, tuple[PermissionSpec, ...] | None
]


def _attachments(doc: Document, name: str, raw: Mapping[str, Any]) -> Attachments:
    """event_sources, function_url, permissions of an alias; None for a key left out."""

    def at(*path: str | int) -> SourcePos:
        line, col = doc.key_at(("aliases", name, *path))
        return SourcePos(doc.file, line, col)

    sources = raw.get("event_sources")
    url = raw.get("function_url")
    permissions = raw.get("permissions")
    return (
        None
        if sources is None
        else tuple(
            _event_source(item, at("event_sources", index)) for index, item in enumerate(sources)
        ),
        None if url is None else _function_url(url, at("function_url")),
        None
        if permissions is None
        else tuple(
            _permission(item, at("permissions", index)) for index, item in enumerate(permissions)
        ),
    )


def _build_alias(
    doc: Document, name: str, raw: dict[str, Any], defined: Mapping[str, VersionRef | None]
) -> AliasSpec:
    weights = tuple(
        (_resolved(key, defined), float(share)) for key, share in raw.get("weights", {}).items()
    )
    rollout = raw.get("rollout")
    concurrency = raw.get("provisioned_concurrency")
    line, col = doc.key_at(("aliases", name))
    sources, url, permissions = _attachments(doc, name, raw)
    return AliasSpec(
        name=name,
        version=_resolved(raw["version"], defined),
        weights=weights,
        description=raw.get("description"),
        rollout=None if rollout is None else build_rollout(rollout, raw.get("alarms")),
        provisioned_concurrency=None if concurrency is None else int(concurrency),
        pos=SourcePos(doc.file, line, col),
        event_sources=sources,
        function_url=url,
        permissions=permissions,
    )


def build_function(doc: Document) -> FunctionSpec:
    """The FunctionSpec of a document that passed every check."""
    data: dict[str, Any] = doc.data
    ident: FunctionId = _checked(parse_function(data["function"]))
    defined: dict[str, VersionRef | None] = _checked(defined_versions(data))
    versions = tuple((name, _checked(ref)) for name, ref in defined.items())
    aliases = tuple(_build_alias(doc, name, raw, defined) for name, raw in data["aliases"].items())
    retain = data.get("retain_versions")
    line, col = doc.value_at(("function",))
    return FunctionSpec(
        function=data["function"],
        name=ident.name,
        region=data.get("region") or ident.region,
        account=data.get("account") or ident.account,
        prune=bool(data.get("prune", False)),
        aliases=aliases,
        versions=versions,
        retain_versions=None if retain is None else RetainVersions(int(retain["keep_last"])),
        pos=SourcePos(doc.file, line, col),
    )
