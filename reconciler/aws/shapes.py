"""AWS shapes without AWS: connection settings, call counts, response parsing.

Pure helpers for :mod:`reconciler.aws.gateway` (which alone imports boto3): they
turn Lambda's response dicts into the project's typed values and AWS error
responses into the project's errors, and are testable without any SDK.
"""

from __future__ import annotations

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


def alias_from(data: Mapping[str, Any]) -> LiveAlias:
    routing = data.get("RoutingConfig") or {}
    return LiveAlias(
        name=str(data["Name"]),
        version=str(data["FunctionVersion"]),
        weights=normalise_weights(routing.get("AdditionalVersionWeights")),
        description=str(data.get("Description") or ""),
        revision_id=str(data.get("RevisionId") or ""),
        arn=str(data.get("AliasArn") or ""),
    )


def version_from(data: Mapping[str, Any]) -> VersionInfo:
    dlq = data.get("DeadLetterConfig") or {}
    return VersionInfo(
        version=str(data.get("Version", LATEST)),
        code_sha256=str(data.get("CodeSha256", "")),
        revision_id=str(data.get("RevisionId") or ""),
        last_update_status=str(data.get("LastUpdateStatus") or "Successful"),
        state=str(data.get("State") or "Active"),
        role=str(data.get("Role") or ""),
        dead_letter_target=str(dlq.get("TargetArn") or ""),
        description=str(data.get("Description") or ""),
    )


def qualifier_of(arn: str) -> str | None:
    """QUALIFIER of arn:aws:lambda:REGION:ACCOUNT:function:NAME:QUALIFIER, if any."""
    parts = str(arn).split(":")
    return parts[7] if len(parts) > 7 and parts[7] else None


def provisioned_from(qualifier: str, data: Mapping[str, Any]) -> ProvisionedConfig:
    return ProvisionedConfig(
        qualifier=qualifier,
        requested=int(data.get("RequestedProvisionedConcurrentExecutions") or 0),
        allocated=int(data.get("AllocatedProvisionedConcurrentExecutions") or 0),
        status=str(data.get("Status") or ""),
        reason=str(data.get("StatusReason") or ""),
    )
