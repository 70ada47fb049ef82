"""Least-privilege IAM policies generated from the manifests.

``OPERATIONS`` lists every AWS operation the tool can call (a test checks it
against the gateway module), the IAM action it needs, whether it mutates, what
it is scoped to, and which feature makes the tool call it. A policy contains
only the actions of the features the manifests use, scoped to the ARNs of the
managed functions (and their qualifiers) and of the rollout alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import UsageError
from reconciler.manifest.model import FunctionSpec


@dataclass(frozen=True)
class Operation:
    action: str
    mutating: bool
    scope: str  # function | alarm | any
    # core | content | split | rollout | gc | provisioned | guard; several: space-separated
    feature: str


OPERATIONS: dict[str, Operation] = {
    # Reads every plan/drift/status makes.
    "ListAliases": Operation("lambda:ListAliases", False, "function", "core"),
    "GetAlias": Operation("lambda:GetAlias", False, "function", "core"),
    "GetFunctionConfiguration": Operation(
        "lambda:GetFunctionConfiguration", False, "function", "core"
    ),
    "ListVersionsByFunction": Operation("lambda:ListVersionsByFunction", False, "function", "core"),
    # Waiting for an update in progress to settle (its own quota).
    "GetFunction": Operation("lambda:GetFunction", False, "function", "core"),
    "GetCallerIdentity": Operation("sts:GetCallerIdentity", False, "any", "guard"),
    "DescribeAlarms": Operation("cloudwatch:DescribeAlarms", False, "alarm", "rollout"),
    "ListEventSourceMappings": Operation("lambda:ListEventSourceMappings", False, "any", "gc"),
    "ListFunctionUrlConfigs": Operation("lambda:ListFunctionUrlConfigs", False, "function", "gc"),
    "GetProvisionedConcurrencyConfig": Operation(
        "lambda:GetProvisionedConcurrencyConfig", False, "function", "provisioned"
    ),
    # Version collection reads it too: a version with provisioned concurrency is kept.
    "ListProvisionedConcurrencyConfigs": Operation(
        "lambda:ListProvisionedConcurrencyConfigs", False, "function", "gc provisioned"
    ),
    # Mutations: apply only.
    "PublishVersion": Operation("lambda:PublishVersion", True, "function", "core"),
    "CreateAlias": Operation("lambda:CreateAlias", True, "function", "core"),
    "UpdateAlias": Operation("lambda:UpdateAlias", True, "function", "core"),
    "DeleteAlias": Operation("lambda:DeleteAlias", True, "function", "core"),
    "DeleteFunction": Operation("lambda:DeleteFunction", True, "function", "gc"),
    "PutProvisionedConcurrencyConfig": Operation(
        "lambda:PutProvisionedConcurrencyConfig", True, "function", "provisioned"
    ),
    "DeleteProvisionedConcurrencyConfig": Operation(
        "lambda:DeleteProvisionedConcurrencyConfig", True, "function", "provisioned"
    ),
}

# IAM's limit for a managed policy document, whitespace excluded.
MANAGED_POLICY_LIMIT = 6144


def features_used(specs: Sequence[FunctionSpec]) -> set[str]:
    used = {"core"}
    for spec in specs:
        if spec.account:
            used.add("guard")
        if spec.retain_versions is not None:
            used.add("gc")
        for alias in spec.aliases:
            if alias.rollout is not None and alias.rollout.alarms:
                used.add("rollout")
            if alias.provisioned_concurrency is not None:
                used.add("provisioned")
    # Removing a provisioned-concurrency setting needs the calls too; reads
    # find settings the manifest no longer has only if it can list them.
    return used


def _where(spec: FunctionSpec, account: str | None, region: str | None) -> tuple[str, str]:
    acct = spec.account or account
    reg = spec.region or region
    if not acct or not reg:
        missing = " and ".join(n for n, v in (("--account", acct), ("--region", reg)) if not v)
        raise UsageError(
            f"{spec.function}: the manifest names no {'account' if not acct else 'region'}; pass {missing}"
        )
    return acct, reg


def policy(
    specs: Sequence[FunctionSpec],
    mode: str,
    *,
    account: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """The IAM policy document for ``mode`` (``read`` or ``apply``)."""
    if mode not in ("read", "apply"):
        raise UsageError("--mode is read or apply")
    used = features_used(specs)
    chosen = [
        op
        for op in OPERATIONS.values()
        if used.intersection(op.feature.split()) and (mode == "apply" or not op.mutating)
    ]
    functions: list[str] = []
    alarms: list[str] = []
    for spec in specs:
        acct, reg = _where(spec, account, region)
        base = f"arn:aws:lambda:{reg}:{acct}:function:{spec.name}"
        functions += [base, f"{base}:*"]
        for alias in spec.aliases:
            if alias.rollout is not None:
                alarms += [
                    f"arn:aws:cloudwatch:{reg}:{acct}:alarm:{name}" for name in alias.rollout.alarms
                ]
    statements: list[dict[str, Any]] = []

    def add(sid: str, ops: list[Operation], resources: list[str] | str) -> None:
        if ops:
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Action": sorted({o.action for o in ops}),
                    "Resource": sorted(set(resources))
                    if isinstance(resources, list)
                    else resources,
                }
            )

    fn_ops = [o for o in chosen if o.scope == "function"]
    add("ReadManagedFunctions", [o for o in fn_ops if not o.mutating], functions)
    add("ChangeManagedFunctions", [o for o in fn_ops if o.mutating], functions)
    add("ReadRolloutAlarms", [o for o in chosen if o.scope == "alarm"], alarms)
    # These actions support no resource-level scoping in IAM.
    add("AccountWideReads", [o for o in chosen if o.scope == "any"], "*")
    return {"Version": "2012-10-17", "Statement": statements}
