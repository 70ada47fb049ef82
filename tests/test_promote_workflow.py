"""The promote workflow: its security rules, and its pull-request script run for real
(against a local git remote and a fake `gh`) on the output of the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PROMOTE = WORKFLOWS / "promote.yml"


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in doc:  # YAML 1.1 reads the key `on` as true
        doc["on"] = doc.pop(True)
    return doc


def job(name: str) -> dict[str, Any]:
    result: dict[str, Any] = load(PROMOTE)["jobs"][name]
    return result


def test_dispatch_inputs() -> None:
    inputs = load(PROMOTE)["on"]["workflow_dispatch"]["inputs"]
    assert list(inputs) == ["from", "to", "functions", "weight"]
    assert inputs["from"]["required"] is True and inputs["to"]["required"] is True
    assert inputs["functions"]["required"] is False and inputs["weight"]["required"] is False
    assert set(load(PROMOTE)["on"]) == {"workflow_dispatch"}


def test_permissions_least_and_only_where_needed() -> None:
    doc = load(PROMOTE)
    assert doc["permissions"] == {}
    assert job("targets")["permissions"] == {"contents": "read"}
    assert job("promote")["permissions"] == {"contents": "read", "id-token": "write"}
    assert job("pull-request")["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
    }
    # The one job that can write holds no AWS role and runs in its own environment.
    assert "id-token" not in job("pull-request")["permissions"]
    assert job("pull-request")["environment"] == "promote"
    assert job("targets")["if"] == "github.ref == 'refs/heads/main'"


def test_aws_is_read_with_the_read_only_plan_role() -> None:
    assumed = [
        step["with"]["role-to-assume"]
        for step in job("promote")["steps"]
        if str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")
    ]
    assert assumed == ["${{ matrix.plan-role }}"]
    assert "apply-role" not in PROMOTE.read_text(encoding="utf-8")
    for name in ("targets", "pull-request"):
        assert not any(
            "configure-aws-credentials" in str(s.get("uses")) for s in job(name)["steps"]
        )


def test_inputs_reach_scripts_only_through_env() -> None:
    for name, body in load(PROMOTE)["jobs"].items():
        for step in body["steps"]:
            if "run" in step:
                assert "${{" not in step["run"], f"{name}: {step.get('name')}"
    text = PROMOTE.read_text(encoding="utf-8")
    for key in ("from", "to", "functions", "weight"):
        assert f"${{{{ inputs.{key} }}}}" in text
        for line in text.splitlines():
            if f"inputs.{key} " in line:
                assert line.strip().startswith(f"{key.upper()}: "), line


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "uses:" in line and "@" in line:
            action, _, rest = line.split("uses:")[1].strip().partition("@")
            pins[action] = rest
    return pins


def test_actions_are_pinned_as_in_the_other_workflows() -> None:
    known: dict[str, str] = {}
    for other in WORKFLOWS.glob("*.yml"):
        if other != PROMOTE:
            known.update(_pins(other))
    mine = _pins(PROMOTE)
    assert mine
    for action, pin in mine.items():
        assert known.get(action) == pin, action


def test_checkouts_keep_no_credentials_and_push_takes_the_token_once() -> None:
    for name, body in load(PROMOTE)["jobs"].items():
        for step in body["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name
    script = job("pull-request")["steps"][-1]["run"]
    assert "extraheader=AUTHORIZATION: basic $basic" in script
    assert 'echo "::add-mask::$basic"' in script
    assert "gh pr create" in script


@pytest.mark.skipif(
    shutil.which("zizmor") is None and not (ROOT / ".venv/bin/zizmor").exists(),
    reason="zizmor not installed",
)
def test_zizmor_pedantic_finds_nothing() -> None:
    zizmor = shutil.which("zizmor") or str(ROOT / ".venv/bin/zizmor")
    proc = subprocess.run(
        [zizmor, "--offline", "--persona", "pedantic", "--no-progress", str(PROMOTE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


FAKE_GH = """#!/bin/sh
printf '%s\\n' "$@" >"$GH_LOG"
cp "$(sed -n '/--body-file/{n;p;}' "$GH_LOG")" "$GH_LOG.body"
"""

MANIFEST = """apiVersion: reconciler/v1
kind: LambdaFunction
function: svc
region: eu-west-1
aliases:
  live:
    version: 3 # release
  beta:
    version: 4
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    repo = tmp_path / "repo"
    (repo / "manifests").mkdir(parents=True)
    (repo / "manifests" / "svc.yaml").write_text(MANIFEST, encoding="utf-8")
    _git(repo, "init", "--quiet", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "init")
    _git(repo, "remote", "add", "origin", str(origin))
    return repo


def _pull_request_step(checkout: Path, tmp_path: Path, promote_args: list[str]) -> str:
    """Run the matrix job's promote (the real CLI, offline) and then the PR job's script."""
    out = tmp_path / "temp" / "promote"
    out.mkdir(parents=True)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconciler",
            "promote",
            *promote_args,
            "manifests",
            "--no-verify",
            "--format",
            "json",
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (out / "promote-t.json").write_text(proc.stdout, encoding="utf-8")
    patch = _git(checkout, "diff", "--binary", "--", "manifests")
    (out / "promote-t.patch").write_text(patch, encoding="utf-8")
    _git(checkout, "checkout", "--quiet", "--", ".")  # the PR job starts from a clean checkout

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH, encoding="utf-8")
    (bin_dir / "gh").chmod(0o755)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path / "temp"),
        "GH_TOKEN": "secret-token",
        "GH_LOG": str(tmp_path / "gh.log"),
        "FROM": promote_args[0],
        "TO": promote_args[1],
        "WEIGHT": "",
        "ACTOR": "octocat",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/lambdas",
        "GITHUB_RUN_ID": "42",
        "GITHUB_REF_NAME": "main",
    }
    script = job("pull-request")["steps"][-1]["run"]
    run = subprocess.run(
        ["bash", "-c", script], cwd=checkout, env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


@pytest.mark.skipif(
    shutil.which("jq") is None or shutil.which("git") is None, reason="needs jq, git"
)
def test_the_pull_request_script_pushes_a_branch_and_opens_a_pr(checkout, tmp_path):
    _pull_request_step(checkout, tmp_path, ["beta", "live"])
    branches = _git(tmp_path / "origin.git", "branch", "--list")
    assert "promote/beta-to-live-42" in branches
    shown = _git(tmp_path / "origin.git", "show", "promote/beta-to-live-42:manifests/svc.yaml")
    assert shown == MANIFEST.replace("version: 3 # release", "version: 4 # release")
    args = (tmp_path / "gh.log").read_text(encoding="utf-8").splitlines()
    assert args[:2] == ["pr", "create"]
    assert args[args.index("--head") + 1] == "promote/beta-to-live-42"
    assert args[args.index("--title") + 1] == "Promote beta to live"
    body = (tmp_path / "gh.log.body").read_text(encoding="utf-8")
    assert "svc: live beta(4) -> live: version 4 (was 3)" in body
    assert "@octocat" in body
    assert "secret-token" not in _git(checkout, "config", "--list")


@pytest.mark.skipif(
    shutil.which("jq") is None or shutil.which("git") is None, reason="needs jq, git"
)
def test_nothing_to_promote_opens_no_pr(checkout, tmp_path):
    _git(checkout, "checkout", "--quiet", "-b", "x")
    text = MANIFEST.replace("version: 3 # release", "version: 4 # release")
    (checkout / "manifests" / "svc.yaml").write_text(text, encoding="utf-8")
    _git(checkout, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "done")
    stdout = _pull_request_step(checkout, tmp_path, ["beta", "live"])
    assert "Nothing to promote" in stdout
    assert not (tmp_path / "gh.log").exists()
    assert _git(tmp_path / "origin.git", "branch", "--list") == ""
