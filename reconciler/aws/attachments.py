"""What is bound to an alias: event source mappings, function URLs, policy statements.

Two halves. Parsing: total functions from AWS's answers to the typed values of
:mod:`reconciler.aws.live`; a malformed item is skipped (and logged at debug),
an odd but usable value is normalised, nothing raises. Calls: one small method
per AWS operation on :class:`BoundCalls`, every one through the run's
:class:`~reconciler.aws.calls.Caller` (rate limit, retries, error mapping,
breaker). :class:`~reconciler.aws.lambda_api.LambdaGateway` exposes them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from reconciler.aws.calls import Caller, NotFound
from reconciler.aws.live import EventSourceMapping, FunctionUrl, PolicyStatement
from reconciler.aws.shapes import qualifier_of
from reconciler.errors import AwsError, InvalidRequestError
from reconciler.manifest.model import CorsSpec, EventSourceSpec, FunctionUrlSpec, PermissionSpec

log = logging.getLogger("reconciler.aws.attachments")

PAGE_SIZE = 50
# States in which a mapping polls its source (API reference, EventSourceMappingConfiguration).
# "Updating" is reported while an enabled mapping's settings change; a disabled one that
# is being changed reports it too, which AWS does not tell apart: taken as enabled.
_NOT_POLLING = {"Disabling", "Disabled", "Deleting"}
T = TypeVar("T")


# -- parsing -------------------------------------------------------------------------


def _text(value: Any) -> str | None:
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
    uuid, arn = _text(data.get("UUID")), _text(data.get("FunctionArn"))
    if not uuid or not arn:
        # Without its id it cannot be changed; without its function, not placed.
        log.debug("event source mapping skipped: no UUID or FunctionArn: %r", data)
        return None
    state = _text(data.get("State")) or "Enabled"
    position = _text(data.get("StartingPosition"))
    return EventSourceMapping(
        uuid=uuid,
        qualifier=_function_qualifier(arn),
        source=_text(data.get("EventSourceArn")) or "",
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
    url, arn = _text(data.get("FunctionUrl")), _text(data.get("FunctionArn"))
    if not url or not arn:
        log.debug("function URL skipped: no FunctionUrl or FunctionArn: %r", data)
        return None
    # Some emulators spell the mode "Buffered"; AWS's enum is upper case.
    mode = (_text(data.get("InvokeMode")) or "BUFFERED").upper()
    return FunctionUrl(
        qualifier=_function_qualifier(arn),
        url=url,
        auth_type=_text(data.get("AuthType")) or "",
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
    sid = _text(data.get("Sid"))
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


def _items(parse: Callable[[Any], T | None], items: list[Any]) -> list[T]:
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


# -- calls ---------------------------------------------------------------------------


class BoundCalls:
    """The calls on what is bound to aliases, for one region's Lambda client."""

    def __init__(self, calls: Caller) -> None:
        self._calls = calls
        self._client = calls.client
        # Function as given -> its unqualified ARN (mappings bind to the alias ARN).
        self._arns: dict[str, str] = {}

    # -- event source mappings ---------------------------------------------------------

    def mappings(self, function: str) -> list[EventSourceMapping]:
        """ListEventSourceMappings(FunctionName=function), paged: every qualifier's."""
        items = self._paged(
            "ListEventSourceMappings",
            function,
            self._client.list_event_source_mappings,
            "EventSourceMappings",
        )
        return _items(mapping_from, items)

    def alias_arn(self, function: str, alias: str) -> str:
        """The alias ARN: the API reference documents CreateEventSourceMapping's
        FunctionName as a name, a function ARN, a version or alias ARN, or a
        partial ARN; ``name:alias`` is not among them. Built from a full ARN, else
        from GetAlias's AliasArn (once per function)."""
        base = function_arn_of(function) or self._arns.get(function)
        if base is None:
            data = self._calls.optional(
                "GetAlias",
                function,
                alias,
                self._client.get_alias,
                FunctionName=function,
                Name=alias,
            )
            arn = _text(data.get("AliasArn")) if isinstance(data, Mapping) else None
            base = function_arn_of(arn or "")
            if base is None:
                raise AwsError(
                    "CreateEventSourceMapping",
                    function,
                    "the alias does not exist (or AWS gave no ARN for it)",
                    alias=alias,
                    status=404,
                )
            self._arns[function] = base
        return f"{base}:{alias}"

    def create_mapping(
        self, function: str, alias: str, spec: EventSourceSpec
    ) -> EventSourceMapping:
        params = {
            "FunctionName": self.alias_arn(function, alias),
            "EventSourceArn": spec.source,
            **mapping_settings(spec),
        }
        if spec.starting_position is not None:
            params["StartingPosition"] = spec.starting_position
        method = self._client.create_event_source_mapping
        data = self._mutate("CreateEventSourceMapping", function, alias, method, params)
        return self._mapping(data, "CreateEventSourceMapping", function, alias)

    def update_mapping(
        self, function: str, alias: str, uuid: str, spec: EventSourceSpec
    ) -> EventSourceMapping:
        # FunctionName left out: the mapping stays bound where it is.
        params = {"UUID": uuid, **mapping_settings(spec)}
        method = self._client.update_event_source_mapping
        data = self._settled("UpdateEventSourceMapping", function, alias, method, params)
        if data is None:
            raise AwsError(
                "UpdateEventSourceMapping",
                function,
                f"event source mapping {uuid} not found",
                alias=alias,
                status=404,
            )
        return self._mapping(data, "UpdateEventSourceMapping", function, alias)

    def delete_mapping(self, function: str, alias: str | None, uuid: str) -> bool:
        """False when it was already gone."""
        method = self._client.delete_event_source_mapping
        data = self._settled("DeleteEventSourceMapping", function, alias, method, {"UUID": uuid})
        return data is not None

    # -- function URLs -----------------------------------------------------------------

    def urls(self, function: str) -> list[FunctionUrl]:
        """ListFunctionUrlConfigs, paged: the unqualified URL and every alias's."""
        items = self._paged(
            "ListFunctionUrlConfigs",
            function,
            self._client.list_function_url_configs,
            "FunctionUrlConfigs",
        )
        return _items(url_from, items)

    def _url_params(self, function: str, alias: str, spec: FunctionUrlSpec) -> dict[str, Any]:
        return {
            "FunctionName": function,
            "Qualifier": alias,
            "AuthType": spec.auth_type,
            "InvokeMode": spec.invoke_mode,
        }

    def create_url(self, function: str, alias: str, spec: FunctionUrlSpec) -> FunctionUrl:
        params = self._url_params(function, alias, spec)
        if spec.cors is not None:
            params["Cors"] = cors_params(spec.cors)
        method = self._client.create_function_url_config
        data = self._mutate("CreateFunctionUrlConfig", function, alias, method, params)
        return self._url(data, "CreateFunctionUrlConfig", function, alias)

    def update_url(self, function: str, alias: str, spec: FunctionUrlSpec) -> FunctionUrl:
        # Cors always sent: an empty one is how CORS is removed.
        params = {**self._url_params(function, alias, spec), "Cors": cors_params(spec.cors)}
        method = self._client.update_function_url_config
        data = self._mutate("UpdateFunctionUrlConfig", function, alias, method, params)
        return self._url(data, "UpdateFunctionUrlConfig", function, alias)

    def delete_url(self, function: str, alias: str) -> bool:
        """False when there was none."""
        data = self._calls.optional(
            "DeleteFunctionUrlConfig",
            function,
            alias,
            self._client.delete_function_url_config,
            FunctionName=function,
            Qualifier=alias,
        )
        return data is not None

    # -- resource-based policy ---------------------------------------------------------

    def policy(self, function: str, qualifier: str) -> list[PolicyStatement]:
        """GetPolicy of one qualifier (its own quota, so its own bucket); [] when none."""
        data = self._calls.optional(
            "GetPolicy",
            function,
            qualifier,
            self._client.get_policy,
            FunctionName=function,
            Qualifier=qualifier,
        )
        return statements_from(data.get("Policy")) if isinstance(data, Mapping) else []

    def add_permission(self, function: str, alias: str, spec: PermissionSpec) -> None:
        """A statement id already on the alias: ConflictError (409), from the call path."""
        params = permission_params(function, alias, spec)
        self._mutate("AddPermission", function, alias, self._client.add_permission, params)

    def remove_permission(self, function: str, alias: str, sid: str) -> bool:
        """False when the statement (or the whole policy) was already gone."""
        data = self._calls.optional(
            "RemovePermission",
            function,
            alias,
            self._client.remove_permission,
            FunctionName=function,
            Qualifier=alias,
            StatementId=sid,
        )
        return data is not None

    # -- plumbing ----------------------------------------------------------------------

    def _paged(
        self, operation: str, function: str, method: Callable[..., Any], key: str
    ) -> list[Any]:
        """Every item of every page ([] when the function does not exist). A marker
        seen before ends the listing: a looping server cannot hang the run."""
        items: list[Any] = []
        seen: set[str] = set()
        marker: str | None = None
        while True:
            params: dict[str, Any] = {"FunctionName": function, "MaxItems": PAGE_SIZE}
            if marker:
                params["Marker"] = marker
            data = self._calls.optional(operation, function, None, method, **params)
            if not isinstance(data, Mapping):
                return items
            page = data.get(key)
            items.extend(page if isinstance(page, list) else [])
            marker = _text(data.get("NextMarker"))
            if not marker or marker in seen:
                return items
            seen.add(marker)

    def _mutate(
        self,
        operation: str,
        function: str,
        alias: str,
        method: Callable[..., Any],
        params: dict[str, Any],
    ) -> Any:
        try:
            return self._calls.call(operation, function, alias, method, **params)
        except NotFound as exc:
            raise AwsError(
                operation, function, "function or alias not found", alias=alias, status=404
            ) from exc

    def _settled(
        self,
        operation: str,
        function: str,
        alias: str | None,
        method: Callable[..., Any],
        params: dict[str, Any],
    ) -> Any:
        """The call, or None when the mapping does not exist. A mapping still
        Creating or Updating answers ResourceInUseException (API reference,
        UpdateEventSourceMapping / DeleteEventSourceMapping): waited for, bounded."""
        session = self._calls.session
        policy = session.connection.retry
        deadline = session.clock() + policy.settle_timeout
        while True:
            try:
                return self._calls.optional(operation, function, alias, method, **params)
            except InvalidRequestError as exc:
                if exc.code != "ResourceInUseException" or session.clock() >= deadline:
                    raise
            session.sleep(policy.settle_poll)

    @staticmethod
    def _mapping(data: Any, operation: str, function: str, alias: str) -> EventSourceMapping:
        parsed = mapping_from(data)
        if parsed is None:
            raise AwsError(
                operation, function, "AWS answered without a usable mapping", alias=alias
            )
        return parsed

    @staticmethod
    def _url(data: Any, operation: str, function: str, alias: str) -> FunctionUrl:
        parsed = url_from(data)
        if parsed is None:
            raise AwsError(operation, function, "AWS answered without a usable URL", alias=alias)
        return parsed
