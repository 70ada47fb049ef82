"""Manifests: find the files, read them safely, check them, build the desired state.

Public API::

    load_manifests(paths) -> ManifestSet            # raises ManifestError (all diagnostics)
    check_manifests(paths) -> (ManifestSet | None, [Diagnostic])
    discover_files(paths) -> [file]                  # raises ManifestError for missing paths

Checking never touches AWS. Every problem of every file is reported in one
run, each located at the key or value it is about.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from reconciler.errors import Diagnostic, ManifestError
from reconciler.manifest import schema, semantics
from reconciler.manifest.build import build_function
from reconciler.manifest.loader import LoadedFile, load_file
from reconciler.manifest.model import FunctionSpec, ManifestSet, SourcePos
from reconciler.manifest.paths import outside_root

__all__ = ["check_manifests", "discover_files", "load_manifests"]

MANIFEST_SUFFIXES = (".yaml", ".yml")


def _walk_folder(folder: str) -> list[str]:
    found: list[str] = []
    for root, dirs, names in os.walk(folder):
        # Hidden folders and files (.git, .github, editor backups) are never
        # manifests, and `validate .` must not trip over CI workflow files.
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        found.extend(
            os.path.join(root, name)
            for name in names
            if name.endswith(MANIFEST_SUFFIXES) and not name.startswith(".")
        )
    # Component-wise order: "a/z.yaml" before "a-b.yaml" whatever the separator sorts as.
    return sorted(found, key=lambda path: path.split(os.sep))


def _discover(paths: Sequence[str]) -> tuple[list[str], list[Diagnostic], dict[str, int]]:
    """Files to read, a diagnostic per path missing or empty, and report order.

    The order ranks every file and every given path as met, so errors about a
    missing path are listed where that path was given.
    """
    files: list[str] = []
    problems: list[Diagnostic] = []
    order: dict[str, int] = {}
    seen: set[str] = set()
    for given in paths:
        order.setdefault(given, len(order))
        if os.path.isdir(given):
            found, root = _walk_folder(given), given
            if not found:
                problems.append(
                    Diagnostic(given, None, None, "folder holds no *.yaml or *.yml file")
                )
        elif os.path.lexists(given):
            found, root = [given], os.path.dirname(given) or os.curdir
        else:
            problems.append(Diagnostic(given, None, None, "no such file or folder"))
            continue
        for path in found:
            refused = outside_root(path, root)
            if refused is not None:
                problems.append(Diagnostic(path, None, None, refused))
                order.setdefault(path, len(order))
                continue
            # The same file reached twice (a folder and a file in it) is read once,
            # or its functions would clash with themselves.
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                files.append(path)
                order.setdefault(path, len(order))
    return files, problems, order


def discover_files(paths: Sequence[str]) -> list[str]:
    """Manifest files under ``paths`` (files as given, folders searched recursively)."""
    files, problems, _ = _discover(paths)
    if problems:
        raise ManifestError(problems)
    return files


def _digest(loaded: Sequence[LoadedFile]) -> str:
    digest = hashlib.sha256()
    for item in loaded:
        digest.update(os.fsencode(item.path) + b"\0" + (item.content or b"") + b"\0")
    return "sha256:" + digest.hexdigest()


def check_manifests(paths: Sequence[str]) -> tuple[ManifestSet | None, list[Diagnostic]]:
    """Check every manifest under ``paths``.

    Returns the ManifestSet and no diagnostics, or None and every diagnostic
    (sorted by file, in the order the files were given, then line and column).
    """
    files, diagnostics, order = _discover(paths)
    loaded = [load_file(path) for path in files]
    functions: list[FunctionSpec] = []
    declared: dict[tuple[str | None, str], SourcePos] = {}
    for item in loaded:
        diagnostics.extend(item.diagnostics)
        for doc in item.documents:
            if not doc.usable:
                continue
            found = schema.check_document(doc) + semantics.check_document(doc)
            found += semantics.check_duplicate(doc, declared)
            diagnostics.extend(found)
            if not found and not item.diagnostics:
                functions.append(build_function(doc))
    if diagnostics:
        ranked = sorted(
            set(diagnostics),
            key=lambda d: (order.get(d.file, len(order)), d.line or 0, d.col or 0, d.message),
        )
        return None, ranked
    return ManifestSet(tuple(functions), tuple(files), _digest(loaded)), []


def load_manifests(paths: Sequence[str]) -> ManifestSet:
    """The desired state declared under ``paths``; ManifestError lists every problem."""
    manifests, diagnostics = check_manifests(paths)
    if manifests is None:
        raise ManifestError(diagnostics)
    return manifests
