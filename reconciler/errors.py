"""The one exception tree of the project.

Everything the tool raises on purpose derives from :class:`ReconcilerError`; the
CLI catches only that base class, prints ``str(err)`` (which says what failed,
on which resource, and what to do) and exits 1. Anything else is a bug and
keeps its traceback. Each class names its ``reason``: the ``failure_reason``
of the JSON document a failed run prints.

::

    ReconcilerError
    ├── UsageError               bad CLI input or settings file
    ├── ManifestError            manifests failed validation (carries diagnostics)
    ├── PlanError                problems found while planning (all functions)
    ├── StalePlanError           a saved plan no longer matches the world
    ├── ApplyError               one or more functions failed to apply
    ├── SandboxError             the local emulator could not start
    ├── AwsEnvironmentError      AWS cannot be used at all this run (one line, exit 1)
    │   ├── CredentialsError         no/invalid credentials, unknown profile
    │   ├── EndpointInvalidError     the endpoint URL is not a URL
    │   ├── EndpointUnreachableError refused, DNS failure, connect timeout
    │   ├── EndpointTlsError         TLS handshake or certificate failure
    │   └── EndpointNotLambdaError   the endpoint answered, but not like Lambda
    └── AwsError                 an AWS call failed (function/alias + cause kept)
        ├── ThrottledError           429 TooManyRequestsException, retries spent
        ├── ConflictError            409 ResourceConflictException
        ├── PreconditionFailedError  412: RevisionId no longer current
        ├── AccessDeniedError        credentials lack a permission
        ├── InvalidRequestError      400: AWS rejected the parameters
        └── MalformedResponseError   a 2xx answer that cannot be read (retries spent),
                                     or lacks what the operation always returns
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ReconcilerError(Exception):
    """Base of every error the tool raises on purpose."""

    hint: str = ""
    # The JSON document's `failure_reason` when this error ends a run.
    reason: str = "error"

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class UsageError(ReconcilerError):
    """The command line or a settings file asks for something impossible."""

    reason = "usage"


@dataclass(frozen=True)
class Diagnostic:
    """One validation problem, located in a manifest file.

    ``line`` and ``col`` are 1-based, taken from the parser's marks; both are
    None for a problem of the file as a whole (missing, unreadable, too large),
    where no line is known. Reports carry them as data (JSON ``file``/``line``/
    ``col``, GitHub annotations); ``message`` never repeats them.
    """

    file: str
    line: int | None
    col: int | None
    message: str

    def __str__(self) -> str:
        # Compiler-style lines always hold a position (log parsers and editors
        # expect one): a whole-file problem is shown at the file's start.
        return f"{self.file}:{self.line or 1}:{self.col or 1}: error: {self.message}"


class ManifestError(ReconcilerError):
    """The manifests are invalid; nothing was sent to AWS."""

    hint = "fix the manifests (run `reconciler validate`) and try again"
    reason = "invalid-manifest"

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        lines = "\n".join(str(d) for d in self.diagnostics)
        super().__init__(f"{len(self.diagnostics)} manifest error(s):\n{lines}")


class PlanError(ReconcilerError):
    """Problems found while planning; apply mutates nothing when any exist."""

    hint = "fix the manifests or the live functions; nothing was changed"
    reason = "plan-error"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        body = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"planning found {len(self.problems)} error(s):\n{body}")


class StalePlanError(ReconcilerError):
    """A saved plan does not match the manifests or live state any more."""

    hint = "run `reconciler plan --out` again, review it, and apply the new plan"
    reason = "plan-stale"

    def __init__(self, differences: Sequence[str]) -> None:
        self.differences = tuple(differences)
        body = "\n".join(f"  - {d}" for d in self.differences)
        super().__init__(f"saved plan is stale; nothing was changed:\n{body}")


class ApplyError(ReconcilerError):
    """Some functions failed to apply; the others were applied."""

    hint = "fix the cause and run apply again: it converges what is left"
    reason = "apply-failed"


class SandboxError(ReconcilerError):
    """The local AWS emulator could not be started."""


class AwsEnvironmentError(ReconcilerError):
    """AWS cannot be used at all: the user's environment (credentials, endpoint,
    network, TLS) is at fault, not one function. Printed as one line: what
    failed, where (endpoint, region, profile), what to do."""

    reason = "endpoint-unreachable"

    def __init__(
        self,
        what: str,
        *,
        todo: str = "",
        endpoint: str | None = None,
        region: str | None = None,
        profile: str | None = None,
    ) -> None:
        self.what = what
        self.todo = todo
        self.endpoint = endpoint
        self.region = region
        self.profile = profile
        super().__init__(what)

    @property
    def where(self) -> str:
        parts = [
            f"endpoint {self.endpoint or 'AWS default'}",
            f"region {self.region or 'unset'}",
            f"profile {self.profile or 'default'}",
        ]
        return ", ".join(parts)

    def __str__(self) -> str:
        todo = f"; {self.todo}" if self.todo else ""
        return f"{self.what} ({self.where}){todo}"


class CredentialsError(AwsEnvironmentError):
    """No credentials, credentials AWS rejects, or an unknown profile."""

    reason = "credentials"


class EndpointInvalidError(AwsEnvironmentError):
    """The endpoint URL cannot be used (not a URL, bad scheme)."""

    reason = "endpoint-invalid"


class EndpointUnreachableError(AwsEnvironmentError):
    """Nothing answered: connection refused, DNS failure, connect timeout."""

    reason = "endpoint-unreachable"


class EndpointTlsError(AwsEnvironmentError):
    """The TLS handshake failed (https against http, bad certificate)."""

    reason = "endpoint-tls"


class EndpointNotLambdaError(AwsEnvironmentError):
    """Something answered, but not like Lambda (e.g. a proxy's HTML 404)."""

    reason = "endpoint-not-lambda"


class AwsError(ReconcilerError):
    """An AWS call failed. Keeps the operation, the resource and the cause."""

    reason = "aws-error"

    def __init__(
        self,
        operation: str,
        function: str,
        message: str,
        *,
        alias: str | None = None,
        code: str = "",
        status: int = 0,
    ) -> None:
        self.operation = operation
        self.function = function
        self.alias = alias
        self.code = code
        self.status = status
        self.aws_message = message
        where = f"{function}:{alias}" if alias else function
        label = f"{code} " if code else ""
        super().__init__(f"{operation} on {where} failed: {label}{message}".rstrip())


class ThrottledError(AwsError):
    hint = "AWS kept throttling; lower --max-rps or --concurrency and run again"


class ConflictError(AwsError):
    hint = "another update is in progress or the resource exists; run again shortly"


class PreconditionFailedError(AwsError):
    hint = "someone changed it since it was read; run plan again"


class AccessDeniedError(AwsError):
    hint = "grant the permission (see `reconciler iam-policy`) or use other credentials"


class InvalidRequestError(AwsError):
    hint = "AWS rejected the request; check the manifest against the live function"


class MalformedResponseError(AwsError):
    """AWS (or a proxy or emulator in between) answered 2xx with a body that
    cannot be read: not JSON, cut off, or not the documented shape. What to do
    is in the message itself: per-function reports keep only its first line."""

    def __init__(
        self,
        operation: str,
        function: str,
        why: str,
        *,
        alias: str | None = None,
        status: int = 0,
        attempts: int = 1,
        mutation: bool = False,
    ) -> None:
        self.why = why
        self.attempts = attempts
        lead = f"AWS answered HTTP {status}, but" if status else "AWS answered, but"
        tries = f"{attempts} attempts" if attempts > 1 else "1 attempt"
        done = (
            "; the change may or may not have been made (`reconciler plan` shows where it stands)"
            if mutation
            else ""
        )
        super().__init__(
            operation,
            function,
            f"{lead} the answer could not be read ({tries}): {why}{done}; "
            "run again, and if it persists check --endpoint-url / AWS_ENDPOINT_URL and any "
            "proxy between here and AWS",
            alias=alias,
            status=status,
        )
