"""The command line: parse, dispatch, map errors to exit codes.

Exit codes follow terraform's ``-detailed-exitcode``: 0 success / in sync,
1 error, 2 changes pending or drift found (where the command documents it).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

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


def _load_commands(only: str | None = None) -> list[ModuleType]:
    names = [only] if only else list(COMMANDS)
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
            if arg in ("-h", "--help", "--version"):
                return None
        else:
            module = arg.replace("-", "_")
            return module if module in COMMANDS else None
    return None


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """Options every command accepts (also after the sub-command name)."""
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--region", default=argparse.SUPPRESS, help="AWS region when a manifest names none"
    )
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
    parser = argparse.ArgumentParser(
        prog="reconciler",
        description="GitOps reconciler for AWS Lambda versions and aliases.",
    )
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _load_commands(only):
        child = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        add_global_options(child)
        module.add_arguments(child)
        child.set_defaults(run=module.run)
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
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
