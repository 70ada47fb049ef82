"""`reconciler validate [PATH...]`: check manifests offline, report every error."""

from __future__ import annotations

import argparse
import os

from reconciler.manifest import check_manifests
from reconciler.manifest.annotations import format_github, format_plain, plural

NAME = "validate"
HELP = "check manifests without touching AWS; every error, located (exit 0 valid, 1 invalid)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        default=["manifests"],
        metavar="PATH",
        help="manifest files or folders (every *.yaml/*.yml below); default: manifests",
    )
    parser.add_argument(
        "--format",
        choices=("text", "github"),
        default=None,
        help="github: also emit ::error workflow commands (default when GITHUB_ACTIONS=true)",
    )


def run(args: argparse.Namespace) -> int:
    output = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    manifests, diagnostics = check_manifests(args.paths)
    # Everything goes to stdout: the diagnostics are this command's output, and
    # CI tooling (problem matchers, grep) reads stdout.
    for diagnostic in diagnostics:
        print(format_plain(diagnostic))
        if output == "github":
            print(format_github(diagnostic))
    if manifests is None:
        files = len({diagnostic.file for diagnostic in diagnostics})
        print(f"{plural(len(diagnostics), 'error')} in {plural(files, 'file')}")
        return 1
    aliases = sum(len(function.aliases) for function in manifests.functions)
    print(
        f"{plural(len(manifests.files), 'manifest file')} valid: "
        f"{plural(len(manifests.functions), 'function')}, {plural(aliases, 'alias', 'aliases')}"
    )
    return 0
