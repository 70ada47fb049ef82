"""`reconciler iam-policy`: exactly the actions the tool calls, scoped."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

import reconciler.aws
from reconciler.errors import UsageError
from reconciler.iam import OPERATIONS, policy
from reconciler.manifest.model import (
    AliasSpec,
    EventSourceSpec,
    FunctionSpec,
    FunctionUrlSpec,
    PermissionSpec,
    PinnedVersion,
    RetainVersions,
    Rollout,
)

MUTATING_VERBS = (
    "Create",
    "Update",
    "Delete",
    "Put",
    "Publish",
    "Tag",
    "Untag",
    "Add",
    "Remove",
    "Set",
)


def gateway_operations() -> set[str]:
    """Every AWS operation the product's AWS layer can call (the sandbox's set-up,
    reconciler/aws/emulator.py, excluded)."""
    session = botocore.session.get_session()
    names: set[str] = set()
    for service in ("lambda", "sts", "cloudwatch"):
        names |= set(session.get_service_model(service).operation_names)
    by_method = {xform_name(n): n for n in names}
    package = Path(reconciler.aws.__file__).parent
    found: set[str] = set()
    for module in sorted(package.glob("*.py")):
        if module.name == "emulator.py":
            continue  # the sandbox's own set-up calls are not the product's
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in names
            ):
                found.add(node.value)
            if isinstance(node, ast.Attribute) and node.attr in by_method:
                found.add(by_method[node.attr])
    return found


def every_feature() -> list[FunctionSpec]:
    rollout = Rollout("canary", (0.1,), 300, ("pay-errors",))
    return [
        FunctionSpec(
            "pay",
            "pay",
            "eu-west-1",
            "123456789012",
            True,
            (
                AliasSpec("live", PinnedVersion(3), rollout=rollout),
                AliasSpec("pc", PinnedVersion(3), provisioned_concurrency=2),
                AliasSpec(
                    "bound",
                    PinnedVersion(3),
                    event_sources=(EventSourceSpec("arn:aws:sqs:eu-west-1:123456789012:q"),),
                    function_url=FunctionUrlSpec("AWS_IAM"),
                    permissions=(PermissionSpec("s3", "s3.amazonaws.com"),),
                ),
            ),
            retain_versions=RetainVersions(5),
        ),
        FunctionSpec("orders", "orders", None, None, False, (AliasSpec("live", PinnedVersion(1)),)),
    ]


def actions(doc: dict) -> set[str]:
    return {a for s in doc["Statement"] for a in s["Action"]}


def test_every_gateway_operation_is_in_the_apply_policy():
    ops = gateway_operations()
    assert {"ListAliases", "UpdateAlias", "PublishVersion", "GetCallerIdentity"} <= ops
    unknown = ops - set(OPERATIONS)
    assert not unknown, f"gateway calls operations iam.OPERATIONS does not list: {unknown}"
    granted = actions(policy(every_feature(), "apply", account="111111111111", region="us-east-1"))
    for op in ops:
        assert OPERATIONS[op].action in granted, op


def test_read_policy_has_no_mutating_action():
    read = actions(policy(every_feature(), "read", account="111111111111", region="us-east-1"))
    assert read, "the read policy must grant the reads"
    for action in read:
        verb = action.split(":", 1)[1]
        assert not verb.startswith(MUTATING_VERBS), action
    mutating = {o.action for o in OPERATIONS.values() if o.mutating}
    assert not read & mutating


def test_only_features_in_use_are_granted():
    plain = [
        FunctionSpec("f", "f", "eu-west-1", None, False, (AliasSpec("live", PinnedVersion(1)),))
    ]
    granted = actions(policy(plain, "apply", account="111111111111"))
    assert granted == {
        "lambda:ListAliases",
        "lambda:GetAlias",
        "lambda:GetFunctionConfiguration",
        "lambda:ListVersionsByFunction",
        "lambda:PublishVersion",
        "lambda:CreateAlias",
        "lambda:UpdateAlias",
        "lambda:DeleteAlias",
    }


def test_resources_are_scoped_to_functions_and_qualifiers():
    doc = policy(every_feature(), "apply", account="111111111111", region="us-east-1")
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    bare = [
        "arn:aws:lambda:eu-west-1:123456789012:function:pay",
        "arn:aws:lambda:us-east-1:111111111111:function:orders",
    ]
    assert by_sid["ReadManagedFunctions"]["Resource"] == bare
    assert by_sid["PublishManagedFunctions"]["Resource"] == bare
    qualified = [f"{arn}:*" for arn in bare]
    assert by_sid["ReadManagedVersionsAndAliases"]["Resource"] == qualified
    assert by_sid["ChangeManagedVersionsAndAliases"]["Resource"] == qualified
    assert by_sid["AccountWideReads"]["Resource"] == "*"
    alarms = by_sid["DescribeAlarmsOnStarSoCompositeAlarmsAreReturned"]
    assert alarms["Action"] == ["cloudwatch:DescribeAlarms"] and alarms["Resource"] == "*"


def test_delete_function_is_never_granted_on_the_bare_function():
    """DeleteFunction without a qualifier deletes the function and all its versions."""
    doc = policy(every_feature(), "apply", account="111111111111", region="us-east-1")
    for statement in doc["Statement"]:
        if "lambda:DeleteFunction" in statement["Action"]:
            assert all(r.endswith(":*") for r in statement["Resource"]), statement
    qualified_only = {a for a, types in SAR.items() if types == {"qualified"}}
    assert {"lambda:DeleteFunction", "lambda:CreateAlias"} <= qualified_only


def test_read_policy_cannot_download_code():
    doc = policy(every_feature(), "read", account="111111111111", region="us-east-1")
    assert "lambda:GetFunction" not in actions(doc)
    assert "lambda:GetFunctionConfiguration" in actions(doc)


# AWS's Service Authorization Reference: the resource types each action accepts
# in a policy's Resource element ("Actions, resources, and condition keys for
# AWS Lambda" / "... for Amazon CloudWatch" / "... for AWS Security Token
# Service", https://docs.aws.amazon.com/service-authorization/latest/reference/
# list_awslambda.html, list_amazoncloudwatch.html, list_awssecuritytokenservice.html).
# "function" is arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName};
# "qualified" its version/alias form ...:function:${FunctionName}:${Qualifier};
# "*" an action without resource-level permissions (or, for DescribeAlarms, the
# only scope under which composite alarms are returned). The tool's calls with
# a qualifier are authorised against the qualified ARN; those without against
# the function's, so each action's set is what the tool's calls need.
SAR: dict[str, set[str]] = {
    "lambda:ListAliases": {"function"},
    "lambda:GetAlias": {"qualified"},
    "lambda:CreateAlias": {"qualified"},
    "lambda:UpdateAlias": {"qualified"},
    "lambda:DeleteAlias": {"qualified"},
    "lambda:GetFunctionConfiguration": {"function", "qualified"},
    "lambda:ListVersionsByFunction": {"function"},
    "lambda:PublishVersion": {"function"},
    "lambda:DeleteFunction": {"qualified"},
    "lambda:ListFunctionUrlConfigs": {"function"},
    "lambda:ListProvisionedConcurrencyConfigs": {"function"},
    "lambda:GetProvisionedConcurrencyConfig": {"qualified"},
    "lambda:PutProvisionedConcurrencyConfig": {"qualified"},
    "lambda:DeleteProvisionedConcurrencyConfig": {"qualified"},
    "lambda:ListEventSourceMappings": {"*"},
    "sts:GetCallerIdentity": {"*"},
    "cloudwatch:DescribeAlarms": {"*"},
    # "mapping": arn:${Partition}:lambda:${Region}:${Account}:event-source-mapping:${UUID}.
    "lambda:CreateEventSourceMapping": {"*"},
    "lambda:UpdateEventSourceMapping": {"mapping"},
    "lambda:DeleteEventSourceMapping": {"mapping"},
    "lambda:CreateFunctionUrlConfig": {"qualified"},
    "lambda:UpdateFunctionUrlConfig": {"qualified"},
    "lambda:DeleteFunctionUrlConfig": {"qualified"},
    "lambda:GetPolicy": {"qualified"},
    "lambda:AddPermission": {"qualified"},
    "lambda:RemovePermission": {"qualified"},
}
# The condition keys the same reference lists per action (only those the policy uses).
SAR_CONDITIONS: dict[str, set[str]] = {
    "lambda:CreateEventSourceMapping": {"lambda:FunctionArn"},
    "lambda:UpdateEventSourceMapping": {"lambda:FunctionArn"},
    "lambda:DeleteEventSourceMapping": {"lambda:FunctionArn"},
}
ARN = re.compile(
    r"arn:(?P<partition>aws(-cn|-us-gov)?):lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+"
    r"(?P<qualified>:\*)?"
)
MAPPING_ARN = re.compile(r"arn:aws(-cn|-us-gov)?:lambda:[a-z0-9-]+:\d{12}:event-source-mapping:\*")


def resource_type(resource: str) -> str:
    if resource == "*":
        return "*"
    if MAPPING_ARN.fullmatch(resource):
        return "mapping"
    match = ARN.fullmatch(resource)
    assert match, f"not a function ARN: {resource}"
    return "qualified" if match["qualified"] else "function"


@pytest.mark.parametrize("mode", ["read", "apply"])
def test_every_action_matches_the_service_authorization_reference(mode):
    doc = policy(every_feature(), mode, account="111111111111", region="us-east-1")
    granted: dict[str, set[str]] = {}
    for statement in doc["Statement"]:
        resources = statement["Resource"]
        for action in statement["Action"]:
            assert action in SAR, f"{action} is not in the reference table"
            for resource in [resources] if isinstance(resources, str) else resources:
                granted.setdefault(action, set()).add(resource_type(resource))
    for action, types in granted.items():
        assert types == SAR[action], f"{action}: granted on {types}, AWS takes {SAR[action]}"
    assert {o.action for o in OPERATIONS.values()} == set(SAR)


def spec(function: str, region: str | None = None, account: str | None = None) -> FunctionSpec:
    name = function.rsplit(":", 1)[-1]
    return FunctionSpec(
        function, name, region, account, False, (AliasSpec("live", PinnedVersion(1)),)
    )


def resources(doc: dict) -> set[str]:
    out: set[str] = set()
    for s in doc["Statement"]:
        out |= {s["Resource"]} if isinstance(s["Resource"], str) else set(s["Resource"])
    return out - {"*"}


@pytest.mark.parametrize(
    ("function", "region", "partition", "expected"),
    [
        ("arn:aws-cn:lambda:cn-north-1:123456789012:function:pay", "cn-north-1", None, "aws-cn"),
        ("pay", "cn-north-1", None, "aws-cn"),
        ("pay", "us-gov-west-1", None, "aws-us-gov"),
        ("pay", "eu-west-1", None, "aws"),
        ("pay", "eu-west-1", "aws-us-gov", "aws-us-gov"),
    ],
)
def test_partition_comes_from_the_arns_the_option_or_the_region(
    function, region, partition, expected
):
    doc = policy([spec(function, region, "123456789012")], "apply", partition=partition)
    assert {r.split(":")[1] for r in resources(doc)} == {expected}


def test_conflicting_partitions_are_refused():
    cn = spec(
        "arn:aws-cn:lambda:cn-north-1:123456789012:function:pay", "cn-north-1", "123456789012"
    )
    with pytest.raises(UsageError, match="--partition is aws"):
        policy([cn], "read", partition="aws")
    other = spec(
        "arn:aws:lambda:eu-west-1:123456789012:function:orders", "eu-west-1", "123456789012"
    )
    with pytest.raises(UsageError, match="span the partitions"):
        policy([cn, other], "read")


def test_cli_output_is_json_and_needs_account_and_region(tmp_path):
    (tmp_path / "f.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: f\naliases:\n  live:\n    version: 1\n",
        encoding="utf-8",
    )
    base = [sys.executable, "-m", "reconciler", "iam-policy", str(tmp_path), "--mode", "read"]
    missing = subprocess.run(
        base, capture_output=True, text=True, check=False, env={"PATH": "/usr/bin"}
    )
    assert missing.returncode == 1 and "--account" in missing.stderr
    ok = subprocess.run(
        [*base, "--account", "111111111111", "--region", "eu-west-1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert doc["Version"] == "2012-10-17"
    assert doc["Statement"][0]["Resource"] == ["arn:aws:lambda:eu-west-1:111111111111:function:f"]
    cn = subprocess.run(
        [*base, "--account", "111111111111", "--region", "cn-north-1", "--partition", "aws-cn"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert cn.returncode == 0, cn.stderr
    assert '"arn:aws-cn:lambda:cn-north-1:111111111111:function:f"' in cn.stdout


@pytest.mark.parametrize("mode", ["read", "apply"])
def test_policy_is_valid_iam_shape(mode):
    doc = policy(every_feature(), mode, account="111111111111", region="us-east-1")
    for statement in doc["Statement"]:
        assert set(statement) - {"Condition"} == {"Sid", "Effect", "Action", "Resource"}
        assert statement["Effect"] == "Allow" and statement["Sid"].isalnum()
        for action in statement["Action"]:
            keys = {k for test in statement.get("Condition", {}).values() for k in test}
            assert keys <= SAR_CONDITIONS.get(action, set()), (action, keys)


def bound(**keys: object) -> list[FunctionSpec]:
    alias = AliasSpec("live", PinnedVersion(1), **keys)
    return [FunctionSpec("f", "f", "eu-west-1", "111111111111", False, (alias,))]


@pytest.mark.parametrize(
    ("keys", "read", "apply"),
    [
        (
            {"event_sources": ()},
            {"lambda:ListEventSourceMappings"},
            {
                "lambda:CreateEventSourceMapping",
                "lambda:UpdateEventSourceMapping",
                "lambda:DeleteEventSourceMapping",
            },
        ),
        (
            {"function_url": FunctionUrlSpec("NONE")},
            {"lambda:ListFunctionUrlConfigs"},
            {
                "lambda:CreateFunctionUrlConfig",
                "lambda:UpdateFunctionUrlConfig",
                "lambda:DeleteFunctionUrlConfig",
            },
        ),
        (
            {"permissions": ()},
            {"lambda:GetPolicy"},
            {"lambda:AddPermission", "lambda:RemovePermission"},
        ),
    ],
)
def test_each_attachment_key_adds_exactly_its_actions(keys, read, apply):
    base_read = actions(policy(bound(), "read"))
    base_apply = actions(policy(bound(), "apply"))
    assert actions(policy(bound(**keys), "read")) - base_read == read
    assert actions(policy(bound(**keys), "apply")) - base_apply == read | apply


def test_event_source_mappings_are_scoped_by_the_function_they_invoke():
    doc = policy(bound(event_sources=()), "apply")
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    fn = "arn:aws:lambda:eu-west-1:111111111111:function:f"
    condition = {"ArnLike": {"lambda:FunctionArn": [fn, f"{fn}:*"]}}
    create = by_sid["CreateEventSourceMappingsForManagedFunctions"]
    assert create["Action"] == ["lambda:CreateEventSourceMapping"]
    assert create["Resource"] == "*" and create["Condition"] == condition
    change = by_sid["ChangeEventSourceMappingsOfManagedFunctions"]
    assert change["Action"] == [
        "lambda:DeleteEventSourceMapping",
        "lambda:UpdateEventSourceMapping",
    ]
    assert change["Resource"] == ["arn:aws:lambda:eu-west-1:111111111111:event-source-mapping:*"]
    assert change["Condition"] == condition
    # Permissions and URLs: on the alias ARNs only, never the bare function.
    doc = policy(bound(function_url=FunctionUrlSpec("NONE"), permissions=()), "apply")
    for statement in doc["Statement"]:
        if {"lambda:AddPermission", "lambda:CreateFunctionUrlConfig"} & set(statement["Action"]):
            assert statement["Resource"] == [f"{fn}:*"]


def test_prune_adds_the_reads_and_deletes_that_unbind_a_pruned_alias():
    alias = AliasSpec("live", PinnedVersion(1))
    pruned = [FunctionSpec("f", "f", "eu-west-1", "111111111111", True, (alias,))]
    reads = {"lambda:ListEventSourceMappings", "lambda:ListFunctionUrlConfigs", "lambda:GetPolicy"}
    deletes = {
        "lambda:DeleteEventSourceMapping",
        "lambda:DeleteFunctionUrlConfig",
        "lambda:RemovePermission",
    }
    assert actions(policy(pruned, "read")) - actions(policy(bound(), "read")) == reads
    assert actions(policy(pruned, "apply")) - actions(policy(bound(), "apply")) == reads | deletes
