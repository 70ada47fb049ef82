"""The engine's shape, checked: small modules, private names kept private,
one home per action kind, and the placeholder's text form in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import reconciler
from reconciler.plan.registry import ACTION_NAMES, KINDS, Action

PACKAGE = Path(reconciler.__file__).parent
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "schemas" not in p.parts)
ACTION_CLASSES = {k.cls.__name__ for k in KINDS}


def test_every_module_is_under_400_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in MODULES
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def test_no_module_imports_another_modules_private_names() -> None:
    found = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reconciler"):
                # A package's private module (commands/_common.py) serves that package.
                own = node.module == ".".join(path.relative_to(PACKAGE.parent).parts[:-1])
                found += [
                    f"{path.name}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__") and not own
                ]
    assert found == []


def test_no_isinstance_over_action_classes_outside_the_action_kinds() -> None:
    kinds = PACKAGE / "plan" / "kinds"
    found = []
    for path in MODULES:
        if kinds in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance":
                names = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                if names & (ACTION_CLASSES | {"Action"}):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []


def test_the_pending_placeholder_has_one_text_form() -> None:
    users = [
        str(p.relative_to(PACKAGE))
        for p in MODULES
        if re.search(r"[\"']pending:", p.read_text(encoding="utf-8"))
    ]
    assert users == ["plan/pending.py"]


def test_every_action_class_is_registered_once() -> None:
    assert len(set(ACTION_NAMES)) == len(KINDS)
    union = set(re.findall(r"\b\w+\b", str(Action)))
    assert union >= ACTION_CLASSES
