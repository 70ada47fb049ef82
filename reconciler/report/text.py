"""Plain-text rendering of plan/apply/drift documents, terraform-style."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from reconciler.plan import HOLD_KINDS

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


def _errors(doc: Doc) -> list[str]:
    lines = []
    for err in doc.get("errors", []):
        where = (
            f"{err['function']}: "
            if err.get("function") and err["function"] not in err["message"]
            else ""
        )
        lines.append(f"  error: {where}{err['message']}")
    return lines


def render_plan(doc: Doc) -> str:
    lines: list[str] = []
    changes = _grouped(doc.get("changes", []))
    notes = _grouped(doc.get("notes", []))
    retained = _grouped(doc.get("retained", []))
    with_status = doc["kind"] == "apply"
    for fn in doc.get("functions", []):
        where = _where(fn)
        if where not in changes and where not in notes and where not in retained:
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
                continue  # on apply, a rollout hold is listed with the errors below
            lines.append(f"    note: {note['message']}")
        for kept in retained.get(where, []):
            lines.append(f"    keep version {kept['version']}: {kept['reason']}")
        lines.append("")
    unchanged = sum(1 for f in doc.get("functions", []) if f["status"] == "unchanged")
    if unchanged:
        lines.append(f"  {unchanged} function(s) already in sync.")
    lines.extend(_errors(doc))
    if doc["kind"] == "plan":
        if doc.get("errors"):
            lines.append("Plan failed: fix the errors above; nothing would be changed.")
        elif not doc.get("has_changes"):
            lines.append("No changes. Live aliases match the manifests.")
        else:
            lines.append(doc["summary_line"])
    else:
        applied = doc.get("applied", 0)
        failed = [f for f in doc.get("functions", []) if f["status"] == "failed"]
        if failed and doc.get("failure_reason") == "rollout-held":
            lines.append(
                f"Apply: {len(failed)} function(s) held by a rollout (see above); "
                f"{applied} change(s) applied."
            )
        elif doc.get("failure_reason") == "interrupted":
            lines.append(
                f"Apply interrupted: {applied} change(s) applied; the rest not attempted. "
                "Run apply again to converge the rest."
            )
        elif failed and doc.get("failure_reason") == "plan-error":
            lines.append(
                "Apply refused: planning failed (see the errors above); nothing was changed."
            )
        elif failed:
            lines.append(
                f"Apply failed for {len(failed)} function(s); {applied} change(s) applied. "
                "Fix the errors above, then run apply again to converge the rest."
            )
        else:
            lines.append(f"Apply complete: {applied} change(s) applied.")
    return "\n".join(lines).strip("\n") + "\n"


def render_drift(doc: Doc) -> str:
    lines: list[str] = []
    drift = _grouped(doc.get("drift", []))
    info = _grouped(doc.get("info", []))
    for where in sorted(set(drift) | set(info)):
        lines.append(f"  {where}")
        lines.extend(f"    ! {item['kind']}: {item['message']}" for item in drift.get(where, []))
        lines.extend(f"    i {item['kind']}: {item['message']}" for item in info.get(where, []))
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


def _inert_line(line: str) -> str:
    """A line of the text report that a terminal or a CI log shows as written.

    Descriptions and messages from AWS may hold escape sequences, and a line of
    theirs starting with "::" would be a GitHub Actions workflow command in the
    job log (the action prints this rendering there).
    """
    line = _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", line)
    stripped = line.lstrip()
    return line.replace("::", ": :", 1) if stripped.startswith("::") else line
