"""Field-level difference between a live and a desired alias (deepdiff).

Both sides are normalised first by the one weights rule
(:mod:`reconciler.aws.weights`): no routing config, ``{}`` and all-zero
weights are the same, and weights closer than its tolerance are equal, so
float noise never shows up as a change. deepdiff is told the same tolerance;
a test pins that the two agree.
"""

from __future__ import annotations

from typing import Any

from reconciler.aws import weights
from reconciler.plan import AliasState
from reconciler.plan.pending import encode

FIELDS = ("version", "weights", "description")


def _comparable(state: AliasState, *, with_description: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": encode(state.version),
        "weights": weights.normalise((encode(v), w) for v, w in state.weights),
    }
    if with_description:
        data["description"] = state.description or ""
    return data


def changed_fields(live: AliasState, desired: AliasState) -> tuple[str, ...]:
    """Which managed fields differ. Description counts only when managed."""
    managed = desired.description is not None
    left = _comparable(live, with_description=managed)
    right = _comparable(desired, with_description=managed)
    same = (
        left["version"] == right["version"]
        and left.get("description") == right.get("description")
        and weights.same(left["weights"], right["weights"])
    )
    if same:
        return ()  # the common, in-sync case: skip deepdiff's cost
    # Imported here: ~90 ms of start-up that an in-sync run never needs.
    from deepdiff import DeepDiff

    diff = DeepDiff(left, right, math_epsilon=weights.EPSILON)
    affected = set(diff.affected_root_keys)
    if not weights.same(left["weights"], right["weights"]):
        affected.add("weights")  # the rule decides; deepdiff only names fields
    return tuple(f for f in FIELDS if f in affected)
