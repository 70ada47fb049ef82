"""The generated IAM policies are enough, and no more, for real runs.

Each run goes through the fidelity proxy with its policy-checking mode on: the
policy `reconciler iam-policy` prints for the manifests is the only thing
granted, every request is authorised against it as AWS would, and
DescribeAlarms answers as AWS does under it (composite alarms only when the
policy allows it on ``*``). A composite alarm gates a canary rollout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.aws.gateway import Connection, Session
from reconciler.errors import AccessDeniedError
from reconciler.iam import policy
from reconciler.manifest import load_manifests
from reconciler.manifest.model import (
    AliasSpec,
    EventSourceSpec,
    FunctionSpec,
    FunctionUrlSpec,
    PermissionSpec,
    PinnedVersion,
)
from tests.support.moto_server import lambda_client, seed_function
from tests.support.proxy_iam import IamPolicy
from tests.support.proxy_state import DEFAULT_ACCOUNT
from tests.test_rollout_e2e import T0, Harness, alias, manifest

COMPOSITE = """
    rollout:
      strategy: canary
      steps: [0.1, 0.5]
      interval: 10m
      alarms: [svc-health]
"""


@pytest.fixture
def cloudwatch(moto: Any) -> Any:
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
def h(fidelity_proxy: Any, moto: Any, tmp_path: Path, monkeypatch: Any, capsys: Any) -> Harness:
    lam = lambda_client(moto.url)
    seed_function(lam, "svc", 3)
    lam.create_alias(FunctionName="svc", Name="live", FunctionVersion="1", Description="old")
    harness = Harness(fidelity_proxy.url, tmp_path, monkeypatch, capsys)
    manifest(harness, 2, COMPOSITE)
    return harness


def grant(proxy: Any, folder: Path, mode: str) -> IamPolicy:
    specs = load_manifests([str(folder)]).functions
    checker = IamPolicy(policy(specs, mode, account=DEFAULT_ACCOUNT, region="eu-west-1"))
    # moto has no PutCompositeAlarm: the proxy holds the composite alarm.
    checker.composites["svc-health"] = ("OK", "ALARM(svc-errors) is false")
    proxy.iam_policy = checker
    return checker


def test_composite_alarm_gates_a_rollout_under_the_apply_policy(
    h: Harness, fidelity_proxy: Any, moto: Any, cloudwatch: Any
) -> None:
    checker = grant(fidelity_proxy, h.folder, "apply")
    lam = lambda_client(moto.url)
    code, planned = h.plan()
    assert code == 2, planned["errors"]
    assert alias(lam)[:2] == ("1", {})  # the plan changed nothing
    code, applied = h.apply()
    assert code == 0, applied["errors"]
    assert alias(lam)[:2] == ("1", {"2": 0.1})
    code, again = h.plan()
    assert code == 0 and not again["changes"]  # nothing until the interval passes
    checker.composites["svc-health"] = ("ALARM", "ALARM(svc-errors) is true")
    h.now = T0 + 60
    code, rolled = h.apply()
    assert code == 1
    assert rolled["changes"][0]["rollout"]["reason"] == "alarm svc-health in ALARM"
    assert alias(lam)[:2] == ("1", {})
    assert checker.denied == []
    assert ("cloudwatch:DescribeAlarms", "*") in checker.checked
    actions = {action for action, _ in checker.checked}
    assert {"lambda:UpdateAlias", "lambda:ListAliases"} <= actions
    assert "lambda:GetFunction" not in actions


def test_alarm_arn_scoping_hides_composite_alarms(
    h: Harness, fidelity_proxy: Any, cloudwatch: Any
) -> None:
    """Why DescribeAlarms is granted on *: scoped to the alarm's ARN (the old
    policy), AWS omits the composite alarm, and the rollout cannot start."""
    checker = grant(fidelity_proxy, h.folder, "read")
    for statement in checker.document["Statement"]:
        if statement["Action"] == ["cloudwatch:DescribeAlarms"]:
            statement["Resource"] = [
                f"arn:aws:cloudwatch:eu-west-1:{DEFAULT_ACCOUNT}:alarm:svc-health"
            ]
    code, planned = h.plan()
    assert code == 1
    assert [e["kind"] for e in planned["errors"]] == ["alarm_missing"]
    assert "svc-health" in planned["errors"][0]["message"]


def test_the_read_policy_plans_but_cannot_apply(
    h: Harness, fidelity_proxy: Any, moto: Any, cloudwatch: Any
) -> None:
    checker = grant(fidelity_proxy, h.folder, "read")
    code, planned = h.plan()
    assert code == 2, planned["errors"]
    assert checker.denied == []
    code, applied = h.apply()
    assert code == 1
    assert ("lambda:UpdateAlias", "arn:aws:lambda:eu-west-1:123456789012:function:svc:live") in (
        checker.denied
    )
    assert alias(lambda_client(moto.url))[:2] == ("1", {})
    assert "AccessDenied" in " ".join(e["message"] for e in applied["errors"]) or any(
        f.get("reason") and "not authorized" in f["reason"] for f in applied["functions"]
    )


def test_the_checker_matches_like_iam() -> None:
    checker = IamPolicy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["lambda:Get*"],
                    "Resource": ["arn:aws:lambda:eu-west-1:1:function:pay:*"],
                },
                {"Effect": "Deny", "Action": "lambda:GetAlias", "Resource": "*"},
            ]
        }
    )
    assert checker.allows(
        "lambda:GetFunctionConfiguration", "arn:aws:lambda:eu-west-1:1:function:pay:3"
    )
    assert not checker.allows(
        "lambda:GetFunctionConfiguration", "arn:aws:lambda:eu-west-1:1:function:pay"
    )
    assert not checker.allows("lambda:GetAlias", "arn:aws:lambda:eu-west-1:1:function:pay:live")
    assert not checker.allows("lambda:DeleteFunction", "arn:aws:lambda:eu-west-1:1:function:pay:3")


def attachment_specs() -> list[FunctionSpec]:
    alias = AliasSpec(
        "live",
        PinnedVersion(1),
        event_sources=(),
        function_url=FunctionUrlSpec("NONE"),
        permissions=(),
    )
    return [FunctionSpec("bound", "bound", "eu-west-1", DEFAULT_ACCOUNT, False, (alias,))]


def test_the_attachment_calls_are_allowed_by_the_apply_policy_and_reads_by_read(
    fidelity_proxy: Any, moto: Any
) -> None:
    lam = lambda_client(moto.url)
    seed_function(lam, "bound", 1)
    lam.create_alias(FunctionName="bound", Name="live", FunctionVersion="1")
    sqs = boto3.client(
        "sqs",
        endpoint_url=moto.url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    source = queue["Attributes"]["QueueArn"]
    session = Session(
        Connection(region="eu-west-1", endpoint_url=fidelity_proxy.url, credentials=("t", "t"))
    )
    gw = session.gateway("eu-west-1")
    checker = IamPolicy(policy(attachment_specs(), "apply"))
    fidelity_proxy.iam_policy = checker
    mapping = gw.create_event_source_mapping("bound", "live", EventSourceSpec(source))
    gw.update_event_source_mapping(
        "bound", "live", mapping.uuid, EventSourceSpec(source, batch_size=2)
    )
    gw.create_function_url("bound", "live", FunctionUrlSpec("NONE"))
    gw.update_function_url("bound", "live", FunctionUrlSpec("AWS_IAM"))
    gw.add_permission("bound", "live", PermissionSpec("s3", "s3.amazonaws.com"))
    assert [m.uuid for m in gw.event_source_mappings("bound")] == [mapping.uuid]
    assert [u.qualifier for u in gw.function_urls("bound")] == ["live"]
    assert [s.sid for s in gw.policy("bound", "live")] == ["s3"]
    assert gw.remove_permission("bound", "live", "s3")
    assert gw.delete_function_url("bound", "live")
    assert gw.delete_event_source_mapping("bound", "live", mapping.uuid)
    assert checker.denied == []
    checked = {action for action, _ in checker.checked}
    assert {"lambda:CreateEventSourceMapping", "lambda:DeleteEventSourceMapping"} <= checked

    reader = IamPolicy(policy(attachment_specs(), "read"))
    fidelity_proxy.iam_policy = reader
    assert gw.event_source_mappings("bound") == []
    assert gw.function_urls("bound") == []
    assert gw.policy("bound", "live") == []
    with pytest.raises(AccessDeniedError):
        gw.create_function_url("bound", "live", FunctionUrlSpec("NONE"))
    with pytest.raises(AccessDeniedError):
        gw.create_event_source_mapping("bound", "live", EventSourceSpec(source))
    assert {a for a, _ in reader.denied} == {
        "lambda:CreateFunctionUrlConfig",
        "lambda:CreateEventSourceMapping",
    }
