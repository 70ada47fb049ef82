"""Rollouts end to end: the real CLI (in-process, its clock replaced so no test
sleeps) through the fidelity proxy in front of a moto server over real HTTP,
CloudWatch alarms included. The race between two runs uses real child
processes and the real clock.
"""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest

from reconciler.cli import main
from reconciler.commands import _common
from reconciler.manifest.resources import load_schema
from tests.e2e import HEADER, Cli
from tests.support.moto_server import aws_env, lambda_client, make_zip, seed_function

T0 = 1_764_000_000.0
CANARY = """
    rollout:
      strategy: canary
      steps: [0.1, 0.5]
      interval: 10m
      alarms: [svc-errors]
"""


class Harness:
    """`reconciler ...` in this process, against one endpoint, at a chosen time.

    The runs share one boto3 session: each still builds its own clients, but
    the service models are parsed once (a fresh session costs ~0.5 s a run).
    """

    def __init__(self, url: str, folder: Path, monkeypatch: Any, capsys: Any) -> None:
        for key in list(os.environ):
            if key.startswith("AWS_"):
                monkeypatch.delenv(key)
        for key, value in aws_env(url).items():
            if key.startswith("AWS_"):
                monkeypatch.setenv(key, value)
        shared = boto3.session.Session()
        monkeypatch.setattr(boto3.session, "Session", lambda *args, **kwargs: shared)
        self.folder = folder
        self.capsys = capsys
        self.now = T0
        monkeypatch.setattr(_common, "clock", lambda: self.now)

    def write(self, name: str, body: str) -> None:
        text = HEADER + textwrap.dedent(body).lstrip("\n")
        (self.folder / name).write_text(text, encoding="utf-8")

    def text(self, *argv: str) -> tuple[int, str]:
        self.capsys.readouterr()
        code = main([argv[0], str(self.folder), *argv[1:]])
        return code, self.capsys.readouterr().out

    def json(self, *argv: str) -> tuple[int, dict[str, Any]]:
        code, out = self.text(*argv, "--format", "json")
        doc = json.loads(out)
        kind = doc["kind"]
        jsonschema.validate(doc, load_schema("plan" if kind == "apply" else kind))
        return code, doc

    def plan(self, *extra: str) -> tuple[int, dict[str, Any]]:
        return self.json("plan", "--detailed-exitcode", *extra)

    def apply(self, *extra: str) -> tuple[int, dict[str, Any]]:
        return self.json("apply", "--auto-approve", *extra)


# Lambda calls go through the fidelity proxy (RevisionIds, CodeSha256, update windows,
# validation as on AWS); CloudWatch calls pass through it to moto untouched.
@pytest.fixture
def lam(fidelity_proxy):
    return lambda_client(fidelity_proxy.url)


@pytest.fixture
def cloudwatch(moto):
    client = boto3.client(
        "cloudwatch",
        endpoint_url=moto.url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.put_metric_alarm(
        AlarmName="svc-errors",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    return client


@pytest.fixture
def h(fidelity_proxy, tmp_path, monkeypatch, capsys) -> Harness:
    return Harness(fidelity_proxy.url, tmp_path, monkeypatch, capsys)


def alarm(client: Any, state: str) -> None:
    client.set_alarm_state(AlarmName="svc-errors", StateValue=state, StateReason="test")


def manifest(h: Harness, version: int, rollout: str = CANARY, name: str = "svc") -> None:
    """`name`'s alias live at `version`, with `rollout` (YAML at alias level) if any."""
    body = textwrap.indent(textwrap.dedent(rollout).strip("\n"), "    ")
    h.write(
        f"{name}.yaml",
        f"function: {name}\nregion: eu-west-1\naliases:\n  live:\n    version: {version}\n"
        f"    description: production\n{body}\n",
    )


def alias(lam: Any, name: str = "svc") -> tuple[str, dict[str, float], str]:
    data = lam.get_alias(FunctionName=name, Name="live")
    weights = (data.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return data["FunctionVersion"], {k: v for k, v in weights.items() if v}, data["Description"]


def mark(step: int, at: float, source: str = "1", target: str = "2", steps: int = 2) -> str:
    return f"[reconciler:rollout from={source} to={target} step={step}/{steps} at={int(at)}]"


def rollout_of(doc: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [
        (c["rollout"]["phase"], c["rollout"]["step"], c["rollout"]["steps"])
        for c in doc["changes"]
        if c.get("rollout")
    ]


@pytest.fixture
def started(h, lam, cloudwatch):
    """svc: live serves 1; the manifest wants 2 with a canary 10% -> 50%, 10 min apart."""
    seed_function(lam, "svc", 3)
    lam.create_alias(FunctionName="svc", Name="live", FunctionVersion="1", Description="old")
    manifest(h, 2)
    return h


def test_canary_to_promotion_one_step_per_interval(started, lam):
    h = started
    code, plan = h.plan()
    assert code == 2 and rollout_of(plan) == [("start", 1, 2)], plan["errors"]
    assert (
        plan["changes"][0]["summary"]
        == "~ alias svc:live  rollout start, step 1/2: 2 at 10% (1 keeps 90%)"
    )
    assert alias(lam) == ("1", {}, "old"), "plan changes nothing"

    code, applied = h.apply()
    assert code == 0 and applied["applied"] == 1
    assert alias(lam) == ("1", {"2": 0.1}, f"production {mark(1, T0)}")

    # Before the interval: apply and plan change nothing, and say when.
    h.now = T0 + 599
    for code, doc in (h.apply(), h.plan()):
        assert code == 0 and doc["changes"] == []
        (note,) = doc["notes"]
        assert note["kind"] == "converging"
        assert "next step not before 2025-11-24T16:10:00Z" in note["message"]
    assert alias(lam) == ("1", {"2": 0.1}, f"production {mark(1, T0)}")

    h.now = T0 + 600
    code, plan = h.plan()
    assert code == 2 and rollout_of(plan) == [("step", 2, 2)]
    assert "rollout step 2/2: 2 at 50% (1 keeps 50%)" in plan["changes"][0]["summary"]
    assert alias(lam)[1] == {"2": 0.1}
    code, applied = h.apply()
    assert code == 0 and rollout_of(applied) == [("step", 2, 2)]
    assert alias(lam) == ("1", {"2": 0.5}, f"production {mark(2, T0 + 600)}")
    assert h.apply()[1]["applied"] == 0, "again at once: nothing"

    h.now = T0 + 1200
    code, applied = h.apply()
    assert code == 0 and rollout_of(applied) == [("promote", 2, 2)]
    assert alias(lam) == ("2", {}, "production")

    code, plan = h.plan()
    assert code == 0 and plan["changes"] == [] and plan["notes"] == []
    code, drift = h.json("drift")
    assert code == 0 and drift["in_sync"] and drift["info"] == []


def test_linear_rollout_walks_every_step(h, lam, cloudwatch):
    seed_function(lam, "svc", 2)
    lam.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    linear = """
    rollout:
      strategy: linear
      linear: {increment: 0.3}
      interval: 30s
    """
    manifest(h, 2, linear)
    seen = []
    for run in range(4):
        h.now = T0 + 30 * run
        code, applied = h.apply()
        assert code == 0
        seen.append((rollout_of(applied), alias(lam)[:2]))
    assert seen == [
        ([("start", 1, 3)], ("1", {"2": 0.3})),
        ([("step", 2, 3)], ("1", {"2": 0.6})),
        ([("step", 3, 3)], ("1", {"2": 0.9})),
        ([("promote", 3, 3)], ("2", {})),
    ]
    h.now += 30
    assert h.apply()[1]["applied"] == 0


def test_alarm_at_step_two_rolls_back_and_holds(started, lam, cloudwatch):
    h = started
    h.apply()
    h.now = T0 + 600
    h.apply()
    assert alias(lam)[1] == {"2": 0.5}

    alarm(cloudwatch, "ALARM")
    code, status = h.json("status")
    assert code == 0 and status["functions"][0]["status"] == "attention"
    assert status["functions"][0]["aliases"][0]["rollout"]["state"] == "rolling_back"
    assert alias(lam)[1] == {"2": 0.5}, "status changes nothing"

    h.now = T0 + 610  # before the next interval: an alarm does not wait
    code, applied = h.apply()
    assert code == 1
    assert rollout_of(applied) == [("rollback", 2, 2)]
    assert applied["changes"][0]["rollout"]["reason"] == "alarm svc-errors in ALARM"
    assert applied["failure_reason"] == "rollout-held"
    assert [e["kind"] for e in applied["errors"]] == ["rollout_failed"]
    failed = f"production [reconciler:rollout-failed from=1 to=2 at={int(T0 + 610)}]"
    assert alias(lam) == ("1", {}, failed)

    # Alarm over, hours later: still not started again toward 2.
    alarm(cloudwatch, "OK")
    h.now = T0 + 86_400
    code, applied = h.apply()
    assert code == 1 and applied["applied"] == 0
    assert [e["kind"] for e in applied["errors"]] == ["rollout_failed"]
    assert alias(lam) == ("1", {}, failed)
    code, drift = h.json("drift")
    assert code == 2 and [d["kind"] for d in drift["drift"]] == ["rollout_failed"]

    code, applied = h.apply("--retry-rollout")
    assert code == 0 and rollout_of(applied) == [("start", 1, 2)]
    assert alias(lam) == ("1", {"2": 0.1}, f"production {mark(1, h.now)}")


def test_new_target_mid_rollout_resets_then_goes_toward_it(started, lam):
    h = started
    h.apply()
    manifest(h, 3)
    h.now = T0 + 5
    code, applied = h.apply()
    assert code == 0 and rollout_of(applied) == [("reset", 0, 2)]
    assert alias(lam) == ("1", {}, f"production {mark(0, T0 + 5, target='3')}")
    code, drift = h.json("drift")
    assert code == 0 and [i["kind"] for i in drift["info"]] == ["converging"]

    h.now = T0 + 6  # no interval after a reset: it never served 3
    code, applied = h.apply()
    assert code == 0 and rollout_of(applied) == [("step", 1, 2)]
    assert alias(lam) == ("1", {"3": 0.1}, f"production {mark(1, T0 + 6, target='3')}")


def test_hand_edit_mid_rollout_is_drift_and_not_overwritten(started, lam):
    h = started
    seed_function(lam, "other", 2)
    lam.create_alias(FunctionName="other", Name="live", FunctionVersion="1")
    manifest(h, 2, rollout="", name="other")
    h.apply()
    assert alias(lam, "svc")[1] == {"2": 0.1} and alias(lam, "other")[0] == "2"
    # A console edit: the weight changes, the description (and marker) stays.
    lam.update_alias(
        FunctionName="svc", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}}
    )
    manifest(h, 1, rollout="", name="other")  # another function has work to do

    h.now = T0 + 600
    code, applied = h.apply()
    assert code == 1
    assert [e["kind"] for e in applied["errors"]] == ["rollout_interrupted"]
    assert "changed by hand" in applied["errors"][0]["message"]
    assert alias(lam, "svc")[1] == {"2": 0.3}, "the human's change is kept"
    assert alias(lam, "other")[0] == "1", "other functions proceed"
    statuses = {f["function"]: f["status"] for f in applied["functions"]}
    assert statuses == {"svc": "failed", "other": "changed"}

    code, drift = h.json("drift")
    assert code == 2 and [d["kind"] for d in drift["drift"]] == ["rollout_interrupted"]


def test_alarm_before_start_blocks_unless_ignored(started, lam, cloudwatch):
    h = started
    alarm(cloudwatch, "ALARM")
    code, applied = h.apply()
    assert code == 1 and applied["changes"] == []
    (error,) = applied["errors"]
    assert error["kind"] == "rollout_blocked" and "svc-errors" in error["message"]
    assert alias(lam) == ("1", {}, "old")

    code, applied = h.apply("--ignore-alarms")
    assert code == 0 and rollout_of(applied) == [("start", 1, 2)]
    assert alias(lam)[1] == {"2": 0.1}


def test_missing_alias_is_created_at_the_target(h, lam, cloudwatch):
    seed_function(lam, "svc", 2)
    manifest(h, 2)
    code, applied = h.apply()
    assert code == 0 and [c["action"] for c in applied["changes"]] == ["create_alias"]
    assert alias(lam) == ("2", {}, "production")
    assert applied["stats"]["api_calls"].get("DescribeAlarms") is None


def test_unknown_alarm_is_a_planning_error(h, lam, cloudwatch):
    seed_function(lam, "svc", 2)
    lam.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    manifest(h, 2, CANARY.replace("svc-errors", "no-such-alarm"))
    code, plan = h.plan()
    assert code == 1
    (error,) = plan["errors"]
    assert error["kind"] == "alarm_missing" and "no-such-alarm" in error["message"]


def test_status_and_drift_while_converging(started, lam):
    h = started
    h.apply()
    h.now = T0 + 60
    code, out = h.text("status")
    assert code == 0
    assert out.splitlines() == [
        "svc (eu-west-1)  rolling_out",
        "  live  1 90%, 2 10%",
        "        rollout 1 -> 2: step 1/2, next step not before 2025-11-24T16:10:00Z",
        "        alarms: svc-errors OK",
    ]
    code, status = h.json("status")
    (entry,) = status["functions"][0]["aliases"]
    assert entry["description"] == "production"
    assert entry["rollout"]["last_step_at"] == "2025-11-24T16:00:00Z"
    assert entry["rollout"]["alarms"] == [{"name": "svc-errors", "state": "OK"}]

    code, drift = h.json("drift")
    assert code == 0 and drift["in_sync"] and drift["drift"] == []
    assert [i["kind"] for i in drift["info"]] == ["converging"]
    assert drift["functions"][0]["status"] == "converging"
    # Waiting costs one Lambda call and one CloudWatch call.
    assert drift["stats"]["api_calls"] == {"DescribeAlarms": 1, "ListAliases": 1}


def test_in_sync_rollout_alias_keeps_the_one_call_budget(h, lam, cloudwatch):
    seed_function(lam, "svc", 2)
    lam.create_alias(FunctionName="svc", Name="live", FunctionVersion="2", Description="production")
    manifest(h, 2)
    code, plan = h.plan()
    assert code == 0 and plan["stats"]["api_calls"] == {"ListAliases": 1}


def test_rollouts_only_moves_rollouts_and_nothing_else(started, lam):
    h = started
    h.apply()
    # A change that is not a rollout's, and a rollout not started yet.
    seed_function(lam, "other", 2)
    lam.create_alias(FunctionName="other", Name="live", FunctionVersion="1")
    manifest(h, 2, rollout="", name="other")
    seed_function(lam, "third", 2)
    lam.create_alias(FunctionName="third", Name="live", FunctionVersion="1")
    manifest(h, 2, name="third")

    h.now = T0 + 600
    code, applied = h.apply("--rollouts-only")
    assert code == 0
    assert [(c["function"], c["rollout"]["phase"]) for c in applied["changes"]] == [("svc", "step")]
    assert alias(lam, "svc")[1] == {"2": 0.5}
    assert alias(lam, "other")[0] == "1" and alias(lam, "third") == ("1", {}, "")
    kinds = {(n["function"], n["kind"]) for n in applied["notes"]}
    assert kinds == {("other", "deferred"), ("third", "deferred")}


def test_two_runs_racing_on_one_step_advance_it_once(fidelity_proxy, moto, cloudwatch, tmp_path):
    lam = lambda_client(moto.url)
    seed_function(lam, "svc", 2)
    lam.create_alias(
        FunctionName="svc",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
        Description=f"production {mark(1, 1_000_000_000)}",  # long ago: step 2 is due
    )
    cli = Cli(fidelity_proxy.url, tmp_path)
    cli.write(
        "svc.yaml",
        """
        function: svc
        region: eu-west-1
        aliases:
          live:
            version: 2
            description: production
            rollout: {strategy: canary, steps: [0.1, 0.5], interval: 10m, alarms: [svc-errors]}
        """,
    )
    second: list[tuple[int, dict[str, Any]]] = []

    def race(op: str, function: str | None, name: str | None) -> None:
        # The first UpdateAlias waits while a whole second run plans and applies.
        if op == "UpdateAlias" and not second:
            second.append((-1, {}))
            time.sleep(1.1)  # so the two runs stamp different seconds
            second[0] = cli.apply()

    fidelity_proxy.on_request(race)
    code, first = cli.apply()
    fidelity_proxy.on_request(None)
    assert not fidelity_proxy.errors
    second_code, second_doc = second[0]

    updates = [r.status for r in fidelity_proxy.requests if r.op == "UpdateAlias"]
    assert sorted(updates) == [200, 412], "exactly one UpdateAlias went through"
    assert (code, second_code) == (0, 0)
    assert second_doc["changes"][0]["status"] == "applied"
    assert first["changes"][0]["status"] == "skipped"
    assert first["changes"][0]["message"] == "another run already took this step"
    version, weights, description = alias(lam)
    assert (version, weights) == ("1", {"2": 0.5})
    assert "step=2/2" in description and description.startswith("production ")


def test_saved_plan_step_is_stamped_when_applied(started, lam, tmp_path):
    h = started
    h.apply()
    h.now = T0 + 600
    saved = tmp_path / "step.plan.json"
    code, plan = h.json("plan", "--out", str(saved))
    assert code == 0 and rollout_of(plan) == [("step", 2, 2)]
    h.now = T0 + 3600  # reviewed an hour later: the next step must wait from now
    code = main(["apply", "--plan", str(saved), "--format", "json"])
    assert code == 0
    assert alias(lam) == ("1", {"2": 0.5}, f"production {mark(2, T0 + 3600)}")


def test_rollout_to_a_build_still_to_publish(h, lam, cloudwatch):
    seed_function(lam, "svc", 1)
    lam.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    package = make_zip("# svc build 2\n")
    sha = lam.update_function_code(FunctionName="svc", ZipFile=package)["CodeSha256"]
    h.write(
        "svc.yaml",
        f"""
        function: svc
        region: eu-west-1
        versions:
          candidate: {{code_sha256: "{sha}"}}
        aliases:
          live:
            version: candidate
            rollout: {{strategy: canary, steps: [0.25], interval: 1m, alarms: [svc-errors]}}
        """,
    )
    code, applied = h.apply()
    assert code == 0
    assert [c["action"] for c in applied["changes"]] == ["publish_version", "update_alias"]
    assert applied["changes"][1]["rollout"]["pending_target"] == f"pending:{sha}"
    assert alias(lam) == ("1", {"2": 0.25}, mark(1, T0, target="2", steps=1))
    h.now = T0 + 60
    assert rollout_of(h.apply()[1]) == [("promote", 1, 1)]
    assert alias(lam) == ("2", {}, "")
