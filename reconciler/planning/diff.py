"""Field-level difference between a live and a desired alias (deepdiff).

Both sides are normalised first (see :func:`reconciler.aws.live.normalise_weights`):
no routing config, ``{}`` and all-zero weights are the same, and weights are
compared with a 1e-9 tolerance, so float noise never shows up as a change.
"""

from __future__ import annotations

from typing import Any

from reconciler.aws.live import WEIGHT_EPSILON
from reconciler.planning.actions import AliasState

FIELDS = ("version", "weights", "description")


def _comparable(state: AliasState, *, with_description: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": state.version,
        "weights": {v: w for v, w in state.weights if w > WEIGHT_EPSILON},
    }
    if with_description:
        data["description"] = state.description or ""
    return data


def _same(left: dict[str, Any], right: dict[str, Any]) -> bool:
    weights_l, weights_r = left["weights"], right["weights"]
    return (
        left["version"] == right["version"]
        and left.get("description") == right.get("description")
        and weights_l.keys() == weights_r.keys()
        and all(abs(weights_l[k] - weights_r[k]) <= WEIGHT_EPSILON for k in weights_l)
    )


def changed_fields(live: AliasState, desired: AliasState) -> tuple[str, ...]:
    """Which managed fields differ. Description counts only when managed."""
    managed = desired.description is not None
    left = _comparable(live, with_description=managed)
    right = _comparable(desired, with_description=managed)
    if _same(left, right):
        return ()  # the common, in-sync case: skip deepdiff's cost
    # Imported here: ~90 ms of start-up that an in-sync run never needs.
    from deepdiff import DeepDiff

    diff = DeepDiff(
        left,
        right,
        math_epsilon=WEIGHT_EPSILON,
    )
    affected = set(diff.affected_root_keys)
    return tuple(f for f in FIELDS if f in affected)
