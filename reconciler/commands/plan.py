"""`reconciler plan`: what apply would change. Reads only."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path

from reconciler.commands import _common
from reconciler.errors import UsageError
from reconciler.report.documents import Doc, plan_doc

NAME = "plan"
AWS_OPTIONS = ("region", "endpoint_url")
HELP = "show what apply would change (reads AWS, changes nothing)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_run_arguments(parser)
    _common.add_rollout_arguments(parser)
    parser.add_argument("--out", metavar="PLAN.json", help="save the plan for `apply --plan`")
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when there are changes (0 none, 1 error), like terraform",
    )


def check_writable(path: str) -> None:
    """Before any AWS read: a plan that cannot be saved is not worth making."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise UsageError(f"--out {path} is a directory; give a file name")
    if not folder.is_dir():
        raise UsageError(f"--out {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        raise UsageError(f"--out {path}: not writable")


def save(path: str, doc: Doc) -> None:
    """Write whole or not at all: a half-written plan must never be applied."""
    target = Path(path)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(doc, indent=2) + "\n")
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise UsageError(f"cannot save the plan to {path}: {exc}") from exc
    print(f"saved plan to {path}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    if args.out:
        check_writable(args.out)
    manifests, specs = _common.load(args, "plan")
    engine = _common.engine(args)
    plan = engine.make_plan(specs)
    doc = plan_doc(plan, manifests, args.paths, _common.target_doc(args.target))
    _common.with_stats(doc, engine)
    _common.stop_if_unreachable(engine, doc, args.format)
    if args.out and not plan.has_errors:
        save(args.out, doc)
    _common.emit(doc, args.format)
    if plan.has_errors:
        return 1
    return 2 if args.detailed_exitcode and plan.actions else 0
