"""The executor: the only code that changes AWS. It carries out a Plan.

Per function, in the plan's order: provisioned-concurrency removals,
publishes, alias creates/updates, provisioned-concurrency settings (each
waits for READY), alias deletes, then version deletes (last, so that aliases
have moved off first; a version AWS still finds referenced is skipped, not a
failure). Functions run in parallel and fail independently. Races are expected:

* a retried call whose first reply was lost meets its own success (CreateAlias
  -> "already exists", UpdateAlias -> stale RevisionId): the alias is read
  back and, when it already is what we wanted, that is success;
* someone else changed the alias since it was read (412): the function is
  read and planned again once; the fresh plan is carried out only if it is
  the same change the reviewed plan promised, otherwise it is refused and
  reported, never forced over their change;
* two runs taking the same rollout step: the loser's 412 finds the step
  already taken (same traffic, same marker but for its time) and reports it
  skipped; a step is never taken twice.

A rollout marker's time is stamped when the update is sent, not when it was
planned, so a saved plan applied later still waits a full interval.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from reconciler.aws.gateway import LambdaGateway
from reconciler.aws.live import ProvisionedConfig
from reconciler.errors import (
    ConflictError,
    InvalidRequestError,
    PreconditionFailedError,
    ReconcilerError,
)
from reconciler.features.provisioned import Waiter
from reconciler.features.rollout.marker import materialise, parse, restamp, timeless
from reconciler.manifest.model import LATEST
from reconciler.planning.actions import (
    Action,
    AliasState,
    CreateAlias,
    DeleteAlias,
    DeleteProvisionedConcurrency,
    DeleteVersion,
    FunctionPlan,
    FunctionRef,
    PublishVersion,
    PutProvisionedConcurrency,
    UpdateAlias,
    is_pending,
)
from reconciler.planning.planner import live_state

log = logging.getLogger("reconciler.applying.executor")

Replanner = Callable[[FunctionRef], FunctionPlan]


@dataclass(frozen=True)
class ActionResult:
    action: Action
    status: str  # applied | skipped | failed | not_attempted
    message: str | None = None


@dataclass(frozen=True)
class FunctionOutcome:
    fn: FunctionRef
    status: str  # unchanged | changed | failed
    results: tuple[ActionResult, ...] = ()
    reason: str | None = None


class _Refused(ReconcilerError):
    """The live function changed in a way the plan did not promise."""


class _FunctionRun:
    def __init__(
        self,
        gw: LambdaGateway,
        plan: FunctionPlan,
        replan: Replanner | None,
        now: Callable[[], float] = time.time,
        waiter: Waiter | None = None,
    ) -> None:
        self.gw = gw
        self.plan = plan
        self.replan = replan
        self.now = now
        self.waiter = waiter or Waiter()
        self.published: dict[str, str] = {}
        self.results: list[ActionResult] = []
        self.replanned = False

    def run(self) -> FunctionOutcome:
        fn = self.plan.fn
        if not self.plan.actions:
            return FunctionOutcome(fn, "unchanged")
        pending = list(self.plan.actions)
        while pending:
            action = pending.pop(0)
            try:
                self.results.append(self._apply(action))
            except _Replan as replan:
                try:
                    pending = self._fresh_actions(action, pending, replan.why)
                except ReconcilerError as err:
                    return self._failed(action, err, pending)
            except ReconcilerError as err:
                return self._failed(action, err, pending)
        changed = any(r.status == "applied" for r in self.results)
        return FunctionOutcome(fn, "changed" if changed else "unchanged", tuple(self.results))

    def _failed(
        self, action: Action, err: ReconcilerError, rest: Sequence[Action]
    ) -> FunctionOutcome:
        message = str(err).splitlines()[0]
        log.error("%s: %s", self.plan.fn.key, message)
        self.results.append(ActionResult(action, "failed", message))
        self.results.extend(ActionResult(a, "not_attempted") for a in rest)
        return FunctionOutcome(self.plan.fn, "failed", tuple(self.results), reason=message)

    # -- one action -----------------------------------------------------
    def _version(self, version: str) -> str:
        if is_pending(version):
            return self.published[version.split(":", 1)[1]]
        return version

    def _materialise(self, state: AliasState, *, stamp: bool = False) -> AliasState:
        description = state.description
        if description is not None and parse(description)[1] is not None:
            description = materialise(description, self.published)
            if stamp:
                description = restamp(description, int(self.now()))
        return dataclasses.replace(
            state,
            version=self._version(state.version),
            weights=tuple((self._version(v), w) for v, w in state.weights),
            description=description,
        )

    def _apply(self, action: Action) -> ActionResult:
        fn = action.fn.function
        if isinstance(action, PublishVersion):
            return self._publish(action)
        if isinstance(action, CreateAlias):
            after = self._materialise(action.after)
            try:
                self.gw.create_alias(
                    fn, action.alias, after.version, after.weights, after.description
                )
            except ConflictError as err:
                return self._already(action, after, err)
            return ActionResult(action, "applied")
        if isinstance(action, UpdateAlias):
            after = self._materialise(action.after, stamp=action.rollout is not None)
            description = after.description if "description" in action.fields else None
            try:
                self.gw.update_alias(
                    fn, action.alias, after.version, after.weights, description, action.revision_id
                )
                result = ActionResult(action, "applied")
            except PreconditionFailedError as err:
                result = self._already(action, after, err)
            if action.provisioned is not None and result.status == "applied":
                # Lambda re-provisions the alias on its new version: wait for it.
                return ActionResult(action, "applied", self._ready(action.fn, action.alias))
            return result
        if isinstance(action, PutProvisionedConcurrency):
            first = self.gw.put_provisioned_concurrency(fn, action.alias, action.after)
            return ActionResult(action, "applied", self._ready(action.fn, action.alias, first))
        if isinstance(action, DeleteProvisionedConcurrency):
            if self.gw.delete_provisioned_concurrency(fn, action.alias):
                return ActionResult(action, "applied")
            return ActionResult(action, "skipped", "already removed")
        if isinstance(action, DeleteVersion):
            return self._delete_version(action)
        return self._delete(action)

    def _ready(self, fn: FunctionRef, alias: str, first: ProvisionedConfig | None = None) -> str:
        config, waited = self.waiter.until_ready(
            lambda: self.gw.get_provisioned_concurrency(fn.function, alias),
            f"{fn.name}:{alias}",
            first,
        )
        return f"provisioned concurrency READY after {waited:.1f}s ({config.allocated} allocated)"

    def _delete_version(self, action: DeleteVersion) -> ActionResult:
        try:
            deleted = self.gw.delete_version(action.fn.function, action.version)
        except ConflictError as err:
            # AWS refuses while something (an alias) still refers to it: keep it.
            return ActionResult(action, "skipped", f"kept: {err.aws_message}")
        return ActionResult(
            action, "applied" if deleted else "skipped", None if deleted else "already deleted"
        )

    def _publish(self, action: PublishVersion) -> ActionResult:
        fn = action.fn.function
        try:
            info = self.gw.publish_version(
                fn, action.code_sha256, action.latest_revision_id, action.description
            )
        except PreconditionFailedError as err:
            # A lost reply may have published it already: never publish twice.
            existing = self._version_with_hash(action.code_sha256)
            if existing is None:
                raise _Replan(str(err)) from err
            self.published[action.code_sha256] = existing
            return ActionResult(
                action, "applied", f"version {existing} (published by a retried call)"
            )
        except InvalidRequestError as err:
            raise _Refused(
                f"$LATEST of {action.fn.name} no longer has code_sha256 {action.code_sha256}; "
                f"nothing published ({err.aws_message})"
            ) from err
        if info.code_sha256 != action.code_sha256:
            raise _Refused(
                f"published version {info.version} has unexpected code_sha256 {info.code_sha256}"
            )
        self.published[action.code_sha256] = info.version
        return ActionResult(action, "applied", f"published version {info.version}")

    def _version_with_hash(self, sha: str) -> str | None:
        versions = self.gw.list_versions(self.plan.fn.function) or []
        matching = [
            int(v.version) for v in versions if v.version != LATEST and v.code_sha256 == sha
        ]
        return str(max(matching)) if matching else None

    def _already(
        self, action: CreateAlias | UpdateAlias, after: AliasState, err: ReconcilerError
    ) -> ActionResult:
        live = self.gw.get_alias(action.fn.function, action.alias)
        if live is not None:
            state = live_state(live)
            same = state.version == after.version and _same_weights(state, after)
            if same and (after.description is None or state.description == after.description):
                return ActionResult(
                    action, "applied", "already in place (an earlier attempt succeeded)"
                )
            if (
                same
                and isinstance(action, UpdateAlias)
                and action.rollout is not None
                and timeless(state.description) == timeless(after.description)
            ):
                # The same step, stamped at another time: another run took it.
                return ActionResult(action, "skipped", "another run already took this step")
        raise _Replan(str(err))

    def _delete(self, action: DeleteAlias) -> ActionResult:
        # DeleteAlias takes no RevisionId: re-read just before deleting.
        live = self.gw.get_alias(action.fn.function, action.alias)
        if live is None:
            return ActionResult(action, "skipped", "already deleted")
        if live_state(live) != action.before or (
            action.revision_id and live.revision_id != action.revision_id
        ):
            return ActionResult(action, "skipped", "changed since the plan was made; not deleted")
        self.gw.delete_alias(action.fn.function, action.alias)
        return ActionResult(action, "applied")

    # -- re-planning after a race --------------------------------------
    def _fresh_actions(self, failed: Action, rest: list[Action], why: str) -> list[Action]:
        if self.replan is None or self.replanned:
            raise _Refused(f"{failed.describe()}: changed concurrently ({why})")
        self.replanned = True
        fresh = self.replan(self.plan.fn)
        if fresh.problems:
            raise _Refused("; ".join(p.message for p in fresh.problems))
        promised = [self._comparable(a) for a in (failed, *rest)]
        offered = [self._comparable(a) for a in fresh.actions]
        if promised != offered:
            now = "; ".join(a.describe() for a in fresh.actions) or "no changes"
            raise _Refused(
                f"{failed.fn.name} changed since the plan was made, differently from what it "
                f"promised; not overwritten. The plan now would be: {now}. Review and run again"
            )
        log.info("%s: changed concurrently; the fresh plan matches, applying it", failed.fn.key)
        return list(fresh.actions)

    def _comparable(self, action: Action) -> object:
        if isinstance(action, PublishVersion):
            return ("publish", action.code_sha256)
        if isinstance(action, CreateAlias):
            return ("create", action.alias, self._materialise(action.after))
        if isinstance(action, UpdateAlias):
            before = action.before
            if action.after.description is None:
                # An unmanaged description may change under us; it is not ours.
                before = dataclasses.replace(before, description=None)
            after = self._materialise(action.after)
            if action.rollout is not None:
                # Two plans of one rollout step differ only in the marker's time.
                after = dataclasses.replace(after, description=timeless(after.description))
                before = dataclasses.replace(before, description=timeless(before.description))
            return ("update", action.alias, before, after, action.rollout, action.provisioned)
        if isinstance(action, PutProvisionedConcurrency):
            return ("put_provisioned", action.alias, action.after)
        if isinstance(action, DeleteProvisionedConcurrency):
            return ("delete_provisioned", action.alias)
        if isinstance(action, DeleteVersion):
            return ("delete_version", action.version)
        return ("delete", action.alias, action.before)


class _Replan(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _same_weights(a: AliasState, b: AliasState) -> bool:
    left, right = dict(a.weights), dict(b.weights)
    return left.keys() == right.keys() and all(abs(left[k] - right[k]) <= 1e-9 for k in left)


def execute(
    plans: Sequence[FunctionPlan],
    gateway_for: Callable[[FunctionRef], LambdaGateway],
    *,
    replan: Replanner | None,
    concurrency: int,
    on_done: Callable[[FunctionOutcome], None] | None = None,
    now: Callable[[], float] = time.time,
    waiter: Waiter | None = None,
) -> list[FunctionOutcome]:
    """Apply every function's actions; one failure does not stop the others."""

    def run_one(plan: FunctionPlan) -> FunctionOutcome:
        try:
            outcome = _FunctionRun(gateway_for(plan.fn), plan, replan, now, waiter).run()
        except ReconcilerError as err:  # e.g. the re-plan's own reads failed
            outcome = FunctionOutcome(plan.fn, "failed", reason=str(err).splitlines()[0])
        if on_done:
            on_done(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(run_one, plans))
