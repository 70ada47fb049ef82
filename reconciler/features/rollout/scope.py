"""``apply --rollouts-only``: keep only what moves rollouts already in flight.

A scheduled run (every few minutes) advances, promotes, rolls back and resets
rollouts; everything else (new aliases, plain repoints, description edits,
prunes, and starting a rollout, which is a deployment) is left to the normal,
reviewed apply.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.plan import Action, FunctionPlan, Note
from reconciler.plan.pending import PendingVersion

# Rollout phases a scheduled run may carry out.
IN_FLIGHT_PHASES = frozenset({"step", "promote", "rollback", "reset", "clear"})


def is_in_flight(action: Action) -> bool:
    info = action.rollout_info()
    return info is not None and info.phase in IN_FLIGHT_PHASES


def rollouts_only(plan: FunctionPlan) -> FunctionPlan:
    kept = [a for a in plan.actions if is_in_flight(a)]
    # A kept action may point at (or record in its marker) a version to publish.
    publishes = [
        a
        for a in plan.actions
        if (sha := a.publishes()) is not None
        and any(k.refers_to(PendingVersion(sha)) for k in kept)
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
