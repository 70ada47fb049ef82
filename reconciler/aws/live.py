"""Live state as read from AWS: what the gateway returns and the reader gathers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.aws.weights import sorted_pairs
from reconciler.manifest.model import LATEST, CorsSpec


def normalise_weights(weights: Mapping[str, float] | None) -> tuple[tuple[str, float], ...]:
    """Absent, ``{}`` and all-zero weights are the same: no split (the one rule
    of :mod:`reconciler.aws.weights`)."""
    return sorted_pairs(weights)


@dataclass(frozen=True)
class LiveAlias:
    name: str
    version: str
    weights: tuple[tuple[str, float], ...]
    description: str
    revision_id: str
    # AliasArn as ListAliases gives it (reports name what binds to it).
    arn: str = ""

    def versions(self) -> tuple[str, ...]:
        return (self.version, *(v for v, _ in self.weights))


@dataclass(frozen=True)
class VersionInfo:
    """GetFunctionConfiguration of one qualifier (a version or $LATEST)."""

    version: str
    code_sha256: str
    revision_id: str = ""
    last_update_status: str = "Successful"
    state: str = "Active"
    role: str = ""
    dead_letter_target: str = ""
    description: str = ""


@dataclass(frozen=True)
class ContentResolution:
    """Where a content reference (code_sha256) was found.

    ``serving``: versions that aliases serve now and that have the hash (an
    alias already on one keeps it). ``version``: the highest published version
    with the hash, when it had to be looked up; otherwise ``publish_from`` is
    $LATEST (whose hash matches) to publish; otherwise the hash is nowhere.
    """

    code_sha256: str
    version: str | None = None
    publish_from: VersionInfo | None = None
    serving: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AlarmState:
    """A CloudWatch alarm's state: OK, ALARM or INSUFFICIENT_DATA."""

    name: str
    state: str
    reason: str = ""

    @property
    def firing(self) -> bool:
        return self.state == "ALARM"


@dataclass(frozen=True)
class ProvisionedConfig:
    """A provisioned-concurrency configuration of one qualifier (alias or version).

    ``status``: IN_PROGRESS, READY or FAILED (``reason`` says why).
    """

    qualifier: str
    requested: int
    allocated: int = 0
    status: str = "READY"
    reason: str = ""


@dataclass(frozen=True)
class Attachment:
    """Something outside aliases that invokes one qualifier of the function.

    ``kind``: "event source mapping" or "function URL"; ``qualifier``: a
    version number, an alias name, or None (unqualified: $LATEST); ``name``:
    the mapping's UUID or the URL, for reports.
    """

    kind: str
    qualifier: str | None
    name: str


@dataclass(frozen=True)
class EventSourceMapping:
    """One event source mapping of the function (ListEventSourceMappings item).

    ``qualifier``: the alias name or version number its FunctionArn carries,
    None when unqualified. ``state``: Creating, Enabling, Enabled, Disabling,
    Disabled, Updating, Deleting; ``enabled`` is True for the first three
    (and for Updating of an enabled mapping, as AWS reports it).
    """

    uuid: str
    qualifier: str | None
    source: str  # EventSourceArn ("" for sources without one, e.g. self-managed Kafka)
    batch_size: int | None = None
    enabled: bool = True
    maximum_batching_window: int | None = None
    starting_position: str | None = None
    state: str = "Enabled"
    function_arn: str = ""

    def reference(self) -> Attachment:
        return Attachment("event source mapping", self.qualifier, self.uuid)


@dataclass(frozen=True)
class FunctionUrl:
    """One function URL config (ListFunctionUrlConfigs item); ``qualifier`` None: unqualified."""

    qualifier: str | None
    url: str
    auth_type: str
    invoke_mode: str = "BUFFERED"
    cors: CorsSpec | None = None
    function_arn: str = ""

    def reference(self) -> Attachment:
        return Attachment("function URL", self.qualifier, self.url)


@dataclass(frozen=True)
class PolicyStatement:
    """One statement of a qualifier's resource-based policy (GetPolicy), in
    AddPermission's terms: ``principal`` a service name, an account id (from
    ``arn:aws:iam::ID:root``), an ARN or ``*``; conditions unpacked.
    ``qualifier``: from the statement's Resource ARN (None: unqualified)."""

    sid: str
    qualifier: str | None
    principal: str
    action: str
    source_arn: str | None = None
    source_account: str | None = None
    function_url_auth_type: str | None = None
    resource: str = ""

    def reference(self) -> Attachment:
        return Attachment("permission", self.qualifier, self.sid)


@dataclass(frozen=True)
class FunctionSnapshot:
    """What planning one function needs to know about AWS, read once."""

    exists: bool
    aliases: Mapping[str, LiveAlias] = field(default_factory=dict)
    # Qualifier -> configuration, or None when that version does not exist.
    versions: Mapping[str, VersionInfo | None] = field(default_factory=dict)
    content: Mapping[str, ContentResolution] = field(default_factory=dict)
    # Alarm name -> state, or None when no such alarm exists; only those read.
    alarms: Mapping[str, AlarmState | None] = field(default_factory=dict)
    # When it was read (Unix seconds): rollouts measure their intervals from it.
    now: float = 0.0
    # Every version ($LATEST included), when listed (version collection); else None.
    published: tuple[VersionInfo, ...] | None = None
    # Qualifier -> provisioned-concurrency config, when listed; else None.
    provisioned: Mapping[str, ProvisionedConfig] | None = None
    # Event source mappings and function URLs (for version collection), when listed;
    # else None. Permissions on versions are in ``policies``.
    attachments: tuple[Attachment, ...] | None = None
    # What is bound to aliases, each when read (the manifest declares it); else None.
    event_sources: tuple[EventSourceMapping, ...] | None = None
    urls: tuple[FunctionUrl, ...] | None = None
    # Qualifier -> its policy's statements ([] when it has none), for those read.
    policies: Mapping[str, tuple[PolicyStatement, ...]] = field(default_factory=dict)

    def referenced_versions(self) -> frozenset[str]:
        """Versions some live alias serves (so they certainly exist)."""
        found: set[str] = set()
        for alias in self.aliases.values():
            found.update(alias.versions())
        found.discard(LATEST)
        return frozenset(found)

    def version_exists(self, version: str) -> bool | None:
        """True/False when known, None when this snapshot never looked."""
        if version in self.referenced_versions():
            return True
        if version in self.versions:
            return self.versions[version] is not None
        if self.published is not None:
            return any(v.version == version for v in self.published)
        return None
