"""`reconciler iam-policy`: exactly the actions the tool calls, scoped."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

import reconciler.aws
from reconciler.iam import OPERATIONS, policy
from reconciler.manifest.model import (
    AliasSpec,
    FunctionSpec,
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
        "lambda:GetFunction",
        "lambda:PublishVersion",
        "lambda:CreateAlias",
        "lambda:UpdateAlias",
        "lambda:DeleteAlias",
    }


def test_resources_are_scoped_to_functions_qualifiers_and_alarms():
    doc = policy(every_feature(), "apply", account="111111111111", region="us-east-1")
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["ReadManagedFunctions"]["Resource"] == [
        "arn:aws:lambda:eu-west-1:123456789012:function:pay",
        "arn:aws:lambda:eu-west-1:123456789012:function:pay:*",
        "arn:aws:lambda:us-east-1:111111111111:function:orders",
        "arn:aws:lambda:us-east-1:111111111111:function:orders:*",
    ]
    assert by_sid["ReadRolloutAlarms"]["Resource"] == [
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:pay-errors"
    ]
    assert by_sid["AccountWideReads"]["Resource"] == "*"


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
    assert "arn:aws:lambda:eu-west-1:111111111111:function:f:*" in doc["Statement"][0]["Resource"]


@pytest.mark.parametrize("mode", ["read", "apply"])
def test_policy_is_valid_iam_shape(mode):
    doc = policy(every_feature(), mode, account="111111111111", region="us-east-1")
    for statement in doc["Statement"]:
        assert set(statement) == {"Sid", "Effect", "Action", "Resource"}
        assert statement["Effect"] == "Allow" and statement["Sid"].isalnum()
