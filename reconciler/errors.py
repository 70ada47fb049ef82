"""The one exception tree of the project.

Everything the tool raises on purpose derives from :class:`ReconcilerError`; the
CLI catches only that base class, prints ``str(err)`` (which says what failed,
on which resource, and what to do) and exits 1. Anything else is a bug and
keeps its traceback.

::

    ReconcilerError
    ├── UsageError               bad CLI input or settings file
    ├── ManifestError            manifests failed validation (carries diagnostics)
    ├── PlanError                problems found while planning (all functions)
    ├── StalePlanError           a saved plan no longer matches the world
    ├── ApplyError               one or more functions failed to apply
    ├── SandboxError             the local emulator could not start
    └── AwsError                 an AWS call failed (function/alias + cause kept)
        ├── ThrottledError           429 TooManyRequestsException, retries spent
        ├── ConflictError            409 ResourceConflictException
        ├── PreconditionFailedError  412: RevisionId no longer current
        ├── AccessDeniedError        credentials lack a permission
        └── InvalidRequestError      400: AWS rejected the parameters
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ReconcilerError(Exception):
    """Base of every error the tool raises on purpose."""

    hint: str = ""

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class UsageError(ReconcilerError):
    """The command line or a settings file asks for something impossible."""


@dataclass(frozen=True)
class Diagnostic:
    """One validation problem, located in a manifest file."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: error: {self.message}"


class ManifestError(ReconcilerError):
    """The manifests are invalid; nothing was sent to AWS."""

    hint = "fix the manifests (run `reconciler validate`) and try again"

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        lines = "\n".join(str(d) for d in self.diagnostics)
        super().__init__(f"{len(self.diagnostics)} manifest error(s):\n{lines}")


class PlanError(ReconcilerError):
    """Problems found while planning; apply mutates nothing when any exist."""

    hint = "fix the manifests or the live functions; nothing was changed"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        body = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"planning found {len(self.problems)} error(s):\n{body}")


class StalePlanError(ReconcilerError):
    """A saved plan does not match the manifests or live state any more."""

    hint = "run `reconciler plan --out` again, review it, and apply the new plan"

    def __init__(self, differences: Sequence[str]) -> None:
        self.differences = tuple(differences)
        body = "\n".join(f"  - {d}" for d in self.differences)
        super().__init__(f"saved plan is stale; nothing was changed:\n{body}")


class ApplyError(ReconcilerError):
    """Some functions failed to apply; the others were applied."""

    hint = "fix the cause and run apply again: it converges what is left"


class SandboxError(ReconcilerError):
    """The local AWS emulator could not be started."""


class AwsError(ReconcilerError):
    """An AWS call failed. Keeps the operation, the resource and the cause."""

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
