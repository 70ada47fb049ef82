"""Version garbage collection: which published versions may go. Pure.

With ``retain_versions: {keep_last: N}``, published versions older than the
newest N are deleted unless something still needs them. Every version that is
kept although old is listed with its reason, so a reviewer sees why. Without
``retain_versions`` nothing is ever deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.model import LATEST


@dataclass(frozen=True)
class Retained:
    version: str
    reason: str


@dataclass(frozen=True)
class Collection:
    delete: tuple[str, ...]
    retained: tuple[Retained, ...]


def collect(
    published: Iterable[str],
    keep_last: int,
    references: Mapping[str, Iterable[str]],
) -> Collection:
    """Decide which versions to delete.

    ``published``: version numbers (``$LATEST`` is ignored: it is never
    deleted). ``references``: version -> reasons it is in use (aliases,
    manifest, rollouts, event source mappings, function URLs, provisioned
    concurrency). Versions among the newest ``keep_last`` are kept without
    being listed; older referenced ones are kept and listed.
    """
    numbers = sorted({int(v) for v in published if v != LATEST}, reverse=True)
    newest = {str(n) for n in numbers[:keep_last]}
    delete: list[str] = []
    retained: list[Retained] = []
    for number in sorted(numbers):
        version = str(number)
        if version in newest:
            continue
        reasons = sorted(set(references.get(version, ())))
        if reasons:
            retained.append(Retained(version, "; ".join(reasons)))
        else:
            delete.append(version)
    return Collection(tuple(delete), tuple(retained))


def qualifier_of(function_arn: str) -> str | None:
    """The version qualifier of a qualified function ARN, if it is a number."""
    parts = function_arn.split(":")
    # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    if len(parts) == 8 and parts[7].isdigit():
        return parts[7]
    return None
