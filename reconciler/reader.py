"""Read the live state one function's plan needs, and nothing more.

Cost, in control-plane calls, for a function already in sync: 1 (ListAliases)
with numeric pins; +1 GetFunctionConfiguration per content reference (the
version its alias serves now). Versions are paged through only when that
check misses, so in-sync cost does not grow with the number of versions.
CloudWatch alarms are read (one DescribeAlarms per 100 names) only when the
planner asks: a rollout in flight or about to start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from reconciler.gateway import LambdaGateway
from reconciler.live import (
    AlarmState,
    ContentResolution,
    FunctionSnapshot,
    LiveAlias,
    VersionInfo,
)
from reconciler.model import LATEST, ContentVersion, FunctionSpec, PinnedVersion, VersionRef
from reconciler.plan import FunctionPlan, FunctionRef
from reconciler.planner import plan_function
from reconciler.rollout import RolloutPolicy

log = logging.getLogger("reconciler.reader")

# The planner asks for more at most this often: versions, then alarms, then the
# configurations a rollout's split must compare.
_MAX_ROUNDS = 4
_ALARM = "alarm:"


def _refs_by_alias(spec: FunctionSpec) -> list[tuple[str, VersionRef, bool]]:
    """(alias, reference, is_weight) for every reference an alias uses."""
    refs: list[tuple[str, VersionRef, bool]] = []
    for alias in spec.aliases:
        refs.append((alias.name, alias.version, False))
        refs.extend((alias.name, ref, True) for ref, _ in alias.weights)
    return refs


class _Reader:
    def __init__(self, gw: LambdaGateway, fn: FunctionRef) -> None:
        self.gw = gw
        self.fn = fn
        self.versions: dict[str, VersionInfo | None] = {}
        self.alarms: dict[str, AlarmState | None] = {}
        self._listed: list[VersionInfo] | None = None

    def version(self, qualifier: str) -> VersionInfo | None:
        if qualifier not in self.versions:
            self.versions[qualifier] = self.gw.get_version(self.fn.function, qualifier)
        return self.versions[qualifier]

    def read_alarms(self, names: list[str]) -> None:
        wanted = [n for n in names if n not in self.alarms]
        if not wanted:
            return
        found = self.gw.alarm_states(self.fn.function, wanted)
        for name in wanted:
            self.alarms[name] = found.get(name)

    def all_versions(self) -> list[VersionInfo]:
        if self._listed is None:
            self._listed = self.gw.list_versions(self.fn.function) or []
        return self._listed

    def resolve_content(self, ref: ContentVersion, candidates: set[str]) -> ContentResolution:
        sha = ref.code_sha256
        # 1. The version its alias serves now: one call when already in sync.
        for version in sorted(candidates, key=int, reverse=True):
            info = self.version(version)
            if info is not None and info.code_sha256 == sha:
                return ContentResolution(sha, version=version)
        # 2. The highest published version with that hash (paged, 50 a page).
        matching = [
            int(v.version)
            for v in self.all_versions()
            if v.version != LATEST and v.code_sha256 == sha
        ]
        if matching:
            return ContentResolution(sha, version=str(max(matching)))
        # 3. $LATEST, once any update in progress has settled: publish it.
        latest = self.gw.get_version(self.fn.function, LATEST)
        if latest is not None and latest.last_update_status == "InProgress":
            log.info("%s: $LATEST is being updated; waiting before deciding", self.fn.name)
            self.gw.wait_until_updated(self.fn.function)
            latest = self.gw.get_version(self.fn.function, LATEST)
        if latest is not None and latest.code_sha256 == sha:
            return ContentResolution(sha, publish_from=latest)
        return ContentResolution(sha)


def read_and_plan(
    gw: LambdaGateway,
    spec: FunctionSpec,
    fn: FunctionRef,
    policy: RolloutPolicy | None = None,
    now: Callable[[], float] = time.time,
) -> FunctionPlan:
    """Read what ``spec`` needs from AWS, then plan it (pure)."""
    aliases = gw.list_aliases(fn.function)
    read_at = now()
    if aliases is None:
        return plan_function(spec, fn, FunctionSnapshot(exists=False), policy)
    live: dict[str, LiveAlias] = {a.name: a for a in aliases}
    reader = _Reader(gw, fn)
    served = {v for a in aliases for v in a.versions() if v != LATEST}

    content: dict[str, ContentResolution] = {}
    for _alias, ref, _is_weight in _refs_by_alias(spec):
        if isinstance(ref, ContentVersion) and ref.code_sha256 not in content:
            candidates: set[str] = set()
            for other_alias, other_ref, other_weight in _refs_by_alias(spec):
                if other_ref != ref or other_alias not in live:
                    continue
                current = live[other_alias]
                candidates |= {v for v, _ in current.weights} if other_weight else {current.version}
            candidates.discard(LATEST)
            content[ref.code_sha256] = reader.resolve_content(ref, candidates)
        elif isinstance(ref, PinnedVersion) and str(ref.number) not in served:
            # A pin no alias serves yet: does that version exist at all?
            reader.version(str(ref.number))

    plan = plan_function(spec, fn, _snapshot(live, reader, content, read_at), policy)
    rounds = 1
    while plan.needs and rounds < _MAX_ROUNDS:
        reader.read_alarms(sorted(n[len(_ALARM) :] for n in plan.needs if n.startswith(_ALARM)))
        for need in sorted(plan.needs):
            if not need.startswith(("sha256:", _ALARM)):
                reader.version(need)
        plan = plan_function(spec, fn, _snapshot(live, reader, content, read_at), policy)
        rounds += 1
    return plan


def _snapshot(
    live: dict[str, LiveAlias],
    reader: _Reader,
    content: dict[str, ContentResolution],
    read_at: float,
) -> FunctionSnapshot:
    return FunctionSnapshot(
        exists=True,
        aliases=dict(live),
        versions=dict(reader.versions),
        content=dict(content),
        alarms=dict(reader.alarms),
        now=read_at,
    )
