"""The command line: parse, dispatch, map errors to exit codes.

Exit codes follow terraform's ``-detailed-exitcode``: 0 success / in sync,
1 error (a usage error too: argparse's own 2 would read as "drift found"),
2 changes pending or drift found (where the command documents it).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from reconciler import __version__
from reconciler.errors import ReconcilerError

# Module names under reconciler.commands, in help order.
COMMANDS = (
    "validate",
    "plan",
    "apply",
    "drift",
    "status",
    "targets",
    "report",
    "promote",
    "iam_policy",
    "sandbox",
)

log = logging.getLogger("reconciler")


# What _selected returns for `--version` before any command: load none.
_NO_COMMAND = ""


def _load_commands(only: str | None = None) -> list[ModuleType]:
    names = [] if only == _NO_COMMAND else [only] if only else list(COMMANDS)
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(f"reconciler.commands.{name}"))
        except ModuleNotFoundError as exc:
            # A command not built yet is simply not offered.
            if exc.name != f"reconciler.commands.{name}":
                raise
    return modules


# Global options that take a value, to find the command name in argv.
_VALUED = {"--region", "--endpoint-url"}
# Connection options; a command offers those named in its AWS_OPTIONS.
_AWS_OPTIONS = {"region": "--region", "endpoint_url": "--endpoint-url"}
# Commands whose --format json promises one document even on failure.
_DOCUMENT_KINDS = {"plan", "apply", "drift", "status"}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 1: exit 2 means only "changes pending"
    or "drift found", and a typo must not read as drift to a script."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def _selected(argv: Sequence[str]) -> str | None:
    """The command module named in argv, so only it is imported (validate
    should not pay for boto3); None when help or an unknown name is asked."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif arg.startswith("-"):
            if arg in ("-h", "--help"):
                return None
            if arg == "--version":
                # argparse prints the version as it meets the option, before it
                # looks at commands: importing them all (boto3 too) would be waste.
                return _NO_COMMAND
        else:
            module = arg.replace("-", "_")
            return module if module in COMMANDS else None
    return None


def add_global_options(
    parser: argparse.ArgumentParser, aws: Sequence[str] = tuple(_AWS_OPTIONS)
) -> None:
    """Options every command accepts (also after the sub-command name); of the
    connection options only those in ``aws``."""
    group = parser.add_argument_group("global options")
    if "region" in aws:
        group.add_argument(
            "--region", default=argparse.SUPPRESS, help="AWS region when a manifest names none"
        )
    if "endpoint_url" in aws:
        group.add_argument(
            "--endpoint-url",
            default=argparse.SUPPRESS,
            help="AWS endpoint (AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_LAMBDA also work)",
        )
    group.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="more logs on stderr"
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress or info on stderr",
    )


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reconciler",
        description="GitOps reconciler for AWS Lambda versions and aliases.",
    )
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _load_commands(only):
        child = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        aws = tuple(getattr(module, "AWS_OPTIONS", ()))
        add_global_options(child, aws)
        module.add_arguments(child)
        child.set_defaults(run=module.run, aws_options=aws, parser=child)
    return parser


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbose >= 2:
        level = logging.DEBUG
    elif verbose == 1:
        level = logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger("reconciler")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_selected(arguments))
    args = parser.parse_args(arguments)
    # Given before the sub-command, a connection option it does not use is an
    # error, not silently ignored.
    for name, flag in _AWS_OPTIONS.items():
        if hasattr(args, name) and name not in args.aws_options:
            args.parser.error(f"{args.command} does not use {flag}")
    # Global options may sit before or after the sub-command; fill defaults.
    for name, default in (
        ("region", None),
        ("endpoint_url", None),
        ("verbose", 0),
        ("quiet", False),
    ):
        if not hasattr(args, name):
            setattr(args, name, default)
    _configure_logging(args.verbose, args.quiet)
    try:
        code: int = args.run(args)
        return code
    except ReconcilerError as err:
        _failure_document(args, err)
        print(f"error: {err}", file=sys.stderr)
        cause = err.__cause__
        if args.verbose and cause is not None:
            print(f"  cause: {type(cause).__name__}: {cause}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _failure_document(args: argparse.Namespace, err: ReconcilerError) -> None:
    """--format json prints one document even when the run stopped before its
    command wrote one (credentials, an unreadable saved plan, ...)."""
    common = sys.modules.get("reconciler.commands._common")
    if common is None or common.emitted or args.command not in _DOCUMENT_KINDS:
        return
    if getattr(args, "format", None) != "json":
        return
    from reconciler.report.documents import failure_doc

    paths = getattr(args, "paths", None) or []
    target = common.target_doc(getattr(args, "target", None))
    common.emit(failure_doc(args.command, err.reason, [str(err)], paths, target), "json")
