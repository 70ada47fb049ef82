"""CLI plumbing: entry points, stdout purity, progress on TTYs only, errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from reconciler.report import progress as progress
from tests.e2e import Cli
from tests.support.moto_server import lambda_client, seed_function


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_python_dash_m_is_the_console_script():
    module = subprocess.run(
        [sys.executable, "-m", "reconciler", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    script = subprocess.run(
        [str(__import__("pathlib").Path(sys.executable).parent / "reconciler"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert module.returncode == script.returncode == 0
    assert module.stdout == script.stdout and module.stdout.startswith("reconciler ")


def test_progress_only_on_a_tty(monkeypatch):
    monkeypatch.setattr(progress, "_DELAY", 0.0)
    pipe, tty = io.StringIO(), Tty()
    for stream in (pipe, tty):
        bar = progress.Progress("planning", 4, enabled=True, stream=stream)
        for _ in range(4):
            bar.advance()
        bar.close()
    assert pipe.getvalue() == ""
    assert "planning [" in tty.getvalue() and "4/4" in tty.getvalue()


def test_progress_silenced_by_quiet(monkeypatch):
    monkeypatch.setattr(progress, "_DELAY", 0.0)
    tty = Tty()
    bar = progress.Progress("planning", 2, enabled=False, stream=tty)
    bar.advance()
    bar.close()
    assert tty.getvalue() == ""


def test_json_stdout_is_one_document_even_when_verbose(moto, tmp_path):
    client = lambda_client(moto.url)
    seed_function(client, "svc", 1)
    cli = Cli(moto.url, tmp_path)
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 1\n")
    proc = cli.run("plan", str(tmp_path), "--format", "json", "-vv")
    doc = json.loads(proc.stdout)
    assert doc["kind"] == "plan" and doc["summary"]["create"] == 1
    assert "DEBUG" in proc.stderr  # the logs went to stderr, not stdout


def test_invalid_manifest_json_document_and_message(moto, tmp_path):
    cli = Cli(moto.url, tmp_path)
    cli.write(
        "bad.yaml", "function: svc\naliases:\n  live:\n    version: 1\n    weights: {2: 1.5}\n"
    )
    proc = cli.run("plan", str(tmp_path), "--format", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["failure_reason"] == "invalid-manifest"
    (error,) = doc["errors"]
    # The position is data; the message is the problem alone.
    assert (error["file"], error["line"], error["col"]) == (str(tmp_path / "bad.yaml"), 7, 18)
    assert error["message"].startswith("weight 1.5")
    assert "bad.yaml:7:18: error: weight 1.5" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("error: ")


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_no_region_is_a_clean_error(moto, tmp_path, command):
    cli = Cli(moto.url, tmp_path)
    cli.env.pop("AWS_REGION")
    cli.env.pop("AWS_DEFAULT_REGION")
    cli.write("svc.yaml", "function: svc\naliases:\n  live:\n    version: 1\n")
    proc = cli.run(command, str(tmp_path))
    assert proc.returncode == 1
    assert "no region" in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["validate", "x"], "validate"),
        (["--region", "eu-west-1", "plan"], "plan"),
        (["--endpoint-url", "http://h", "-v", "iam-policy"], "iam_policy"),
        (["--help"], None),
        (["nonsense"], None),
        ([], None),
    ],
)
def test_only_the_selected_command_is_loaded(argv, expected):
    from reconciler.cli import _selected

    assert _selected(argv) == expected
