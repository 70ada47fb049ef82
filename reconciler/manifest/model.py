"""The desired state: what the manifests declare, after validation.

These are plain frozen values. The manifest loader builds them; the reader,
planner and reports consume them. Nothing here talks to AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LATEST = "$LATEST"

# botocore's FunctionName pattern for alias/publish calls (see the service model),
# ending in \Z: "$" would accept a final newline ("payments-api\n").
FUNCTION_NAME_RE = re.compile(
    r"^(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?\Z"
)


@dataclass(frozen=True)
class SourcePos:
    """Where a value was written: for error messages and reports."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class PinnedVersion:
    """A published version number, e.g. ``7`` or a name bound to ``7``."""

    number: int
    name: str | None = None

    def label(self) -> str:
        return f"{self.name} ({self.number})" if self.name else str(self.number)


@dataclass(frozen=True)
class LatestVersion:
    """``$LATEST``: the unpublished, editable version."""

    def label(self) -> str:
        return LATEST


@dataclass(frozen=True)
class ContentVersion:
    """The highest published version whose CodeSha256 equals ``code_sha256``."""

    name: str
    code_sha256: str
    description: str | None = None

    def label(self) -> str:
        return f"{self.name} (sha256 {self.code_sha256[:12]}…)"


VersionRef = PinnedVersion | LatestVersion | ContentVersion


@dataclass(frozen=True)
class Rollout:
    """How an alias moves to a new version (progressive delivery).

    ``steps`` are the weights the new version passes through before it
    becomes primary; ``interval_seconds`` the minimum time between steps.
    """

    strategy: str  # canary | linear | all-at-once
    steps: tuple[float, ...]
    interval_seconds: int
    alarms: tuple[str, ...] = ()
    preset: str | None = None


@dataclass(frozen=True)
class EventSourceSpec:
    """An event source mapping bound to an alias (``event_sources`` items).

    ``None`` for an optional field: not managed (whatever AWS has is kept).
    ``starting_position`` is for streams (Kinesis, DynamoDB) and is set only
    when the mapping is created (AWS cannot change it in place).
    """

    source: str  # EventSourceArn: unique within the alias, and within the function
    batch_size: int | None = None
    enabled: bool = True
    maximum_batching_window: int | None = None
    starting_position: str | None = None
    pos: SourcePos | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CorsSpec:
    """A function URL's CORS configuration (AWS's ``Cors``); empty fields: not set."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age: int = 0


@dataclass(frozen=True)
class FunctionUrlSpec:
    """A function URL on an alias (Qualifier = the alias). Absent ``cors``: none."""

    auth_type: str  # AWS_IAM | NONE
    invoke_mode: str = "BUFFERED"  # BUFFERED | RESPONSE_STREAM
    cors: CorsSpec | None = None
    pos: SourcePos | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PermissionSpec:
    """One resource-based policy statement on an alias (AddPermission with Qualifier).

    ``principal`` as AddPermission takes it: a service (``s3.amazonaws.com``), an
    account id, an ARN, or ``*``.
    """

    sid: str  # StatementId: unique within the alias
    principal: str
    action: str = "lambda:InvokeFunction"
    source_arn: str | None = None
    source_account: str | None = None
    function_url_auth_type: str | None = None  # AWS_IAM | NONE (lambda:InvokeFunctionUrl)
    pos: SourcePos | None = field(default=None, compare=False)


@dataclass(frozen=True)
class AliasSpec:
    """One alias as the manifest wants it."""

    name: str
    version: VersionRef
    # At most one entry: Lambda routes to at most two versions.
    weights: tuple[tuple[VersionRef, float], ...] = ()
    # None: not managed here (other tools may own it); "" clears it.
    description: str | None = None
    rollout: Rollout | None = None
    provisioned_concurrency: int | None = None
    pos: SourcePos | None = None
    # What is bound to the alias. None: the key is absent, nothing is managed;
    # otherwise the whole desired set (others found there are unmanaged).
    event_sources: tuple[EventSourceSpec, ...] | None = None
    function_url: FunctionUrlSpec | None = None
    permissions: tuple[PermissionSpec, ...] | None = None

    @property
    def binds(self) -> bool:
        """Whether the alias declares anything bound to it."""
        return (
            self.event_sources is not None
            or self.function_url is not None
            or self.permissions is not None
        )


@dataclass(frozen=True)
class RetainVersions:
    keep_last: int


@dataclass(frozen=True)
class FunctionSpec:
    """One manifest document: a function and the aliases it should have."""

    function: str  # as written: name, partial ARN or full ARN
    name: str  # the bare function name
    region: str | None
    account: str | None
    prune: bool
    aliases: tuple[AliasSpec, ...]
    versions: tuple[tuple[str, VersionRef], ...] = ()
    retain_versions: RetainVersions | None = None
    pos: SourcePos | None = None
    # Region resolved from the CLI/env when the manifest leaves it out.
    default_region: str | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """Identity of the function for reports: region/name."""
        return f"{self.region or self.default_region or '-'}/{self.name}"

    def alias(self, name: str) -> AliasSpec | None:
        for spec in self.aliases:
            if spec.name == name:
                return spec
        return None


@dataclass(frozen=True)
class ManifestSet:
    """Every function from the manifests given on the command line."""

    functions: tuple[FunctionSpec, ...]
    files: tuple[str, ...]
    # sha256 over the files' bytes, in order: a saved plan records it.
    digest: str
