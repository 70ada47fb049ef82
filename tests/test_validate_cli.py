"""`reconciler validate` as users and CI run it: a real subprocess per case."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.errors import Diagnostic
from reconciler.manifest import check_manifests
from reconciler.manifest.annotations import escape_data, escape_property
from reconciler.report.documents import diagnostic_entry
from reconciler.report.github import command

REPO = Path(__file__).resolve().parents[1]
DIAGNOSTIC_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.+)$")


def manifest(function: str, *aliases: str, region: str = "eu-west-1") -> str:
    body = "".join(f"  {alias}:\n    version: 3\n" for alias in aliases)
    return (
        "apiVersion: reconciler/v1\nkind: LambdaFunction\n"
        f"function: {function}\nregion: {region}\naliases:\n{body}"
    )


def run_validate(
    *args: str, cwd: Path, github_actions: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}
    if github_actions is not None:
        env["GITHUB_ACTIONS"] = github_actions
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "manifests").mkdir()
    return tmp_path


def test_repository_examples_are_valid() -> None:
    result = run_validate("manifests/", cwd=REPO)
    manifests, diagnostics = check_manifests([str(REPO / "manifests")])
    assert diagnostics == [] and manifests is not None
    aliases = sum(len(function.aliases) for function in manifests.functions)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [
        f"{len(manifests.files)} manifest files valid: {len(manifests.functions)} functions, "
        f"{aliases} aliases"
    ]


def test_default_path_is_the_manifests_folder(project: Path) -> None:
    (project / "manifests" / "a.yaml").write_text(manifest("alpha", "live", "beta"))
    nested = project / "manifests" / "team"
    nested.mkdir()
    both = manifest("bravo", "live") + "---\n" + manifest("charlie", "live")
    (nested / "b.yml").write_text(both)
    (project / "elsewhere.yaml").write_text("not: [valid")

    result = run_validate(cwd=project)

    assert result.returncode == 0, result.stdout
    assert result.stdout == "2 manifest files valid: 3 functions, 4 aliases\n"
    assert result.stderr == ""


def test_summary_uses_singular_words(project: Path) -> None:
    (project / "manifests" / "one.yaml").write_text(manifest("alpha", "live"))
    result = run_validate(cwd=project)
    assert result.stdout == "1 manifest file valid: 1 function, 1 alias\n"


def test_every_error_of_every_file_in_one_run(project: Path) -> None:
    folder = project / "manifests"
    (folder / "a.yaml").write_text(manifest("alpha", "live").replace("version: 3", "version: 0"))
    (folder / "b.yaml").write_text(manifest("bravo", "7", "live") + "owner: me\n")
    (folder / "c.yaml").write_text(manifest("charlie", "live"))

    result = run_validate("manifests", cwd=project)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[-1] == "3 errors in 2 files"
    found = [DIAGNOSTIC_LINE.match(line) for line in lines[:-1]]
    assert all(found), lines
    located = [(m["file"], int(m["line"]), int(m["col"])) for m in found if m]
    assert located == [
        ("manifests/a.yaml", 7, 14),  # version 0
        ("manifests/b.yaml", 6, 3),  # alias name "7"
        ("manifests/b.yaml", 10, 1),  # unknown key owner
    ]
    assert "out of range" in lines[0] and "unknown key 'owner'" in lines[2]
    assert result.stderr == ""


def test_files_keep_the_path_as_given(project: Path) -> None:
    (project / "manifests" / "bad.yaml").write_text(manifest("alpha", "live") + "x: 1\n")
    result = run_validate("./manifests/bad.yaml", str(project / "missing.yaml"), cwd=project)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("./manifests/bad.yaml:")
    assert lines[1] == f"{project / 'missing.yaml'}:1:1: error: no such file or folder"
    assert lines[-1] == "2 errors in 2 files"
    assert result.returncode == 1


def test_same_function_in_two_files_names_both_places(project: Path) -> None:
    (project / "manifests" / "a.yaml").write_text(manifest("alpha", "live"))
    (project / "manifests" / "b.yaml").write_text(manifest("alpha", "beta"))
    result = run_validate(cwd=project)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "manifests/b.yaml:3:11: error: function 'alpha' (region eu-west-1) is declared twice; "
        "one document per function; also declared at manifests/a.yaml:3"
    )


def test_github_format_escapes_workflow_command_values(project: Path) -> None:
    name = "50%,a:b.yaml"
    (project / "manifests" / name).write_text(manifest("alpha", '"50%"'))

    result = run_validate("--format", "github", cwd=project)

    lines = result.stdout.splitlines()
    assert result.returncode == 1
    plain, annotation, summary = lines
    match = DIAGNOSTIC_LINE.match(plain.replace(name, "FILE"))
    assert match and match["msg"].startswith("alias name '50%' is not valid")
    escaped_message = match["msg"].replace("%", "%25")
    assert annotation == (
        "::error file=manifests/50%25%2Ca%3Ab.yaml,line=6,col=3,"
        f"title=reconciler validate (invalid-manifest)::{escaped_message}"
    )
    assert summary == "1 error in 1 file"


@pytest.mark.parametrize(
    ("args", "env_value", "commands_expected"),
    [
        ((), "true", True),
        (("--format", "text"), "true", False),
        ((), None, False),
        ((), "false", False),
        (("--format", "github"), None, True),
    ],
)
def test_github_actions_environment_turns_on_workflow_commands(
    project: Path, args: tuple[str, ...], env_value: str | None, commands_expected: bool
) -> None:
    (project / "manifests" / "a.yaml").write_text(manifest("alpha", "live") + "x: 1\n")
    result = run_validate(*args, cwd=project, github_actions=env_value)
    commands = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(commands) == (1 if commands_expected else 0)
    assert result.returncode == 1


def test_valid_manifests_give_no_workflow_commands(project: Path) -> None:
    (project / "manifests" / "a.yaml").write_text(manifest("alpha", "live"))
    result = run_validate(cwd=project, github_actions="true")
    assert result.returncode == 0
    assert "::" not in result.stdout


def test_missing_default_folder_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = run_validate(cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "manifests:1:1: error: no such file or folder",
        "1 error in 1 file",
    ]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("50% done", "50%25 done"),
        ("one\ntwo\r\n", "one%0Atwo%0D%0A"),
        ("a:b,c", "a:b,c"),
        ("%0A", "%250A"),
    ],
)
def test_escape_data(text: str, escaped: str) -> None:
    assert escape_data(text) == escaped


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("dir/a:b,c.yaml", "dir/a%3Ab%2Cc.yaml"),
        ("100%\n", "100%25%0A"),
    ],
)
def test_escape_property(text: str, escaped: str) -> None:
    assert escape_property(text) == escaped


def test_validation_annotation_escapes_each_part_by_its_rules() -> None:
    diagnostic = Diagnostic("a,b.yaml", 3, 7, "bad: 5%\nsecond line")
    assert command("error", diagnostic_entry(diagnostic), "validate") == (
        "::error file=a%2Cb.yaml,line=3,col=7,title=reconciler validate (invalid-manifest)"
        "::bad: 5%25%0Asecond line"
    )
