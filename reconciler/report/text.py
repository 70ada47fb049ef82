"""Plain-text rendering of plan/apply/drift documents, terraform-style."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from reconciler.plan import HOLD_KINDS
from reconciler.report.escape import position

Doc = dict[str, Any]

_MARK = {
    "applied": "ok",
    "skipped": "skipped",
    "failed": "FAILED",
    "not_attempted": "not attempted",
}


def _where(item: Doc) -> str:
    return f"{item['function']} ({item['region']})" if item.get("region") else str(item["function"])


def _grouped(items: Iterable[Doc]) -> dict[str, list[Doc]]:
    groups: dict[str, list[Doc]] = {}
    for item in items:
        groups.setdefault(_where(item), []).append(item)
    return groups


def _at(item: Doc) -> str:
    """``FILE:LINE: `` where the manifest declares the item; a file name is
    outside data: its control characters (newlines too) are shown escaped."""
    at = position(item)
    return _ANY_CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", at) + ": " if at else ""


def _function_errors(doc: Doc) -> dict[str, list[Doc]]:
    """Errors of the functions the document lists: printed in their blocks."""
    listed = {_where(fn) for fn in doc.get("functions", [])}
    return _grouped(e for e in doc.get("errors", []) if e.get("function") and _where(e) in listed)


def _errors(doc: Doc) -> list[str]:
    """The errors no function block shows: run-wide ones (and strays)."""
    lines = []
    in_blocks = {id(e) for group in _function_errors(doc).values() for e in group}
    for err in doc.get("errors", []):
        if id(err) in in_blocks:
            continue
        where = (
            f"{err['function']}: "
            if err.get("function") and err["function"] not in err["message"]
            else ""
        )
        lines.append(f"  error: {_at(err)}{where}{err['message']}")
    return lines


# How a function's status reads on the line that gives its reason.
_OUTCOME = {"failed": "FAILED", "not_attempted": "not attempted", "changed": "applied, but"}


def _outcome(fn: Doc, shown: set[str]) -> list[str]:
    """Why a function ended as it did (unless its block says it already: an
    error, a note), and what to do next when the run could not finish the job."""
    lines = []
    reason, status = fn.get("reason"), fn.get("status")
    if reason and reason not in shown and status in _OUTCOME:
        lines.append(f"    {_OUTCOME[status]}: {reason}")
    if fn.get("next_step"):
        lines.append(f"    next: {fn['next_step']}")
    return lines


def render_plan(doc: Doc) -> str:
    lines: list[str] = []
    changes = _grouped(doc.get("changes", []))
    notes = _grouped(doc.get("notes", []))
    retained = _grouped(doc.get("retained", []))
    errors = _function_errors(doc)
    with_status = doc["kind"] == "apply"
    for fn in doc.get("functions", []):
        where = _where(fn)
        said = [*errors.get(where, []), *notes.get(where, [])]
        outcome = _outcome(fn, {str(item.get("message")) for item in said})
        if not any(where in group for group in (changes, notes, retained, errors)) and not outcome:
            continue
        lines.append(f"  {where}")
        for change in changes.get(where, []):
            status = (
                f"   [{_MARK.get(change.get('status', ''), change.get('status'))}]"
                if with_status
                else ""
            )
            message = f" ({change['message']})" if with_status and change.get("message") else ""
            lines.append(f"    {change['summary']}{status}{message}")
        for note in notes.get(where, []):
            if with_status and note.get("kind") in HOLD_KINDS:
                continue  # on apply, a rollout hold is one of the function's errors
            lines.append(f"    note: {note['message']}")
        for kept in retained.get(where, []):
            lines.append(f"    keep version {kept['version']}: {kept['reason']}")
        lines.extend(f"    error: {_at(err)}{err['message']}" for err in errors.get(where, []))
        lines.extend(outcome)
        lines.append("")
    unchanged = sum(1 for f in doc.get("functions", []) if f["status"] == "unchanged")
    if unchanged:
        lines.append(f"  {unchanged} function(s) already in sync.")
    lines.extend(_errors(doc))
    lines.append(_plan_summary(doc) if doc["kind"] == "plan" else _apply_summary(doc))
    return "\n".join(lines).strip("\n") + "\n"


def _plan_summary(doc: Doc) -> str:
    if doc.get("errors"):
        return "Plan failed: fix the errors above; nothing would be changed."
    if not doc.get("has_changes"):
        return "No changes. Live aliases match the manifests."
    return str(doc["summary_line"])


def _apply_summary(doc: Doc) -> str:
    """The last line: what happened, and a re-run suggested only where it helps."""
    applied = doc.get("applied", 0)
    functions = doc.get("functions", [])
    failed = [f for f in functions if f["status"] == "failed"]
    pending = sum(1 for c in doc.get("changes", []) if c.get("status") == "not_attempted")
    reason = doc.get("failure_reason")
    follow = (
        " See each function's next step above."
        if any(f.get("next_step") for f in functions)
        else ""
    )
    if reason == "interrupted":
        rest = f"; {pending} not attempted. Run apply again to apply the rest." if pending else "."
        return f"Apply interrupted: {applied} change(s) applied{rest}{follow}"
    if failed and reason == "rollout-held":
        return (
            f"Apply: {len(failed)} function(s) held by a rollout (see above); "
            f"{applied} change(s) applied.{follow}"
        )
    if reason == "plan-error":
        if not applied:
            return "Apply refused: planning failed (see the errors above); nothing was changed."
        return (
            f"Apply: planning failed for {len(failed)} function(s) (see the errors above); "
            f"{applied} change(s) applied to the others. Fix the errors, then run apply again."
        )
    if failed:
        return (
            f"Apply failed for {len(failed)} function(s); {applied} change(s) applied. "
            f"Fix the errors above, then run apply again to converge the rest.{follow}"
        )
    if reason or doc.get("errors"):
        # A run stopped by its environment (credentials, endpoint, ...).
        return f"Apply failed ({reason or 'errors'}): {applied} change(s) applied; see the errors above."
    return f"Apply complete: {applied} change(s) applied.{follow}"


def render_drift(doc: Doc) -> str:
    lines: list[str] = []
    drift = _grouped(doc.get("drift", []))
    info = _grouped(doc.get("info", []))
    errors = _function_errors(doc)
    for where in sorted(set(drift) | set(info) | set(errors)):
        lines.append(f"  {where}")
        lines.extend(
            f"    ! {item['kind']}: {_at(item)}{item['message']}" for item in drift.get(where, [])
        )
        lines.extend(f"    i {item['kind']}: {item['message']}" for item in info.get(where, []))
        lines.extend(f"    error: {_at(err)}{err['message']}" for err in errors.get(where, []))
        lines.append("")
    lines.extend(_errors(doc))
    functions = doc.get("functions", [])
    drifted = sum(1 for f in functions if f["status"] == "drifted")
    if doc.get("errors"):
        lines.append("Drift check failed: see the errors above.")
    elif doc.get("in_sync"):
        lines.append(f"In sync: {len(functions)} function(s) match the manifests.")
    else:
        lines.append(
            f"Drift: {len(doc['drift'])} difference(s) in {drifted} of {len(functions)} function(s)."
        )
    return "\n".join(lines).strip("\n") + "\n"


def render_text(doc: Doc) -> str:
    text = render_drift(doc) if doc.get("kind") == "drift" else render_plan(doc)
    mixed = doc.get("mixed_manifests") or []
    if mixed:
        # A merged report of different manifests (`report merge --allow-mixed`).
        text = f"Mixed manifests: {len(mixed)} different sets merged.\n\n{text}"
    return "".join(_inert_line(line) for line in text.splitlines(keepends=True))


# C0 controls but tab and newline, DEL and C1: terminal escape sequences.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# All of them: a value that must stay on its line (a file name).
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _inert_line(line: str) -> str:
    """A line of the text report that a terminal or a CI log shows as written.

    Descriptions and messages from AWS may hold escape sequences, and a line of
    theirs starting with "::" would be a GitHub Actions workflow command in the
    job log (the action prints this rendering there).
    """
    line = _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", line)
    stripped = line.lstrip()
    return line.replace("::", ": :", 1) if stripped.startswith("::") else line
