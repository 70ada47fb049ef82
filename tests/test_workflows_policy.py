"""Security rules for the GitHub workflows and the composite action, and the
behaviour of the scripts they run (against a fake `gh`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

GITHUB = Path(__file__).parent.parent / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
SCRIPTS = GITHUB / "scripts"

PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
# Jobs may be granted these write scopes, and no others.
WRITABLE = {"id-token", "pull-requests", "issues"}
CONFIGURE_AWS = "aws-actions/configure-aws-credentials@"


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as true.
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def jobs(path: Path) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = load(path)["jobs"]
    return result


def steps(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(job id or "action", step) for every step of a workflow or composite action."""
    doc = load(path)
    if "runs" in doc:
        for step in doc["runs"].get("steps", []):
            yield "action", step
    for name, job in doc.get("jobs", {}).items():
        for step in job.get("steps", []):
            yield name, step


def code_lines(path: Path) -> list[str]:
    """The file's lines that are not comments."""
    text = path.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")]


def workflow(name: str) -> Path:
    return GITHUB / "workflows" / f"{name}.yml"


def test_the_expected_files_exist() -> None:
    assert {p.stem for p in WORKFLOWS} == {"ci", "plan", "apply", "drift", "rollout", "promote"}
    assert [p.parent.name for p in ACTIONS] == ["reconcile"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_default_permissions(path: Path) -> None:
    assert load(path)["permissions"] == {}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_least_permissions(path: Path) -> None:
    for name, job in jobs(path).items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{name}: permissions must be listed per job"
        for scope, level in permissions.items():
            assert level in ("read", "write", "none"), f"{name}: {scope}: {level}"
            if level == "write":
                # The promotion's PR job pushes a branch (tests/test_promote_workflow.py).
                pushes = (path.stem, name, scope) == ("promote", "pull-request", "contents")
                assert scope in WRITABLE or pushes, f"{name} must not write {scope}"


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.name)
def test_uses_are_pinned_to_a_commit_with_a_version_comment(path: Path) -> None:
    lines = [line for line in code_lines(path) if "uses:" in line]
    assert lines or path in ACTIONS
    for line in lines:
        match = re.match(r"^\s*(?:- )?uses:\s*(\S+)\s*(#.*)?$", line)
        assert match, line
        ref, comment = match.groups()
        if ref.startswith(("$/", "./")):
            continue  # this repository, at the running commit
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned to a full commit SHA"
        assert comment and re.match(r"#\s*v\d+(\.\d+)*", comment), f"{line}: no version comment"


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.name)
def test_no_expressions_inside_scripts(path: Path) -> None:
    for where, step in steps(path):
        if "run" in step:
            assert "${{" not in step["run"], f"{path.name} {where}: pass values through env"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_do_not_persist_credentials(path: Path) -> None:
    for where, step in steps(path):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            with_ = step.get("with") or {}
            assert with_.get("persist-credentials") in (False, "false"), f"{where}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_pull_request_target(path: Path) -> None:
    assert "pull_request_target" not in load(path)["on"]
    assert not any("pull_request_target" in line for line in code_lines(path))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_oidc_only_where_roles_are_assumed(path: Path) -> None:
    for name, job in jobs(path).items():
        assumes = any(
            str(step.get("uses", "")).startswith(CONFIGURE_AWS) for step in job.get("steps", [])
        )
        token = job.get("permissions", {}).get("id-token")
        assert (token == "write") == assumes, f"{path.name} {name}"


def roles_assumed(path: Path) -> set[str]:
    return {
        str(step["with"]["role-to-assume"])
        for _, step in steps(path)
        if str(step.get("uses", "")).startswith(CONFIGURE_AWS)
    }


def test_read_only_and_write_roles_are_separate() -> None:
    assert roles_assumed(workflow("plan")) == {"${{ matrix.plan-role }}"}
    assert roles_assumed(workflow("drift")) == {"${{ matrix.plan-role }}"}
    assert roles_assumed(workflow("apply")) == {"${{ matrix.apply-role }}"}
    assert roles_assumed(workflow("ci")) == set()
    for _, step in steps(workflow("apply")):
        assert "aws-access-key-id" not in (step.get("with") or {})


def test_apply_is_gated_and_never_cancelled() -> None:
    job = jobs(workflow("apply"))["apply"]
    environment = job["environment"]
    assert (environment if isinstance(environment, str) else environment["name"]) == "production"
    assert job["concurrency"]["cancel-in-progress"] is False
    assert "matrix." in job["concurrency"]["group"]
    assert job["strategy"]["fail-fast"] is False
    on = load(workflow("apply"))["on"]
    assert on["push"]["branches"] == ["main"]
    assert "manifests/**" in on["push"]["paths"]
    assert "workflow_dispatch" in on


def test_plan_runs_on_pull_requests_with_one_comment() -> None:
    doc = load(workflow("plan"))
    assert "manifests/**" in doc["on"]["pull_request"]["paths"]
    assert doc["concurrency"]["cancel-in-progress"] is True
    assert "pull_request.number" in doc["concurrency"]["group"]
    plan = doc["jobs"]["plan"]
    assert plan["strategy"]["fail-fast"] is False
    assert plan["strategy"]["max-parallel"] >= 1
    assert "fromJSON(needs.targets.outputs.matrix)" in plan["strategy"]["matrix"]
    comment = doc["jobs"]["comment"]
    assert comment["permissions"]["pull-requests"] == "write"
    assert "sticky-comment.sh" in comment["steps"][-1]["run"]


def test_drift_schedule_is_off_the_hour() -> None:
    doc = load(workflow("drift"))
    crons = [entry["cron"] for entry in doc["on"]["schedule"]]
    assert crons
    for cron in crons:
        minute = cron.split()[0]
        assert minute.isdigit() and int(minute) != 0, cron
    assert "workflow_dispatch" in doc["on"]
    job = doc["jobs"]["drift"]
    assert job["permissions"]["issues"] == "write"
    assert any("drift-issue.sh" in step.get("run", "") for step in job["steps"])


def test_the_action_runs_the_entry_script_with_inputs_in_env() -> None:
    action = load(ACTIONS[0])
    assert action["runs"]["using"] == "composite"
    run = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    assert "entry.py" in run["run"]
    for name in action["inputs"]:
        env_name = "INPUT_" + name.upper().replace("-", "_")
        if name not in ("working-directory", "python"):
            assert run["env"][env_name] == f"${{{{ inputs.{name} }}}}"
    for name in ("exit-code", "has-changes", "drift-detected", "failure-reason", "report-file"):
        assert name in action["outputs"]


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("*.sh")), ids=lambda p: p.name)
def test_scripts_are_strict_bash(script: Path) -> None:
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert os.access(script, os.X_OK)
    subprocess.run(["bash", "-n", str(script)], check=True)


# --- the scripts against a fake gh ---------------------------------------------------------

FAKE_GH = """\
#!{python}
import json, os, sys
args = sys.argv[1:]
state = json.load(open(os.environ["GH_STATE"]))
entry = {{"args": args}}
if "--input" in args:
    source = args[args.index("--input") + 1]
    entry["input"] = json.load(sys.stdin if source == "-" else open(source))
with open(os.environ["GH_LOG"], "a") as log:
    log.write(json.dumps(entry) + "\\n")
method = args[args.index("--method") + 1] if "--method" in args else "GET"
endpoint = next(a for a in args if a.startswith("repos/"))
if method == "GET":
    if "/commits/" in endpoint:
        print(state["head"])
        sys.exit(0)
    if "/oidc/" in endpoint:
        print(json.dumps({{"use_default": True}}))
        sys.exit(0)
    if "/labels/" in endpoint:
        sys.exit(0 if state.get("label") else 1)
    items = state["comments"] if "/comments" in endpoint else state["issues"]
    # Two pages, printed back to back like --paginate does.
    print(json.dumps(items[:1]))
    print(json.dumps(items[1:]))
    sys.exit(0)
if state.get("fail_writes"):
    print("HTTP 502: Bad Gateway", file=sys.stderr)
    sys.exit(1)
print("{{}}")
"""

needs_jq = pytest.mark.skipif(shutil.which("jq") is None, reason="the scripts need jq")


@pytest.fixture
def gh(tmp_path: Path) -> Any:
    fake = tmp_path / "bin" / "gh"
    fake.parent.mkdir()
    fake.write_text(FAKE_GH.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)

    def run(script: str, state: dict[str, Any], *args: str, **env: str) -> tuple[int, list[Any]]:
        (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
        log = tmp_path / "log"
        log.write_text("", encoding="utf-8")
        full_env = {
            "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
            "GH_STATE": str(tmp_path / "state.json"),
            "GH_LOG": str(log),
            "GH_TOKEN": "test",
            "REPO": "acme/lambdas",
            **env,
        }
        done = subprocess.run(
            [str(SCRIPTS / script), *args], env=full_env, capture_output=True, text=True
        )
        calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        return done.returncode, calls

    return run


def writes(calls: list[Any]) -> list[tuple[str, str]]:
    return [
        (c["args"][c["args"].index("--method") + 1], next(a for a in c["args"] if "repos/" in a))
        for c in calls
        if "--method" in c["args"]
    ]


def comment(
    id_: int, body: str, kind: str = "Bot", login: str = "github-actions[bot]"
) -> dict[str, Any]:
    return {"id": id_, "body": body, "user": {"type": kind, "login": login}}


@pytest.fixture
def body(tmp_path: Path) -> Path:
    path = tmp_path / "comment.md"
    path.write_text("<!-- reconciler:plan -->\n### 📋 reconciler plan: ...\n", encoding="utf-8")
    return path


@needs_jq
def test_sticky_comment_is_created_once(gh: Any, body: Path) -> None:
    state = {"comments": [comment(1, "LGTM", "User")]}
    code, calls = gh("sticky-comment.sh", state, str(body), PR_NUMBER="7")
    assert code == 0
    assert writes(calls) == [("POST", "repos/acme/lambdas/issues/7/comments")]
    assert calls[-1]["input"] == {"body": body.read_text(encoding="utf-8")}


@needs_jq
def test_sticky_comment_is_updated_in_place(gh: Any, body: Path) -> None:
    state = {
        "comments": [
            comment(1, "> <!-- reconciler:plan -->\nquoted by a person", "User"),
            comment(2, "<!-- reconciler:drift -->\nanother report"),
            comment(3, "<!-- reconciler:plan -->\nplanted by another app", login="evil[bot]"),
            comment(4, "<!-- reconciler:plan -->\nthe old plan"),
        ]
    }
    code, calls = gh("sticky-comment.sh", state, str(body), PR_NUMBER="7")
    assert code == 0
    assert writes(calls) == [("PATCH", "repos/acme/lambdas/issues/comments/4")]


@needs_jq
def test_sticky_comment_ignores_markers_from_other_bots(gh: Any, body: Path) -> None:
    planted = comment(3, "<!-- reconciler:plan -->\nplanted", login="renovate[bot]")
    code, calls = gh("sticky-comment.sh", {"comments": [planted]}, str(body), PR_NUMBER="7")
    assert code == 0
    assert writes(calls) == [("POST", "repos/acme/lambdas/issues/7/comments")]


@needs_jq
def test_sticky_comment_needs_a_marker_and_fails_loudly(gh: Any, body: Path) -> None:
    plain = body.with_name("plain.md")
    plain.write_text("no marker\n", encoding="utf-8")
    code, _ = gh("sticky-comment.sh", {"comments": []}, str(plain), PR_NUMBER="7")
    assert code != 0
    code, _ = gh(
        "sticky-comment.sh", {"comments": [], "fail_writes": True}, str(body), PR_NUMBER="7"
    )
    assert code != 0


def issue(
    number: int, title: str, pull: bool = False, login: str = "github-actions[bot]"
) -> dict[str, Any]:
    item: dict[str, Any] = {"number": number, "title": title, "user": {"login": login}}
    if pull:
        item["pull_request"] = {"url": "..."}
    return item


DRIFT_ENV = {"TARGET": "123456789012/eu-west-1", "RUN_URL": "https://example.test/run/1"}


@needs_jq
def test_drift_opens_one_issue(gh: Any, body: Path) -> None:
    state = {
        "issues": [
            issue(4, "Drift detected on [210987654321/eu-west-1]"),
            issue(5, "Drift detected on [123456789012/eu-west-1]", pull=True),
            issue(6, "Drift detected on [123456789012/eu-west-1]", login="someone"),
        ]
    }
    env = dict(DRIFT_ENV, DRIFT_DETECTED="true", BODY_FILE=str(body))
    code, calls = gh("drift-issue.sh", state, **env)
    assert code == 0
    assert writes(calls) == [
        ("POST", "repos/acme/lambdas/labels"),
        ("POST", "repos/acme/lambdas/issues"),
    ]
    created = calls[-1]["input"]
    assert created["title"] == "Drift detected on [123456789012/eu-west-1]"
    assert created["labels"] == ["drift"]
    assert created["body"].startswith("<!-- reconciler:plan -->")
    assert "https://example.test/run/1" in created["body"]


@needs_jq
def test_drift_updates_the_open_issue(gh: Any, body: Path) -> None:
    state = {"label": True, "issues": [issue(9, "Drift detected on [123456789012/eu-west-1]")]}
    env = dict(DRIFT_ENV, DRIFT_DETECTED="true", BODY_FILE=str(body))
    code, calls = gh("drift-issue.sh", state, **env)
    assert code == 0
    assert writes(calls) == [("PATCH", "repos/acme/lambdas/issues/9")]


@needs_jq
def test_back_in_sync_closes_the_issue(gh: Any) -> None:
    state = {"issues": [issue(9, "Drift detected on [123456789012/eu-west-1]")]}
    code, calls = gh("drift-issue.sh", state, **dict(DRIFT_ENV, DRIFT_DETECTED="false"))
    assert code == 0
    assert writes(calls) == [
        ("POST", "repos/acme/lambdas/issues/9/comments"),
        ("PATCH", "repos/acme/lambdas/issues/9"),
    ]
    assert "state=closed" in calls[-1]["args"]
    code, calls = gh("drift-issue.sh", {"issues": []}, **dict(DRIFT_ENV, DRIFT_DETECTED="false"))
    assert code == 0
    assert writes(calls) == []


@needs_jq
def test_drift_issue_fails_when_posting_fails(gh: Any, body: Path) -> None:
    state = {"label": True, "issues": [], "fail_writes": True}
    env = dict(DRIFT_ENV, DRIFT_DETECTED="true", BODY_FILE=str(body))
    code, calls = gh("drift-issue.sh", state, **env)
    # It failed on the issue it had to open (not earlier, e.g. on a missing variable),
    # tried nothing after it, and passed gh's exit status on.
    assert code == 1
    assert writes(calls) == [("POST", "repos/acme/lambdas/issues")]
    assert calls[-1]["input"]["title"] == "Drift detected on [123456789012/eu-west-1]"


HEAD = "a" * 40


@needs_jq
def test_head_of_main_lets_the_newest_commit_apply(gh: Any, tmp_path: Path) -> None:
    out = tmp_path / "output"
    for sha, current in ((HEAD, "true"), ("b" * 40, "false")):
        out.write_text("", encoding="utf-8")
        code, calls = gh("head-of-main.sh", {"head": HEAD}, SHA=sha, GITHUB_OUTPUT=str(out))
        assert code == 0
        assert out.read_text(encoding="utf-8") == f"current={current}\n"
        assert writes(calls) == []
    code, _ = gh("head-of-main.sh", {"head": "oops"}, SHA=HEAD, GITHUB_OUTPUT=str(out))
    assert code != 0


@needs_jq
def test_oidc_subject_script_sets_repo_context_and_ref(gh: Any) -> None:
    code, calls = gh("oidc-subject.sh", {}, "acme/lambdas")
    assert code == 0 and writes(calls) == []
    code, calls = gh("oidc-subject.sh", {}, "acme/lambdas", "--apply")
    assert code == 0
    assert writes(calls) == [("PUT", "repos/acme/lambdas/actions/oidc/customization/sub")]
    assert calls[-1]["input"] == {
        "use_default": False,
        "include_claim_keys": ["repo", "context", "ref"],
    }
    code, _ = gh("oidc-subject.sh", {}, "not a repo")
    assert code != 0


def test_applies_run_one_at_a_time_in_commit_order() -> None:
    doc = load(workflow("apply"))
    # Workflow level, one group for all targets and commits: runs never overlap.
    assert doc["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False}
    targets, apply = doc["jobs"]["targets"], doc["jobs"]["apply"]
    assert "needs.targets.outputs.current == 'true'" in apply["if"]
    assert targets["outputs"]["current"] == "${{ steps.head.outputs.current }}"
    for job in (targets, apply):
        names = [step.get("id") for step in job["steps"]]
        assert "head" in names
        after = job["steps"][names.index("head") + 1 :]
        acting = [s for s in after if "uses" in s and "checkout" not in s["uses"]]
        acting = [s for s in acting if "upload-artifact" not in s["uses"]]
        assert acting and all(s["if"] == "steps.head.outputs.current == 'true'" for s in acting)
        head = job["steps"][names.index("head")]
        assert "head-of-main.sh" in head["run"] and head["env"]["SHA"] == "${{ github.sha }}"
    creds = [s.get("uses", "").startswith(CONFIGURE_AWS) for s in apply["steps"]]
    assert creds.index(True) > [s.get("id") for s in apply["steps"]].index("head")


def test_rollout_and_apply_share_the_per_target_group() -> None:
    apply = jobs(workflow("apply"))["apply"]["concurrency"]
    rollout = jobs(workflow("rollout"))["rollout"]["concurrency"]
    assert apply == rollout
    assert apply == {"group": "reconciler-target-${{ matrix.slug }}", "cancel-in-progress": False}


def test_make_test_lints_workflows_pedantically() -> None:
    makefile = (GITHUB.parent / "Makefile").read_text(encoding="utf-8")
    assert "zizmor --offline --persona pedantic --no-progress .github" in makefile
