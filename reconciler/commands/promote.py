"""`reconciler promote SOURCE TARGET`: point TARGET at what SOURCE serves, in git.

Edits the manifest files (never AWS): exit 0 on success or nothing to do,
1 on error or when a function is refused (then nothing is written).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from reconciler.commands import _common
from reconciler.errors import ManifestError, ReconcilerError, UsageError
from reconciler.manifest import discover_files, load_manifests

NAME = "promote"
HELP = "promote SOURCE's version to TARGET in the manifests (reads AWS to verify, edits files)"

_ALIAS = re.compile(r"(?![0-9]+$)[a-zA-Z0-9_-]{1,128}")


def _weight(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1 (exclusive), e.g. 0.1")
    return value


def _alias(text: str) -> str:
    if not _ALIAS.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an alias name")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source_alias", type=_alias, metavar="SOURCE", help="alias to promote from")
    parser.add_argument("target_alias", type=_alias, metavar="TARGET", help="alias to promote to")
    _common.add_run_arguments(parser, formats=("text", "json"))
    parser.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="NAME",
        help="only this function (repeatable; default: every function with both aliases)",
    )
    parser.add_argument(
        "--weight",
        type=_weight,
        metavar="W",
        help="keep TARGET's version and send W (0 < W < 1) of its traffic to SOURCE's version",
    )
    parser.add_argument(
        "--diff", action="store_true", help="print the unified diff and write nothing"
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="do not check that SOURCE serves its manifest live (offline; not with $LATEST)",
    )


def run(args: argparse.Namespace) -> int:
    from reconciler.promote import files as manifest_files
    from reconciler.promote import verify
    from reconciler.promote.report import promote_doc, render_text
    from reconciler.promote.select import Promotion, Skip, decide, select

    if args.source_alias == args.target_alias:
        raise UsageError(f"SOURCE and TARGET are both {args.source_alias}; name two aliases")
    try:
        load_manifests(args.paths)  # the whole set must be valid first
        texts = {path: manifest_files.read_manifest(path) for path in discover_files(args.paths)}
    except ManifestError as err:
        if args.format == "json":
            _emit_failure(args, "; ".join(str(d) for d in err.diagnostics))
        raise
    documents = [
        (path, m.text, doc, spans) for path, m in texts.items() for doc, spans in m.documents
    ]
    candidates, skipped = select(documents, args.source_alias, args.target_alias, args.function)
    if args.function:
        declared = {c.spec.name for c in candidates} | {s.function for s in skipped}
        unknown = [
            n
            for n in args.function
            if n not in declared and not any(c.spec.function == n for c in candidates)
        ]
        if unknown:
            raise UsageError(
                f"no manifest under {' '.join(args.paths)} declares {', '.join(unknown)}"
            )
    if args.target:
        kept = _in_target(args, documents)
        candidates = [c for c in candidates if (c.file, c.spec.name) in kept]
        skipped = [s for s in skipped if (s.file, s.function) in kept]
    latest = [c for c in candidates if c.source_is_latest]
    refusals: dict[str, verify.Refusal] = {}
    hashes: dict[str, str] = {}
    if args.no_verify and latest:
        names = ", ".join(c.spec.name for c in latest)
        raise UsageError(
            f"--no-verify cannot be used: {args.source_alias} serves $LATEST for {names}, whose code "
            "hash must be read from AWS"
        )
    pending: list[Promotion] = []
    if candidates and not args.no_verify:
        engine = _common.engine(args)
        static = [
            c
            for c in candidates
            if c.source_is_latest or isinstance(decide(c, args.weight, None), Promotion)
        ]
        if static:
            refusals = verify.source_drift(engine, [c.spec for c in static], args.source_alias)
        for c in latest:
            if c.spec.name not in refusals:
                hashes[c.spec.name] = verify.latest_sha256(engine, c.spec)
    for c in candidates:
        if c.spec.name in refusals:
            continue
        try:
            outcome = decide(c, args.weight, hashes.get(c.spec.name))
        except ValueError as err:
            raise ReconcilerError(f"{c.file}: {err}") from err
        if isinstance(outcome, Skip):
            skipped.append(outcome)
        else:
            pending.append(outcome)
    error: str | None = None
    edited: list[manifest_files.EditedFile] = []
    if refusals:
        error = f"{len(refusals)} function(s) refused; promote the others with --function"
    else:
        try:
            edited = manifest_files.apply_edits(texts, pending)
        except ReconcilerError as err:
            if args.format == "json":
                _emit_failure(args, str(err))
            raise
    diff = "".join(item.diff() for item in edited) if args.diff else None
    written = bool(edited) and not args.diff and error is None
    if written:
        manifest_files.write_files(edited)
    doc = promote_doc(
        args.source_alias,
        args.target_alias,
        args.weight,
        verified=not args.no_verify,
        promotions=pending if error is None else [],
        skipped=skipped,
        refused=list(refusals.values()),
        files=[item.path for item in edited],
        written=written,
        diff=diff,
        error=error,
    )
    if args.format == "json":
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(doc))
    return 1 if error else 0


def _in_target(args: argparse.Namespace, documents: list[Any]) -> set[tuple[str, str]]:
    """(file, function) of the documents in the --target group."""
    from reconciler.manifest.build import build_function
    from reconciler.manifest.settings import filter_target

    specs = [(path, build_function(doc)) for path, _, doc, _ in documents]
    kept = filter_target([spec for _, spec in specs], args.target, default_region=args.region)
    return {(path, spec.name) for path, spec in specs if spec in kept}


def _emit_failure(args: argparse.Namespace, message: str) -> None:
    from reconciler.promote.report import promote_doc

    doc = promote_doc(
        args.source_alias,
        args.target_alias,
        args.weight,
        verified=not args.no_verify,
        promotions=[],
        skipped=[],
        refused=[],
        files=[],
        written=False,
        diff=None,
        error=message,
    )
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
