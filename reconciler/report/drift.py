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
from typing import Any

from reconciler.features.provisioned import split_marker
from reconciler.manifest.model import ManifestSet
from reconciler.planning.actions import (
    Action,
    CreateAlias,
    DeleteAlias,
    DeleteProvisionedConcurrency,
    DeleteVersion,
    FunctionPlan,
    Note,
    Plan,
    PublishVersion,
    PutProvisionedConcurrency,
    UpdateAlias,
)
from reconciler.report.documents import Doc, _base, _error, state_doc

# Problems that are a difference from git, not a failure to look.
DRIFT_PROBLEMS = {"pinned_version_missing"}

# Plan notes that are drift, by drift kind.
_DRIFT_NOTES = {
    "rollout_failed": "rollout_failed",
    "rollout_interrupted": "rollout_interrupted",
    "rollout_blocked": "version_differs",
}
# Notes about how apply will act, not about what differs.
_SILENT_NOTES = {"rollout", "deferred"}

_FIELD_KINDS = {
    "version": "version_differs",
    "weights": "weights_differ",
    "description": "description_differs",
}


def _item(action: Action, kind: str, expected: Any, actual: Any, message: str) -> Doc:
    return {
        "function": action.fn.name,
        "region": action.fn.region,
        "account": action.fn.account,
        "alias": action.alias,
        "kind": kind,
        "expected": expected,
        "actual": actual,
        "message": message,
    }


def drift_items(action: Action) -> list[Doc]:
    where = f"{action.fn.name}:{action.alias}" if action.alias else action.fn.name
    if isinstance(action, PublishVersion):
        return [
            _item(
                action,
                "version_unpublished",
                action.code_sha256,
                None,
                f"{where}: no published version has code_sha256 {action.code_sha256[:12]}… "
                f"({action.ref_name}); $LATEST has it, unpublished",
            )
        ]
    if isinstance(action, CreateAlias):
        return [
            _item(
                action, "alias_missing", state_doc(action.after), None, f"{where}: alias is missing"
            )
        ]
    if isinstance(action, DeleteAlias):
        return [
            _item(
                action,
                "unmanaged_alias",
                None,
                state_doc(action.before),
                f"{where}: alias exists but is not in the manifest (prune: true)",
            )
        ]
    if isinstance(action, DeleteVersion):
        return []  # reported per function as pending_version_deletion (information)
    if isinstance(action, PutProvisionedConcurrency | DeleteProvisionedConcurrency):
        return [_provisioned_item(action, where)]
    assert isinstance(action, UpdateAlias)
    if action.rollout is not None:
        return _rollout_items(action, where)
    items = []
    for field in action.fields:
        if field == "description" and _marker_only(action):
            continue
        before, after = action.before, action.after
        expected: Any
        actual: Any
        if field == "version":
            expected, actual = after.label(), before.version
            text = f"serves version {before.version}, manifest says {after.label()}"
        elif field == "weights":
            expected, actual = state_doc(after)["weights"], state_doc(before)["weights"]  # type: ignore[index]
            text = f"weights are {before.weights_text()}, manifest says {after.weights_text()}"
        else:
            expected, actual = after.description, before.description
            text = f'description is "{before.description}", manifest says "{after.description}"'
        items.append(_item(action, _FIELD_KINDS[field], expected, actual, f"{where}: {text}"))
    return items


def _marker_only(action: UpdateAlias) -> bool:
    """Whether the description changes only by the provisioned-concurrency marker."""
    before = split_marker(action.before.description or "")[0]
    return before == split_marker(action.after.description or "")[0]


def _provisioned_item(
    action: PutProvisionedConcurrency | DeleteProvisionedConcurrency, where: str
) -> Doc:
    if isinstance(action, DeleteProvisionedConcurrency):
        why = (
            "the manifest gives the alias weights, which Lambda forbids with it"
            if action.why == "weights"
            else "the manifest no longer sets it"
        )
        text = f"provisioned concurrency is {action.before}, {why}"
        return _item(
            action, "provisioned_concurrency_differs", None, action.before, f"{where}: {text}"
        )
    if action.before is None:
        text = f"no provisioned concurrency, manifest says {action.after}"
    elif action.failed:
        text = f"provisioned concurrency {action.before} FAILED ({action.failed})"
    else:
        text = f"provisioned concurrency is {action.before}, manifest says {action.after}"
    actual: Any = f"FAILED: {action.failed}" if action.failed else action.before
    return _item(
        action, "provisioned_concurrency_differs", action.after, actual, f"{where}: {text}"
    )


def _pending_deletion(fp: FunctionPlan) -> list[Doc]:
    versions = [a.version for a in fp.actions if isinstance(a, DeleteVersion)]
    if not versions:
        return []
    keep = next(a.keep_last for a in fp.actions if isinstance(a, DeleteVersion))
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


def _rollout_items(action: UpdateAlias, where: str) -> list[Doc]:
    info = action.rollout
    assert info is not None
    if info.phase != "start":
        # In flight: reported as converging; a rollback by its rollout_failed note.
        return []
    label = info.target_label or info.target
    starts = f" (apply starts it: {info.text()})"
    return [
        _item(
            action,
            "version_differs",
            label,
            info.source,
            f"{where}: serves version {info.source}, manifest says {label}{starts}",
        )
    ]


def _converging(fp: FunctionPlan) -> list[Doc]:
    found = []
    for action in fp.actions:
        if not isinstance(action, UpdateAlias) or action.rollout is None:
            continue
        if action.rollout.phase in ("start", "rollback"):
            continue
        where = f"{action.fn.name}:{action.alias}"
        found.append(
            _item(
                action,
                "converging",
                action.rollout.target_label or action.rollout.target,
                action.before.version,
                f"{where}: rollout in flight; the next apply does: {action.rollout.text()}",
            )
        )
    return found


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
    doc = _base("drift", manifests, paths, target)
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
            errors.append(_error(fn, problem))
    info: list[Doc] = []
    for f in plan.functions:
        for n in f.notes:
            if n.kind in _DRIFT_NOTES:
                drift.append(_note_item(f, n, _DRIFT_NOTES[n.kind]))
            elif n.kind not in _SILENT_NOTES:
                info.append(_note_item(f, n, n.kind))
        info.extend(_converging(f))
        info.extend(_pending_deletion(f))
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
        }
        for f in plan.functions
    ]
    doc["in_sync"] = not drift and not errors
    doc["drift"] = drift
    doc["info"] = info
    doc["errors"] = errors
    doc["failure_reason"] = "plan-error" if errors else None
    return doc
