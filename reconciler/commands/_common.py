"""What plan, apply and drift share: options, loading, the session, output."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from reconciler.aws.gateway import Connection, Session
from reconciler.engine import Engine, RunOptions
from reconciler.errors import ManifestError, UsageError
from reconciler.manifest import load_manifests
from reconciler.manifest.model import FunctionSpec, ManifestSet
from reconciler.report.documents import Doc, error_entry, manifest_failure_doc

# The wall clock rollouts use; tests replace it to move time without sleeping.
clock: Callable[[], float] = time.time

# Whether this run has written its document to stdout (the CLI writes a failure
# document for a run that stopped before it could, so --format json always
# prints exactly one).
emitted = False


def add_run_arguments(
    parser: argparse.ArgumentParser,
    *,
    formats: Sequence[str] = ("text", "json", "markdown", "github"),
) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        default=["manifests"],
        metavar="PATH",
        help="manifest files or folders (default: manifests/)",
    )
    parser.add_argument(
        "--format",
        choices=formats,
        default="text",
        help="output format on stdout"
        + (
            "; github: text, then ::error/::warning annotations on the manifest lines "
            "(text does that too when GITHUB_ACTIONS=true)"
            if "github" in formats
            else ""
        ),
    )
    parser.add_argument(
        "--target",
        metavar="ACCOUNT/REGION",
        help="only the functions of this account/region group (`*` matches any)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=8,
        help="functions worked on in parallel (default 8)",
    )
    parser.add_argument(
        "--max-rps",
        type=float,
        default=10.0,
        help="control-plane requests/second per account and region (default 10; AWS allows 15)",
    )


def add_rollout_arguments(parser: argparse.ArgumentParser) -> None:
    """Rollout options of plan and apply (plan shows what apply would do with them)."""
    group = parser.add_argument_group("rollouts")
    group.add_argument(
        "--retry-rollout",
        action="store_true",
        help="start again a rollout that failed (or was changed by hand) toward the same version",
    )
    group.add_argument(
        "--ignore-alarms",
        action="store_true",
        help="emergency: do not consult rollout alarms (start, advance, no rollback) this run",
    )
    group.add_argument(
        "--rollouts-only",
        action="store_true",
        help="only advance, promote, roll back or reset rollouts in flight; leave the rest "
        "(and starting rollouts) to a full apply (for a scheduled run)",
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def target_doc(target: str | None) -> dict[str, Any] | None:
    if not target:
        return None
    account, _, region = target.partition("/")
    return {
        "account": None if account in ("", "*") else account,
        "region": None if region in ("", "*") else region,
    }


def load(args: argparse.Namespace, kind: str) -> tuple[ManifestSet, tuple[FunctionSpec, ...]]:
    """Load and validate manifests. On failure the error (every diagnostic) goes
    to stderr; --format json also prints the failure document, each error with
    its file and line, and GitHub formats an ``::error`` annotation per error."""
    try:
        manifests = load_manifests(args.paths)
    except ManifestError as err:
        doc = manifest_failure_doc(kind, err.diagnostics, args.paths, target_doc(args.target))
        if args.format == "json":
            emit(doc, "json")
        else:
            from reconciler.report.github import annotating, workflow_commands

            if annotating(args.format):
                # Only the annotations: the plain lines are the error on stderr.
                sys.stdout.write("".join(line + "\n" for line in workflow_commands(doc)))
                sys.stdout.flush()
        raise
    specs = manifests.functions
    if args.target:
        from reconciler.manifest.settings import filter_target, group_targets

        specs = filter_target(specs, args.target, default_region=args.region)
        if not specs and manifests.functions:
            names = ", ".join(t.name for t in group_targets(manifests.functions, args.region))
            raise UsageError(
                f"--target {args.target} matches no function of the manifests; "
                f"their targets: {names} (see `reconciler targets`)"
            )
    return manifests, specs


def engine(args: argparse.Namespace) -> Engine:
    if args.max_rps <= 0:
        raise UsageError("--max-rps must be positive")
    connection = Connection(
        region=args.region,
        endpoint_url=args.endpoint_url,
        max_rps=args.max_rps,
        concurrency=args.concurrency,
    )
    options = RunOptions(
        region=args.region,
        concurrency=args.concurrency,
        progress=not args.quiet,
        now=clock,
        # plan and apply have these flags; drift and status do not.
        retry_rollout=getattr(args, "retry_rollout", False),
        ignore_alarms=getattr(args, "ignore_alarms", False),
        rollouts_only=getattr(args, "rollouts_only", False),
    )
    return Engine(Session(connection), options)


def with_stats(doc: Doc, engine: Engine) -> Doc:
    """Add what the run cost in API calls (by operation) to a document."""
    stats = engine.session.stats
    functions = max(1, len(doc.get("functions", [])))
    total = sum(stats.calls.values())
    doc["stats"] = {
        "api_calls": dict(sorted(stats.calls.items())),
        "retries": dict(sorted(stats.retries.items())),
        "api_calls_total": total,
        "api_calls_per_function": round(total / functions, 3),
    }
    return doc


def render(doc: Doc, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2, sort_keys=False) + "\n"
    if fmt == "markdown":
        from reconciler.report.markdown import render as render_markdown

        text = render_markdown(doc)
        return text if text.endswith("\n") else text + "\n"
    from reconciler.report.github import annotating, render_github
    from reconciler.report.text import render_text

    return render_github(doc) if annotating(fmt) else render_text(doc)


def emit(doc: Doc, fmt: str) -> None:
    """stdout carries the chosen format and nothing else."""
    global emitted
    sys.stdout.write(render(doc, fmt))
    sys.stdout.flush()
    emitted = True


# Function statuses that mean "this function did not get its answer" (a
# not-attempted one without a reason: the breaker's cause is its reason).
_UNANSWERED = {"error", "failed", "not_attempted"}


def stop_if_unreachable(engine: Engine, doc: Doc, fmt: str) -> None:
    """When the run's circuit breaker opened (AWS unreachable, credentials
    refused, ...), the run stops: the document names the one cause, every
    function it stopped is "not attempted", and the error ends the run (exit 1)."""
    error = engine.session.breaker.error
    if error is None:
        return
    message = str(error)
    for fn in doc.get("functions", []):
        if fn.get("status") in _UNANSWERED and fn.get("reason") in (None, message):
            fn["status"], fn["reason"] = "not_attempted", message
    doc["errors"] = [error_entry(None, error.reason, message)]
    doc["failure_reason"] = error.reason
    if "success" in doc:
        doc["success"] = False
    if fmt == "json":
        emit(doc, fmt)
    raise error
