"""Errors point at the manifest, through the real CLI against moto behind the
fidelity proxy: a function that does not exist and a pinned version that does
not exist, in plan, apply and drift, as text (under the function's block),
JSON (file and line on the error entry) and GitHub annotations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.manifest.annotations import escape_property
from tests.support.moto_server import lambda_client, seed_function


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line of ``path`` that starts with ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.lstrip().startswith(text))


@pytest.fixture
def broken(cli, fidelity_proxy) -> dict[str, tuple[str, int]]:
    """Two functions with an error each; what each error points at (file, line)."""
    seed_function(lambda_client(fidelity_proxy.url), "svc", 2)
    gone = cli.write(
        "gone.yaml", "function: no-such-fn\nregion: eu-west-1\naliases:\n  live: {version: 1}\n"
    )
    svc = cli.write(
        "svc.yaml",
        "function: svc\nregion: eu-west-1\naliases:\n  beta:\n    version: 1\n"
        "  live:\n    version: 99\n",
    )
    return {
        "function_missing": (str(gone), line_of(gone, "function:")),
        "pinned_version_missing": (str(svc), line_of(svc, "live:")),
    }


MESSAGES = {
    "function_missing": "function no-such-fn does not exist in eu-west-1",
    "pinned_version_missing": "alias live: version 99 of svc does not exist",
}
BLOCKS = {
    "function_missing": "  no-such-fn (eu-west-1)",
    "pinned_version_missing": "  svc (eu-west-1)",
}


def block(text: str, header: str) -> list[str]:
    """The lines of one function's block in a text report."""
    lines = text.splitlines()
    start = lines.index(header)
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), None)
    return lines[start + 1 : end]


@pytest.mark.parametrize("command", ["plan", "apply", "drift"])
def test_text_prints_file_line_under_the_function(cli, broken, command):
    extra = ["--auto-approve"] if command == "apply" else []
    proc = cli.run(command, str(cli.folder), *extra)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for kind, (file, line) in broken.items():
        lines = block(proc.stdout, BLOCKS[kind])
        if command == "drift" and kind == "pinned_version_missing":
            # In drift, a missing pin is a difference from git, not an error.
            prefix = f"    ! pinned_version_missing: {file}:{line}: {MESSAGES[kind]}"
        else:
            prefix = f"    error: {file}:{line}: {MESSAGES[kind]}"
        assert any(text.startswith(prefix) for text in lines), (prefix, proc.stdout)
    assert not any(line.startswith("  error:") for line in proc.stdout.splitlines())


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_json_error_entries_carry_file_and_line(cli, broken, command):
    code, doc = (
        cli.plan() if command == "plan" else cli.apply()
    )  # validated against the schema by the helper
    assert code == 1 and doc["failure_reason"] == "plan-error"
    found = {e["kind"]: (e["file"], e["line"]) for e in doc["errors"]}
    assert found == broken
    messages = {e["kind"]: e["message"] for e in doc["errors"]}
    assert all(MESSAGES[k] in messages[k] for k in broken)
    if command == "apply":
        statuses = {f["function"]: (f["status"], f["reason"]) for f in doc["functions"]}
        assert statuses["svc"][0] == statuses["no-such-fn"][0] == "failed"
        assert all(reason for _, reason in statuses.values())


def test_drift_json_points_findings_and_errors_at_the_manifest(cli, broken):
    code, doc = cli.drift()
    assert code == 1
    assert [(e["kind"], e["file"], e["line"]) for e in doc["errors"]] == [
        ("function_missing", *broken["function_missing"])
    ]
    (missing,) = [d for d in doc["drift"] if d["kind"] == "pinned_version_missing"]
    assert (missing["file"], missing["line"]) == broken["pinned_version_missing"]


def annotation(file: str, line: int, title: str) -> str:
    return f"::error file={escape_property(file)},line={line},title={escape_property(title)}::"


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        pytest.param(["--format", "github"], {}, id="format-github"),
        pytest.param([], {"GITHUB_ACTIONS": "true"}, id="github-actions-env"),
    ],
)
def test_github_annotations(cli, broken, argv, env):
    cli.env = {**cli.env, **env}
    titles = {
        "function_missing": "reconciler plan: no-such-fn (function_missing)",
        "pinned_version_missing": "reconciler plan: svc:live (pinned_version_missing)",
    }
    # From a folder outside the repository root the paths stay as given (absolute).
    proc = cli.run("plan", str(cli.folder), *argv)
    assert proc.returncode == 1, proc.stderr
    commands = [line for line in proc.stdout.splitlines() if line.startswith("::")]
    assert len(commands) == 2, proc.stdout
    for kind, (file, line) in broken.items():
        expected = annotation(file, line, titles[kind])
        (mine,) = [c for c in commands if c.startswith(expected)]
        assert MESSAGES[kind] in mine
    # The text report comes first, unchanged.
    assert "Plan failed" in proc.stdout.split("\n::", 1)[0]


def test_github_actions_keeps_json_one_document(cli, broken):
    cli.env = {**cli.env, "GITHUB_ACTIONS": "true"}
    proc = cli.run("plan", str(cli.folder), "--format", "json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1 and len(doc["errors"]) == 2
