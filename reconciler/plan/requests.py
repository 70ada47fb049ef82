"""What the planner asks the reader to fetch before it can decide: typed reads.

Planning is pure, so when a decision needs something not read yet (a
version's configuration, an alarm's state, every version, the
provisioned-concurrency configurations, what else refers to old versions),
the planner returns these requests in ``FunctionPlan.needs`` and the reader
fetches them and plans again. ``alias`` says who asked (for the message when
the rounds run out); it is not part of a request's identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VersionConfig:
    """GetFunctionConfiguration of one version (existence, role, dead-letter config)."""

    version: str
    alias: str | None = field(default=None, compare=False)

    def describe(self) -> str:
        return f"the configuration of version {self.version}"


@dataclass(frozen=True)
class AlarmStates:
    """The state of one CloudWatch alarm (a rollout's gate)."""

    name: str
    alias: str | None = field(default=None, compare=False)

    def describe(self) -> str:
        return f"the state of alarm {self.name}"


@dataclass(frozen=True)
class ContentHash:
    """Where a content reference's code hash is published (or $LATEST has it)."""

    code_sha256: str
    alias: str | None = field(default=None, compare=False)

    def describe(self) -> str:
        return f"the version with code_sha256 {self.code_sha256}"


@dataclass(frozen=True)
class AllVersions:
    """Every published version (version collection)."""

    alias: str | None = field(default=None, compare=False)

    def describe(self) -> str:
        return "the list of versions"


@dataclass(frozen=True)
class ProvisionedConfigs:
    """The function's provisioned-concurrency configurations."""

    alias: str | None = field(default=None, compare=False)

    def describe(self) -> str:
        return "the provisioned-concurrency configurations"


@dataclass(frozen=True)
class VersionReferences:
    """What else may refer to old versions: provisioned concurrency, event
    source mappings, function URLs (read only when something may be deleted)."""

    alias: str | None = field(default=None, compare=False)

    def describe(self) -> str:
        return "what refers to old versions (mappings, URLs, provisioned concurrency)"


@dataclass(frozen=True)
class EventSources:
    """The function's event source mappings, every qualifier (one paged list)."""

    alias: str | None = field(default=None, compare=False)

    def describe(self) -> str:
        return "the event source mappings"


@dataclass(frozen=True)
class FunctionUrls:
    """The function's URL configs, every qualifier (one paged list)."""

    alias: str | None = field(default=None, compare=False)

    def describe(self) -> str:
        return "the function URL configs"


@dataclass(frozen=True)
class Policy:
    """One qualifier's resource-based policy (GetPolicy: an alias, or a version
    that version collection may delete)."""

    qualifier: str
    alias: str | None = field(default=None, compare=False)

    def describe(self) -> str:
        return f"the resource-based policy of {self.qualifier}"


ReadRequest = (
    VersionConfig
    | AlarmStates
    | ContentHash
    | AllVersions
    | ProvisionedConfigs
    | VersionReferences
    | EventSources
    | FunctionUrls
    | Policy
)
