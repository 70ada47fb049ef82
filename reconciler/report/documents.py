"""Plans, apply outcomes and drift as versioned JSON documents.

These dicts are the single source of every output format: text and markdown
render them, ``--format json`` prints them, a saved plan is one, and
``schemas/plan.schema.json`` / ``schemas/drift.schema.json`` describe them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from reconciler import __version__
from reconciler.errors import Diagnostic
from reconciler.manifest.model import ManifestSet, SourcePos
from reconciler.plan import (
    HOLD_KINDS,
    SUMMARY_KEYS,
    Action,
    FunctionOutcome,
    FunctionPlan,
    FunctionRef,
    Plan,
    Problem,
    change_doc,
    kind_of,
    state_doc,
)

__all__ = [
    "FORMAT_VERSION",
    "Doc",
    "apply_doc",
    "change_doc",
    "diagnostic_entry",
    "error_entry",
    "failure_doc",
    "manifest_failure_doc",
    "plan_doc",
    "state_doc",
    "validate_doc",
]

FORMAT_VERSION = 1
Doc = dict[str, Any]


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fn_fields(fn: FunctionRef) -> dict[str, Any]:
    return fn.fields()


def position_fields(pos: SourcePos | None) -> Doc:
    """Where the manifest declares it (``file``, ``line``); nulls for a run-wide item."""
    return {"file": pos.file if pos else None, "line": pos.line if pos else None}


def error_doc(fn: FunctionRef | None, problem: Problem) -> Doc:
    return {
        "function": fn.name if fn else None,
        "region": fn.region if fn else None,
        "alias": problem.alias,
        "kind": problem.kind,
        "message": problem.message,
        **position_fields(problem.pos),
    }


def error_entry(
    fn_doc: Doc | None, kind: str, message: str, alias: str | None = None, at: Doc | None = None
) -> Doc:
    """An error entry built from documents (``at``: where its file/line come from)."""
    at = at if at is not None else fn_doc or {}
    return {
        "function": fn_doc["function"] if fn_doc else None,
        "region": fn_doc["region"] if fn_doc else None,
        "alias": alias,
        "kind": kind,
        "message": message,
        "file": at.get("file"),
        "line": at.get("line"),
    }


def _manifests(manifests: ManifestSet | None, paths: Sequence[str]) -> Doc:
    return {
        "paths": list(paths),
        "files": list(manifests.files) if manifests else [],
        "digest": manifests.digest if manifests else None,
    }


def base_doc(
    kind: str, manifests: ManifestSet | None, paths: Sequence[str], target: Doc | None
) -> Doc:
    return {
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "tool_version": __version__,
        "generated_at": _now(),
        "target": target,
        "manifests": _manifests(manifests, paths),
        "failure_reason": None,
        "errors": [],
        "functions": [],
    }


def _recorded(fp: FunctionPlan) -> Doc:
    return {
        "aliases": {
            name: {**(state_doc(state) or {}), "revision_id": rev}
            for name, state, rev in fp.recorded_aliases
        },
        "latest_revision_id": fp.recorded_latest_revision,
    }


def plan_doc(
    plan: Plan, manifests: ManifestSet | None, paths: Sequence[str], target: Doc | None = None
) -> Doc:
    doc = base_doc("plan", manifests, paths, target)
    counts = plan.counts()
    doc["has_changes"] = bool(plan.actions)
    doc["summary"] = counts
    doc["summary_line"] = plan.summary_line()
    doc["changes"] = [change_doc(a) for a in plan.actions]
    doc["retained"] = [
        {"function": f.fn.name, "region": f.fn.region, "version": r.version, "reason": r.reason}
        for f in plan.functions
        for r in f.retained
    ]
    doc["notes"] = [
        {
            "function": f.fn.name,
            "region": f.fn.region,
            "alias": n.alias,
            "kind": n.kind,
            "message": n.message,
            **position_fields(n.pos),
        }
        for f in plan.functions
        for n in f.notes
    ]
    doc["errors"] = [error_doc(fn, p) for fn, p in plan.all_problems]
    doc["functions"] = [
        {
            **_fn_fields(f.fn),
            "status": f.status,
            "changes": len(f.actions),
            "reason": None,
            **position_fields(f.spec.pos if f.spec else None),
            "recorded": _recorded(f),
        }
        for f in plan.functions
    ]
    if doc["errors"]:
        doc["failure_reason"] = "plan-error"
    return doc


def apply_doc(plan_document: Doc, outcomes: Sequence[FunctionOutcome]) -> Doc:
    """The plan document, with each change's and each function's result."""
    doc = {**plan_document, "kind": "apply", "generated_at": _now()}
    by_key = {o.fn.key: o for o in outcomes}
    results: dict[tuple[str, str, str | None, str], tuple[str, str | None]] = {}
    for done in outcomes:
        for result in done.results:
            key = (
                result.action.fn.key,
                result.action.action,
                result.action.alias,
                _ident(result.action),
            )
            results[key] = (result.status, result.message)
    changes = []
    for change in plan_document["changes"]:
        key = (
            f"{change['region']}/{change['function']}",
            change["action"],
            change["alias"],
            change.get("code_sha256")
            or change.get("version")
            or (change.get("binding") or {}).get("key")
            or "",
        )
        status, message = results.get(key, ("not_attempted", None))
        changes.append({**change, "status": status, "message": message})
    doc["changes"] = changes
    functions = []
    problems = {
        (e.get("region"), e.get("function")): e["message"] for e in plan_document.get("errors", [])
    }
    # --rollouts-only leaves other changes for a full apply: not attempted, on purpose.
    deferred = {
        (n.get("region"), n.get("function")): n["message"]
        for n in plan_document.get("notes", [])
        if n.get("kind") == "deferred"
    }
    for fn_doc in plan_document["functions"]:
        outcome = by_key.get(f"{fn_doc['region']}/{fn_doc['function']}")
        next_step = outcome.next_step if outcome is not None else None
        if fn_doc["status"] == "error":
            # Whatever ran besides (--rollouts-only), the function is not where
            # the manifest wants it: it failed, with its planning error.
            status = "failed"
            reason = problems.get((fn_doc["region"], fn_doc["function"]), "planning failed")
        elif outcome is not None:
            status, reason = outcome.status, outcome.reason
        elif fn_doc["status"] == "changes":
            # Nothing was applied anywhere: planning failed for another function.
            status, reason = "not_attempted", "planning failed for another function (see its error)"
        else:
            status, reason = "unchanged", fn_doc["reason"]
        left = deferred.get((fn_doc["region"], fn_doc["function"]))
        if left and status in ("unchanged", "changed") and not reason:
            status = "not_attempted" if status == "unchanged" else status
            reason = left
        functions.append({**fn_doc, "status": status, "reason": reason, "next_step": next_step})
    held = _holds(plan_document, functions)
    doc["functions"] = functions
    failed = [f for f in functions if f["status"] == "failed"]
    doc["success"] = not failed and not doc["errors"]
    doc["applied"] = sum(1 for c in changes if c["status"] == "applied")
    doc["errors"] = [*doc["errors"], *held]
    held_keys = {(h["region"], h["function"]) for h in held}
    for f in failed:
        where = (f["region"], f["function"])
        if not f["reason"] or where in held_keys or where in problems:
            continue  # a planning error (already in doc["errors"]) or a rollout hold
        doc["errors"].append(error_entry(f, "apply_failed", f["reason"]))
    if failed and not doc["failure_reason"]:
        failures = {(f["region"], f["function"]) for f in failed}
        doc["failure_reason"] = "rollout-held" if failures <= held_keys else "apply-failed"
    return doc


def _holds(plan_document: Doc, functions: list[Doc]) -> list[Doc]:
    """Rollout holds (rolled back, failed earlier, changed by hand, blocked by an
    alarm): the alias's desired state is out of reach without someone acting, so
    its function fails; the other functions were applied."""
    held = [n for n in plan_document.get("notes", []) if n.get("kind") in HOLD_KINDS]
    by_key = {(f["region"], f["function"]): f for f in functions}
    for note in held:
        fn = by_key.get((note["region"], note["function"]))
        if fn is not None and fn["status"] != "failed":
            fn["status"], fn["reason"] = "failed", note["message"]
    return [error_entry(n, n["kind"], n["message"], n["alias"], at=n) for n in held]


def _ident(action: Action) -> str:
    """What tells apart two changes of one kind on one function and alias."""
    return kind_of(action).ident(action)


def failure_doc(
    kind: str, reason: str, messages: Sequence[str], paths: Sequence[str], target: Doc | None = None
) -> Doc:
    """A document for a run that stopped before it had a plan."""
    doc = base_doc(kind, None, paths, target)
    doc["failure_reason"] = reason
    doc["errors"] = [error_entry(None, reason, m) for m in messages]
    if kind == "drift":
        doc.update(in_sync=False, drift=[], info=[])
    elif kind != "status":
        doc.update(
            has_changes=False,
            summary=dict.fromkeys(SUMMARY_KEYS, 0),
            changes=[],
            notes=[],
            retained=[],
        )
        if kind == "apply":
            doc["success"] = False
    return doc


# The `kind` of every manifest validation error entry (and the failure_reason).
INVALID_MANIFEST = "invalid-manifest"


def diagnostic_entry(diagnostic: Diagnostic) -> Doc:
    """An error entry for one validation problem: its position as data (``file``,
    ``line``, ``col``; line and col null for a whole-file problem), so the
    message is the problem alone and no renderer shows the position twice."""
    return {
        "function": None,
        "region": None,
        "alias": None,
        "kind": INVALID_MANIFEST,
        "message": diagnostic.message,
        "file": diagnostic.file,
        "line": diagnostic.line,
        "col": diagnostic.col,
    }


def manifest_failure_doc(
    kind: str, diagnostics: Sequence[Diagnostic], paths: Sequence[str], target: Doc | None = None
) -> Doc:
    """The document of a plan/apply/drift/status run stopped by invalid manifests."""
    doc = failure_doc(kind, INVALID_MANIFEST, [], paths, target)
    doc["errors"] = [diagnostic_entry(d) for d in diagnostics]
    return doc


def validate_doc(
    manifests: ManifestSet | None, diagnostics: Sequence[Diagnostic], paths: Sequence[str]
) -> Doc:
    """What `validate --format json` prints (schemas/validate.schema.json)."""
    summary: Doc | None = None
    if manifests is not None:
        summary = {
            "files": len(manifests.files),
            "functions": len(manifests.functions),
            "aliases": sum(len(f.aliases) for f in manifests.functions),
        }
    return {
        "format_version": FORMAT_VERSION,
        "kind": "validate",
        "tool_version": __version__,
        "generated_at": _now(),
        "manifests": _manifests(manifests, paths),
        "valid": manifests is not None,
        "failure_reason": None if manifests is not None else INVALID_MANIFEST,
        "errors": [diagnostic_entry(d) for d in diagnostics],
        # What was found valid; null when the manifests are not.
        "summary": summary,
    }
