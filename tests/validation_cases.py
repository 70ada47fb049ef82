"""Manifests with one validation error each, and where that error must point:
shared by the unit and the end-to-end tests of validation error positions."""

from __future__ import annotations

from pathlib import Path

HEADER = "apiVersion: reconciler/v1\nkind: LambdaFunction\n"


def at(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based line and column of the ``nth`` occurrence of ``needle`` in ``text``."""
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


# Each case: the file's text, where its one error must point, and what it says.
# Every function name differs: the cases can share a folder without clashing.
CASES = {
    "schema": (
        HEADER + "function: s1\naliases:\n  live:\n    version: 1\n    descripton: x\n",
        ("descripton", 1),
        "unknown key 'descripton'",
    ),
    "semantic": (
        HEADER + 'function: s2\naliases:\n  live:\n    version: $LATEST\n    weights: {"3": 0.1}\n',
        ("$LATEST", 1),
        "has weights but its version is $LATEST",
    ),
    "yaml-syntax": (
        HEADER + "function: s3\naliases: {live: {version: 1]\n",
        ("]", 1),
        "invalid YAML",
    ),
    "duplicate-key": (
        HEADER + "function: s4\naliases:\n  live:\n    version: 1\n  live:\n    version: 2\n",
        ("live:", 2),
        "duplicate key 'live'",
    ),
    "second-document": (
        HEADER
        + "function: s5\naliases:\n  live:\n    version: 1\n---\n"
        + HEADER
        + "function: s6\naliases:\n  live:\n    version: 1\n    weigths: {}\n",
        ("weigths", 1),
        "unknown key 'weigths'",
    ),
}


def write_cases(folder: Path) -> list[tuple[str, int, int, str]]:
    """Every case as a file of ``folder``; each one's (file, line, col, substance),
    in the order validation reports them (by file name)."""
    expected = []
    for name in sorted(CASES):
        text, (needle, nth), substance = CASES[name]
        path = folder / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        expected.append((str(path), *at(text, needle, nth), substance))
    return expected
