"""Typed Lambda calls for one region: one small method per AWS operation.

"Not found" (Lambda's ``ResourceNotFoundException``) becomes ``None``; every
other failure becomes a :mod:`reconciler.errors` type that names the operation,
the function and the alias, and keeps the AWS error as its cause. Every call
goes through :class:`reconciler.aws.calls.Caller` (retries, rate limit, stats,
circuit breaker).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from reconciler.aws.alarms import alarm_states
from reconciler.aws.attachments import BoundCalls
from reconciler.aws.calls import Caller, NotFound, reading
from reconciler.aws.live import (
    AlarmState,
    EventSourceMapping,
    FunctionUrl,
    LiveAlias,
    PolicyStatement,
    ProvisionedConfig,
    VersionInfo,
)
from reconciler.aws.shapes import alias_from, provisioned_from, provisioned_list_from, version_from
from reconciler.errors import AwsError, ConflictError
from reconciler.manifest.model import EventSourceSpec, FunctionUrlSpec, PermissionSpec

if TYPE_CHECKING:
    from reconciler.aws.session import Session

PAGE_SIZE = 50


class LambdaGateway:
    """Typed Lambda calls for one region, with retries and rate limiting."""

    def __init__(self, session: Session, region: str) -> None:
        self.session = session
        self.region = region
        self._calls = Caller(session, "lambda", region)
        self._client = self._calls.client
        self._policy = session.connection.retry
        self._call = self._calls.call
        self._mutate = self._calls.mutate
        self._optional = self._calls.optional
        self._alarms: Caller | None = None
        self._bound = BoundCalls(self._calls)

    # -- reads ----------------------------------------------------------
    def list_aliases(self, function: str) -> list[LiveAlias] | None:
        """All aliases (paged), or None when the function does not exist."""
        items = self._listed("ListAliases", function, self._client.list_aliases, "Aliases")
        with reading("ListAliases", function):
            return None if items is None else [alias_from(a) for a in items]

    def list_versions(self, function: str) -> list[VersionInfo] | None:
        """$LATEST then every published version (paged), or None if missing."""
        items = self._listed(
            "ListVersionsByFunction", function, self._client.list_versions_by_function, "Versions"
        )
        with reading("ListVersionsByFunction", function):
            return None if items is None else [version_from(v) for v in items]

    def _pages(
        self, operation: str, function: str, method: Callable[..., Any], key: str
    ) -> Iterator[list[Mapping[str, Any]] | None]:
        marker: str | None = None
        while True:
            params: dict[str, Any] = {"FunctionName": function, "MaxItems": PAGE_SIZE}
            if marker:
                params["Marker"] = marker
            data = self._optional(operation, function, None, method, **params)
            if data is None:
                yield None
                return
            yield list(data.get(key, []))
            marker = data.get("NextMarker")
            if not marker:
                return

    def _listed(self, operation: str, function: str, method: Callable[..., Any], key: str) -> Any:
        """Every item of a paged list, or None when the function does not exist."""
        items: list[Mapping[str, Any]] = []
        for page in self._pages(operation, function, method, key):
            if page is None:
                return None
            items.extend(page)
        return items

    def list_provisioned_concurrency(self, function: str) -> list[ProvisionedConfig] | None:
        """Every provisioned-concurrency config (aliases and versions), paged."""
        items = self._listed(
            "ListProvisionedConcurrencyConfigs",
            function,
            self._client.list_provisioned_concurrency_configs,
            "ProvisionedConcurrencyConfigs",
        )
        if items is None:
            return None
        with reading("ListProvisionedConcurrencyConfigs", function):
            return provisioned_list_from(items)

    # -- what is bound to aliases (the work is in reconciler.aws.attachments) --
    def event_source_mappings(self, function: str) -> list[EventSourceMapping]:
        """Every qualifier's mappings (paged); [] when the function does not exist."""
        return self._bound.mappings(function)

    def create_event_source_mapping(
        self, function: str, alias: str, spec: EventSourceSpec
    ) -> EventSourceMapping:
        """Bound to the alias ARN (GetAlias once per function when given by name)."""
        return self._bound.create_mapping(function, alias, spec)

    def update_event_source_mapping(
        self, function: str, alias: str, uuid: str, spec: EventSourceSpec
    ) -> EventSourceMapping:
        return self._bound.update_mapping(function, alias, uuid, spec)

    def delete_event_source_mapping(self, function: str, alias: str | None, uuid: str) -> bool:
        """False when it was already gone."""
        return self._bound.delete_mapping(function, alias, uuid)

    def function_urls(self, function: str) -> list[FunctionUrl]:
        return self._bound.urls(function)

    def create_function_url(self, function: str, alias: str, spec: FunctionUrlSpec) -> FunctionUrl:
        return self._bound.create_url(function, alias, spec)

    def update_function_url(self, function: str, alias: str, spec: FunctionUrlSpec) -> FunctionUrl:
        """Clears CORS when ``spec.cors`` is None."""
        return self._bound.update_url(function, alias, spec)

    def delete_function_url(self, function: str, alias: str) -> bool:
        return self._bound.delete_url(function, alias)

    def policy(self, function: str, qualifier: str) -> list[PolicyStatement]:
        """GetPolicy of one qualifier; [] when it has none."""
        return self._bound.policy(function, qualifier)

    def add_permission(self, function: str, alias: str, spec: PermissionSpec) -> None:
        """A statement id already on the alias: ConflictError."""
        self._bound.add_permission(function, alias, spec)

    def remove_permission(self, function: str, alias: str, sid: str) -> bool:
        return self._bound.remove_permission(function, alias, sid)

    def get_provisioned_concurrency(
        self, function: str, qualifier: str
    ) -> ProvisionedConfig | None:
        data = self._optional(
            "GetProvisionedConcurrencyConfig",
            function,
            qualifier,
            self._client.get_provisioned_concurrency_config,
            FunctionName=function,
            Qualifier=qualifier,
        )
        with reading("GetProvisionedConcurrencyConfig", function, qualifier):
            return None if data is None else provisioned_from(qualifier, data)

    def get_alias(self, function: str, alias: str) -> LiveAlias | None:
        data = self._optional(
            "GetAlias", function, alias, self._client.get_alias, FunctionName=function, Name=alias
        )
        with reading("GetAlias", function, alias):
            return None if data is None else alias_from(data)

    def get_version(self, function: str, qualifier: str) -> VersionInfo | None:
        """GetFunctionConfiguration of a version or $LATEST; None if missing."""
        data = self._optional(
            "GetFunctionConfiguration",
            function,
            None,
            self._client.get_function_configuration,
            FunctionName=function,
            Qualifier=qualifier,
        )
        with reading("GetFunctionConfiguration", function):
            return None if data is None else version_from(data)

    def wait_until_updated(self, function: str) -> VersionInfo | None:
        """Poll GetFunctionConfiguration until LastUpdateStatus settles (not GetFunction:
        its answer carries a download URL of the code, which the read role must not get)."""
        policy = self._policy
        deadline = self.session.clock() + policy.settle_timeout
        while True:
            data = self._optional(
                "GetFunctionConfiguration",
                function,
                None,
                self._client.get_function_configuration,
                FunctionName=function,
            )
            if data is None:
                return None
            with reading("GetFunctionConfiguration", function):
                info = version_from(data)
            if info.last_update_status != "InProgress" and info.state != "Pending":
                return info
            if self.session.clock() >= deadline:
                raise ConflictError(
                    "GetFunctionConfiguration",
                    function,
                    f"still {info.last_update_status} after {policy.settle_timeout:.0f}s",
                    code="ResourceConflictException",
                    status=409,
                )
            self.session.sleep(policy.settle_poll)

    def alarm_states(self, function: str, names: Sequence[str]) -> dict[str, AlarmState]:
        """DescribeAlarms (metric and composite) in this region; names absent from the
        result do not exist. ``function`` is the one whose rollout asks (for errors)."""
        if self._alarms is None:
            self._alarms = Caller(self.session, "cloudwatch", self.region)
        return alarm_states(self._alarms, function, names)

    # -- mutations ------------------------------------------------------
    def publish_version(
        self, function: str, code_sha256: str, revision_id: str, description: str | None
    ) -> VersionInfo:
        params: dict[str, Any] = {"FunctionName": function, "CodeSha256": code_sha256}
        if revision_id:
            params["RevisionId"] = revision_id
        if description:
            params["Description"] = description
        policy = self._policy
        deadline = self.session.clock() + policy.settle_timeout
        while True:
            try:
                data = self._call(
                    "PublishVersion", function, None, self._client.publish_version, **params
                )
                with reading("PublishVersion", function):
                    return version_from(data)
            except ConflictError:
                # 409: an update of $LATEST is in progress; wait for it, bounded.
                if self.session.clock() >= deadline:
                    raise
                self.wait_until_updated(function)
            except NotFound as exc:
                raise AwsError(
                    "PublishVersion", function, "function not found", status=404
                ) from exc

    def create_alias(
        self,
        function: str,
        alias: str,
        version: str,
        weights: tuple[tuple[str, float], ...],
        description: str | None,
    ) -> LiveAlias:
        params: dict[str, Any] = {
            "FunctionName": function,
            "Name": alias,
            "FunctionVersion": version,
        }
        if weights:
            params["RoutingConfig"] = {"AdditionalVersionWeights": dict(weights)}
        if description:
            params["Description"] = description
        data = self._mutate("CreateAlias", function, alias, self._client.create_alias, params)
        with reading("CreateAlias", function, alias):
            return alias_from(data)

    def update_alias(
        self,
        function: str,
        alias: str,
        version: str,
        weights: tuple[tuple[str, float], ...],
        description: str | None,
        revision_id: str,
    ) -> LiveAlias:
        params: dict[str, Any] = {
            "FunctionName": function,
            "Name": alias,
            "FunctionVersion": version,
            # Always sent: an empty map is how a split is cleared.
            "RoutingConfig": {"AdditionalVersionWeights": dict(weights)},
        }
        if description is not None:
            params["Description"] = description
        if revision_id:
            params["RevisionId"] = revision_id
        data = self._mutate("UpdateAlias", function, alias, self._client.update_alias, params)
        with reading("UpdateAlias", function, alias):
            return alias_from(data)

    def delete_alias(self, function: str, alias: str) -> bool:
        """Delete; False when it was already gone."""
        try:
            self._call(
                "DeleteAlias",
                function,
                alias,
                self._client.delete_alias,
                FunctionName=function,
                Name=alias,
            )
        except NotFound:
            return False
        return True

    def put_provisioned_concurrency(
        self, function: str, qualifier: str, amount: int
    ) -> ProvisionedConfig:
        params = {
            "FunctionName": function,
            "Qualifier": qualifier,
            "ProvisionedConcurrentExecutions": amount,
        }
        method = self._client.put_provisioned_concurrency_config
        data = self._mutate("PutProvisionedConcurrencyConfig", function, qualifier, method, params)
        with reading("PutProvisionedConcurrencyConfig", function, qualifier):
            return provisioned_from(qualifier, data)

    def delete_provisioned_concurrency(self, function: str, qualifier: str) -> bool:
        """Delete; False when there was none."""
        return self._delete(
            "DeleteProvisionedConcurrencyConfig",
            function,
            qualifier,
            self._client.delete_provisioned_concurrency_config,
        )

    def delete_version(self, function: str, version: str) -> bool:
        """DeleteFunction of one published version; False when it was already gone."""
        return self._delete("DeleteFunction", function, version, self._client.delete_function)

    def _delete(
        self, operation: str, function: str, qualifier: str, method: Callable[..., Any]
    ) -> bool:
        try:
            self._call(
                operation, function, qualifier, method, FunctionName=function, Qualifier=qualifier
            )
        except NotFound:
            return False
        return True
