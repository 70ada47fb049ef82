"""Read the live state one function's plan needs, and nothing more.

Cost, in control-plane calls, for a function already in sync: 1 (ListAliases)
with numeric pins; +1 GetFunctionConfiguration per content reference (the
version its alias serves now). Versions are paged through only when that
check misses, so in-sync cost does not grow with the number of versions.
CloudWatch alarms are read (one DescribeAlarms per 100 names) only when the
planner asks: a rollout in flight or about to start.

With ``retain_versions``: +1 ListVersionsByFunction (paged); event source
mappings, function URLs and provisioned-concurrency configs only when an old
version has no other reference, then one GetPolicy per version still to be
deleted. What is bound to aliases (:mod:`reconciler.features.attachments`):
+1 ListEventSourceMappings (paged) with ``event_sources``, +1
ListFunctionUrlConfigs (paged) with ``function_url``, +1 GetPolicy per live
alias with ``permissions``. With ``provisioned_concurrency`` on an alias
(or its ownership marker live): +1 ListProvisionedConcurrencyConfigs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from reconciler.aws.gateway import LambdaGateway
from reconciler.aws.live import (
    AlarmState,
    Attachment,
    ContentResolution,
    EventSourceMapping,
    FunctionSnapshot,
    FunctionUrl,
    LiveAlias,
    PolicyStatement,
    ProvisionedConfig,
    VersionInfo,
)
from reconciler.features.attachments import reads_for
from reconciler.features.rollout.strategy import RolloutPolicy
from reconciler.manifest.model import (
    LATEST,
    ContentVersion,
    FunctionSpec,
    PinnedVersion,
    VersionRef,
)
from reconciler.plan import FunctionPlan, FunctionRef, Problem
from reconciler.plan.description import split_provisioned
from reconciler.plan.requests import (
    AlarmStates,
    AllVersions,
    ContentHash,
    EventSources,
    FunctionUrls,
    Policy,
    ProvisionedConfigs,
    ReadRequest,
    VersionConfig,
    VersionReferences,
)
from reconciler.planning.planner import plan_function

log = logging.getLogger("reconciler.planning.reader")

# The planner asks for more at most this often: versions, then alarms, then the
# configurations a rollout's split must compare, then version-collection
# references (event source mappings, URLs, provisioned concurrency).
_MAX_ROUNDS = 5


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
        self.provisioned: dict[str, ProvisionedConfig] | None = None
        self.event_sources: tuple[EventSourceMapping, ...] | None = None
        self.urls: tuple[FunctionUrl, ...] | None = None
        self.policies: dict[str, tuple[PolicyStatement, ...]] = {}

    @property
    def listed(self) -> tuple[VersionInfo, ...] | None:
        return None if self._listed is None else tuple(self._listed)

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

    def read_provisioned(self) -> None:
        if self.provisioned is None:
            configs = self.gw.list_provisioned_concurrency(self.fn.function) or []
            self.provisioned = {c.qualifier: c for c in configs}

    @property
    def attachments(self) -> tuple[Attachment, ...] | None:
        """Mappings and URLs as version collection sees them (once both are read)."""
        if self.event_sources is None or self.urls is None:
            return None
        return (
            *(m.reference() for m in self.event_sources),
            *(u.reference() for u in self.urls),
        )

    def read_event_sources(self) -> None:
        if self.event_sources is None:
            self.event_sources = tuple(self.gw.event_source_mappings(self.fn.function))

    def read_urls(self) -> None:
        if self.urls is None:
            self.urls = tuple(self.gw.function_urls(self.fn.function))

    def read_policy(self, qualifier: str) -> None:
        if qualifier not in self.policies:
            self.policies[qualifier] = tuple(self.gw.policy(self.fn.function, qualifier))

    def read_attachments(self) -> None:
        self.read_event_sources()
        self.read_urls()

    def fetch(self, needs: frozenset[ReadRequest], content: dict[str, ContentResolution]) -> None:
        """Read what the planner asked for."""
        self.read_alarms(sorted({n.name for n in needs if isinstance(n, AlarmStates)}))
        if any(isinstance(n, AllVersions | ContentHash) for n in needs):
            self.all_versions()
        if any(isinstance(n, ProvisionedConfigs | VersionReferences) for n in needs):
            self.read_provisioned()
        if any(isinstance(n, VersionReferences) for n in needs):
            self.read_attachments()
        if any(isinstance(n, EventSources) for n in needs):
            self.read_event_sources()
        if any(isinstance(n, FunctionUrls) for n in needs):
            self.read_urls()
        for qualifier in sorted({n.qualifier for n in needs if isinstance(n, Policy)}):
            self.read_policy(qualifier)
        for sha in sorted({n.code_sha256 for n in needs if isinstance(n, ContentHash)}):
            known = content.get(sha)
            content[sha] = self.highest_with(sha, known.serving if known else frozenset())
        for version in sorted({n.version for n in needs if isinstance(n, VersionConfig)}):
            self.version(version)

    def all_versions(self) -> list[VersionInfo]:
        if self._listed is None:
            self._listed = self.gw.list_versions(self.fn.function) or []
        return self._listed

    def resolve_content(self, ref: ContentVersion, places: list[set[str]]) -> ContentResolution:
        """Check the versions aliases serve now (``places``: per alias referring
        to the hash, what it serves there); when some alias serves none with
        the hash, find the highest published one too."""
        sha = ref.code_sha256
        listed = {v.version: v for v in self._listed or ()}
        serving = set()
        for version in sorted(set().union(*places), key=int, reverse=True):
            # Already listed for version collection: no call needed.
            info = listed.get(version) if self._listed is not None else self.version(version)
            if info is not None and info.code_sha256 == sha:
                serving.add(version)
        if all(place & serving for place in places):
            return ContentResolution(sha, serving=frozenset(serving))
        return self.highest_with(sha, frozenset(serving))

    def highest_with(self, sha: str, serving: frozenset[str]) -> ContentResolution:
        # The highest published version with that hash (paged, 50 a page).
        matching = [
            int(v.version)
            for v in self.all_versions()
            if v.version != LATEST and v.version.isdigit() and v.code_sha256 == sha
        ]
        if matching:
            return ContentResolution(sha, version=str(max(matching)), serving=serving)
        # $LATEST, once any update in progress has settled: publish it.
        latest = self.gw.get_version(self.fn.function, LATEST)
        if latest is not None and latest.last_update_status == "InProgress":
            log.info("%s: $LATEST is being updated; waiting before deciding", self.fn.name)
            self.gw.wait_until_updated(self.fn.function)
            latest = self.gw.get_version(self.fn.function, LATEST)
        if latest is not None and latest.code_sha256 == sha:
            return ContentResolution(sha, publish_from=latest, serving=serving)
        return ContentResolution(sha, serving=serving)


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

    if spec.retain_versions is not None:
        reader.all_versions()  # collection needs them; they also answer the checks below
    content: dict[str, ContentResolution] = {}
    for _alias, ref, _is_weight in _refs_by_alias(spec):
        if isinstance(ref, ContentVersion) and ref.code_sha256 not in content:
            places: list[set[str]] = []  # what each alias referring to the hash serves there
            for other_alias, other_ref, other_weight in _refs_by_alias(spec):
                if getattr(other_ref, "code_sha256", None) != ref.code_sha256:
                    continue
                current = live.get(other_alias)
                served_there = (
                    set()
                    if current is None
                    else {v for v, _ in current.weights}
                    if other_weight
                    else {current.version}
                )
                places.append(served_there - {LATEST})
            content[ref.code_sha256] = reader.resolve_content(ref, places)
        elif (
            isinstance(ref, PinnedVersion)
            and str(ref.number) not in served
            and reader.listed is None
        ):
            # A pin no alias serves yet (and no listing): does that version exist at all?
            reader.version(str(ref.number))

    managed = [live[a.name] for a in spec.aliases if a.name in live]
    if any(a.provisioned_concurrency is not None for a in spec.aliases) or any(
        split_provisioned(a.description)[1] for a in managed
    ):
        reader.read_provisioned()

    # What is bound to aliases, read up front (no extra planning round).
    mappings, urls, policies = reads_for(spec)
    if mappings:
        reader.read_event_sources()
    if urls:
        reader.read_urls()
    for alias in policies:
        if alias in live:
            reader.read_policy(alias)

    plan = plan_function(spec, fn, _snapshot(live, reader, content, read_at), policy)
    rounds = 1
    while plan.needs and rounds < _MAX_ROUNDS:
        reader.fetch(plan.needs, content)
        plan = plan_function(spec, fn, _snapshot(live, reader, content, read_at), policy)
        rounds += 1
    if plan.needs:
        # Never silence: an alias left without a decision is a planning problem.
        return replace(
            plan, actions=(), needs=frozenset(), problems=(*plan.problems, *_unread(plan))
        )
    return plan


def _unread(plan: FunctionPlan) -> list[Problem]:
    return [
        Problem(
            "planning_incomplete",
            f"{'alias ' + need.alias if need.alias else plan.fn.name}: still needed "
            f"{need.describe()} after {_MAX_ROUNDS} rounds of reads; nothing is planned for "
            "this function. This is a bug: please report it with --verbose output",
            need.alias,
        )
        for need in sorted(plan.needs, key=repr)
    ]


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
        published=reader.listed,
        provisioned=None if reader.provisioned is None else dict(reader.provisioned),
        attachments=reader.attachments,
        event_sources=reader.event_sources,
        urls=reader.urls,
        policies=dict(reader.policies),
    )
