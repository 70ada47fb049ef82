"""The scheduled rollout workflow: what it runs, with which role, how often.

The security rules every workflow follows (pinned actions, least permissions,
no expressions in scripts, OIDC only where a role is assumed) are checked for
it too, by tests/test_workflows_policy.py.
"""

from __future__ import annotations

from tests.test_workflows_policy import jobs, load, roles_assumed, workflow


def test_runs_every_few_minutes_on_main_only():
    doc = load(workflow("rollout"))
    crons = [entry["cron"] for entry in doc["on"]["schedule"]]
    assert crons == ["*/5 * * * *"]
    assert "workflow_dispatch" in doc["on"]
    assert doc["concurrency"]["cancel-in-progress"] is False
    assert jobs(workflow("rollout"))["targets"]["if"] == "github.ref == 'refs/heads/main'"


def test_applies_only_rollout_steps_unless_self_heal_is_on():
    job = jobs(workflow("rollout"))["rollout"]
    (step,) = [s for s in job["steps"] if s.get("name") == "Move rollouts along"]
    assert step["env"]["SELF_HEAL"] == "${{ vars.RECONCILER_SELF_HEAL }}"
    script = step["run"]
    assert "--rollouts-only" in script and '"$SELF_HEAL" != "true"' in script
    assert "apply manifests --auto-approve" in script
    assert 'exit "$code"' in script  # a rollback or a hold fails the run


def test_uses_the_apply_role_per_target():
    assert roles_assumed(workflow("rollout")) == {"${{ matrix.apply-role }}"}
    job = jobs(workflow("rollout"))["rollout"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert job["strategy"]["fail-fast"] is False
    assert "fromJSON(needs.targets.outputs.matrix)" in job["strategy"]["matrix"]
