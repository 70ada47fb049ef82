"""`reconciler apply`: plan, then change AWS to match (or apply a saved plan)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator

from reconciler.applying.savedplan import differences, read_plan_file, recorded_paths
from reconciler.commands import _common
from reconciler.engine import Engine
from reconciler.errors import StalePlanError, UsageError
from reconciler.plan import Plan
from reconciler.report.documents import Doc, apply_doc, failure_doc, plan_doc
from reconciler.report.text import render_text

NAME = "apply"
AWS_OPTIONS = ("region", "endpoint_url")
HELP = "change live aliases to match the manifests (or a saved plan)"
_STALE = "the saved plan no longer matches (see the errors); nothing was applied"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_run_arguments(parser)
    parser.add_argument("--auto-approve", action="store_true", help="apply without asking")
    parser.add_argument(
        "--plan",
        metavar="PLAN.json",
        dest="plan_file",
        help="apply this saved plan only if a fresh plan is exactly the same, else nothing",
    )
    # No paths: a saved plan's own; otherwise manifests/ (see run()).
    parser.set_defaults(paths=None)
    _common.add_rollout_arguments(parser)


def _confirm(doc: Doc) -> bool:
    """Ask on a TTY; refuse when nobody can answer."""
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing to apply without --auto-approve: stdin is not a terminal, so nobody can confirm"
        )
    sys.stderr.write(render_text(doc))
    sys.stderr.write("\nApply these changes? Only 'yes' is accepted: ")
    sys.stderr.flush()
    return sys.stdin.readline().strip() == "yes"


def run(args: argparse.Namespace) -> int:
    if args.plan_file:
        if args.retry_rollout or args.ignore_alarms or args.rollouts_only:
            raise UsageError(
                "--retry-rollout, --ignore-alarms and --rollouts-only shape a plan; give them "
                "to `plan --out`, not to `apply --plan`"
            )
        return _apply_saved(args)
    args.paths = args.paths or ["manifests"]
    manifests, specs = _common.load(args, "apply")
    engine = _common.engine(args)
    plan = engine.make_plan(specs)
    doc = plan_doc(plan, manifests, args.paths, _common.target_doc(args.target))
    _stop_if_unreachable(engine, doc, args.format)
    # --rollouts-only: a rollback must never wait for an unrelated fix; the
    # errors are still reported and the run still exits 1.
    if plan.has_errors and not args.rollouts_only:
        # A plan error anywhere stops apply everywhere: nothing is changed.
        doc = apply_doc(doc, [])
        doc["failure_reason"] = "plan-error"
        _common.emit(doc, args.format)
        return 1
    if plan.actions and not args.auto_approve and not _confirm(doc):
        print("Apply cancelled; nothing was changed.", file=sys.stderr)
        if args.format == "json":
            _common.emit(_nothing_applied(doc, "cancelled", "apply was not confirmed"), "json")
        return 1
    return _execute(engine, plan, doc, args.format)


def _nothing_applied(doc: Doc, reason: str, why: str | None) -> Doc:
    """The apply document of a run that changed nothing: each function is in
    sync, failed planning, or was not attempted (``why``)."""
    result = apply_doc(doc, [])
    for fn in result["functions"]:
        if fn["status"] == "not_attempted":
            fn["reason"] = why
    result["success"] = False
    result["failure_reason"] = reason
    return result


def _stop_if_unreachable(engine: Engine, doc: Doc, fmt: str) -> None:
    """AWS unreachable while planning: apply's own document, nothing applied
    (the breaker's one cause becomes each unplanned function's reason)."""
    if engine.session.breaker.error is not None:
        result = _nothing_applied(doc, "error", None)
        for fn in result["functions"]:
            if fn["status"] == "failed":
                fn["reason"] = None  # like any function not planned, as in plan's document
        _common.stop_if_unreachable(engine, result, fmt)


def _execute(engine: Engine, plan: Plan, doc: Doc, fmt: str) -> int:
    with _stopped_by_signals(engine) as received:
        outcomes = engine.apply(plan)
    result = _common.with_stats(apply_doc(doc, outcomes), engine)
    _common.stop_if_unreachable(engine, result, fmt)
    if received:
        result["success"] = False
        result["failure_reason"] = "interrupted"
    _common.emit(result, fmt)
    if received:
        return 128 + received[0]  # 130 for SIGINT, 143 for SIGTERM
    return 0 if result["success"] else 1


@contextlib.contextmanager
def _stopped_by_signals(engine: Engine) -> Iterator[list[int]]:
    """SIGINT/SIGTERM during apply: start no new call, let calls in flight finish,
    then report what was applied, failed and not attempted. A second signal
    ends the process at once."""
    received: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        if received:
            os._exit(128 + received[0])
        received.append(signum)
        print(
            f"\n{signal.Signals(signum).name}: stopping after the calls in flight; "
            "a second signal stops at once",
            file=sys.stderr,
        )
        engine.stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield received  # signals reach only the main thread (e.g. tests in a worker)
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _apply_saved(args: argparse.Namespace) -> int:
    """A saved plan is a promise: plan again from the manifests, apply only if equal."""
    saved = read_plan_file(args.plan_file)
    if args.target and _common.target_doc(args.target) != saved.get("target"):
        raise UsageError(
            "--target does not match the saved plan's target: a saved plan is applied "
            "whole or not at all; give --target to `plan --out` instead"
        )
    if not args.paths:
        args.paths = recorded_paths(saved)
        print(f"manifests from the saved plan: {', '.join(args.paths)}", file=sys.stderr)
    manifests, specs = _common.load(args, "apply")
    engine = _common.engine(args)
    plan = engine.make_plan(specs)
    doc = plan_doc(plan, manifests, args.paths, _common.target_doc(args.target))
    _stop_if_unreachable(engine, doc, args.format)
    if plan.has_errors:
        doc = apply_doc(doc, [])
        doc["failure_reason"] = "plan-error"
        _common.emit(doc, args.format)
        return 1
    found = differences(saved, doc, doc["retained"])
    if found:
        if args.format == "json":
            stale = failure_doc("apply", "plan-stale", found, args.paths, doc["target"])
            # Every function is reported: in sync now, or not attempted (stale).
            stale["functions"] = _nothing_applied(doc, "plan-stale", _STALE)["functions"]
            _common.emit(stale, "json")
        raise StalePlanError(found)
    return _execute(engine, plan, doc, args.format)
