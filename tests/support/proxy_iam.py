"""IAM for the fidelity proxy: requests checked against one identity policy.

moto authorises everything. Given an IAM policy document (``FidelityProxy.
iam_policy = IamPolicy(doc)``), the proxy works out, for each request, the
IAM action and the resource ARN AWS authorises it against, and denies what
the policy does not allow with AWS's AccessDeniedException. Calls with a
qualifier (alias, version) are authorised against the qualified ARN
``function:NAME:QUALIFIER``; calls on the function against ``function:NAME``;
actions without resource-level permissions against ``*``; actions on one event source
mapping against its ARN. Conditions (StringEquals/Like, ArnEquals/Like) are evaluated on
the keys the proxy gives the request (``lambda:FunctionArn`` for mappings).

CloudWatch's DescribeAlarms (awsJson1_0 through botocore) is emulated as AWS
documents it and moto does not: composite alarms come back only when asked
for in ``AlarmTypes`` (moto returns them always), and only when the policy
allows DescribeAlarms on ``*`` (scoped to alarm ARNs, AWS leaves them out).
moto does not implement PutCompositeAlarm: tests declare composite alarms in
``composites`` (name -> state, reason), and DescribeAlarms answers with them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tests.support.proxy_http import Reply, Request, error_reply, json_reply
from tests.support.proxy_state import DEFAULT_ACCOUNT

# Lambda operations whose IAM action is named differently from the operation.
_ACTIONS = {"ListProvisionedConcurrencyConfigs": "ListProvisionedConcurrencyConfigs"}
# Lambda actions without resource-level permissions.
_ACCOUNT_WIDE = {
    "ListEventSourceMappings",
    "CreateEventSourceMapping",
    "ListFunctions",
    "GetAccountSettings",
}
# Actions on one event source mapping: authorised against its ARN (event-source-mapping:UUID).
_ON_MAPPING = {"GetEventSourceMapping", "UpdateEventSourceMapping", "DeleteEventSourceMapping"}
# Condition operators the generated policies use; any other fails to match (an Allow
# that cannot be evaluated grants nothing).
_OPERATORS = {"StringEquals", "StringLike", "ArnEquals", "ArnLike"}
_JSON_TARGET = re.compile(r"^GraniteServiceVersion20100801\.(\w+)$")


def _wildcard(pattern: str) -> re.Pattern[str]:
    """IAM's matching: * any run of characters, ? any one, the rest literal."""
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


@dataclass
class IamPolicy:
    """An identity policy (Allow and Deny statements, Action and Resource only)."""

    document: dict[str, Any]
    region: str = "eu-west-1"
    account: str = DEFAULT_ACCOUNT
    partition: str = "aws"
    denied: list[tuple[str, str]] = field(default_factory=list)
    checked: list[tuple[str, str]] = field(default_factory=list)
    composites: dict[str, tuple[str, str]] = field(default_factory=dict)

    def allows(self, action: str, resource: str, conditions: dict[str, str] | None = None) -> bool:
        """Whether the policy allows `action` on `resource`, given the request's condition
        keys (lower-cased names): a Condition block needs each of its tests met."""
        allowed = False
        for statement in self.document.get("Statement", []):
            actions = _listed(statement.get("Action"))
            resources = _listed(statement.get("Resource"))
            if not any(_wildcard(a).fullmatch(action) for a in actions):
                continue
            # Action matching ignores case; resource ARNs are case-sensitive.
            if not any(re.fullmatch(_wildcard(r).pattern, resource) for r in resources):
                continue
            if not _conditions_met(statement.get("Condition"), conditions or {}):
                continue
            if statement.get("Effect") == "Deny":
                return False
            allowed = True
        return allowed

    def authorisation(self, req: Request) -> tuple[str, str] | None:
        """(IAM action, resource ARN) of a request; None for one the proxy does not know."""
        if req.is_lambda:
            if req.op == "other":
                return None
            action = "lambda:" + _ACTIONS.get(req.op, req.op)
            if req.op in _ON_MAPPING and req.item:
                base = f"arn:{self.partition}:lambda:{req.region}:{self.account}"
                return action, f"{base}:event-source-mapping:{req.item}"
            if req.op in _ACCOUNT_WIDE or req.function is None:
                return action, "*"
            arn = f"arn:{self.partition}:lambda:{req.region}:{self.account}:function:{req.function}"
            qualifier = req.alias or req.qualifier
            return action, f"{arn}:{qualifier}" if qualifier else arn
        op = cloudwatch_operation(req)
        if op is not None:
            # DescribeAlarms is authorised per alarm; the answer is filtered below.
            return f"cloudwatch:{op}", "*" if op != "DescribeAlarms" else ""
        return None

    def check(self, req: Request) -> Reply | None:
        """An AccessDeniedException reply when the policy does not allow the request."""
        found = self.authorisation(req)
        if found is None or not found[1]:
            return None
        action, resource = found
        self.checked.append(found)
        if self.allows(action, resource, req.conditions):
            return None
        self.denied.append(found)
        message = (
            f"User: arn:{self.partition}:sts::{self.account}:assumed-role/reconciler/test is "
            f"not authorized to perform: {action} on resource: {resource} because no "
            f"identity-based policy allows the {action} action"
        )
        return error_reply(403, "AccessDeniedException", message)

    def filter(self, req: Request, reply: Reply) -> Reply:
        """DescribeAlarms as AWS answers it under this policy."""
        if cloudwatch_operation(req) != "DescribeAlarms" or reply.status != 200:
            return reply
        try:
            asked = json.loads(req.body or b"{}")
            doc = json.loads(reply.body or b"{}")
        except ValueError:
            return reply
        types = asked.get("AlarmTypes") or ["MetricAlarm"]
        on_star = self.allows("cloudwatch:DescribeAlarms", "*")
        self.checked.append(("cloudwatch:DescribeAlarms", "*" if on_star else "alarm ARNs"))
        region = req.region
        base = f"arn:{self.partition}:cloudwatch:{region}:{self.account}:alarm:"
        metric = [
            a
            for a in doc.get("MetricAlarms") or []
            if "MetricAlarm" in types
            and (on_star or self.allows("cloudwatch:DescribeAlarms", base + a["AlarmName"]))
        ]
        names = asked.get("AlarmNames") or list(self.composites)
        held = [
            {"AlarmName": n, "StateValue": st, "StateReason": why, "AlarmArn": base + n}
            for n, (st, why) in self.composites.items()
            if n in names
        ]
        composite = [*(doc.get("CompositeAlarms") or []), *held]
        composite = composite if "CompositeAlarm" in types else []
        if not on_star:
            composite = []
        doc["MetricAlarms"], doc["CompositeAlarms"] = metric, composite
        headers = [(k, v) for k, v in reply.headers if k.lower() != "content-length"]
        kind = next((v for k, v in reply.headers if k.lower() == "content-type"), "")
        filtered = json_reply(200, doc, headers)
        if kind:
            filtered.headers = [*filtered.headers[:-1], ("Content-Type", kind)]
        return filtered


def _conditions_met(block: Any, context: dict[str, str]) -> bool:
    """IAM's Condition: every operator's every key must match one of its values; a key
    the request does not carry fails the test."""
    if not block:
        return True
    if not isinstance(block, dict):
        return False
    for operator, tests in block.items():
        if operator not in _OPERATORS or not isinstance(tests, dict):
            return False
        for key, values in tests.items():
            given = context.get(str(key).lower())
            if given is None:
                return False
            patterns = _listed(values)
            if operator.endswith("Like"):
                matched = any(re.fullmatch(_wildcard(p).pattern, given) for p in patterns)
            else:
                matched = given in patterns
            if not matched:
                return False
    return True


def cloudwatch_operation(req: Request) -> str | None:
    target = req.headers.get("X-Amz-Target") or req.headers.get("x-amz-target") or ""
    match = _JSON_TARGET.match(target)
    return match.group(1) if match else None
