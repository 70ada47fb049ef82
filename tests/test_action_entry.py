"""The composite action's entry script, run as GitHub would, with a fake CLI.

The fake `reconciler` prints a canned JSON document and exits with a chosen
code; `reconciler report ...` goes to the real CLI, so the job summary is the
real markdown rendering.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parent.parent
ENTRY = ROOT / ".github" / "actions" / "reconcile" / "entry.py"
FIXTURES = Path(__file__).parent / "fixtures" / "reports"

FAKE = """\
#!{python}
import json, os, sys
args = sys.argv[1:]
if args[:1] == ["report"]:
    from reconciler.cli import main
    sys.exit(main(args))
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
for arg in args:
    # Like plan --out: the saved plan is the document itself.
    if arg.startswith("--out=") and os.environ["FAKE_EXIT"] != "1":
        with open(arg[len("--out="):], "w") as out:
            out.write(open(os.environ["FAKE_DOC"]).read())
sys.stdout.write(open(os.environ["FAKE_DOC"]).read())
sys.exit(int(os.environ["FAKE_EXIT"]))
"""


@dataclass
class Run:
    code: int
    stdout: str
    outputs: dict[str, str]
    summary: str
    argv: list[list[str]]


Runner = Callable[..., Run]


def parse_outputs(text: str) -> dict[str, str]:
    """Read $GITHUB_OUTPUT back the way the runner does (name<<DELIM ... DELIM)."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, delimiter = line.split("<<", 1)
        value = []
        for body in lines:
            if body == delimiter:
                break
            value.append(body)
        else:
            raise AssertionError(f"unterminated output {name}")
        outputs[name] = "\n".join(value)
    return outputs


@pytest.fixture
def action(tmp_path: Path) -> Runner:
    fake = tmp_path / "bin" / "reconciler"
    fake.parent.mkdir()
    fake.write_text(FAKE.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)

    def run(command: str, doc: str | None, exit_code: int, **inputs: str) -> Run:
        doc_path = tmp_path / "canned.json"
        if doc is not None and doc.endswith(".json"):
            doc_path.write_text((FIXTURES / doc).read_text(encoding="utf-8"), encoding="utf-8")
        else:
            doc_path.write_text(doc or "", encoding="utf-8")
        for name in ("output", "summary", "log"):
            (tmp_path / name).write_text("", encoding="utf-8")
        env = {
            "PATH": os.environ["PATH"],
            "RECONCILER_BIN": str(fake),
            "FAKE_DOC": str(doc_path),
            "FAKE_EXIT": str(exit_code),
            "FAKE_LOG": str(tmp_path / "log"),
            "GITHUB_OUTPUT": str(tmp_path / "output"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
            "RUNNER_TEMP": str(tmp_path / "runner-temp"),
            "INPUT_COMMAND": command,
        }
        env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
        (tmp_path / "runner-temp").mkdir(exist_ok=True)
        done = subprocess.run(
            [sys.executable, str(ENTRY)], env=env, capture_output=True, text=True, check=False
        )
        log = (tmp_path / "log").read_text(encoding="utf-8").splitlines()
        return Run(
            done.returncode,
            done.stdout,
            parse_outputs((tmp_path / "output").read_text(encoding="utf-8")),
            (tmp_path / "summary").read_text(encoding="utf-8"),
            [json.loads(line) for line in log],
        )

    return run


def test_plan_with_changes_is_a_successful_step(action: Runner) -> None:
    run = action("plan", "plan_changes.json", 2, target="123456789012/eu-west-1")
    assert run.code == 0
    out = run.outputs
    assert out["exit-code"] == "2"
    assert out["status"] == "changes"
    assert out["has-changes"] == "true"
    assert out["drift-detected"] == "false"
    counts = [out[k] for k in ("to-publish", "to-create", "to-update", "to-delete")]
    assert counts == ["1", "1", "2", "1"]
    assert out["failure-reason"] == ""
    assert out["failed-count"] == "0"
    assert "exited 2: changes are pending; the step succeeds" in run.stdout
    # The CLI was asked for JSON, a saved plan, exit 2 on changes, one target.
    argv = run.argv[0]
    assert argv[:2] == ["plan", "manifests"]
    assert "--format=json" in argv
    assert "--detailed-exitcode" in argv
    assert "--target=123456789012/eu-west-1" in argv
    assert f"--out={out['plan-file']}" in argv
    assert Path(out["plan-file"]).is_file()
    assert json.loads(Path(out["report-file"]).read_text(encoding="utf-8"))["kind"] == "plan"
    # File names carry the target: artifacts of a matrix are merged in one folder.
    assert Path(out["report-file"]).name == "plan-123456789012-eu-west-1.json"
    # The job summary is the markdown rendering, also kept as a file.
    assert run.summary.startswith("<!-- reconciler:plan:123456789012/eu-west-1 -->")
    assert "### 📋 reconciler plan: 1 to publish" in run.summary
    assert Path(out["markdown-file"]).read_text(encoding="utf-8") in run.summary


def test_plan_without_changes(action: Runner) -> None:
    run = action("plan", "plan_no_changes.json", 0, paths="manifests/a.yaml manifests/b.yaml")
    assert run.code == 0
    assert run.outputs["has-changes"] == "false"
    assert run.outputs["status"] == "ok"
    assert run.argv[0][:3] == ["plan", "manifests/a.yaml", "manifests/b.yaml"]


def test_drift_found(action: Runner) -> None:
    run = action("drift", "drift.json", 2, region="eu-west-1")
    assert run.code == 0
    assert run.outputs["drift-detected"] == "true"
    assert run.outputs["drift-count"] == "3"
    assert run.outputs["status"] == "drift"
    assert run.outputs["has-changes"] == "false"
    assert "--region=eu-west-1" in run.argv[0]
    assert "### ⚠️ reconciler drift: drift detected" in run.summary


def test_drift_can_fail_the_step(action: Runner) -> None:
    run = action("drift", "drift.json", 2, fail_on_drift="true")
    assert run.code == 2
    assert run.outputs["drift-detected"] == "true"
    assert "::error::drift detected" in run.stdout


def test_invalid_manifest(action: Runner) -> None:
    run = action("plan", "plan_invalid_manifest.json", 1)
    assert run.code == 1
    assert run.outputs["exit-code"] == "1"
    assert run.outputs["failure-reason"] == "invalid-manifest"
    assert run.outputs["status"] == "failed"
    # No plan is saved when planning fails.
    assert run.outputs["plan-file"] == ""
    assert "### ❌ reconciler plan failed: invalid manifests" in run.summary


def test_stale_plan(action: Runner, tmp_path: Path) -> None:
    saved = tmp_path / "reviewed.plan.json"
    saved.write_text("{}", encoding="utf-8")
    run = action("apply", "apply_stale.json", 1, plan_file=str(saved))
    assert run.code == 1
    assert run.outputs["failure-reason"] == "plan-stale"
    assert run.outputs["plan-file"] == str(saved)
    argv = run.argv[0]
    assert argv[:2] == ["apply", f"--plan={saved}"]
    assert "--auto-approve" not in argv
    assert "manifests" not in argv


def test_apply_failed(action: Runner) -> None:
    run = action("apply", "apply_failed.json", 1)
    assert run.code == 1
    assert run.outputs["failure-reason"] == "apply-failed"
    assert run.outputs["failed-count"] == "1"
    assert run.outputs["has-changes"] == "true"
    assert run.argv[0][:3] == ["apply", "manifests", "--auto-approve"]
    assert "### ❌ reconciler apply failed: 1 of 2 changes failed" in run.summary


def test_no_json_report(action: Runner) -> None:
    run = action("drift", "Traceback: boom", 1)
    assert run.code == 1
    assert run.outputs["failure-reason"] == ""
    assert "left no JSON report" in run.stdout
    # Nothing for the workflow to upload and merge.
    assert run.outputs["report-file"] == ""
    assert "### ❌ reconciler drift failed (exit 1)" in run.summary


def test_validate(action: Runner) -> None:
    bad = "::error file=manifests/a.yaml,line=3,col=1::unknown key\n"
    run = action("validate", bad, 1)
    assert run.code == 1
    assert run.outputs["failure-reason"] == "invalid-manifest"
    assert run.argv[0] == ["validate", "manifests", "--format=github"]
    # Annotations reach the log untouched.
    assert bad in run.stdout
    assert "invalid manifests" in run.summary
    ok = action("validate", "", 0)
    assert ok.code == 0
    assert ok.outputs["failure-reason"] == ""


def test_targets(action: Runner) -> None:
    matrix = '{"include":[{"target":"default/eu-west-1"},{"target":"1/us-east-1"}]}'
    run = action("targets", matrix + "\n", 0, settings="conf/settings.yaml")
    assert run.code == 0
    assert run.outputs["matrix"] == matrix
    assert run.outputs["target-count"] == "2"
    assert run.argv[0] == [
        "targets",
        "manifests",
        "--format=github-matrix",
        "--settings=conf/settings.yaml",
    ]


def test_unknown_command(action: Runner) -> None:
    run = action("destroy", None, 0)
    assert run.code == 1
    assert "::error::input command must be one of" in run.stdout
    assert run.argv == []


def test_paths_starting_with_a_dash_are_refused(action: Runner) -> None:
    run = action("plan", "plan_changes.json", 0, paths="--auto-approve")
    assert run.code == 1
    assert run.outputs["exit-code"] == "1"
    assert run.argv == []


# --- the output and summary writers, directly -----------------------------------------


def load_entry() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reconcile_entry", ENTRY)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_outputs_are_multiline_safe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = load_entry()
    target = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(target))
    tricky = "line one\nghadelimiter_x\nEOF\nname<<EOF"
    entry.write_outputs({"a": tricky, "b": "", "c": "plain"})
    text = target.read_text(encoding="utf-8")
    assert parse_outputs(text) == {"a": tricky, "b": "", "c": "plain"}
    delimiters = re.findall(r"^[abc]<<(ghadelimiter_[0-9a-f]{32})$", text, re.M)
    assert len(set(delimiters)) == 3  # a fresh random delimiter per output


def test_summary_stays_under_one_mebibyte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = load_entry()
    summary = tmp_path / "summary"
    summary.write_text("x" * (entry.SUMMARY_LIMIT - 10_000), encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    entry.append_summary("### report\n" + "| row | ✅ |\n" * 5_000)
    assert summary.stat().st_size < entry.SUMMARY_LIMIT
    assert "summary limit was reached" in summary.read_text(encoding="utf-8")


def test_workflow_command_data_is_escaped() -> None:
    entry = load_entry()
    assert entry.command_data("a\nb%c\r") == "a%0Ab%25c%0D"
