"""AWS shapes without AWS: connection settings, call counts, response parsing.

Pure helpers for :mod:`reconciler.aws.gateway` (which alone imports boto3): they
turn Lambda's response dicts into the project's typed values and AWS error
responses into the project's errors, and are testable without any SDK.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.aws.live import LiveAlias, ProvisionedConfig, VersionInfo, normalise_weights
from reconciler.aws.throttle import RetryPolicy
from reconciler.errors import (
    AccessDeniedError,
    AwsError,
    ConflictError,
    InvalidRequestError,
    PreconditionFailedError,
    ThrottledError,
)
from reconciler.manifest.model import LATEST

THROTTLE_CODES = {"TooManyRequestsException", "Throttling", "ThrottlingException"}


@dataclass
class CallStats:
    """How many calls (and retries) a gateway made, by operation."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, operation: str, *, retry: bool) -> None:
        with self.lock:
            self.calls[operation] += 1
            if retry:
                self.retries[operation] += 1


@dataclass(frozen=True)
class Connection:
    """How to reach AWS: what the global CLI options say."""

    region: str | None = None
    endpoint_url: str | None = None
    max_rps: float = 10.0
    concurrency: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Explicit keys (the sandbox); None: boto3's usual credential chain.
    credentials: tuple[str, str] | None = None


def error_from(
    response: Mapping[str, Any], operation: str, function: str, alias: str | None
) -> AwsError:
    """The project's error for an AWS error response (botocore's ``e.response``)."""
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    message = str(error.get("Message", "")) or code or f"HTTP {status}"
    kind: type[AwsError] = AwsError
    if code in THROTTLE_CODES or status == 429:
        kind = ThrottledError
    elif code == "PreconditionFailedException" or status == 412:
        kind = PreconditionFailedError
    elif code in {"ResourceConflictException", "ConflictException"} or status == 409:
        kind = ConflictError
    elif code in {"AccessDeniedException", "AccessDenied", "UnrecognizedClientException"}:
        kind = AccessDeniedError
    elif status == 400:
        kind = InvalidRequestError
    return kind(operation, function, message, alias=alias, code=code, status=status)


class UnexpectedShape(Exception):
    """Internal: a readable answer without what the operation always returns (an
    alias without its Name, a version number that is not one). The gateway turns
    it into a MalformedResponseError on the call's function."""


# What Lambda documents for FunctionVersion / Version: $LATEST or a number.
_VERSION = re.compile(r"\$LATEST|[0-9]{1,20}", re.ASCII)


def _quoted(value: Any) -> str:
    """AWS's text inside our message: short and on one line."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _text(data: Mapping[str, Any], key: str, what: str) -> str:
    """An optional text field: absent and null are ""; another type is damage."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UnexpectedShape(f"{what}'s {key} is {type(value).__name__}, not text")
    return value


def _version(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not _VERSION.fullmatch(value):
        raise UnexpectedShape(f"{what}'s {key} {_quoted(value)} is not $LATEST or a number")
    return value


def _count(data: Mapping[str, Any], key: str, what: str) -> int:
    value = data.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnexpectedShape(f"{what}'s {key} {_quoted(value)} is not a count")
    return value


def _object(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise UnexpectedShape(f"{what} is {type(data).__name__}, not an object")
    return data


def _optional_object(data: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
    """An optional object field: absent and null are {}; another type is damage."""
    value = data.get(key)
    return {} if value is None else _object(value, f"{what}'s {key}")


def _weights(data: Mapping[str, Any], what: str) -> tuple[tuple[str, float], ...]:
    routing = _optional_object(data, "RoutingConfig", what)
    weights = _optional_object(routing, "AdditionalVersionWeights", what)
    for version, weight in weights.items():
        if not isinstance(version, str) or not version.isdigit():
            raise UnexpectedShape(f"{what} routes traffic to {_quoted(version)}, not a version")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise UnexpectedShape(f"{what}'s weight for {version} is not a number")
        if not 0.0 <= weight <= 1.0:  # NaN fails both comparisons too
            raise UnexpectedShape(f"{what}'s weight for {version} is {weight}, not 0.0-1.0")
    return normalise_weights(weights)


def alias_from(data: Any) -> LiveAlias:
    """Total over what parses as JSON: a LiveAlias, or UnexpectedShape saying why not."""
    data = _object(data, "an alias")
    name = data.get("Name")
    if not isinstance(name, str) or not name:
        raise UnexpectedShape(f"an alias has the Name {_quoted(name)}, not a name")
    what = f"alias {_quoted(name)}"
    return LiveAlias(
        name=name,
        version=_version(data, "FunctionVersion", what),
        weights=_weights(data, what),
        description=_text(data, "Description", what),
        revision_id=_text(data, "RevisionId", what),
        arn=_text(data, "AliasArn", what),
    )


def version_from(data: Any) -> VersionInfo:
    """Total, like :func:`alias_from` (a missing Version is $LATEST's answer)."""
    data = _object(data, "a function configuration")
    version = data.get("Version", LATEST)
    what = f"version {_quoted(version)}"
    dlq = _optional_object(data, "DeadLetterConfig", what)
    return VersionInfo(
        version=_version({"Version": version}, "Version", "a function configuration"),
        code_sha256=_text(data, "CodeSha256", what),
        revision_id=_text(data, "RevisionId", what),
        last_update_status=_text(data, "LastUpdateStatus", what) or "Successful",
        state=_text(data, "State", what) or "Active",
        role=_text(data, "Role", what),
        dead_letter_target=_text(dlq, "TargetArn", what),
        description=_text(data, "Description", what),
    )


def qualifier_of(arn: str) -> str | None:
    """QUALIFIER of arn:aws:lambda:REGION:ACCOUNT:function:NAME:QUALIFIER, if any."""
    parts = str(arn).split(":")
    return parts[7] if len(parts) > 7 and parts[7] else None


def provisioned_from(qualifier: str, data: Any) -> ProvisionedConfig:
    what = f"the provisioned concurrency of {_quoted(qualifier)}"
    data = _object(data, what)
    return ProvisionedConfig(
        qualifier=qualifier,
        requested=_count(data, "RequestedProvisionedConcurrentExecutions", what),
        allocated=_count(data, "AllocatedProvisionedConcurrentExecutions", what),
        status=_text(data, "Status", what),
        reason=_text(data, "StatusReason", what),
    )


def provisioned_list_from(items: list[Any]) -> list[ProvisionedConfig]:
    """ListProvisionedConcurrencyConfigs' items, each by the qualifier of its FunctionArn."""
    found = []
    for item in items:
        arn = _text(_object(item, "a provisioned-concurrency config"), "FunctionArn", "a config")
        found.append(provisioned_from(qualifier_of(arn) or "", item))
    return found


def account_from(identity: Any) -> str:
    """GetCallerIdentity's Account: twelve digits."""
    account = _object(identity, "the caller identity").get("Account")
    if not isinstance(account, str) or not re.fullmatch(r"[0-9]{12}", account):
        raise UnexpectedShape(f"the caller identity's Account {_quoted(account)} is not an account")
    return account
