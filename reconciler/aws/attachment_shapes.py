"""What is bound to an alias, without AWS: AWS's answers parsed, requests built.

Total functions from the dicts Lambda returns (ListEventSourceMappings,
ListFunctionUrlConfigs, GetPolicy) to the typed values of
:mod:`reconciler.aws.live`: a malformed item is skipped (and logged at debug),
an odd but usable value is normalised, nothing raises. The calls that use them
are in :mod:`reconciler.aws.attachments`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from reconciler.aws.live import EventSourceMapping, FunctionUrl, PolicyStatement
from reconciler.aws.shapes import qualifier_of
from reconciler.manifest.model import CorsSpec, EventSourceSpec, PermissionSpec

log = logging.getLogger("reconciler.aws.attachments")

# States in which a mapping polls its source (API reference, EventSourceMappingConfiguration).
# "Updating" is reported while an enabled mapping's settings change; a disabled one that
# is being changed reports it too, which AWS does not tell apart: taken as enabled.
_NOT_POLLING = {"Disabling", "Disabled", "Deleting"}
T = TypeVar("T")


# -- parsing -------------------------------------------------------------------------


def text_of(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> int | None:
    """An int, never a bool (JSON true is not a batch size)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def _function_qualifier(arn: str) -> str | None:
    """QUALIFIER of a function ARN (``...:function:NAME[:QUALIFIER]``), else None."""
    return qualifier_of(arn) if ":function:" in arn else None


def mapping_from(data: Any) -> EventSourceMapping | None:
    """One ListEventSourceMappings item (or Create/Update's answer); None if unusable."""
    if not isinstance(data, Mapping):
        log.debug("event source mapping skipped: not an object: %r", data)
        return None
    uuid, arn = text_of(data.get("UUID")), text_of(data.get("FunctionArn"))
    if not uuid or not arn:
        # Without its id it cannot be changed; without its function, not placed.
        log.debug("event source mapping skipped: no UUID or FunctionArn: %r", data)
        return None
    state = text_of(data.get("State")) or "Enabled"
    position = text_of(data.get("StartingPosition"))
    return EventSourceMapping(
        uuid=uuid,
        qualifier=_function_qualifier(arn),
        source=text_of(data.get("EventSourceArn")) or "",
        batch_size=_number(data.get("BatchSize")),
        enabled=state not in _NOT_POLLING,
        maximum_batching_window=_number(data.get("MaximumBatchingWindowInSeconds")),
        starting_position=position or None,
        state=state,
        function_arn=arn,
    )


def cors_from(data: Any) -> CorsSpec | None:
    """A URL's ``Cors``; None when absent or when every field is empty (no CORS)."""
    if not isinstance(data, Mapping):
        return None
    credentials = data.get("AllowCredentials")
    cors = CorsSpec(
        allow_origins=_strings(data.get("AllowOrigins")),
        allow_methods=_strings(data.get("AllowMethods")),
        allow_headers=_strings(data.get("AllowHeaders")),
        expose_headers=_strings(data.get("ExposeHeaders")),
        allow_credentials=credentials if isinstance(credentials, bool) else False,
        max_age=_number(data.get("MaxAge")) or 0,
    )
    return None if cors == CorsSpec() else cors


def url_from(data: Any) -> FunctionUrl | None:
    """One ListFunctionUrlConfigs item (or Create/Update's answer); None if unusable."""
    if not isinstance(data, Mapping):
        log.debug("function URL skipped: not an object: %r", data)
        return None
    url, arn = text_of(data.get("FunctionUrl")), text_of(data.get("FunctionArn"))
    if not url or not arn:
        log.debug("function URL skipped: no FunctionUrl or FunctionArn: %r", data)
        return None
    # Some emulators spell the mode "Buffered"; AWS's enum is upper case.
    mode = (text_of(data.get("InvokeMode")) or "BUFFERED").upper()
    return FunctionUrl(
        qualifier=_function_qualifier(arn),
        url=url,
        auth_type=text_of(data.get("AuthType")) or "",
        invoke_mode=mode,
        cors=cors_from(data.get("Cors")),
        function_arn=arn,
    )


def principal_of(value: Any) -> str | None:
    """A policy Principal in AddPermission's terms: a service, an account id, an ARN, ``*``."""
    if isinstance(value, str):
        return value or None
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    ((kind, who),) = value.items()
    names = _strings(who)
    if len(names) != 1:
        return None  # several principals: AddPermission never writes one
    name = names[0]
    if kind == "AWS":
        parts = name.split(":")
        # arn:PARTITION:iam::ACCOUNT:root is how AWS writes an account id it was given.
        if len(parts) == 6 and parts[2] == "iam" and parts[5] == "root" and parts[4]:
            return parts[4]
    return name or None


def _conditions(data: Any) -> dict[tuple[str, str], str]:
    """(operator, key lower-cased) -> the single value, for the conditions AddPermission writes."""
    found: dict[tuple[str, str], str] = {}
    if not isinstance(data, Mapping):
        return found
    for operator, tests in data.items():
        if not isinstance(operator, str) or not isinstance(tests, Mapping):
            continue
        for key, value in tests.items():
            values = _strings(value)
            if isinstance(key, str) and len(values) == 1:
                found[(operator, key.lower())] = values[0]
    return found


def statement_from(data: Any) -> PolicyStatement | None:
    """One statement of a resource-based policy; None when it is not one AddPermission makes."""
    if not isinstance(data, Mapping):
        log.debug("policy statement skipped: not an object: %r", data)
        return None
    sid = text_of(data.get("Sid"))
    principal = principal_of(data.get("Principal"))
    actions = _strings(data.get("Action"))
    if not sid or principal is None or len(actions) != 1:
        log.debug("policy statement skipped: no Sid, principal or single action: %r", data)
        return None
    resources = _strings(data.get("Resource"))
    resource = resources[0] if resources else ""
    conditions = _conditions(data.get("Condition"))
    source_arn = conditions.get(("ArnLike", "aws:sourcearn")) or conditions.get(
        ("ArnEquals", "aws:sourcearn")
    )
    return PolicyStatement(
        sid=sid,
        qualifier=_function_qualifier(resource),
        principal=principal,
        action=actions[0],
        source_arn=source_arn,
        source_account=conditions.get(("StringEquals", "aws:sourceaccount")),
        function_url_auth_type=conditions.get(("StringEquals", "lambda:functionurlauthtype")),
        resource=resource,
    )


def statements_from(policy: Any) -> list[PolicyStatement]:
    """GetPolicy's ``Policy`` (a JSON document in a string); [] when damaged."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            log.debug("policy skipped: not JSON: %r", policy[:200])
            return []
    statements = policy.get("Statement") if isinstance(policy, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]  # IAM allows a lone statement object
    if not isinstance(statements, list):
        log.debug("policy skipped: no statement list: %r", policy)
        return []
    return [s for s in map(statement_from, statements) if s is not None]


def parsed(parse: Callable[[Any], T | None], items: list[Any]) -> list[T]:
    """Every item ``parse`` makes sense of, in order."""
    return [p for p in map(parse, items) if p is not None]


# -- requests ------------------------------------------------------------------------


def mapping_settings(spec: EventSourceSpec) -> dict[str, Any]:
    """What Create and Update share: Enabled always, the optional ones only when managed."""
    params: dict[str, Any] = {"Enabled": spec.enabled}
    if spec.batch_size is not None:
        params["BatchSize"] = spec.batch_size
    if spec.maximum_batching_window is not None:
        params["MaximumBatchingWindowInSeconds"] = spec.maximum_batching_window
    return params


def cors_params(cors: CorsSpec | None) -> dict[str, Any]:
    """AWS's ``Cors``; ``{}`` for none (what UpdateFunctionUrlConfig takes to clear it)."""
    if cors is None:
        return {}
    params: dict[str, Any] = {}
    for key, values in (
        ("AllowOrigins", cors.allow_origins),
        ("AllowMethods", cors.allow_methods),
        ("AllowHeaders", cors.allow_headers),
        ("ExposeHeaders", cors.expose_headers),
    ):
        if values:
            params[key] = list(values)
    if cors.allow_credentials:
        params["AllowCredentials"] = True
    if cors.max_age:
        params["MaxAge"] = cors.max_age
    return params


def permission_params(function: str, alias: str, spec: PermissionSpec) -> dict[str, Any]:
    params: dict[str, Any] = {
        "FunctionName": function,
        "Qualifier": alias,
        "StatementId": spec.sid,
        "Action": spec.action,
        "Principal": spec.principal,
    }
    for key, value in (
        ("SourceArn", spec.source_arn),
        ("SourceAccount", spec.source_account),
        ("FunctionUrlAuthType", spec.function_url_auth_type),
    ):
        if value is not None:
            params[key] = value
    return params


def function_arn_of(function: str) -> str | None:
    """The unqualified ARN when ``function`` is a full function ARN, else None."""
    parts = function.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[5] == "function":
        return ":".join(parts[:7])
    return None
