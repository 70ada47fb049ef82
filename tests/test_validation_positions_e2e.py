"""Validation errors located as data, through the real CLI: `validate` and the
validation step of plan, apply and drift (against moto behind the fidelity
proxy, which must see no call), as JSON (file/line/col on each error entry),
GitHub annotations (``--format github`` or GITHUB_ACTIONS=true), and text
(still ``FILE:LINE:COL: error: MESSAGE``, the position given once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.manifest.annotations import escape_data, escape_property
from reconciler.manifest.resources import load_schema
from tests.support.moto_server import aws_env
from tests.validation_cases import write_cases

BAD = Path(__file__).parent / "bad_manifests"


def run(
    *argv: str, cwd: Path, env: dict[str, str] | None = None, github_actions: bool = False
) -> subprocess.CompletedProcess[str]:
    base = env if env is not None else dict(os.environ)
    # The test run itself may be in GitHub Actions: only the case decides.
    environ = {key: value for key, value in base.items() if key != "GITHUB_ACTIONS"}
    if github_actions:
        environ["GITHUB_ACTIONS"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *argv],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_document(proc: subprocess.CompletedProcess[str], schema: str) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError(f"not one JSON document:\n{proc.stdout}\n{proc.stderr}") from exc
    jsonschema.validate(doc, load_schema(schema))
    return doc


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, list[tuple[str, int, int, str]]]:
    """A working directory whose manifests/ holds every case; the errors expected,
    with each file as given on the command line (manifests/NAME.yaml)."""
    (tmp_path / "manifests").mkdir()
    expected = write_cases(tmp_path / "manifests")
    relative = [(os.path.relpath(f, tmp_path), line, col, s) for f, line, col, s in expected]
    return tmp_path, relative


def located(errors: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    return [(e["file"], e["line"], e["col"]) for e in errors]


def check_entries(errors: list[dict[str, Any]], expected: list[tuple[str, int, int, str]]) -> None:
    assert located(errors) == [(f, line, col) for f, line, col, _ in expected]
    for error, (file, line, _, substance) in zip(errors, expected, strict=True):
        assert error["kind"] == "invalid-manifest"
        assert substance in error["message"]
        # The position is data now: the message no longer starts with it.
        assert not error["message"].startswith(file)
        assert f"{file}:{line}" not in error["message"]


def annotation(title: str, file: str, line: int, col: int, message: str) -> str:
    return (
        f"::error file={escape_property(file)},line={line},col={col},"
        f"title={escape_property(title)}::{escape_data(message)}"
    )


# -- validate ----------------------------------------------------------------------------------


def test_validate_json_locates_every_error(project) -> None:
    cwd, expected = project
    proc = run("validate", "manifests", "--format", "json", cwd=cwd)
    assert proc.returncode == 1, proc.stderr
    doc = one_document(proc, "validate")
    assert doc["valid"] is False and doc["failure_reason"] == "invalid-manifest"
    check_entries(doc["errors"], expected)


def test_validate_json_of_valid_manifests() -> None:
    repo = Path(__file__).resolve().parents[1]
    proc = run("validate", "manifests", "--format", "json", cwd=repo)
    assert proc.returncode == 0, proc.stdout
    doc = one_document(proc, "validate")
    assert doc["valid"] is True and doc["errors"] == []
    assert doc["summary"]["files"] == len(doc["manifests"]["files"]) > 0


@pytest.mark.parametrize(
    ("argv", "github_actions"),
    [
        pytest.param(["--format", "github"], False, id="format-github"),
        pytest.param([], True, id="github-actions-env"),
    ],
)
def test_validate_github_annotates_every_error(project, argv, github_actions) -> None:
    cwd, expected = project
    messages = [
        e["message"]
        for e in one_document(run("validate", "--format", "json", cwd=cwd), "validate")["errors"]
    ]
    proc = run("validate", *argv, cwd=cwd, github_actions=github_actions)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    # Each plain line, unchanged, then its annotation.
    pairs = [(lines[i], lines[i + 1]) for i in range(0, 2 * len(expected), 2)]
    for (plain, command), (file, line, col, _), message in zip(
        pairs, expected, messages, strict=True
    ):
        assert plain == f"{file}:{line}:{col}: error: {message}"
        assert command == annotation(
            "reconciler validate (invalid-manifest)", file, line, col, message
        )
    assert lines[2 * len(expected) :] == [f"{len(expected)} errors in {len(expected)} files"]


def test_validate_github_paths_are_relative_to_the_working_directory(project) -> None:
    cwd, expected = project
    proc = run("validate", str(cwd / "manifests"), "--format", "github", cwd=cwd)
    commands = [line for line in proc.stdout.splitlines() if line.startswith("::error ")]
    assert [c.split(",", 1)[0] for c in commands] == [
        f"::error file={escape_property(file)}" for file, *_ in expected
    ]
    # The plain lines keep the path as given.
    assert f"{cwd / 'manifests'}" in proc.stdout


def test_validate_text_is_unchanged(project) -> None:
    cwd, expected = project
    proc = run("validate", cwd=cwd)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1 and "::" not in proc.stdout
    assert len(lines) == len(expected) + 1
    for text, (file, line, col, substance) in zip(lines, expected, strict=False):
        assert text.startswith(f"{file}:{line}:{col}: error: ")
        assert substance in text and text.count(f"{file}:{line}") == 1


def test_every_corpus_error_has_a_line_in_json(tmp_path: Path) -> None:
    proc = run("validate", str(BAD), "--format", "json", cwd=tmp_path)
    doc = one_document(proc, "validate")
    assert proc.returncode == 1 and doc["errors"]
    assert all(isinstance(e["line"], int) and isinstance(e["col"], int) for e in doc["errors"])
    assert {e["file"] for e in doc["errors"]} == {str(p) for p in BAD.glob("*.yaml")}


def test_a_missing_path_has_a_file_but_no_line(tmp_path: Path) -> None:
    proc = run("validate", "nowhere.yaml", "--format", "json", cwd=tmp_path)
    (error,) = one_document(proc, "validate")["errors"]
    assert (error["file"], error["line"], error["col"]) == ("nowhere.yaml", None, None)
    github = run("validate", "nowhere.yaml", "--format", "github", cwd=tmp_path)
    assert github.stdout.splitlines()[1] == (
        "::error file=nowhere.yaml,title=reconciler validate (invalid-manifest)"
        "::no such file or folder"
    )


# -- plan, apply, drift ------------------------------------------------------------------------

COMMANDS = {
    "plan": ["plan", "manifests"],
    "apply": ["apply", "manifests", "--auto-approve"],
    "drift": ["drift", "manifests"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_failure_document_locates_every_error(project, fidelity_proxy, command) -> None:
    cwd, expected = project
    proc = run(*COMMANDS[command], "--format", "json", cwd=cwd, env=aws_env(fidelity_proxy.url))
    assert proc.returncode == 1, proc.stderr
    doc = one_document(proc, "drift" if command == "drift" else "plan")
    assert doc["kind"] == command and doc["failure_reason"] == "invalid-manifest"
    check_entries(doc["errors"], expected)
    assert sum(fidelity_proxy.calls.values()) == 0, "a bad manifest must not reach AWS"


@pytest.mark.parametrize(
    ("command", "argv", "github_actions"),
    [
        pytest.param("plan", ["--format", "github"], False, id="plan-format-github"),
        pytest.param("drift", ["--format", "github"], False, id="drift-format-github"),
        pytest.param("apply", [], True, id="apply-github-actions-env"),
    ],
)
def test_github_annotates_every_validation_error(
    project, fidelity_proxy, command, argv, github_actions
) -> None:
    cwd, expected = project
    env = aws_env(fidelity_proxy.url)
    messages = [
        e["message"]
        for e in one_document(run("validate", "--format", "json", cwd=cwd), "validate")["errors"]
    ]
    proc = run(*COMMANDS[command], *argv, cwd=cwd, env=env, github_actions=github_actions)
    assert proc.returncode == 1
    title = f"reconciler {command} (invalid-manifest)"
    assert proc.stdout.splitlines() == [
        annotation(title, file, line, col, message)
        for (file, line, col, _), message in zip(expected, messages, strict=True)
    ]
    # The error itself, on stderr, keeps its compiler-style lines.
    for (file, line, col, _), message in zip(expected, messages, strict=True):
        assert f"\n{file}:{line}:{col}: error: {message}\n" in proc.stderr
    assert sum(fidelity_proxy.calls.values()) == 0


def test_text_output_is_unchanged(project, fidelity_proxy) -> None:
    cwd, expected = project
    proc = run("plan", "manifests", cwd=cwd, env=aws_env(fidelity_proxy.url))
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert lines[0] == f"error: {len(expected)} manifest error(s):"
    for text, (file, line, col, substance) in zip(lines[1:], expected, strict=False):
        assert text.startswith(f"{file}:{line}:{col}: error: ")
        assert substance in text and text.count(f"{file}:{line}") == 1
