"""Routing weights: the one equality rule for every comparison in the tool.

Lambda's ``AdditionalVersionWeights`` come back from AWS as floats, and a
version at weight 0 is the same as no entry (AWS omits it; emulators keep
it). Everything that compares weights (the diff, the planner, rollouts, the
executor's read-backs, saved plans) uses :func:`normalise` and :func:`same`,
so one tolerance decides what "the same traffic" means.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

# At or below this a weight is "no weight"; two weights closer than this are equal.
EPSILON = 1e-9

K = TypeVar("K", bound=Hashable)

WeightsLike = Mapping[K, float] | Iterable[tuple[K, float]] | None


def normalise(weights: WeightsLike[K]) -> dict[K, float]:
    """Absent, ``{}`` and all-zero weights are the same: no split."""
    if not weights:
        return {}
    pairs = weights.items() if isinstance(weights, Mapping) else weights
    return {v: float(w) for v, w in pairs if float(w) > EPSILON}


def close(a: float, b: float) -> bool:
    """Whether two single weights are the same share of traffic."""
    return abs(a - b) <= EPSILON


def same(a: WeightsLike[K], b: WeightsLike[K]) -> bool:
    """Whether two routing configurations send the same traffic where."""
    left, right = normalise(a), normalise(b)
    return left.keys() == right.keys() and all(close(left[k], right[k]) for k in left)


def sorted_pairs(weights: Mapping[str, float] | None) -> tuple[tuple[str, float], ...]:
    """The normalised weights as a sorted tuple (how live aliases hold them)."""
    return tuple(sorted(normalise(weights).items()))
