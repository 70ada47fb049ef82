"""The planner: (desired function, live snapshot) -> FunctionPlan. Pure.

It reads nothing and changes nothing. When it cannot decide without knowing
more (a version's configuration for the same-role check of a weighted split,
an alarm's state, every version), it says so in ``FunctionPlan.needs`` as
typed requests (:mod:`reconciler.plan.requests`); the reader fetches them and
asks again.

Content references resolve by one rule, the same for every alias of a
function in one run: an alias that already serves a version with the hash
keeps it (no churn); otherwise the highest published version with the hash;
otherwise $LATEST, when it has the hash, is published.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.aws.live import FunctionSnapshot, LiveAlias, VersionInfo
from reconciler.features.attachments import (
    bound_items,
    bound_to_version,
    plan_bindings,
    plan_pruned,
)
from reconciler.features.lifecycle import CollectionPlan, plan_collection
from reconciler.features.provisioned import plan_alias, with_ownership, without_marker
from reconciler.features.rollout.strategy import Decision, RolloutPolicy, Situation, decide
from reconciler.manifest.model import (
    AliasSpec,
    FunctionSpec,
)
from reconciler.plan import (
    Action,
    AliasState,
    CreateAlias,
    DeleteAlias,
    FunctionPlan,
    FunctionRef,
    Note,
    PendingVersion,
    Problem,
    PublishVersion,
    RolloutInfo,
    RolloutView,
    UpdateAlias,
    Version,
    live_state,
)
from reconciler.plan.description import parse as parse_description
from reconciler.plan.description import split_rollout
from reconciler.plan.requests import ReadRequest, VersionConfig
from reconciler.planning.diff import changed_fields
from reconciler.planning.resolve import Resolved, Unresolved, desired_state, resolve

__all__ = ["Resolved", "live_state", "plan_function", "resolve"]


def _config_of(version: Version, snap: FunctionSnapshot) -> VersionInfo | None:
    if isinstance(version, PendingVersion):
        found = snap.content.get(version.code_sha256)
        return found.publish_from if found else None
    return snap.versions.get(version)


def _split_problem(
    state: AliasState,
    alias: str,
    fn: FunctionRef,
    snap: FunctionSnapshot,
) -> tuple[Problem | None, frozenset[ReadRequest]]:
    """Weighted versions must share execution role and dead-letter config."""
    if not state.weights:
        return None, frozenset()
    versions = state.versions()
    missing = frozenset(
        VersionConfig(v, alias) for v in versions if isinstance(v, str) and v not in snap.versions
    )
    if missing:
        return None, missing
    configs = [_config_of(v, snap) for v in versions]
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
                f"{' and '.join(AliasState(v).label() for v in versions)}, which have different {what}; Lambda rejects that",
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
    user_text, marker = split_rollout(live.description)
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
    provisioned-concurrency removals, publishes, alias creates and updates
    (what is bound to an alias right after its create, right before its
    update), provisioned-concurrency settings, bindings no longer listed,
    alias deletes (each after what is bound to it), version deletes."""
    policy = policy or RolloutPolicy()
    recorded = tuple((a.name, live_state(a), a.revision_id) for a in snap.aliases.values())
    if not snap.exists:
        problem = Problem(
            "function_missing", f"function {fn.function} does not exist in {fn.region}"
        )
        return FunctionPlan(fn=fn, problems=(problem,), spec=spec)

    problems: list[Problem] = []
    needs: set[ReadRequest] = set()
    publishes: dict[str, PublishVersion] = {}
    first: list[Action] = []
    alias_actions: list[Action] = []
    last: list[Action] = []
    cleanup: list[Action] = []
    notes: list[Note] = []
    rollouts: list[RolloutView] = []
    for spec_alias in spec.aliases:
        try:
            desired, wanted_publishes = desired_state(spec_alias, fn, snap)
        except Unresolved as unresolved:
            needs.update(unresolved.needs)
            if unresolved.problem:
                p = unresolved.problem
                problems.append(
                    Problem(p.kind, f"alias {spec_alias.name}: {p.message}", spec_alias.name)
                )
            continue
        live = snap.aliases.get(spec_alias.name)
        notes.extend(_foreign_marker(spec_alias.name, live))
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
            split_problem, missing = _split_problem(desired, spec_alias.name, fn, snap)
            needs.update(missing)
            if split_problem:
                problems.append(split_problem)
                continue
        provisioning = plan_alias(fn, spec_alias, live, action, snap.provisioned)
        needs.update(provisioning.needs)
        notes.extend(provisioning.notes)
        first.extend(provisioning.first)
        last.extend(provisioning.last)
        bindings = plan_bindings(fn, spec_alias, snap, live is not None, spec.prune)
        needs.update(bindings.needs)
        notes.extend(bindings.notes)
        cleanup.extend(bindings.cleanup)
        # Bound after the alias exists, before traffic moves to it.
        if live is not None:
            alias_actions.extend(bindings.actions)
        if provisioning.action is not None:
            alias_actions.append(provisioning.action)
            for publish in wanted_publishes:
                publishes.setdefault(publish.code_sha256, publish)
        if live is None:
            alias_actions.extend(bindings.actions)

    deletes: list[Action] = []
    for live in snap.aliases.values():
        if spec.alias(live.name) is not None:
            continue
        if spec.prune:
            # What is bound to it goes first: nothing is left pointing at a deleted alias.
            unbind, unread = plan_pruned(fn, live.name, snap)
            needs.update(unread)
            deletes.extend(unbind)
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

    notes.extend(bound_to_version(fn, snap))
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
            *cleanup,
            *deletes,
            *collection.deletes,
        ),
        problems=tuple(problems),
        notes=tuple(notes),
        needs=frozenset(needs),
        spec=spec,
        recorded_aliases=recorded,
        recorded_latest_revision=latest_revision,
        rollouts=tuple(rollouts),
        retained=collection.retained,
        provisioned=None if snap.provisioned is None else tuple(snap.provisioned.values()),
        bound=bound_items(snap),
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
    marker = split_rollout(state.description or "")[1]
    pending = publish.pending()
    return pending in state.versions() or (
        marker is not None and pending in (marker.source, marker.target)
    )


def _foreign_marker(alias: str, live: LiveAlias | None) -> list[Note]:
    """A damaged or foreign "[reconciler:...]" in a description is the user's text."""
    if live is None:
        return []
    foreign = parse_description(live.description).foreign
    if foreign is None:
        return []
    return [
        Note(
            f"alias {alias}: its description ends in {foreign[:80]!r}, which is not a marker "
            "this tool writes (damaged or foreign); treated as the user's text",
            alias=alias,
            kind="description_marker_foreign",
        )
    ]
