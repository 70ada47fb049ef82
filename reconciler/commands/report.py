"""``reconciler report``: merge and render saved JSON report documents.

``report merge FILE...`` joins the per-target documents of one CI run (same
kind) into one, e.g. for a single pull-request comment; ``report render FILE``
prints a saved document as markdown or text.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from reconciler.errors import UsageError
from reconciler.report import markdown

NAME = "report"
HELP = "merge per-target JSON reports, or render a saved one as markdown or text"

KINDS = ("plan", "apply", "drift")
# The most severe reason wins when targets failed differently.
SEVERITY = ("invalid-manifest", "plan-error", "plan-stale", "apply-failed", "rollout-held")
LISTS = ("functions", "changes", "notes", "drift", "info", "errors", "retained")

Doc = dict[str, Any]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("merge", "render"), help="what to do with the FILEs")
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSON report documents")
    parser.add_argument(
        "--format",
        choices=("json", "markdown", "text", "github"),
        help="output format (default: json for merge, markdown for render); github: text, "
        "then annotations (text does that too when GITHUB_ACTIONS=true)",
    )
    parser.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    parser.add_argument(
        "--allow-mixed",
        action="store_true",
        help="merge: accept reports made from different manifests (the report says so)",
    )
    parser.add_argument(
        "--max-chars",
        type=int,
        default=markdown.MAX_CHARS,
        help=f"cut markdown longer than this (default: {markdown.MAX_CHARS})",
    )
    parser.add_argument(
        "--artifact-hint",
        default="reconciler-report",
        metavar="NAME",
        help="artifact named in the note when markdown is cut",
    )


def read_document(path: str) -> Doc:
    """One report document, checked just enough to render or merge it."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(f"{path} is not a JSON report document: {err}") from None
    if not isinstance(doc, dict) or doc.get("kind") not in KINDS:
        raise UsageError(f"{path} is not a report document (expected kind plan, apply or drift)")
    if doc.get("format_version") != 1:
        raise UsageError(f"{path}: format_version {doc.get('format_version')!r} is not 1")
    return doc


def _label(doc: Doc) -> str:
    return markdown.target_label(doc.get("target"))


def merge(docs: list[Doc], names: list[str] | None = None, *, allow_mixed: bool = False) -> Doc:
    """One document for several targets' documents of the same kind (and the
    same manifests, unless ``allow_mixed``: then the document says so)."""
    if not docs:
        raise UsageError("nothing to merge")
    names = names or [f"document {n + 1}" for n in range(len(docs))]
    kind = docs[0]["kind"]
    for doc, name in zip(docs, names, strict=True):
        if doc["kind"] != kind:
            raise UsageError(f"cannot merge a {doc['kind']} report ({name}) into {kind} reports")
    first = docs[0]
    by_digest = _digests(docs, names)
    if len(by_digest) > 1 and not allow_mixed:
        listed = "; ".join(f"{_short(d)} in {', '.join(n)}" for d, n in by_digest.items())
        raise UsageError(
            f"cannot merge reports of different manifests ({listed}): they are not one run's "
            "targets; pass --allow-mixed to merge them anyway (the report then says so)"
        )
    merged: Doc = {
        "format_version": 1,
        "kind": kind,
        "tool_version": first.get("tool_version"),
        "generated_at": max(str(d.get("generated_at") or "") for d in docs) or None,
        "target": None,
        "manifests": _manifests(docs, by_digest),
        "failure_reason": _worst(d.get("failure_reason") for d in docs),
    }
    if len(by_digest) > 1:
        merged["mixed_manifests"] = [
            {"digest": digest, "documents": found} for digest, found in by_digest.items()
        ]
    targets = [_label(d) for d in docs if _label(d)]
    if targets:
        merged["merged_from"] = targets
    for key in LISTS:
        if any(key in d for d in docs):
            merged[key] = [item for d in docs for item in d.get(key) or []]
    if kind in ("plan", "apply"):
        merged["has_changes"] = any(d.get("has_changes") for d in docs)
        summary: dict[str, int] = {}
        for doc in docs:
            for key, count in (doc.get("summary") or {}).items():
                summary[key] = summary.get(key, 0) + int(count)
        merged["summary"] = summary
    if kind == "apply":
        merged["success"] = all(d.get("success", True) for d in docs)
    if kind == "drift":
        merged["in_sync"] = all(d.get("in_sync", True) for d in docs)
    return merged


def _digests(docs: list[Doc], names: list[str]) -> dict[str, list[str]]:
    """Manifest digest -> the documents made from it (failures without one left out)."""
    found: dict[str, list[str]] = {}
    for doc, name in zip(docs, names, strict=True):
        digest = (doc.get("manifests") or {}).get("digest")
        if digest:
            found.setdefault(str(digest), []).append(name)
    return found


def _short(digest: str) -> str:
    return digest[:19] + "…" if len(digest) > 19 else digest


def _manifests(docs: list[Doc], by_digest: dict[str, list[str]]) -> Any:
    with_digest = [d["manifests"] for d in docs if (d.get("manifests") or {}).get("digest")]
    if len(by_digest) <= 1:
        return with_digest[0] if with_digest else docs[0].get("manifests")
    # Mixed: the union of what was read; no one digest describes it.
    paths = sorted({p for m in with_digest for p in m.get("paths") or []})
    files = sorted({f for m in with_digest for f in m.get("files") or []})
    return {"paths": paths, "files": files, "digest": None}


def _worst(reasons: Any) -> str | None:
    found = [r for r in reasons if r]
    ranked = [r for r in SEVERITY if r in found]
    # A reason this version does not know still beats none.
    return ranked[0] if ranked else (found[0] if found else None)


def run(args: argparse.Namespace) -> int:
    if args.action == "render" and len(args.files) != 1:
        raise UsageError("report render takes exactly one FILE")
    docs = [read_document(path) for path in args.files]
    if args.allow_mixed and args.action != "merge":
        raise UsageError("--allow-mixed applies to `report merge` only")
    doc = (
        merge(docs, list(args.files), allow_mixed=args.allow_mixed)
        if args.action == "merge"
        else docs[0]
    )
    fmt = args.format or ("json" if args.action == "merge" else "markdown")
    if fmt == "markdown":
        output = markdown.render(doc, max_chars=args.max_chars, artifact_hint=args.artifact_hint)
    elif fmt in ("text", "github"):
        from reconciler.report.github import annotating, render_github
        from reconciler.report.text import render_text

        output = render_github(doc) if annotating(fmt) else render_text(doc)
    else:
        output = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if not output.endswith("\n"):
        output += "\n"
    if args.out:
        try:
            Path(args.out).write_text(output, encoding="utf-8")
        except OSError as err:
            raise UsageError(f"cannot write {args.out}: {err.strerror or err}") from None
    else:
        sys.stdout.write(output)
    return 0
