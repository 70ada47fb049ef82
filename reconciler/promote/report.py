"""The promote document (``--format json``, schemas/promote.schema.json) and its text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler import __version__
from reconciler.promote.select import Promotion, Skip, format_weight
from reconciler.promote.verify import Refusal

Doc = dict[str, Any]


def _weights_text(weights: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {format_weight(v)}" for k, v in weights.items()) + "}"


def _line(p: Promotion, source: str, target: str, source_label: str) -> str:
    name = p.candidate.spec.name
    head = f"{name}: {target} {source}({source_label}) -> "
    if p.after_weights:
        return (
            head + f"{target}: version {p.after_version}, weights {_weights_text(p.after_weights)}"
        )
    was = f"was {p.before_version}"
    if p.before_weights:
        was += f", weights {_weights_text(p.before_weights)} dropped"
    text = head + f"{target}: version {p.after_version} ({was})"
    if p.content:
        text += f"; new content reference, code_sha256 {p.content[1][:12]}…: apply publishes it"
    return text


def promote_doc(
    source: str,
    target: str,
    weight: float | None,
    *,
    verified: bool,
    promotions: Sequence[Promotion],
    skipped: Sequence[Skip],
    refused: Sequence[Refusal],
    files: Sequence[str],
    written: bool,
    diff: str | None,
    error: str | None = None,
) -> Doc:
    return {
        "format_version": 1,
        "kind": "promote",
        "tool_version": __version__,
        "source": source,
        "target": target,
        "weight": weight,
        "verified": verified,
        "promoted": [
            {
                "function": p.candidate.spec.name,
                "file": p.candidate.file,
                "line": p.candidate.doc.key_at(("aliases", target))[0],
                "before": {"version": p.before_version, "weights": p.before_weights},
                "after": {"version": p.after_version, "weights": p.after_weights},
                "content_reference": (
                    {"name": p.content[0], "code_sha256": p.content[1]} if p.content else None
                ),
                "notes": list(p.notes),
                "message": _line(p, source, target, _label(p, source)),
            }
            for p in promotions
        ],
        "skipped": [
            {"function": s.function, "file": s.file, "reason": s.reason, "message": s.message}
            for s in skipped
        ],
        "refused": [
            {"function": r.function, "reason": r.reason, "details": list(r.details)}
            for r in refused
        ],
        "files": list(files),
        "written": written,
        "diff": diff,
        "error": error,
    }


def _label(p: Promotion, source: str) -> str:
    if p.content:
        return "$LATEST"
    written = p.candidate.alias_data(source)["version"]
    ref = p.candidate.ref(written)
    number = getattr(ref, "number", None)
    return (
        f"{written}={number}"
        if number is not None and str(number) != str(written)
        else str(written)
    )


def render_text(doc: Doc) -> str:
    lines: list[str] = []
    for item in doc["promoted"]:
        lines.append(item["message"])
        lines.extend(f"  note: {note}" for note in item["notes"])
    for item in doc["skipped"]:
        lines.append(f"note: {item['message']}")
    for item in doc["refused"]:
        why = "drifted from its manifest" if item["reason"] == "drift" else "could not be checked"
        lines.append(f"{item['function']}: refused: {doc['source']} {why}:")
        lines.extend(f"  {detail}" for detail in item["details"])
    if doc["diff"]:
        lines.append(doc["diff"].rstrip("\n"))
    if doc["error"]:
        lines.append(f"Nothing written: {doc['error']}")
    elif not doc["promoted"]:
        lines.append("Nothing to promote.")
    elif doc["written"]:
        lines.append(
            f"Promoted {len(doc['promoted'])} function(s); wrote {', '.join(doc['files'])}"
        )
    else:
        lines.append(f"--diff: {len(doc['files'])} file(s) would change; nothing written")
    return "\n".join(lines) + "\n"
