"""Field-level difference between a live and a desired alias (deepdiff).

Both sides are normalised first (see :func:`reconciler.live.normalise_weights`):
no routing config, ``{}`` and all-zero weights are the same, and weights are
compared with a 1e-9 tolerance, so float noise never shows up as a change.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from reconciler.live import WEIGHT_EPSILON
from reconciler.plan import AliasState

FIELDS = ("version", "weights", "description")


def _comparable(state: AliasState, *, with_description: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": state.version,
        "weights": {v: w for v, w in state.weights if w > WEIGHT_EPSILON},
    }
    if with_description:
        data["description"] = state.description or ""
    return data


def changed_fields(live: AliasState, desired: AliasState) -> tuple[str, ...]:
    """Which managed fields differ. Description counts only when managed."""
    managed = desired.description is not None
    diff = DeepDiff(
        _comparable(live, with_description=managed),
        _comparable(desired, with_description=managed),
        math_epsilon=WEIGHT_EPSILON,
    )
    affected = set(diff.affected_root_keys)
    return tuple(f for f in FIELDS if f in affected)
