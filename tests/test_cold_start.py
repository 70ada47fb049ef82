"""Cold start: what a command imports before doing anything (modules, not timings)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def fresh_python(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a new interpreter (nothing imported yet); it must exit 0."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("argv", [["--version"], ["-q", "--version"]])
def test_version_loads_no_command_and_no_aws_sdk(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from reconciler.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "loaded = [m for m in sys.modules if m == 'boto3' or m.startswith('reconciler.commands.')]\n"
        "assert not loaded, loaded\n"
    )
    proc = fresh_python(code)
    assert proc.stdout.startswith("reconciler ")


# jsonschema (~0.2 s to import) is for documents that fail the compiled manifest
# check and for `apply --plan FILE`; deepdiff (~0.09 s) is for aliases that differ.
HEAVY = ("jsonschema", "deepdiff")


@pytest.mark.parametrize("command", ["plan", "apply", "drift", "validate", "status", "promote"])
def test_commands_do_not_import_what_only_failures_need(command: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module('reconciler.commands.{command}')\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    fresh_python(code)


def test_validating_valid_manifests_loads_neither_the_aws_sdk_nor_jsonschema() -> None:
    code = (
        "import sys\n"
        "from reconciler.cli import main\n"
        "rc = main(['validate', 'manifests'])\n"
        "loaded = [m for m in ('boto3', 'jsonschema') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "raise SystemExit(rc)\n"
    )
    proc = fresh_python(code)
    assert "manifest files valid" in proc.stdout
