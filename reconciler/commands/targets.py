"""``reconciler targets``: the (account, region) groups, e.g. as a GitHub matrix."""

from __future__ import annotations

import argparse
import json

from reconciler.manifest.settings import (
    Settings,
    Target,
    github_matrix,
    group_targets,
    load_settings,
)

NAME = "targets"
AWS_OPTIONS = ("region",)
HELP = "list the (account, region) targets the manifests span, e.g. as a GitHub Actions matrix"

DEFAULT_PATHS = ("manifests",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="manifest files or folders (default: manifests)"
    )
    parser.add_argument(
        "--settings",
        metavar="FILE",
        help="roles per account (default: .reconciler/settings.yaml when present)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "github-matrix"),
        default="text",
        help="github-matrix: one line of JSON for strategy.matrix (default: text)",
    )


def _text(targets: tuple[Target, ...], settings: Settings) -> str:
    if not targets:
        return "no functions in the manifests"
    lines = []
    for target in targets:
        roles = settings.roles_for(target.account)
        lines.append(f"{target.name}  ({len(target.functions)} function(s))")
        lines.append(f"  functions:  {', '.join(target.functions)}")
        lines.append(f"  plan role:  {roles.plan_role or '(none in settings)'}")
        lines.append(f"  apply role: {roles.apply_role or '(none in settings)'}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    # Imported here: the loader is a sibling module with its own dependencies.
    from reconciler.manifest import load_manifests

    settings = load_settings(args.settings)
    manifests = load_manifests(list(args.paths or DEFAULT_PATHS))
    default_region = args.region or settings.default_region
    targets = group_targets(manifests.functions, default_region)
    matrix = github_matrix(targets, settings, default_region)
    if args.format == "github-matrix":
        print(json.dumps(matrix, separators=(",", ":")))
    elif args.format == "json":
        doc = {
            "settings": settings.source,
            "targets": [
                dict(entry, functions=list(target.functions))
                for entry, target in zip(matrix["include"], targets, strict=True)
            ],
        }
        print(json.dumps(doc, indent=2))
    else:
        print(_text(targets, settings))
    return 0
