"""`reconciler validate [PATH...]`: check manifests offline, report every error."""

from __future__ import annotations

import argparse
import json
import os
import sys

from reconciler.manifest import check_manifests
from reconciler.manifest.annotations import format_plain, plural

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
        choices=("text", "github", "json"),
        default=None,
        help="github: also emit ::error workflow commands (default when GITHUB_ACTIONS=true); "
        "json: one document, each error with its file, line and col",
    )


def run(args: argparse.Namespace) -> int:
    output = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    manifests, diagnostics = check_manifests(args.paths)
    code = 0 if manifests is not None else 1
    if output == "json":
        # Imported here: the text path stays as light as it was (no report layer).
        from reconciler.report.documents import validate_doc

        doc = validate_doc(manifests, diagnostics, args.paths)
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return code
    annotations: list[str] = []
    if output == "github" and diagnostics:
        from reconciler.report.documents import diagnostic_entry
        from reconciler.report.github import command

        annotations = [command("error", diagnostic_entry(d), NAME) for d in diagnostics]
    # Everything goes to stdout: the diagnostics are this command's output, and
    # CI tooling (problem matchers, grep) reads stdout. Each annotation follows
    # its plain line.
    for index, diagnostic in enumerate(diagnostics):
        print(format_plain(diagnostic))
        if annotations:
            print(annotations[index])
    if manifests is None:
        files = len({diagnostic.file for diagnostic in diagnostics})
        print(f"{plural(len(diagnostics), 'error')} in {plural(files, 'file')}")
        return code
    aliases = sum(len(function.aliases) for function in manifests.functions)
    print(
        f"{plural(len(manifests.files), 'manifest file')} valid: "
        f"{plural(len(manifests.functions), 'function')}, {plural(aliases, 'alias', 'aliases')}"
    )
    return code
