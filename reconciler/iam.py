"""Least-privilege IAM policies generated from the manifests.

``OPERATIONS`` lists every AWS operation the tool can call (a test checks it
against the gateway module), the IAM action it needs, whether it mutates, what
it is scoped to, and which feature makes the tool call it. A policy contains
only the actions of the features the manifests use, scoped to the ARNs of the
managed functions.

Scopes (a test checks each against AWS's Service Authorization Reference):

* ``function``: the unqualified function ARN (``function:NAME``), for calls
  on the function itself (list aliases and versions, publish, read $LATEST);
* ``qualified``: ``function:NAME:*`` only, for calls the tool always makes
  with a qualifier (aliases, version deletion, provisioned concurrency). The
  bare ARN is never granted with them: ``DeleteFunction`` on it deletes the
  whole function with every version;
* ``both``: calls made with and without a qualifier;
* ``any``: ``*``, for actions without resource-level permissions, and for
  ``DescribeAlarms``, which returns composite alarms only when allowed on
  ``*`` (the tool asks for metric and composite alarms);
* ``new_mapping``: ``CreateEventSourceMapping``, which takes no resource
  (``*``) but the ``lambda:FunctionArn`` condition key: only the managed
  functions;
* ``mapping``: ``Update/DeleteEventSourceMapping``, on the
  ``event-source-mapping:*`` ARNs of the managed functions' accounts and
  regions, with the same condition.

The read policy has no ``lambda:GetFunction``: its answer carries a presigned
URL to the deployment package. The tool polls ``GetFunctionConfiguration``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import UsageError
from reconciler.manifest.model import FUNCTION_NAME_RE, FunctionSpec

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


@dataclass(frozen=True)
class Operation:
    action: str
    mutating: bool
    scope: str  # function | qualified | both | any | new_mapping | mapping
    # core | content | split | rollout | gc | provisioned | guard | event_sources |
    # function_url | permissions; several: space-separated
    feature: str


OPERATIONS: dict[str, Operation] = {
    # Reads every plan/drift/status makes.
    "ListAliases": Operation("lambda:ListAliases", False, "function", "core"),
    "GetAlias": Operation("lambda:GetAlias", False, "qualified", "core"),
    # Versions by number, and $LATEST while waiting for an update to settle.
    "GetFunctionConfiguration": Operation("lambda:GetFunctionConfiguration", False, "both", "core"),
    "ListVersionsByFunction": Operation("lambda:ListVersionsByFunction", False, "function", "core"),
    "GetCallerIdentity": Operation("sts:GetCallerIdentity", False, "any", "guard"),
    "DescribeAlarms": Operation("cloudwatch:DescribeAlarms", False, "any", "rollout"),
    "ListEventSourceMappings": Operation(
        "lambda:ListEventSourceMappings", False, "any", "gc event_sources"
    ),
    "ListFunctionUrlConfigs": Operation(
        "lambda:ListFunctionUrlConfigs", False, "function", "gc function_url"
    ),
    # An alias's policy, and a version's that version collection may delete.
    "GetPolicy": Operation("lambda:GetPolicy", False, "qualified", "gc permissions"),
    "GetProvisionedConcurrencyConfig": Operation(
        "lambda:GetProvisionedConcurrencyConfig", False, "qualified", "provisioned"
    ),
    # Version collection reads it too: a version with provisioned concurrency is kept.
    "ListProvisionedConcurrencyConfigs": Operation(
        "lambda:ListProvisionedConcurrencyConfigs", False, "function", "gc provisioned"
    ),
    # Mutations: apply only.
    "PublishVersion": Operation("lambda:PublishVersion", True, "function", "core"),
    "CreateAlias": Operation("lambda:CreateAlias", True, "qualified", "core"),
    "UpdateAlias": Operation("lambda:UpdateAlias", True, "qualified", "core"),
    "DeleteAlias": Operation("lambda:DeleteAlias", True, "qualified", "core"),
    # Always with a version qualifier: old versions only, never the function.
    "DeleteFunction": Operation("lambda:DeleteFunction", True, "qualified", "gc"),
    "PutProvisionedConcurrencyConfig": Operation(
        "lambda:PutProvisionedConcurrencyConfig", True, "qualified", "provisioned"
    ),
    "DeleteProvisionedConcurrencyConfig": Operation(
        "lambda:DeleteProvisionedConcurrencyConfig", True, "qualified", "provisioned"
    ),
    # What is bound to aliases: always with the alias as qualifier.
    "CreateEventSourceMapping": Operation(
        "lambda:CreateEventSourceMapping", True, "new_mapping", "event_sources"
    ),
    "UpdateEventSourceMapping": Operation(
        "lambda:UpdateEventSourceMapping", True, "mapping", "event_sources"
    ),
    "DeleteEventSourceMapping": Operation(
        "lambda:DeleteEventSourceMapping", True, "mapping", "event_sources"
    ),
    "CreateFunctionUrlConfig": Operation(
        "lambda:CreateFunctionUrlConfig", True, "qualified", "function_url"
    ),
    "UpdateFunctionUrlConfig": Operation(
        "lambda:UpdateFunctionUrlConfig", True, "qualified", "function_url"
    ),
    "DeleteFunctionUrlConfig": Operation(
        "lambda:DeleteFunctionUrlConfig", True, "qualified", "function_url"
    ),
    "AddPermission": Operation("lambda:AddPermission", True, "qualified", "permissions"),
    "RemovePermission": Operation("lambda:RemovePermission", True, "qualified", "permissions"),
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
            # A key that is absent manages nothing: no call, so no permission.
            if alias.event_sources is not None:
                used.add("event_sources")
            if alias.function_url is not None:
                used.add("function_url")
            if alias.permissions is not None:
                used.add("permissions")
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


def region_partition(region: str) -> str:
    """The partition a region belongs to (China and GovCloud have their own)."""
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def partition_of(specs: Sequence[FunctionSpec], region: str | None, chosen: str | None) -> str:
    """One partition for the whole policy: the manifests' ARNs, else ``chosen``
    (``--partition``), else the regions'. A role lives in one partition."""
    if chosen is not None and chosen not in PARTITIONS:
        raise UsageError(f"--partition is one of {', '.join(PARTITIONS)}, not {chosen!r}")
    found: dict[str, str] = {}
    for spec in specs:
        match = FUNCTION_NAME_RE.fullmatch(spec.function)
        written = match.group(2) if match and match.group(1) else None
        if written is not None:
            found.setdefault(written, spec.function)
    for written, where in found.items():
        if written not in PARTITIONS:
            raise UsageError(f"{where}: unknown partition {written!r}")
        if chosen is not None and written != chosen:
            raise UsageError(f"{where} is in partition {written}, but --partition is {chosen}")
    if len(found) > 1:
        names = " and ".join(sorted(found))
        raise UsageError(f"the manifests span the partitions {names}: one policy per partition")
    if found:
        return next(iter(found))
    if chosen is not None:
        return chosen
    regions = {spec.region or region for spec in specs} - {None}
    by_region = {region_partition(r) for r in regions if r}
    if len(by_region) > 1:
        raise UsageError("the manifests' regions span partitions: pass --partition per target")
    return by_region.pop() if by_region else "aws"


def policy(
    specs: Sequence[FunctionSpec],
    mode: str,
    *,
    account: str | None = None,
    region: str | None = None,
    partition: str | None = None,
) -> dict[str, Any]:
    """The IAM policy document for ``mode`` (``read`` or ``apply``)."""
    if mode not in ("read", "apply"):
        raise UsageError("--mode is read or apply")
    part = partition_of(specs, region, partition)
    used = features_used(specs)
    chosen = [
        op
        for op in OPERATIONS.values()
        if used.intersection(op.feature.split()) and (mode == "apply" or not op.mutating)
    ]
    functions: list[str] = []
    qualifiers: list[str] = []
    mappings: list[str] = []
    for spec in specs:
        acct, reg = _where(spec, account, region)
        base = f"arn:{part}:lambda:{reg}:{acct}:function:{spec.name}"
        functions.append(base)
        qualifiers.append(f"{base}:*")
        mappings.append(f"arn:{part}:lambda:{reg}:{acct}:event-source-mapping:*")
    statements: list[dict[str, Any]] = []

    def add(
        sid: str,
        ops: list[Operation],
        resources: list[str] | str,
        condition: dict[str, Any] | None = None,
    ) -> None:
        if ops:
            statement: dict[str, Any] = {
                "Sid": sid,
                "Effect": "Allow",
                "Action": sorted({o.action for o in ops}),
                "Resource": sorted(set(resources)) if isinstance(resources, list) else resources,
            }
            if condition:
                statement["Condition"] = condition
            statements.append(statement)

    def pick(mutating: bool, scopes: tuple[str, ...]) -> list[Operation]:
        return [o for o in chosen if o.mutating == mutating and o.scope in scopes]

    add("ReadManagedFunctions", pick(False, ("function", "both")), functions)
    add("ReadManagedVersionsAndAliases", pick(False, ("qualified", "both")), qualifiers)
    add("PublishManagedFunctions", pick(True, ("function", "both")), functions)
    add("ChangeManagedVersionsAndAliases", pick(True, ("qualified", "both")), qualifiers)
    alarms = [o for o in chosen if o.action == "cloudwatch:DescribeAlarms"]
    # Scoped to alarm ARNs, DescribeAlarms leaves composite alarms out of its answer.
    add("DescribeAlarmsOnStarSoCompositeAlarmsAreReturned", alarms, "*")
    # These actions support no resource-level scoping in IAM.
    add("AccountWideReads", [o for o in chosen if o.scope == "any" and o not in alarms], "*")
    # lambda:FunctionArn is the function ARN a mapping is created with or bound to: the
    # alias ARN for the tool's. The bare ARN is listed too so that a mapping named by
    # it (the unqualified function) is covered; both stay within the managed functions.
    bound = {"ArnLike": {"lambda:FunctionArn": sorted({*functions, *qualifiers})}}
    add("CreateEventSourceMappingsForManagedFunctions", pick(True, ("new_mapping",)), "*", bound)
    add("ChangeEventSourceMappingsOfManagedFunctions", pick(True, ("mapping",)), mappings, bound)
    return {"Version": "2012-10-17", "Statement": statements}
