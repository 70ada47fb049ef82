"""The run's AWS session: credentials, one client per service and region,
the shared rate limits, call stats and circuit breaker.

Creating clients is where boto3 reads the profile and the endpoint URL, so an
unknown profile or a malformed URL becomes a project error here, once.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions

from reconciler import __version__
from reconciler.aws.breaker import CircuitBreaker
from reconciler.aws.calls import CREDENTIALS_TODO, Caller, reading, watch_answers
from reconciler.aws.shapes import CallStats, Connection, account_from
from reconciler.aws.throttle import RateLimits
from reconciler.errors import AwsEnvironmentError, CredentialsError, EndpointInvalidError

if TYPE_CHECKING:
    from reconciler.aws.lambda_api import LambdaGateway


def _client_config(concurrency: int) -> botocore.config.Config:
    return botocore.config.Config(
        # Explicit: one attempt per call; the call path does the retrying.
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=max(10, concurrency * 2),
        user_agent_extra=f"reconciler/{__version__}",
    )


def _profile() -> str | None:
    return os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE") or None


def _unknown_profile(exc: BaseException) -> CredentialsError:
    error = CredentialsError(
        f"AWS profile {_profile()!r} is not in the AWS config or credentials file",
        todo="set AWS_PROFILE to a profile that exists (`aws configure list-profiles`) or unset it",
        profile=_profile(),
    )
    error.__cause__ = exc
    return error


def default_region() -> str | None:
    """The region boto3 would use from the environment/config, if any."""
    try:
        region: str | None = boto3.session.Session().region_name
    except botocore.exceptions.ProfileNotFound as exc:
        raise _unknown_profile(exc) from exc
    return region


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
        self.breaker = CircuitBreaker(clock=clock)
        self.sleep = sleep
        self.clock = clock
        self.rng = random.Random()
        keys = connection.credentials
        self.profile = None if keys else _profile()
        try:
            self._boto = (
                boto3.session.Session(aws_access_key_id=keys[0], aws_secret_access_key=keys[1])
                if keys
                else boto3.session.Session()
            )
        except botocore.exceptions.ProfileNotFound as exc:
            raise _unknown_profile(exc) from exc
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        # Read once per run: a boto3 Session per lookup costs ~10 ms. botocore reads
        # only AWS_DEFAULT_REGION; AWS_REGION (what the other SDKs and the AWS CLI
        # read first) is what CI jobs usually set.
        self.default_region: str | None = os.environ.get("AWS_REGION") or self._boto.region_name

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                client = self._new_client(service, region)
                watch_answers(client)
                self._clients[key] = client
            return self._clients[key]

    def _new_client(self, service: str, region: str) -> Any:
        url = self.connection.endpoint_url
        try:
            return self._boto.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=url,
                config=_client_config(self.connection.concurrency),
            )
        except botocore.exceptions.ProfileNotFound as exc:
            error: AwsEnvironmentError = _unknown_profile(exc)
        except ValueError as exc:  # boto3's "Invalid endpoint: ..." (and bad region names)
            error = EndpointInvalidError(
                f"cannot use {service} endpoint {url!r}: {exc}"
                if url
                else f"cannot use AWS: {exc}",
                todo="give --endpoint-url / AWS_ENDPOINT_URL as a full URL, e.g. https://lambda.eu-west-1.amazonaws.com",
                endpoint=url,
                region=region,
                profile=self.profile,
            )
            error.__cause__ = exc
        except botocore.exceptions.NoCredentialsError as exc:
            error = CredentialsError(
                f"no AWS credentials: {exc}", todo=CREDENTIALS_TODO, region=region
            )
            error.__cause__ = exc
        self.breaker.trip(error)
        raise error

    def gateway(self, region: str) -> LambdaGateway:
        from reconciler.aws.lambda_api import LambdaGateway

        return LambdaGateway(self, region)

    def caller_account(self, region: str) -> str:
        """GetCallerIdentity, through the same call path as Lambda (retries,
        rate limit, stats, breaker)."""
        sts = Caller(self, "sts", region)
        identity = sts.call(
            "GetCallerIdentity", "(credentials)", None, sts.client.get_caller_identity
        )
        with reading("GetCallerIdentity", "(credentials)"):
            return account_from(identity)
