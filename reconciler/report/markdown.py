"""Markdown for pull-request comments, step summaries and issues.

Pure functions of a report document (the JSON contract in ``reconciler.report``).
The first line is a hidden marker (``<!-- reconciler:plan -->``, with
``:ACCOUNT/REGION`` when the document has a target) that workflows search to
update one comment or issue instead of adding new ones. GitHub refuses bodies
over 65,536 characters, so :func:`render` cuts below ``max_chars`` and says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from reconciler.report import escape
from reconciler.report.labels import ACTIONS, PAST, REASONS, STATUSES
from reconciler.report.limits import MAX_CHARS
from reconciler.report.limits import fit as _fit
from reconciler.report.limits import squeeze as _squeeze

__all__ = ["MAX_CHARS", "marker", "render", "target_label"]

# Every value from AWS or the manifests goes through one of these (inert markdown).
_cell, _code, _html, _text = escape.cell, escape.code, escape.html, escape.text

# A function's <details> starts open when its body is this short.
OPEN_LINES = 20
# Names listed in the warning banner before "and N more".
BANNER_NAMES = 10
CELL_CHARS = 200
# Function statuses that need no details.
QUIET = ("unchanged", "in_sync")

Doc = dict[str, Any]


def render(doc: Doc, max_chars: int = MAX_CHARS, artifact_hint: str = "reconciler-report") -> str:
    """Markdown for a plan, apply or drift document, at most ``max_chars`` long."""
    if doc.get("kind") not in ("plan", "apply", "drift"):
        raise ValueError(f"unknown report kind {doc.get('kind')!r}")
    body = _drift(doc) if doc["kind"] == "drift" else _changes(doc)
    lines = _squeeze([marker(doc), *body, "", _footer(doc)])
    return _fit("\n".join(lines) + "\n", max_chars, artifact_hint)


def target_label(target: Any) -> str:
    """``ACCOUNT/REGION`` for a document's target (``*`` for a null part)."""
    if isinstance(target, dict):
        return str(
            target.get("name") or f"{target.get('account') or '*'}/{target.get('region') or '*'}"
        )
    return str(target or "")


def marker(doc: Doc) -> str:
    label = target_label(doc.get("target"))
    # An HTML comment ends at "-->": keep the label from closing it early.
    label = re.sub(r"[^A-Za-z0-9_./*:-]", "", label).replace("--", "-")
    return f"<!-- reconciler:{doc.get('kind')}{':' + label if label else ''} -->"


# --- the three kinds ---------------------------------------------------------------------


def _changes(doc: Doc) -> list[str]:
    """Plan and apply: apply's changes carry a status, shown as a Result column."""
    changes = doc.get("changes") or []
    return [
        *_head(doc, _plan_title(doc) if doc["kind"] == "plan" else _apply_title(doc)),
        *_banner(changes),
        *_errors(doc),
        *_change_table(changes, with_result=doc["kind"] == "apply"),
        *_function_details(doc, _change_body),
        *_notes(doc.get("notes") or [], "note"),
        *_notes(_retained(doc), "version kept back"),
    ]


def _plan_title(doc: Doc) -> str:
    if doc.get("failure_reason"):
        return f"❌ reconciler plan failed: {_reason(doc)}"
    if not doc.get("changes"):
        return "✅ reconciler plan: no changes"
    summary = doc.get("summary") or {}
    counts = [
        f"{summary.get(key, 0)} to {key}" for key in ("publish", "create", "update", "delete")
    ]
    # Housekeeping appears only when there is some, like the text summary line.
    if summary.get("delete_version"):
        counts.append(f"{_count(summary['delete_version'], 'version')} to delete")
    if summary.get("provisioned_concurrency"):
        counts.append(_count(summary["provisioned_concurrency"], "provisioned concurrency change"))
    if summary.get("bindings"):
        counts.append(_count(summary["bindings"], "binding change"))
    return "📋 reconciler plan: " + ", ".join(counts)


def _apply_title(doc: Doc) -> str:
    changes = doc.get("changes") or []
    if doc.get("failure_reason") == "apply-failed" and changes:
        failed = sum(1 for c in changes if c.get("status") == "failed")
        return f"❌ reconciler apply failed: {failed} of {len(changes)} changes failed"
    if doc.get("failure_reason") or doc.get("success") is False:
        return f"❌ reconciler apply failed: {_reason(doc)}"
    if not changes:
        return "✅ reconciler apply: nothing to change"
    done = [c.get("action") for c in changes if c.get("status") == "applied"]
    words = zip(ACTIONS, PAST, strict=True)
    return "✅ reconciler apply: " + ", ".join(
        f"{done.count(a)} {w}" for i, (a, w) in enumerate(words) if i < 4 or done.count(a)
    )


def _drift(doc: Doc) -> list[str]:
    drift = doc.get("drift") or []
    if doc.get("failure_reason"):
        title = f"❌ reconciler drift failed: {_reason(doc)}"
    elif not drift and doc.get("in_sync", True):
        title = "✅ reconciler drift: in sync"
    else:
        functions = len({(d.get("function"), d.get("region")) for d in drift})
        title = f"⚠️ reconciler drift: drift detected ({_count(len(drift), 'finding')} in "
        title += f"{_count(functions, 'function')})"
    rows = [
        [_where(d, table=True), _alias(d, table=True), _code(d.get("kind"))]
        + [_cell(_value(d.get(key), d.get("kind"))) for key in ("expected", "actual")]
        for d in drift
    ]
    return [
        *_head(doc, title),
        *_errors(doc),
        *_table(["Function", "Alias", "Drift", "Expected", "Actual"], rows),
        *_function_details(doc, _drift_body),
        *_notes(doc.get("info") or [], "informational finding"),
    ]


# --- building blocks --------------------------------------------------------------------------


def _head(doc: Doc, title: str) -> list[str]:
    label = target_label(doc.get("target"))
    heading = f"### {title}" + (f" — {_code(label)}" if label else "")
    facts = []
    if doc.get("merged_from"):
        facts.append("targets " + ", ".join(_code(target_label(t)) for t in doc["merged_from"]))
    functions = doc.get("functions") or []
    facts.append(_count(len(functions), "function"))
    manifests = doc.get("manifests") or {}
    if manifests.get("digest"):
        files = _count(len(manifests.get("files") or []), "file")
        facts.append(f"manifests {_code(str(manifests['digest'])[:19] + '…')} ({files})")
    mixed = doc.get("mixed_manifests") or []
    if mixed:
        files = _count(len(manifests.get("files") or []), "file")
        facts.append(f"**mixed manifests**: {len(mixed)} different sets merged ({files})")
    return [heading, "", "<sub>" + " · ".join(facts) + "</sub>", ""]


def _footer(doc: Doc) -> str:
    when = f" · generated {_text(doc['generated_at'])}" if doc.get("generated_at") else ""
    return f"<sub>reconciler {_text(doc.get('tool_version', '?'))}{when}</sub>"


def _banner(changes: list[Doc]) -> list[str]:
    """GitHub's warning alert when traffic moves or aliases go away."""
    moved = (c for c in changes if c.get("traffic_shift") and c.get("action") != "delete_alias")
    shifts, shifted = _names(moved)
    deletes, deleted = _names(c for c in changes if c.get("action") == "delete_alias")
    unbound = [c for c in changes if (c.get("binding") or {}).get("why") == "alias_deleted"]
    lines = [f"> **Traffic shifts** on {_count(shifts, 'alias')}: {shifted}."] if shifts else []
    if deletes:
        lines += [">"] * bool(lines) + [f"> **Deletes** {_count(deletes, 'alias')}: {deleted}."]
    if unbound:
        lines += [
            ">",
            f"> **Unbinds** first {_count(len(unbound), 'binding')} of pruned aliases "
            "(event sources, function URLs, permissions): see the table.",
        ]
    return ["> [!WARNING]", *lines, ""] if lines else []


def _errors(doc: Doc) -> list[str]:
    errors = doc.get("errors") or []
    if not errors:
        return []
    lines = [f"#### ❌ {_count(len(errors), 'error')}", ""]
    for err in errors:
        where = f"{_where(err)} {_alias(err)}".strip() if err.get("function") else "general"
        at = escape.position(err)  # a code span: a file name may hold anything
        lines += _item(f"{where} at {_code(at)}" if at else where, _message(err))
    return [*lines, ""]


def _change_table(changes: list[Doc], with_result: bool) -> list[str]:
    header = ["Function", "Alias", "Version", "Weights", "Action"]
    rows = []
    for c in changes:
        before, after = c.get("before"), c.get("after")
        row = [
            _where(c, table=True),
            _alias(c, table=True),
            _cell(_change(_version(before), _version(after))),
            _cell(_change(_weights(before), _weights(after))),
            ACTIONS.get(c.get("action", ""), _cell(c.get("action"))),
        ]
        if with_result:
            row.append(STATUSES.get(c.get("status", ""), _cell(c.get("status"))))
        rows.append(row)
    return _table([*header, "Result"] if with_result else header, rows)


def _change_body(group: list[Doc]) -> list[str]:
    lines: list[str] = []
    for c in group:
        head = ACTIONS.get(c.get("action", ""), _text(c.get("action")))
        head += f" {_code(c['alias'])}" if c.get("alias") else ""
        head += f" — {STATUSES.get(c['status'], _text(c['status']))}" if c.get("status") else ""
        message = f"\n{c['message']}" if c.get("message") else ""
        lines += _item(head, str(c.get("summary") or "") + message)
    return [*lines, *(line for c in group for line in _pie(c))]


def _drift_body(group: list[Doc]) -> list[str]:
    return [
        line
        for d in group
        for line in _item(f"{_alias(d)} {_code(d.get('kind'))}".strip(), _message(d))
    ]


def _function_details(doc: Doc, body_of: Callable[[list[Doc]], list[str]]) -> list[str]:
    """One <details> per function with findings, errors or a reason; the rest in a list."""
    items = doc.get("drift") if doc.get("kind") == "drift" else doc.get("changes")
    groups: dict[tuple[Any, Any], list[Doc]] = {}
    for item in items or []:
        groups.setdefault((item.get("function"), item.get("region")), []).append(item)
    functions = {(f.get("function"), f.get("region")): f for f in doc.get("functions") or []}
    lines: list[str] = []
    quiet = []
    for key in [*functions, *(k for k in groups if k not in functions)]:
        info, group = functions.get(key, {}), groups.get(key, [])
        body = body_of(group)
        status = info.get("status")
        if status not in (None, *QUIET) and (info.get("reason") or not body):
            reason = f": {_text(info['reason'])}" if info.get("reason") else " (see the errors)"
            body = [f"_{_text(status)}{reason}_", "", *body]
        if info.get("next_step"):
            body = [f"**Next:** {_text(info['next_step'])}", "", *body]
        if not body:
            quiet.append(_where(info or {"function": key[0], "region": key[1]}))
            continue
        suffix = f" — {_html(status)}" if status else ""
        name = escape.html_code(key[0])
        summary = f"{name} ({_html(key[1] or 'default region')}){suffix}"
        opened = " open" if len(body) <= OPEN_LINES else ""
        lines += [f"<details{opened}>", f"<summary>{summary}</summary>", ""]
        lines += [*body, "</details>", ""]
    if quiet:
        word = "in sync" if doc.get("kind") == "drift" else "unchanged"
        lines += ["", f"{_count(len(quiet), 'function')} {word}: " + ", ".join(quiet)]
    return [*lines, ""] if lines else []


def _retained(doc: Doc) -> list[Doc]:
    """Versions garbage collection keeps although old, as notes with reasons."""
    return [
        {**r, "alias": None, "kind": None, "message": f"version {r['version']} kept: {r['reason']}"}
        for r in doc.get("retained") or []
    ]


def _notes(notes: list[Doc], noun: str) -> list[str]:
    if not notes:
        return []
    lines = ["<details>", f"<summary>ℹ️ {_count(len(notes), noun)}</summary>", ""]
    for note in notes:
        kind = _code(note["kind"]) if note.get("kind") else ""
        where = " ".join(filter(None, (_where(note), _alias(note), kind)))
        lines += _item(where, _message(note))
    return [*lines, "</details>", ""]


def _pie(change: Doc) -> list[str]:
    """Mermaid pie of the alias's traffic after a create or a shifting update."""
    after = change.get("after")
    action = change.get("action")
    if not after or not change.get("alias") or action == "publish_version":
        return []
    if action == "update_alias" and not change.get("traffic_shift"):
        return []
    weights = {str(k): float(v) for k, v in (after.get("weights") or {}).items()}
    primary = _version(after)
    slices = [(f"version {primary}" if primary.isdigit() else primary, 1 - sum(weights.values()))]
    slices += [
        (f"version {k}" if k != "new" else "new version", v) for k, v in sorted(weights.items())
    ]
    title = re.sub(r"[^\w .:/-]", "", f"{change.get('function')} / {change['alias']} after")
    lines = ["", "```mermaid", f"pie showData title {title}"]
    for label, share in slices:
        clean = re.sub(r'["\n\r]', "", label)
        lines.append(f'    "{clean}" : {_percent(share)}')
    return [*lines, "```", ""]


# --- formatting helpers -----------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return [*lines, *("| " + " | ".join(row) + " |" for row in rows), ""]


def _item(head: str, text: str) -> list[str]:
    """A list item; multi-line text goes in a fenced block under it."""
    text = text.strip()
    if "\n" not in text:
        return [f"- {head}: {_text(text)}" if text else f"- {head}"]
    fence = "`" * max(3, escape.longest_run(text, "`") + 1)
    block = [f"  {line}" if line else "" for line in text.splitlines()]
    return [f"- {head}:", "", f"  {fence}text", *block, f"  {fence}", ""]


def _version(side: Doc | None) -> str:
    if not side:
        return "—"
    sha = side.get("code_sha256")
    new = f"new (sha256 {str(sha)[:8]}…)" if sha else "new version"
    return str(side.get("version_label") or side.get("version") or new)


def _weights(side: Doc | None) -> str:
    weights = (side or {}).get("weights") or {}
    return ", ".join(f"{k}: {_percent(v)}%" for k, v in sorted(weights.items())) or "—"


def _percent(share: Any) -> str:
    return f"{round(float(share) * 100, 2):g}"


def _change(old: str, new: str) -> str:
    return old if old == new else f"{old} → {new}"


def _value(value: Any, kind: Any = None) -> str:
    """An expected/actual drift value; alias states and weights as in the change table."""
    if value is None:
        return "—"
    if kind == "weights_differ" and isinstance(value, dict):
        return _weights({"weights": value})
    if isinstance(value, dict) and value.get("version_label"):
        weights = _weights(value)
        value = value["version_label"] + (f" ({weights})" if weights != "—" else "")
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def _where(item: Doc, table: bool = False) -> str:
    where = _code(item.get("function") or "?", table=table)
    return where + (f" ({_text(item['region'], table)})" if item.get("region") else "")


def _message(item: Doc) -> str:
    return str(item.get("message") or "")


def _alias(item: Doc, table: bool = False) -> str:
    """The alias as code; a dash in tables and nothing in prose when there is none."""
    return _code(item["alias"], table=table) if item.get("alias") else ("—" if table else "")


def _names(changes: Iterable[Doc]) -> tuple[int, str]:
    names = [_code(f"{c.get('function')}:{c.get('alias')}") for c in changes]
    more = f" and {len(names) - BANNER_NAMES} more" if len(names) > BANNER_NAMES else ""
    return len(names), ", ".join(names[:BANNER_NAMES]) + more


def _reason(doc: Doc) -> str:
    reason = doc.get("failure_reason") or ""
    return REASONS.get(reason, _text(reason or "errors"))


def _count(n: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("s") else "s")
    return f"{n} {noun if n == 1 else plural}"
