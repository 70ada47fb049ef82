"""A plan's containers: per-function plans, problems, notes, and apply outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from reconciler.aws.live import ProvisionedConfig
from reconciler.manifest.model import FunctionSpec, SourcePos
from reconciler.plan.pending import Version
from reconciler.plan.requests import ReadRequest
from reconciler.plan.state import AliasState, FunctionRef

if TYPE_CHECKING:
    from reconciler.plan.registry import Action


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
    # Where the manifest declares what it is about (see :func:`located`).
    pos: SourcePos | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Note:
    message: str
    alias: str | None = None
    kind: str = "info"
    pos: SourcePos | None = field(default=None, compare=False)


# Notes that mean "this alias is held": apply exits 1 (the others proceed).
HOLD_KINDS = frozenset(
    {"rollout_failed", "rollout_interrupted", "rollout_blocked", "rollout_marker_invalid"}
)


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
    target: Version
    source: str | None = None
    step: int = 0
    steps: int = 0
    last_step_at: int | None = None
    next_step_at: float | None = None
    # (alarm name, state) for the alarms read this run; unread ones are absent.
    alarms: tuple[tuple[str, str], ...] = ()
    message: str = ""


@dataclass(frozen=True)
class Bound:
    """Something read as bound to one qualifier (``status`` shows it).

    ``type``: event_source | function_url | permission; ``name``: the source
    ARN, the URL or the statement id; ``qualifier`` None: unqualified."""

    qualifier: str | None
    type: str
    name: str
    detail: str = ""


@dataclass(frozen=True)
class FunctionPlan:
    fn: FunctionRef
    actions: tuple[Action, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[Note, ...] = ()
    # What the planner must see before it can decide (the reader fetches it).
    needs: frozenset[ReadRequest] = frozenset()
    # What was read (reports and `status` show it; saved plans record it).
    recorded_aliases: tuple[tuple[str, AliasState, str], ...] = ()
    recorded_latest_revision: str | None = None
    rollouts: tuple[RolloutView, ...] = ()
    # Old versions kept back from collection, with why (retain_versions).
    retained: tuple[Retained, ...] = ()
    # Provisioned-concurrency configs read (by qualifier); None when not read.
    provisioned: tuple[ProvisionedConfig, ...] | None = None
    # What was read as bound to qualifiers (only what the manifest's keys made us read).
    bound: tuple[Bound, ...] = ()
    # The manifest this plan came from: a re-plan after a race plans it again.
    spec: FunctionSpec | None = field(default=None, compare=False)

    @property
    def status(self) -> str:
        if self.problems:
            return "error"
        return "changes" if self.actions else "unchanged"


def position(spec: FunctionSpec | None, alias: str | None = None) -> SourcePos | None:
    """Where the manifest declares ``alias`` of ``spec`` (the function itself when
    the alias is not given, or is one the manifest does not list)."""
    if spec is None:
        return None
    declared = spec.alias(alias) if alias else None
    return (declared.pos if declared is not None else None) or spec.pos


def located(plan: FunctionPlan, spec: FunctionSpec | None) -> FunctionPlan:
    """``plan`` with each problem and note pointing at the manifest (positions
    already set are kept), and carrying its spec. Done once, by the engine, for
    whatever produced them (reader, planner, features, the engine itself)."""
    spec = plan.spec or spec
    if spec is None:
        return plan
    if plan.spec is spec and all(p.pos for p in plan.problems) and all(n.pos for n in plan.notes):
        return plan  # the second call (or nothing to place): no copy
    problems = tuple(p if p.pos else replace(p, pos=position(spec, p.alias)) for p in plan.problems)
    notes = tuple(n if n.pos else replace(n, pos=position(spec, n.alias)) for n in plan.notes)
    return replace(plan, problems=problems, notes=notes, spec=spec)


# The plan document's `summary` keys: alias/publish counts, versions to delete,
# provisioned-concurrency settings to put or delete, changes to what is bound to aliases.
SUMMARY_KEYS = (
    "publish",
    "create",
    "update",
    "delete",
    "delete_version",
    "provisioned_concurrency",
    "bindings",
)


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
        counts = dict.fromkeys(SUMMARY_KEYS, 0)
        for action in self.actions:
            counts[action.summary_key] = counts.get(action.summary_key, 0) + 1
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
        if c["bindings"]:
            noun = "change" if c["bindings"] == 1 else "changes"
            line += f", {c['bindings']} binding {noun}"
        return line + "."


@dataclass(frozen=True)
class ActionResult:
    action: Action
    status: str  # applied | skipped | failed | not_attempted
    message: str | None = None


@dataclass(frozen=True)
class FunctionOutcome:
    fn: FunctionRef
    status: str  # unchanged | changed | failed | not_attempted
    results: tuple[ActionResult, ...] = ()
    reason: str | None = None
    # What the user should do or check now, when the run could not finish the
    # job itself (e.g. provisioned concurrency not confirmed READY).
    next_step: str | None = None
