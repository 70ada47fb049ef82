"""``apply --rollouts-only``: keep only what moves rollouts already in flight.

A scheduled run (every few minutes) advances, promotes, rolls back and resets
rollouts; everything else (new aliases, plain repoints, description edits,
prunes, and starting a rollout, which is a deployment) is left to the normal,
reviewed apply.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.planning.actions import (
    Action,
    FunctionPlan,
    Note,
    PublishVersion,
    UpdateAlias,
    pending_version,
)

# Rollout phases a scheduled run may carry out.
IN_FLIGHT_PHASES = frozenset({"step", "promote", "rollback", "reset", "clear"})


def is_in_flight(action: Action) -> bool:
    return (
        isinstance(action, UpdateAlias)
        and action.rollout is not None
        and action.rollout.phase in IN_FLIGHT_PHASES
    )


def rollouts_only(plan: FunctionPlan) -> FunctionPlan:
    kept = [a for a in plan.actions if is_in_flight(a)]
    # A kept action may point at (or record in its marker) a version to publish.
    texts = [
        " ".join((a.after.version, *(w for w, _ in a.after.weights), a.after.description or ""))
        for a in kept
        if isinstance(a, UpdateAlias)
    ]
    publishes = [
        a
        for a in plan.actions
        if isinstance(a, PublishVersion)
        and any(pending_version(a.code_sha256) in text for text in texts)
    ]
    left = len(plan.actions) - len(kept) - len(publishes)
    notes = list(plan.notes)
    if left:
        notes.append(
            Note(
                f"{left} other change(s) left for a full apply (--rollouts-only)",
                kind="deferred",
            )
        )
    return replace(plan, actions=(*publishes, *kept), notes=tuple(notes))
