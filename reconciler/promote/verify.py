"""Read-only checks before a promotion: does SOURCE serve what git says?

The check is the drift machinery itself: the engine plans the functions
(reads only) and every planned change, drift note or problem on the source
alias is a reason to refuse. `$LATEST`'s CodeSha256 is read through the
gateway's existing read method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.engine import Engine
from reconciler.errors import ReconcilerError
from reconciler.manifest.model import LATEST, FunctionSpec
from reconciler.report.drift import drift_items

# Plan notes that say the alias does not serve what the manifest says.
_DRIFT_NOTES = frozenset({"rollout_failed", "rollout_interrupted", "rollout_blocked"})


@dataclass(frozen=True)
class Refusal:
    function: str
    reason: str  # drift | not_verified
    details: tuple[str, ...]


def source_drift(engine: Engine, specs: Sequence[FunctionSpec], source: str) -> dict[str, Refusal]:
    """Per function name, why SOURCE cannot be trusted live (absent: it is in sync)."""
    plan = engine.make_plan(specs)
    refused: dict[str, Refusal] = {}
    for fn, problem in plan.problems:
        if fn is None:
            # A spec without region never got a FunctionRef: name it by its text.
            for spec in specs:
                if engine.function_ref(spec) is None:
                    refused[spec.name] = Refusal(spec.name, "not_verified", (problem.message,))
    for fp in plan.functions:
        found: list[str] = []
        for action in fp.actions:
            if action.alias != source:
                continue
            items = drift_items(action)
            found.extend(item["message"] for item in items)
            rollout = action.rollout_info()
            if not items and rollout is not None:
                found.append(
                    f"{fp.fn.name}:{source}: rollout in flight ({rollout.text()}); "
                    "promote once it has finished"
                )
        found.extend(n.message for n in fp.notes if n.alias == source and n.kind in _DRIFT_NOTES)
        if found:
            refused[fp.fn.name] = Refusal(fp.fn.name, "drift", tuple(found))
        elif fp.problems:
            refused[fp.fn.name] = Refusal(
                fp.fn.name, "not_verified", tuple(p.message for p in fp.problems)
            )
    return refused


def latest_sha256(engine: Engine, spec: FunctionSpec) -> str:
    """$LATEST's CodeSha256 of the function (read-only)."""
    ref = engine.function_ref(spec)
    if ref is None:
        raise ReconcilerError(f"{spec.function}: no region; set `region:` or --region")
    info = engine.gateway_for(ref).get_version(ref.function, LATEST)
    if info is None:
        raise ReconcilerError(
            f"{spec.name}: the function does not exist in {ref.region}; cannot read $LATEST"
        )
    return info.code_sha256
