"""The planner: (desired function, live snapshot) -> FunctionPlan. Pure.

It reads nothing and changes nothing. When it cannot decide without knowing
more (a version's configuration for the same-role check of a weighted split),
it says so in ``FunctionPlan.needs``; the reader fetches that and asks again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reconciler.aws.live import FunctionSnapshot, LiveAlias, VersionInfo
from reconciler.features.lifecycle import CollectionPlan, plan_collection
from reconciler.features.provisioned import plan_alias, with_ownership, without_marker
from reconciler.features.rollout.marker import parse
from reconciler.features.rollout.strategy import Decision, RolloutPolicy, Situation, decide
from reconciler.manifest.model import (
    LATEST,
    AliasSpec,
    ContentVersion,
    FunctionSpec,
    LatestVersion,
    PinnedVersion,
    VersionRef,
)
from reconciler.planning.actions import (
    Action,
    AliasState,
    CreateAlias,
    DeleteAlias,
    FunctionPlan,
    FunctionRef,
    Note,
    Problem,
    PublishVersion,
    RolloutInfo,
    RolloutView,
    UpdateAlias,
    is_pending,
    pending_version,
)
from reconciler.planning.diff import changed_fields


@dataclass(frozen=True)
class Resolved:
    version: str
    label: str
    publish: PublishVersion | None = None


class _Unresolved(Exception):
    def __init__(self, problem: Problem | None = None, needs: frozenset[str] = frozenset()):
        self.problem = problem
        self.needs = needs


def resolve(ref: VersionRef, fn: FunctionRef, snap: FunctionSnapshot) -> Resolved:
    """Turn a manifest version reference into a concrete (or pending) version."""
    if isinstance(ref, LatestVersion):
        return Resolved(LATEST, LATEST)
    if isinstance(ref, PinnedVersion):
        version = str(ref.number)
        exists = snap.version_exists(version)
        if exists is None:
            raise _Unresolved(needs=frozenset({version}))
        if not exists:
            raise _Unresolved(
                Problem(
                    "pinned_version_missing",
                    f"version {ref.label()} of {fn.name} does not exist "
                    "(deleted, or never published); pin an existing version",
                )
            )
        return Resolved(version, ref.label())
    return _resolve_content(ref, fn, snap)


def _resolve_content(ref: ContentVersion, fn: FunctionRef, snap: FunctionSnapshot) -> Resolved:
    found = snap.content.get(ref.code_sha256)
    if found is None:
        raise _Unresolved(needs=frozenset({f"sha256:{ref.code_sha256}"}))
    if found.version is not None:
        return Resolved(found.version, f"{ref.name} ({found.version})")
    if found.publish_from is not None:
        publish = PublishVersion(
            fn=fn,
            code_sha256=ref.code_sha256,
            description=ref.description,
            latest_revision_id=found.publish_from.revision_id,
            ref_name=ref.name,
        )
        return Resolved(pending_version(ref.code_sha256), f"{ref.name} (new from $LATEST)", publish)
    raise _Unresolved(
        Problem(
            "hash_not_found",
            f"no version of {fn.name} has code_sha256 {ref.code_sha256} ({ref.name}), "
            "and $LATEST has other code; deploy that build to $LATEST first",
        )
    )


def live_state(alias: LiveAlias) -> AliasState:
    return AliasState(alias.version, alias.weights, alias.description)


def _desired_state(
    spec: AliasSpec, fn: FunctionRef, snap: FunctionSnapshot
) -> tuple[AliasState, list[PublishVersion]]:
    primary = resolve(spec.version, fn, snap)
    weights: list[tuple[str, float]] = []
    labels: list[str] = []
    publishes = [primary.publish] if primary.publish else []
    for ref, weight in spec.weights:
        extra = resolve(ref, fn, snap)
        if extra.publish:
            publishes.append(extra.publish)
        if weight > 0:
            weights.append((extra.version, weight))
            labels.append(extra.label)
    state = AliasState(
        version=primary.version,
        weights=tuple(weights),
        description=spec.description,
        version_label=primary.label,
        weight_labels=tuple(labels),
    )
    return state, publishes


def _config_of(
    version: str, snap: FunctionSnapshot, publishes: list[PublishVersion]
) -> VersionInfo | None:
    if is_pending(version):
        sha = version.split(":", 1)[1]
        found = snap.content.get(sha)
        return found.publish_from if found else None
    return snap.versions.get(version)


def _split_problem(
    state: AliasState,
    alias: str,
    fn: FunctionRef,
    snap: FunctionSnapshot,
    publishes: list[PublishVersion],
) -> tuple[Problem | None, frozenset[str]]:
    """Weighted versions must share execution role and dead-letter config."""
    if not state.weights:
        return None, frozenset()
    versions = [state.version, *(v for v, _ in state.weights)]
    missing = frozenset(v for v in versions if not is_pending(v) and v not in snap.versions)
    if missing:
        return None, missing
    configs = [_config_of(v, snap, publishes) for v in versions]
    if any(c is None for c in configs):
        return None, frozenset()  # existence is reported by resolve()
    roles = {c.role for c in configs if c}
    dlqs = {c.dead_letter_target for c in configs if c}
    if len(roles) > 1 or len(dlqs) > 1:
        what = "execution roles" if len(roles) > 1 else "dead-letter configurations"
        return (
            Problem(
                "incompatible_split",
                f"alias {alias} of {fn.name} would split traffic between versions "
                f"{' and '.join(versions)}, which have different {what}; Lambda rejects that",
                alias=alias,
            ),
            frozenset(),
        )
    return None, frozenset()


def _rollout_decision(
    spec_alias: AliasSpec,
    desired: AliasState,
    live: LiveAlias,
    snap: FunctionSnapshot,
    policy: RolloutPolicy,
) -> Decision | None:
    if spec_alias.rollout is None:
        return None
    return decide(
        Situation(
            alias=spec_alias.name,
            spec=spec_alias.rollout,
            target=desired.version,
            target_label=desired.label(),
            description=spec_alias.description,
            live=live,
            alarms=snap.alarms,
            now=snap.now,
            policy=policy,
        )
    )


def _without_marker(desired: AliasState, live: LiveAlias) -> AliasState:
    """A rollout marker left in the description goes, even where it is not managed."""
    user_text, marker = parse(live.description)
    if marker is None or desired.description is not None:
        return desired
    return replace(desired, description=user_text)


def plan_function(
    spec: FunctionSpec,
    fn: FunctionRef,
    snap: FunctionSnapshot,
    policy: RolloutPolicy | None = None,
) -> FunctionPlan:
    """Everything that must change for ``fn`` to match ``spec``, in order:
    provisioned-concurrency removals, publishes, alias creates and updates,
    provisioned-concurrency settings, alias deletes, version deletes."""
    policy = policy or RolloutPolicy()
    recorded = tuple((a.name, live_state(a), a.revision_id) for a in snap.aliases.values())
    if not snap.exists:
        problem = Problem(
            "function_missing", f"function {fn.function} does not exist in {fn.region}"
        )
        return FunctionPlan(fn=fn, problems=(problem,))

    problems: list[Problem] = []
    needs: set[str] = set()
    publishes: dict[str, PublishVersion] = {}
    first: list[Action] = []
    alias_actions: list[Action] = []
    last: list[Action] = []
    notes: list[Note] = []
    rollouts: list[RolloutView] = []
    for spec_alias in spec.aliases:
        try:
            desired, wanted_publishes = _desired_state(spec_alias, fn, snap)
        except _Unresolved as unresolved:
            needs.update(unresolved.needs)
            if unresolved.problem:
                p = unresolved.problem
                problems.append(
                    Problem(p.kind, f"alias {spec_alias.name}: {p.message}", spec_alias.name)
                )
            continue
        live = snap.aliases.get(spec_alias.name)
        # Rollout logic sees the description without the provisioned-concurrency marker.
        view = None if live is None else without_marker(live)
        want_provisioned = spec_alias.provisioned_concurrency is not None
        action: Action | None = None
        decision = (
            None if view is None else _rollout_decision(spec_alias, desired, view, snap, policy)
        )
        if decision is not None:
            needs.update(decision.needs)
            notes.extend(decision.notes)
            rollouts.extend([decision.view] if decision.view else [])
            if decision.problem:
                problems.append(decision.problem)
                continue
        if live is not None and decision is not None and not decision.normal:
            if decision.after is not None:
                desired = with_ownership(decision.after, live, want_provisioned)
                wanted_publishes = [p for p in wanted_publishes if _refers_to(desired, p)]
                action = _update(fn, spec_alias.name, live, desired, decision.info)
        elif live is None or view is None:
            desired = with_ownership(desired, None, want_provisioned)
            action = CreateAlias(fn=fn, alias=spec_alias.name, after=desired)
        else:
            desired = with_ownership(_without_marker(desired, view), live, want_provisioned)
            action = _update(fn, spec_alias.name, live, desired, None)
        if action is not None:
            split_problem, missing = _split_problem(
                desired, spec_alias.name, fn, snap, wanted_publishes
            )
            needs.update(missing)
            if split_problem:
                problems.append(split_problem)
                continue
        provisioning = plan_alias(fn, spec_alias, live, action, snap.provisioned)
        needs.update(provisioning.needs)
        notes.extend(provisioning.notes)
        first.extend(provisioning.first)
        last.extend(provisioning.last)
        if provisioning.action is not None:
            alias_actions.append(provisioning.action)
            for publish in wanted_publishes:
                publishes.setdefault(publish.code_sha256, publish)

    deletes: list[Action] = []
    for live in snap.aliases.values():
        if spec.alias(live.name) is not None:
            continue
        if spec.prune:
            deletes.append(
                DeleteAlias(
                    fn=fn, alias=live.name, before=live_state(live), revision_id=live.revision_id
                )
            )
        else:
            notes.append(
                Note(
                    f"alias {live.name} is not in the manifest; kept (set prune: true to delete it)",
                    alias=live.name,
                    kind="unmanaged_alias",
                )
            )

    collection = CollectionPlan()
    if not problems and not needs:
        # Only on a complete plan: what the aliases will serve decides what may go.
        planned = [*publishes.values(), *alias_actions, *deletes]
        collection = plan_collection(spec, fn, snap, planned)
        needs.update(collection.needs)
    latest_revision = next(iter(publishes.values())).latest_revision_id if publishes else None
    return FunctionPlan(
        fn=fn,
        actions=(
            *first,
            *publishes.values(),
            *alias_actions,
            *last,
            *deletes,
            *collection.deletes,
        ),
        problems=tuple(problems),
        notes=tuple(notes),
        needs=frozenset(needs),
        recorded_aliases=recorded,
        recorded_latest_revision=latest_revision,
        rollouts=tuple(rollouts),
        retained=collection.retained,
        provisioned=None if snap.provisioned is None else tuple(snap.provisioned.values()),
    )


def _update(
    fn: FunctionRef, alias: str, live: LiveAlias, desired: AliasState, rollout: RolloutInfo | None
) -> UpdateAlias | None:
    fields = changed_fields(live_state(live), desired)
    if not fields:
        return None
    return UpdateAlias(
        fn=fn,
        alias=alias,
        before=live_state(live),
        after=desired,
        fields=fields,
        revision_id=live.revision_id,
        rollout=rollout,
    )


def _refers_to(state: AliasState, publish: PublishVersion) -> bool:
    """Whether ``state`` needs ``publish`` first (its traffic or its rollout marker)."""
    pending = pending_version(publish.code_sha256)
    versions = (state.version, *(v for v, _ in state.weights))
    return pending in versions or pending in (state.description or "")
