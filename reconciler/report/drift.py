"""Drift: the same plan, read as "what differs from git" instead of "what to do".

A drift check is a plan that is never applied; each planned change is one
kind of drift. Exit codes: 0 in sync, 2 drift, 1 error.

Rollouts: one in flight (waiting, or a step, promotion or reset due) is
``converging``, information only; a rolled-back rollout is ``rollout_failed``
and a hand edit in the middle of one is ``rollout_interrupted`` (both drift);
a rollout not started yet is ``version_differs``, like any pending change.

Provisioned concurrency missing, different, FAILED or left over after the
manifest removed it is ``provisioned_concurrency_differs``; adding or removing
only the ownership marker in a description is bookkeeping, not drift. Versions
``retain_versions`` would delete are ``pending_version_deletion``, information
only: nothing differs from git.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.manifest.model import ManifestSet
from reconciler.plan import Action, FunctionPlan, Note, Plan, kind_of, position
from reconciler.report.documents import Doc, base_doc, error_doc, position_fields

# Problems that are a difference from git, not a failure to look.
DRIFT_PROBLEMS = {"pinned_version_missing"}

# Plan notes that are drift, by drift kind.
_DRIFT_NOTES = {
    "rollout_failed": "rollout_failed",
    "rollout_interrupted": "rollout_interrupted",
    "rollout_blocked": "version_differs",
    "rollout_marker_invalid": "rollout_marker_invalid",
}
# Notes about how apply will act, not about what differs.
_SILENT_NOTES = {"rollout", "deferred"}


def drift_items(action: Action) -> list[Doc]:
    """The drift this planned change stands for (its kind decides)."""
    items: list[Doc] = kind_of(action).drift(action)
    return items


def _pending_deletion(fp: FunctionPlan) -> list[Doc]:
    deletes = [a for a in fp.actions if a.deleted_version() is not None]
    if not deletes:
        return []
    versions = [str(a.deleted_version()) for a in deletes]
    keep = getattr(deletes[0], "keep_last", 0)
    return [
        {
            "function": fp.fn.name,
            "region": fp.fn.region,
            "account": fp.fn.account,
            "alias": None,
            "kind": "pending_version_deletion",
            "expected": keep,
            "actual": versions,
            "message": f"{fp.fn.name}: apply would delete {len(versions)} version(s) older than "
            f"the newest {keep} that nothing refers to: {', '.join(versions)}",
        }
    ]


def _converging(fp: FunctionPlan) -> list[Doc]:
    return [item for a in fp.actions for item in kind_of(a).info(a)]


def _note_item(fp: FunctionPlan, note: Note, kind: str) -> Doc:
    return {
        "function": fp.fn.name,
        "region": fp.fn.region,
        "account": fp.fn.account,
        "alias": note.alias,
        "kind": kind,
        "expected": None,
        "actual": None,
        "message": note.message,
    }


def drift_doc(
    plan: Plan, manifests: ManifestSet | None, paths: Sequence[str], target: Doc | None = None
) -> Doc:
    doc = base_doc("drift", manifests, paths, target)
    drift: list[Doc] = [item for a in plan.actions for item in drift_items(a)]
    errors: list[Doc] = []
    for fn, problem in plan.all_problems:
        if problem.kind in DRIFT_PROBLEMS and fn is not None:
            drift.append(
                {
                    "function": fn.name,
                    "region": fn.region,
                    "account": fn.account,
                    "alias": problem.alias,
                    "kind": problem.kind,
                    "expected": None,
                    "actual": None,
                    "message": problem.message,
                }
            )
        else:
            errors.append(error_doc(fn, problem))
    info: list[Doc] = []
    for f in plan.functions:
        for n in f.notes:
            if n.kind in _DRIFT_NOTES:
                drift.append(_note_item(f, n, _DRIFT_NOTES[n.kind]))
            elif n.kind not in _SILENT_NOTES:
                info.append(_note_item(f, n, n.kind))
        info.extend(_converging(f))
        info.extend(_pending_deletion(f))
    # Each finding points at where the manifest declares its alias (or function).
    specs = {(f.fn.region, f.fn.name): f.spec for f in plan.functions}
    for item in (*drift, *info):
        spec = specs.get((item["region"], item["function"]))
        item.update(position_fields(position(spec, item.get("alias"))))
    drifted = {(d["region"], d["function"]) for d in drift}
    failed = {(e["region"], e["function"]) for e in errors}
    converging = {(i["region"], i["function"]) for i in info if i["kind"] == "converging"}
    doc["functions"] = [
        {
            "function": f.fn.name,
            "function_id": f.fn.function,
            "region": f.fn.region,
            "account": f.fn.account,
            "status": "error"
            if (f.fn.region, f.fn.name) in failed
            else "drifted"
            if (f.fn.region, f.fn.name) in drifted
            else "converging"
            if (f.fn.region, f.fn.name) in converging
            else "in_sync",
            "reason": None,
            **position_fields(f.spec.pos if f.spec else None),
        }
        for f in plan.functions
    ]
    doc["in_sync"] = not drift and not errors
    doc["drift"] = drift
    doc["info"] = info
    doc["errors"] = errors
    doc["failure_reason"] = "plan-error" if errors else None
    return doc
