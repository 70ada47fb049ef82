"""`reconciler drift`: is live AWS what git says? 0 in sync, 2 drift, 1 error."""

from __future__ import annotations

import argparse

from reconciler.commands import _common
from reconciler.report.drift import drift_doc

NAME = "drift"
AWS_OPTIONS = ("region", "endpoint_url")
HELP = "report live aliases that differ from the manifests (exit 2 on drift)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_run_arguments(parser)


def run(args: argparse.Namespace) -> int:
    manifests, specs = _common.load(args, "drift")
    engine = _common.engine(args)
    plan = engine.make_plan(specs)
    doc = drift_doc(plan, manifests, args.paths, _common.target_doc(args.target))
    _common.with_stats(doc, engine)
    _common.stop_if_unreachable(engine, doc, args.format)
    _common.emit(doc, args.format)
    if doc["errors"]:
        return 1
    return 0 if doc["in_sync"] else 2
