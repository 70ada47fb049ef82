"""The only module that talks to AWS (the only importer of boto3/botocore).

One small method per AWS call, typed results. "Not found" becomes ``None``;
every other failure becomes a :mod:`reconciler.errors` type that names the
operation, the function and the alias, and keeps the AWS error as its cause.

Retries are ours, not botocore's: botocore is configured explicitly for one
attempt, and :meth:`LambdaGateway._call` retries throttling (honouring
``retryAfterSeconds``), 5xx, dropped connections and timeouts with jittered
exponential backoff, every attempt paying a token to the run's rate limiter so
that retries never exceed the shared quota.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from reconciler import __version__
from reconciler.aws.live import (
    AlarmState,
    Attachment,
    LiveAlias,
    ProvisionedConfig,
    VersionInfo,
)
from reconciler.aws.shapes import (
    CallStats,
    Connection,
    alias_from,
    error_from,
    provisioned_from,
    qualifier_of,
    version_from,
)
from reconciler.aws.throttle import RateLimits
from reconciler.errors import (
    AwsError,
    ConflictError,
    ThrottledError,
)

__all__ = ["CallStats", "Connection", "EmulatorAdmin", "LambdaGateway", "Session"]

log = logging.getLogger("reconciler.aws.gateway")

PAGE_SIZE = 50
# DescribeAlarms takes at most 100 names per call.
ALARM_BATCH = 100
# Operations with their own quota (and so their own client-side bucket).
_QUOTAS = {"GetFunction": "get_function", "DescribeAlarms": "cloudwatch"}
_NOT_FOUND_CODES = {"ResourceNotFoundException"}
_RETRYABLE_NETWORK = (
    botocore.exceptions.ConnectionError,
    botocore.exceptions.HTTPClientError,
)


class _NotFound(Exception):
    """Internal: the resource does not exist (mapped to None by callers)."""


def _client_config(concurrency: int) -> botocore.config.Config:
    return botocore.config.Config(
        # Explicit: one attempt per call; the gateway does the retrying.
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=max(10, concurrency * 2),
        user_agent_extra=f"reconciler/{__version__}",
    )


class Session:
    """Shared by all gateways of a run: clients per region, limits, stats."""

    def __init__(
        self,
        connection: Connection,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.connection = connection
        self.limits = RateLimits(connection.max_rps, clock=clock, sleep=sleep)
        self.stats = CallStats()
        self._sleep = sleep
        self._clock = clock
        keys = connection.credentials
        self._boto = (
            boto3.session.Session(aws_access_key_id=keys[0], aws_secret_access_key=keys[1])
            if keys
            else boto3.session.Session()
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._rng = random.Random()
        # Read once per run: a boto3 Session per lookup costs ~10 ms. botocore reads
        # only AWS_DEFAULT_REGION; AWS_REGION (what the other SDKs and the AWS CLI
        # read first) is what CI jobs usually set.
        self.default_region: str | None = os.environ.get("AWS_REGION") or self._boto.region_name

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._boto.client(
                    service,  # type: ignore[call-overload]
                    region_name=region,
                    endpoint_url=self.connection.endpoint_url,
                    config=_client_config(self.connection.concurrency),
                )
            return self._clients[key]

    def gateway(self, region: str) -> LambdaGateway:
        return LambdaGateway(self, region)

    def caller_account(self, region: str) -> str:
        client = self.client("sts", region)
        try:
            account: str = client.get_caller_identity()["Account"]
        except botocore.exceptions.ClientError as exc:
            raise error_from(exc.response, "GetCallerIdentity", "(credentials)", None) from exc
        except (botocore.exceptions.NoCredentialsError, *_RETRYABLE_NETWORK) as exc:
            raise AwsError("GetCallerIdentity", "(credentials)", str(exc)) from exc
        return account


class LambdaGateway:
    """Typed Lambda calls for one region, with retries and rate limiting."""

    def __init__(self, session: Session, region: str) -> None:
        self.session = session
        self.region = region
        self._client = session.client("lambda", region)
        self._policy = session.connection.retry

    # -- the retry loop -------------------------------------------------
    def _call(
        self,
        operation: str,
        function: str,
        alias: str | None,
        method: Callable[..., Any],
        **params: Any,
    ) -> Any:
        policy = self._policy
        quota = _QUOTAS.get(operation, "control")
        bucket = self.session.limits.bucket(self.region, quota)
        started = self.session._clock()
        attempt = 0
        while True:
            bucket.acquire()
            self.session.stats.count(operation, retry=attempt > 0)
            log.debug("%s %s%s", operation, function, f":{alias}" if alias else "")
            try:
                return method(**params)
            except botocore.exceptions.ClientError as exc:
                error = error_from(exc.response, operation, function, alias)
                if error.code in _NOT_FOUND_CODES or error.status == 404:
                    raise _NotFound() from exc
                delay = self._retry_delay(error, exc.response, attempt)
                if delay is None:
                    raise error from exc
                if isinstance(error, ThrottledError):
                    bucket.penalise(delay)
                last: AwsError = error
                cause: BaseException = exc
            except _RETRYABLE_NETWORK as exc:
                last = AwsError(operation, function, f"network error: {exc}", alias=alias)
                cause = exc
                delay = self._policy.backoff(attempt, self.session._rng)
            attempt += 1
            elapsed = self.session._clock() - started
            if attempt >= policy.max_attempts or elapsed + delay > policy.max_total:
                log.warning("%s on %s: giving up after %d attempts", operation, function, attempt)
                raise last from cause
            log.debug("%s on %s: retry %d in %.2fs (%s)", operation, function, attempt, delay, last)
            self.session._sleep(delay)

    def _retry_delay(
        self, error: AwsError, response: Mapping[str, Any], attempt: int
    ) -> float | None:
        backoff = self._policy.backoff(attempt, self.session._rng)
        if isinstance(error, ThrottledError):
            try:
                hinted = float(response.get("retryAfterSeconds") or 0)
            except (TypeError, ValueError):
                hinted = 0.0
            return max(hinted, backoff)
        if error.status >= 500 or error.code in {"ServiceException", "ServiceUnavailable"}:
            return backoff
        return None

    def _optional(
        self,
        operation: str,
        function: str,
        alias: str | None,
        method: Callable[..., Any],
        **params: Any,
    ) -> Any:
        try:
            return self._call(operation, function, alias, method, **params)
        except _NotFound:
            return None

    # -- reads ----------------------------------------------------------
    def list_aliases(self, function: str) -> list[LiveAlias] | None:
        """All aliases (paged), or None when the function does not exist."""
        items = self._listed("ListAliases", function, self._client.list_aliases, "Aliases")
        return None if items is None else [alias_from(a) for a in items]

    def list_versions(self, function: str) -> list[VersionInfo] | None:
        """$LATEST then every published version (paged), or None if missing."""
        items = self._listed(
            "ListVersionsByFunction", function, self._client.list_versions_by_function, "Versions"
        )
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
        return [provisioned_from(qualifier_of(c["FunctionArn"]) or "", c) for c in items]

    def list_event_source_mappings(self, function: str) -> list[Attachment]:
        """Event source mappings of the function, any qualifier (paged)."""
        items = self._listed(
            "ListEventSourceMappings",
            function,
            self._client.list_event_source_mappings,
            "EventSourceMappings",
        )
        return [
            Attachment("event source mapping", qualifier_of(m["FunctionArn"]), str(m["UUID"]))
            for m in items or []
        ]

    def list_function_urls(self, function: str) -> list[Attachment]:
        """Function URL configs (unqualified or on an alias), paged."""
        items = self._listed(
            "ListFunctionUrlConfigs",
            function,
            self._client.list_function_url_configs,
            "FunctionUrlConfigs",
        )
        return [
            Attachment("function URL", qualifier_of(u["FunctionArn"]), str(u["FunctionUrl"]))
            for u in items or []
        ]

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
        return None if data is None else provisioned_from(qualifier, data)

    def get_alias(self, function: str, alias: str) -> LiveAlias | None:
        data = self._optional(
            "GetAlias", function, alias, self._client.get_alias, FunctionName=function, Name=alias
        )
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
        return None if data is None else version_from(data)

    def wait_until_updated(self, function: str) -> VersionInfo | None:
        """Poll GetFunction (its own quota) until LastUpdateStatus settles."""
        policy = self._policy
        deadline = self.session._clock() + policy.settle_timeout
        while True:
            data = self._optional(
                "GetFunction", function, None, self._client.get_function, FunctionName=function
            )
            if data is None:
                return None
            info = version_from(data.get("Configuration", {}))
            if info.last_update_status != "InProgress" and info.state != "Pending":
                return info
            if self.session._clock() >= deadline:
                raise ConflictError(
                    "GetFunction",
                    function,
                    f"still {info.last_update_status} after {policy.settle_timeout:.0f}s",
                    code="ResourceConflictException",
                    status=409,
                )
            self.session._sleep(policy.settle_poll)

    def alarm_states(self, function: str, names: Sequence[str]) -> dict[str, AlarmState]:
        """DescribeAlarms (metric and composite) in this region; names absent from the
        result do not exist. ``function`` is the one whose rollout asks (for errors)."""
        client = self.session.client("cloudwatch", self.region)
        found: dict[str, AlarmState] = {}
        wanted = sorted(set(names))
        for start in range(0, len(wanted), ALARM_BATCH):
            params: dict[str, Any] = {
                "AlarmNames": wanted[start : start + ALARM_BATCH],
                "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
                "MaxRecords": ALARM_BATCH,
            }
            while True:
                data = (
                    self._optional(
                        "DescribeAlarms", function, None, client.describe_alarms, **params
                    )
                    or {}
                )
                for alarm in [*data.get("MetricAlarms", []), *data.get("CompositeAlarms", [])]:
                    name = str(alarm["AlarmName"])
                    found[name] = AlarmState(
                        name,
                        str(alarm.get("StateValue") or ""),
                        str(alarm.get("StateReason") or ""),
                    )
                token = data.get("NextToken")
                if not token:
                    break
                params["NextToken"] = token
        return found

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
        deadline = self.session._clock() + policy.settle_timeout
        while True:
            try:
                data = self._call(
                    "PublishVersion", function, None, self._client.publish_version, **params
                )
                return version_from(data)
            except ConflictError:
                # 409: an update of $LATEST is in progress; wait for it, bounded.
                if self.session._clock() >= deadline:
                    raise
                self.wait_until_updated(function)
            except _NotFound as exc:
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
        return alias_from(
            self._mutate("CreateAlias", function, alias, self._client.create_alias, params)
        )

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
        return alias_from(
            self._mutate("UpdateAlias", function, alias, self._client.update_alias, params)
        )

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
        except _NotFound:
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
        except _NotFound:
            return False
        return True

    def _mutate(
        self,
        operation: str,
        function: str,
        alias: str,
        method: Callable[..., Any],
        params: dict[str, Any],
    ) -> Mapping[str, Any]:
        try:
            data: Mapping[str, Any] = self._call(operation, function, alias, method, **params)
        except _NotFound as exc:
            raise AwsError(
                operation, function, "function or version not found", alias=alias, status=404
            ) from exc
        return data


class EmulatorAdmin:
    """Set-up calls for the local sandbox (create functions, deploy code).

    Not used against real AWS by plan/apply/drift; it lives here because this
    module is the only one that talks to boto3.
    """

    def __init__(self, session: Session, region: str) -> None:
        self._lambda = session.client("lambda", region)
        self._iam = session.client("iam", region)

    def ensure_role(self, name: str) -> str:
        try:
            arn: str = self._iam.get_role(RoleName=name)["Role"]["Arn"]
        except botocore.exceptions.ClientError:
            policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
            arn = self._iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy)["Role"][
                "Arn"
            ]
        return arn

    def create_function(self, name: str, code: bytes, role: str) -> None:
        self._lambda.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": code},
        )

    def deploy(self, name: str, code: bytes) -> str:
        """UpdateFunctionCode of $LATEST; returns its CodeSha256."""
        sha: str = self._lambda.update_function_code(FunctionName=name, ZipFile=code)["CodeSha256"]
        return sha

    def publish(self, name: str, description: str = "") -> str:
        version: str = self._lambda.publish_version(FunctionName=name, Description=description)[
            "Version"
        ]
        return version
