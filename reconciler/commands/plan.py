"""`reconciler plan`: what apply would change. Reads only."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from reconciler.commands import _common
from reconciler.report.documents import plan_doc

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


def run(args: argparse.Namespace) -> int:
    manifests, specs = _common.load(args, "plan")
    engine = _common.engine(args)
    plan = engine.make_plan(specs)
    doc = plan_doc(plan, manifests, args.paths, _common.target_doc(args.target))
    _common.with_stats(doc, engine)
    _common.stop_if_unreachable(engine, doc, args.format)
    if args.out and not plan.has_errors:
        Path(args.out).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    _common.emit(doc, args.format)
    if plan.has_errors:
        return 1
    return 2 if args.detailed_exitcode and plan.actions else 0
