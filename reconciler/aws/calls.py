"""The one call path to AWS: rate limit, call stats, retries, error mapping.

Every AWS call of a run (Lambda, CloudWatch, STS) goes through
:meth:`Caller.call`. Retries are ours, not botocore's: botocore is configured
for one attempt, and this loop retries throttling (honouring
``retryAfterSeconds``), 5xx, dropped connections and timeouts with jittered
exponential backoff, every attempt paying a token to the run's rate limiter so
that retries never exceed the shared quota. What the user's environment causes
(credentials, an unreachable or foreign endpoint, TLS) becomes an
:class:`~reconciler.errors.AwsEnvironmentError` and feeds the run's circuit
breaker instead of being retried for minutes per function. A 2xx answer that
cannot be read (not JSON, cut off, the wrong shape: see
:mod:`reconciler.aws.answers`) is retried like a dropped connection, but only
:data:`UNREADABLE_ATTEMPTS` times, and then fails that call's function with a
:class:`~reconciler.errors.MalformedResponseError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from reconciler.aws.answers import (
    PARSE_FAILURES,
    UnreadableAnswer,
    answer_problem,
    is_read,
    raised_while_parsing,
)
from reconciler.aws.shapes import UnexpectedShape, error_from
from reconciler.errors import (
    AwsEnvironmentError,
    AwsError,
    CredentialsError,
    EndpointNotLambdaError,
    EndpointTlsError,
    EndpointUnreachableError,
    MalformedResponseError,
    ReconcilerError,
    ThrottledError,
)

if TYPE_CHECKING:
    from reconciler.aws.session import Session

log = logging.getLogger("reconciler.aws.calls")

# Operations with their own quota (and so their own client-side bucket);
# GetFunctionConfiguration shares Lambda's control-plane one.
_QUOTAS = {
    "DescribeAlarms": "cloudwatch",
    "GetCallerIdentity": "sts",
    "GetPolicy": "get_policy",
}
# Only Lambda's own word makes a 404 "does not exist".
NOT_FOUND_CODES = {"ResourceNotFoundException"}
# AWS's answers to keys it does not accept: no retry, no other function, can help.
CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
}
_CREDENTIAL_FAILURES = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
    botocore.exceptions.CredentialRetrievalError,
    botocore.exceptions.TokenRetrievalError,
    botocore.exceptions.SSOError,
    botocore.exceptions.ProfileNotFound,
)
CREDENTIALS_TODO = (
    "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or log in: `aws sso login`)"
)
ENDPOINT_TODO = "check --endpoint-url / AWS_ENDPOINT_URL, the network and any proxy"
# Unreadable answers are retried (a cut connection, a proxy's hiccup), but few
# times: one that keeps coming is the endpoint's or a proxy's doing, and the
# full retry budget would spend half a minute per call on it.
UNREADABLE_ATTEMPTS = 3
# The name our botocore hook is registered under: once per client, however many
# Callers share it.
_HOOK_ID = "reconciler-unreadable-answers"


def connect_failure(exc: BaseException) -> str:
    """Why nothing answered, in the user's words (botocore's text only names the URL)."""
    if isinstance(exc, botocore.exceptions.ConnectTimeoutError):
        return "timed out connecting"
    kwargs = getattr(exc, "kwargs", {}) or {}
    detail = str(kwargs.get("error") or exc)
    lowered = detail.lower()
    if "refused" in lowered:
        return "connection refused"
    if any(
        hint in lowered
        for hint in (
            "name or service not known",
            "nodename nor servname",
            "name resolution",
            "getaddrinfo",
        )
    ):
        return "DNS lookup of the endpoint's host failed"
    return detail


class NotFound(Exception):
    """Internal: the resource does not exist (mapped to None by callers)."""


def _check_answer(operation_model: Any, response_dict: Mapping[str, Any], **_: Any) -> None:
    """botocore's before-parse event: refuse an answer its parser would misread
    (a body that is not JSON reads as an empty answer) or crash on."""
    status = int(response_dict.get("status_code") or 0)
    body = response_dict.get("body")
    why = answer_problem(operation_model, status, response_dict.get("headers") or {}, body)
    if why:
        start = bytes(body[:120]) if isinstance(body, bytes | bytearray) else b""
        raise UnreadableAnswer(why, status, start)


def watch_answers(client: Any) -> None:
    """Check every answer of ``client`` before botocore parses it (once per client:
    the session calls this when it makes one)."""
    client.meta.events.register("before-parse", _check_answer, unique_id=_HOOK_ID)


def _parse_failure(exc: BaseException) -> str:
    """botocore's words for what it could not parse: one short line (a
    ResponseParserError carries the whole body)."""
    text = " ".join(str(exc).split("\n", 1)[0].split())
    text = text if len(text) <= 160 else f"{text[:157]}..."
    return f"botocore could not parse it ({type(exc).__name__}: {text})"


@contextmanager
def reading(operation: str, function: str, alias: str | None = None) -> Iterator[None]:
    """Around turning an answer into typed values (:mod:`reconciler.aws.shapes`): an
    answer without what the operation always returns fails the call's function."""
    try:
        yield
    except UnexpectedShape as exc:
        raise MalformedResponseError(
            operation, function, str(exc), alias=alias, status=200, mutation=not is_read(operation)
        ) from exc


class Caller:
    """Calls of one service in one region, on the run's shared session."""

    def __init__(self, session: Session, service: str, region: str) -> None:
        self.session = session
        self.service = service
        self.region = region
        self.client = session.client(service, region)
        self._policy = session.connection.retry

    @property
    def endpoint(self) -> str:
        return str(getattr(self.client.meta, "endpoint_url", "") or "")

    def environment_error(
        self, kind: type[AwsEnvironmentError], what: str, todo: str
    ) -> AwsEnvironmentError:
        return kind(
            what,
            todo=todo,
            endpoint=self.endpoint or None,
            region=self.region,
            profile=self.session.profile,
        )

    def optional(
        self,
        operation: str,
        function: str,
        alias: str | None,
        method: Callable[..., Any],
        **params: Any,
    ) -> Any:
        """Like :meth:`call`, but None when Lambda says the resource does not exist."""
        try:
            return self.call(operation, function, alias, method, **params)
        except NotFound:
            return None

    def mutate(
        self,
        operation: str,
        function: str,
        alias: str,
        method: Callable[..., Any],
        params: dict[str, Any],
        *,
        missing: str = "function or version",
    ) -> Any:
        """Like :meth:`call` for a change: a 404 means what the change needs is gone,
        which the caller reports (an AwsError saying ``missing`` was not found)."""
        try:
            return self.call(operation, function, alias, method, **params)
        except NotFound as exc:
            raise AwsError(
                operation, function, f"{missing} not found", alias=alias, status=404
            ) from exc

    def call(
        self,
        operation: str,
        function: str,
        alias: str | None,
        method: Callable[..., Any],
        **params: Any,
    ) -> Any:
        policy = self._policy
        session = self.session
        breaker = session.breaker
        bucket = session.limits.bucket(self.region, _QUOTAS.get(operation, "control"))
        started = session.clock()
        attempt = unreadable = 0
        while True:
            breaker.check()  # open: start no new call
            bucket.acquire()
            session.stats.count(operation, retry=attempt > 0)
            log.debug("%s %s%s", operation, function, f":{alias}" if alias else "")
            try:
                result = method(**params)
            except botocore.exceptions.ClientError as exc:
                error = error_from(exc.response, operation, function, alias)
                if error.code in NOT_FOUND_CODES:
                    raise NotFound() from exc
                self._refuse_foreign(error, exc)
                delay = self._retry_delay(error, exc.response, attempt)
                if delay is None:
                    raise error from exc
                if isinstance(error, ThrottledError):
                    bucket.penalise(delay)
                last: ReconcilerError = error
                cause: BaseException = exc
            except botocore.exceptions.SSLError as exc:
                raise self._trip(
                    EndpointTlsError, f"TLS failed talking to AWS: {exc}", exc
                ) from exc
            except botocore.exceptions.ConnectionError as exc:
                # Refused, DNS failure, connect timeout, proxy: nothing answered.
                unreachable = self.environment_error(
                    EndpointUnreachableError,
                    f"cannot connect to AWS {self.service}: {connect_failure(exc)}",
                    ENDPOINT_TODO,
                )
                delay = policy.backoff(attempt, session.rng)
                if breaker.connect_failed(unreachable, delay):
                    raise unreachable from exc
                last, cause = unreachable, exc
            except botocore.exceptions.HTTPClientError as exc:
                # Connected, then dropped or timed out reading: a fault worth retrying.
                last = AwsError(operation, function, f"network error: {exc}", alias=alias)
                cause = exc
                delay = policy.backoff(attempt, session.rng)
            except _CREDENTIAL_FAILURES as exc:
                raise self._trip(
                    CredentialsError, f"no usable AWS credentials: {exc}", exc
                ) from exc
            except UnreadableAnswer as exc:
                unreadable += 1
                last = self._unreadable(operation, function, alias, exc.why, exc.status, attempt)
                cause, delay = exc, policy.backoff(attempt, session.rng)
            except PARSE_FAILURES as exc:
                # Only what botocore raised parsing the answer; anything else is a bug.
                if not raised_while_parsing(exc):
                    raise
                unreadable += 1
                why = _parse_failure(exc)
                last = self._unreadable(operation, function, alias, why, 0, attempt)
                cause, delay = exc, policy.backoff(attempt, session.rng)
            else:
                breaker.succeeded()
                return result
            attempt += 1
            elapsed = session.clock() - started
            spent = attempt >= policy.max_attempts or elapsed + delay > policy.max_total
            if spent or unreadable >= UNREADABLE_ATTEMPTS:
                log.warning("%s on %s: giving up after %d attempts", operation, function, attempt)
                if isinstance(last, MalformedResponseError):
                    self._explain(last, cause)
                raise last from cause
            log.debug("%s on %s: retry %d in %.2fs (%s)", operation, function, attempt, delay, last)
            session.sleep(delay)

    def _unreadable(
        self, operation: str, function: str, alias: str | None, why: str, status: int, attempt: int
    ) -> MalformedResponseError:
        return MalformedResponseError(
            operation,
            function,
            why,
            alias=alias,
            status=status,
            attempts=attempt + 1,
            mutation=not is_read(operation),
        )

    @staticmethod
    def _explain(error: MalformedResponseError, cause: BaseException) -> None:
        """With --verbose: the cause's traceback and how the answer began (never
        in reports, which keep only the message: the body is untrusted text)."""
        start = cause.start if isinstance(cause, UnreadableAnswer) else b""
        began = f" (the body began {start!r})" if start else ""
        where = f"{error.function}:{error.alias}" if error.alias else error.function
        log.info(
            "%s on %s: why its answer could not be read%s:",
            error.operation,
            where,
            began,
            exc_info=cause,
        )

    def _trip(
        self, kind: type[AwsEnvironmentError], what: str, cause: BaseException
    ) -> AwsEnvironmentError:
        todo = CREDENTIALS_TODO if kind is CredentialsError else ENDPOINT_TODO
        if kind is EndpointTlsError:
            todo = (
                "check that the endpoint URL's scheme (http/https) and certificate match the server"
            )
        error = self.environment_error(kind, what, todo)
        error.__cause__ = cause
        self.session.breaker.trip(error)
        return error

    def _refuse_foreign(self, error: AwsError, exc: BaseException) -> None:
        """Answers that say the environment, not this call, is wrong."""
        if error.code in CREDENTIAL_CODES:
            raise self._trip(
                CredentialsError, f"AWS rejected the credentials: {error.aws_message}", exc
            ) from exc
        if error.status == 404:
            what = (
                f"the endpoint did not answer like AWS {self.service} "
                f"(HTTP 404 {error.code or ''} from {self.endpoint or 'AWS'} for {error.operation})"
            )
            raise self._trip(
                EndpointNotLambdaError,
                " ".join(what.split()),
                exc,
            ) from exc

    def _retry_delay(
        self, error: AwsError, response: Mapping[str, Any], attempt: int
    ) -> float | None:
        backoff = self._policy.backoff(attempt, self.session.rng)
        if isinstance(error, ThrottledError):
            try:
                hinted = float(response.get("retryAfterSeconds") or 0)
            except (TypeError, ValueError):
                hinted = 0.0
            return max(hinted, backoff)
        if error.status >= 500 or error.code in {"ServiceException", "ServiceUnavailable"}:
            return backoff
        return None
