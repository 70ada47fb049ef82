"""A plan is data: frozen actions the executor carries out and reports describe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from reconciler.aws.live import ProvisionedConfig

# The version an alias will point at once a pending publish has happened.
PENDING_PREFIX = "pending:"


def pending_version(code_sha256: str) -> str:
    return f"{PENDING_PREFIX}{code_sha256}"


def is_pending(version: str) -> bool:
    return version.startswith(PENDING_PREFIX)


def format_weight(weight: float) -> str:
    return f"{weight * 100:g}%"


@dataclass(frozen=True)
class FunctionRef:
    """Which function an action is for. ``function`` is passed to AWS as is."""

    function: str
    name: str
    region: str
    account: str | None = None

    @property
    def key(self) -> str:
        return f"{self.region}/{self.name}"


@dataclass(frozen=True)
class AliasState:
    """An alias's managed fields. ``description`` None means "not managed"."""

    version: str
    weights: tuple[tuple[str, float], ...] = ()
    description: str | None = None
    # Human labels ("stable (3)") for reports; not compared.
    version_label: str = field(default="", compare=False)
    weight_labels: tuple[str, ...] = field(default=(), compare=False)

    def label(self) -> str:
        if self.version_label:
            return self.version_label
        if is_pending(self.version):
            return "(new version)"
        return self.version

    def weights_text(self) -> str:
        if not self.weights:
            return "{}"
        parts = []
        for i, (version, weight) in enumerate(self.weights):
            label = self.weight_labels[i] if i < len(self.weight_labels) else version
            parts.append(f"{label}: {format_weight(weight)}")
        return "{" + ", ".join(parts) + "}"


@dataclass(frozen=True)
class PublishVersion:
    fn: FunctionRef
    code_sha256: str
    description: str | None
    # $LATEST's RevisionId when planned: publishing fails if it changed since.
    latest_revision_id: str
    ref_name: str
    action: Literal["publish_version"] = "publish_version"
    alias: None = None

    def describe(self) -> str:
        desc = f', description "{self.description}"' if self.description else ""
        return (
            f"+ publish {self.fn.name} $LATEST as a new version for {self.ref_name} "
            f"(sha256 {self.code_sha256[:12]}…{desc})"
        )


@dataclass(frozen=True)
class CreateAlias:
    fn: FunctionRef
    alias: str
    after: AliasState
    action: Literal["create_alias"] = "create_alias"

    def describe(self) -> str:
        text = f"+ alias {self.fn.name}:{self.alias}  version {self.after.label()}"
        if self.after.weights:
            text += f", weights {self.after.weights_text()}"
        if self.after.description:
            text += f', description "{self.after.description}"'
        return text


@dataclass(frozen=True)
class RolloutInfo:
    """What an alias update does for a rollout (reports, ``--rollouts-only``).

    ``phase``: start (first step, or all at once when ``steps`` is 0), step,
    promote (the target takes all traffic), rollback (an alarm fired: back to
    ``source``), reset (the manifest changed target mid-rollout: back to
    ``source``), clear (only the description's rollout marker is removed).
    """

    phase: str
    source: str
    target: str
    step: int = 0
    steps: int = 0
    weight: float = 0.0  # the target's share after a start or step
    reason: str = ""
    target_label: str = field(default="", compare=False)

    def text(self) -> str:
        """What the update does, e.g. "rollout step 2/3: 4 at 50% (3 keeps 50%)"."""
        target = self.target_label or display_target(self.target)
        if self.phase in ("start", "step") and self.steps:
            word = "rollout start, step" if self.phase == "start" else "rollout step"
            return (
                f"{word} {self.step}/{self.steps}: {target} at {format_weight(self.weight)} "
                f"({self.source} keeps {format_weight(1 - self.weight)})"
            )
        if self.phase == "start":
            return f"rollout all at once: version {self.source} -> {target}"
        if self.phase == "promote":
            return f"rollout promote: {target} at 100% (was {self.source} primary)"
        if self.phase == "rollback":
            return f"rollback: {self.source} at 100% (rollout to {target} failed: {self.reason})"
        if self.phase == "reset":
            return f"rollout reset: {self.source} at 100% ({self.reason})"
        return "rollout finished: marker removed from the description"


def display_target(version: str) -> str:
    return "(new version)" if is_pending(version) else version


@dataclass(frozen=True)
class UpdateAlias:
    fn: FunctionRef
    alias: str
    before: AliasState
    after: AliasState
    fields: tuple[str, ...]
    revision_id: str
    action: Literal["update_alias"] = "update_alias"
    rollout: RolloutInfo | None = None
    # The alias's provisioned concurrency, which Lambda moves to the new
    # version by itself: apply waits for READY after the update.
    provisioned: int | None = None

    def describe(self) -> str:
        if self.rollout is not None:
            return f"~ alias {self.fn.name}:{self.alias}  {self.rollout.text()}"
        parts = []
        if "version" in self.fields:
            parts.append(f"version {self.before.label()} -> {self.after.label()}")
        if "weights" in self.fields:
            parts.append(f"weights {self.before.weights_text()} -> {self.after.weights_text()}")
        if "description" in self.fields:
            parts.append(f'description "{self.before.description}" -> "{self.after.description}"')
        if self.provisioned is not None:
            parts.append(f"provisioned concurrency {self.provisioned} follows (waits for READY)")
        return f"~ alias {self.fn.name}:{self.alias}  " + ", ".join(parts)

    @property
    def traffic_shift(self) -> bool:
        return "version" in self.fields or "weights" in self.fields


@dataclass(frozen=True)
class DeleteAlias:
    fn: FunctionRef
    alias: str
    before: AliasState
    revision_id: str
    action: Literal["delete_alias"] = "delete_alias"

    def describe(self) -> str:
        return (
            f"- alias {self.fn.name}:{self.alias}  (was version {self.before.label()}; prune: true)"
        )


@dataclass(frozen=True)
class PutProvisionedConcurrency:
    fn: FunctionRef
    alias: str
    after: int
    before: int | None = None
    # AWS's reason when the live configuration FAILED: it is set again.
    failed: str | None = None
    action: Literal["put_provisioned_concurrency"] = "put_provisioned_concurrency"

    def describe(self) -> str:
        where = f"{self.fn.name}:{self.alias}"
        if self.before is None:
            return f"+ provisioned concurrency {where}  {self.after}"
        text = f"~ provisioned concurrency {where}  {self.before} -> {self.after}"
        return text + (f" (it FAILED: {self.failed}; set again)" if self.failed else "")


@dataclass(frozen=True)
class DeleteProvisionedConcurrency:
    fn: FunctionRef
    alias: str
    before: int
    # "removed": the manifest no longer has it; "weights": the alias gets weights.
    why: str = "removed"
    action: Literal["delete_provisioned_concurrency"] = "delete_provisioned_concurrency"

    def describe(self) -> str:
        reason = (
            "Lambda allows none on an alias with weights"
            if self.why == "weights"
            else "no longer in the manifest"
        )
        return (
            f"- provisioned concurrency {self.fn.name}:{self.alias}  (was {self.before}; {reason})"
        )


@dataclass(frozen=True)
class DeleteVersion:
    fn: FunctionRef
    version: str
    keep_last: int
    action: Literal["delete_version"] = "delete_version"
    alias: None = None

    def describe(self) -> str:
        return (
            f"- version {self.fn.name}:{self.version}  (older than the newest {self.keep_last}; "
            "nothing refers to it)"
        )


Action = (
    PublishVersion
    | CreateAlias
    | UpdateAlias
    | DeleteAlias
    | PutProvisionedConcurrency
    | DeleteProvisionedConcurrency
    | DeleteVersion
)

# Execution order within a function (the planner emits actions in it).
ACTION_ORDER = {
    "delete_provisioned_concurrency": 0,
    "publish_version": 1,
    "create_alias": 2,
    "update_alias": 2,
    "put_provisioned_concurrency": 3,
    "delete_alias": 4,
    "delete_version": 5,
}


@dataclass(frozen=True)
class Retained:
    """An old version kept back from collection, and why (retain_versions)."""

    version: str
    reason: str


@dataclass(frozen=True)
class Problem:
    """Something that stops planning. ``kind`` is stable (reports, drift)."""

    kind: str
    message: str
    alias: str | None = None


@dataclass(frozen=True)
class Note:
    message: str
    alias: str | None = None
    kind: str = "info"


# Notes that mean "this alias is held": apply exits 1 (the others proceed).
HOLD_KINDS = frozenset({"rollout_failed", "rollout_interrupted", "rollout_blocked"})


@dataclass(frozen=True)
class RolloutView:
    """One alias's rollout as read this run: what `status` shows.

    ``state``: done (serves the target), pending (not started), in_progress,
    rolling_back (an alarm fired; the next apply rolls back), failed,
    interrupted (changed by hand mid-rollout) or blocked (an alarm stops the
    start).
    """

    alias: str
    state: str
    target: str
    source: str | None = None
    step: int = 0
    steps: int = 0
    last_step_at: int | None = None
    next_step_at: float | None = None
    # (alarm name, state) for the alarms read this run; unread ones are absent.
    alarms: tuple[tuple[str, str], ...] = ()
    message: str = ""


@dataclass(frozen=True)
class FunctionPlan:
    fn: FunctionRef
    actions: tuple[Action, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[Note, ...] = ()
    # Versions whose configuration the planner needs before it can decide.
    needs: frozenset[str] = frozenset()
    # What was read, for a saved plan's staleness check.
    recorded_aliases: tuple[tuple[str, AliasState, str], ...] = ()
    recorded_latest_revision: str | None = None
    rollouts: tuple[RolloutView, ...] = ()
    # Old versions kept back from collection, with why (retain_versions).
    retained: tuple[Retained, ...] = ()
    # Provisioned-concurrency configs read (by qualifier); None when not read.
    provisioned: tuple[ProvisionedConfig, ...] | None = None

    @property
    def status(self) -> str:
        if self.problems:
            return "error"
        return "changes" if self.actions else "unchanged"


@dataclass(frozen=True)
class Plan:
    functions: tuple[FunctionPlan, ...]
    problems: tuple[tuple[FunctionRef | None, Problem], ...] = ()

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(a for f in self.functions for a in f.actions)

    @property
    def all_problems(self) -> tuple[tuple[FunctionRef | None, Problem], ...]:
        per_function = tuple((f.fn, p) for f in self.functions for p in f.problems)
        return self.problems + per_function

    @property
    def has_errors(self) -> bool:
        return bool(self.all_problems)

    def counts(self) -> dict[str, int]:
        counts = {key: 0 for key in SUMMARY_KEYS}
        for action in self.actions:
            counts[_SUMMARY_KEY[action.action]] += 1
        return counts

    def summary_line(self) -> str:
        c = self.counts()
        line = (
            f"Plan: {c['publish']} to publish, {c['create']} to create, "
            f"{c['update']} to update, {c['delete']} to delete"
        )
        if c["delete_version"]:
            noun = "version" if c["delete_version"] == 1 else "versions"
            line += f", {c['delete_version']} {noun} to delete"
        if c["provisioned_concurrency"]:
            noun = "change" if c["provisioned_concurrency"] == 1 else "changes"
            line += f", {c['provisioned_concurrency']} provisioned concurrency {noun}"
        return line + "."


# The plan document's `summary` keys: alias/publish counts, versions to delete,
# provisioned-concurrency settings to put or delete.
SUMMARY_KEYS = (
    "publish",
    "create",
    "update",
    "delete",
    "delete_version",
    "provisioned_concurrency",
)
_SUMMARY_KEY = {
    "publish_version": "publish",
    "create_alias": "create",
    "update_alias": "update",
    "delete_alias": "delete",
    "delete_version": "delete_version",
    "put_provisioned_concurrency": "provisioned_concurrency",
    "delete_provisioned_concurrency": "provisioned_concurrency",
}
