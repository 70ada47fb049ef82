"""What is bound to an alias: event source mappings, function URLs, policy statements.

One small method per AWS operation on :class:`BoundCalls`, every one through
the run's :class:`~reconciler.aws.calls.Caller` (rate limit, retries, error
mapping, breaker); :class:`~reconciler.aws.lambda_api.LambdaGateway` exposes
them. AWS's answers are parsed by the total functions of
:mod:`reconciler.aws.attachment_shapes` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.aws.attachment_shapes import (
    cors_from,
    cors_params,
    function_arn_of,
    mapping_from,
    mapping_settings,
    parsed,
    permission_params,
    principal_of,
    statement_from,
    statements_from,
    text_of,
    url_from,
)
from reconciler.aws.calls import Caller
from reconciler.aws.live import EventSourceMapping, FunctionUrl, PolicyStatement
from reconciler.errors import AwsError, InvalidRequestError
from reconciler.manifest.model import EventSourceSpec, FunctionUrlSpec, PermissionSpec

__all__ = [
    "BoundCalls",
    "cors_from",
    "mapping_from",
    "principal_of",
    "statement_from",
    "statements_from",
    "url_from",
]

PAGE_SIZE = 50


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
        return parsed(mapping_from, items)

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
            arn = text_of(data.get("AliasArn")) if isinstance(data, Mapping) else None
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
        return parsed(url_from, items)

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
            marker = text_of(data.get("NextMarker"))
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
        return self._calls.mutate(
            operation, function, alias, method, params, missing="function or alias"
        )

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
