"""The executor: the only code that changes AWS. It carries out a Plan.

Per function, in the plan's order: provisioned-concurrency removals,
publishes, alias creates/updates, provisioned-concurrency settings (each
waits for READY), alias deletes, then version deletes (last, so that aliases
have moved off first; a version something still refers to is skipped, not a
failure). Each action is carried out by its kind's handler
(:mod:`reconciler.plan.registry`); this module runs the sequence, resolves
versions still to be published (once, right after their publish) and
handles races. Functions run in parallel and fail independently. Races are
expected:

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

Stopping: ``stop`` (set on SIGINT/SIGTERM) is checked before every call; a
function whose sequence has started is finished where it can be (its alias
moves and the provisioned-concurrency settings belonging to them), the rest
is reported not attempted.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from reconciler.aws.gateway import LambdaGateway
from reconciler.aws.live import ProvisionedConfig
from reconciler.errors import ReconcilerError
from reconciler.features.provisioned import ReadyNotConfirmed, Waiter
from reconciler.plan import (
    Action,
    ActionResult,
    AliasState,
    FunctionOutcome,
    FunctionPlan,
    FunctionRef,
    kind_of,
)
from reconciler.plan.description import resolve_pending, restamp, split_rollout
from reconciler.plan.kinds.base import Refused, Replan
from reconciler.plan.pending import Version, resolve

log = logging.getLogger("reconciler.applying.executor")

Replanner = Callable[[FunctionRef], FunctionPlan]

# Re-export for callers that type outcomes.
__all__ = ["ActionResult", "FunctionOutcome", "Replanner", "execute"]


class _FunctionRun:
    """One function's sequence; the :class:`ApplyContext` its handlers see."""

    def __init__(
        self,
        gw: LambdaGateway,
        plan: FunctionPlan,
        replan: Replanner | None,
        now: Callable[[], float] = time.time,
        waiter: Waiter | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._gw = gw
        self.plan = plan
        self.replan = replan
        self.now = now
        self.waiter = waiter or Waiter()
        self.stop = stop
        self._published: dict[str, str] = {}
        self._cache: dict[str, object] = {}
        self.results: list[ActionResult] = []
        self.replanned = False
        # Aliases whose provisioned concurrency was set but not seen READY (stopped).
        self.unconfirmed: list[str] = []

    # -- ApplyContext ---------------------------------------------------
    @property
    def gw(self) -> LambdaGateway:
        return self._gw

    @property
    def published(self) -> dict[str, str]:
        return self._published

    @property
    def cache(self) -> dict[str, object]:
        return self._cache

    def resolve(self, version: Version) -> str:
        try:
            return resolve(version, self._published)
        except KeyError as err:  # a bug: publishes run before what points at them
            raise Refused(f"{self.plan.fn.name}: a version to publish was not published") from err

    def materialise(self, state: AliasState, *, stamp: bool = False) -> AliasState:
        description = state.description
        if description is not None and split_rollout(description)[1] is not None:
            description = resolve_pending(description, self._published)
            if stamp:
                description = restamp(description, int(self.now()))
        return dataclasses.replace(
            state,
            version=self.resolve(state.version),
            weights=tuple((self.resolve(v), w) for v, w in state.weights),
            description=description,
        )

    def ready(self, fn: FunctionRef, alias: str, first: ProvisionedConfig | None = None) -> str:
        try:
            config, waited = self.waiter.until_ready(
                lambda: self._gw.get_provisioned_concurrency(fn.function, alias),
                f"{fn.name}:{alias}",
                first,
                self.stop,
            )
        except ReadyNotConfirmed as stopped:
            # The change is made (applied); only the wait was cut short.
            self.unconfirmed.append(alias)
            return str(stopped)
        return f"provisioned concurrency READY after {waited:.1f}s ({config.allocated} allocated)"

    # -- the sequence ---------------------------------------------------
    def run(self) -> FunctionOutcome:
        fn = self.plan.fn
        if not self.plan.actions:
            return FunctionOutcome(fn, "unchanged")
        pending = list(self.plan.actions)
        while pending:
            if self._stopping(pending):
                return self._interrupted(pending)
            action = pending.pop(0)
            try:
                self.results.append(kind_of(action).apply(action, self))
            except Replan as replan:
                try:
                    pending = self._fresh_actions(action, pending, replan.why)
                except ReconcilerError as err:
                    return self._failed(action, err, pending)
            except ReconcilerError as err:
                return self._failed(action, err, pending)
        changed = any(r.status == "applied" for r in self.results)
        status = "changed" if changed else "unchanged"
        return FunctionOutcome(fn, status, tuple(self.results), *self._unconfirmed())

    def _unconfirmed(self) -> tuple[str | None, str | None]:
        """(reason, next step) when provisioned concurrency was not seen READY."""
        if not self.unconfirmed:
            return None, None
        aliases = ", ".join(self.unconfirmed)
        return (
            f"provisioned concurrency set on {aliases}, READY not confirmed: the run was "
            "interrupted while AWS was provisioning",
            f"check `reconciler status` until {aliases} shows READY; if it shows FAILED, "
            "fix the cause and run apply again",
        )

    def _stopping(self, pending: Sequence[Action]) -> bool:
        """Stop before ``pending[0]`` only where that leaves nothing half done:
        before the sequence starts, or before what only cleans up afterwards
        (alias and version deletes)."""
        if self.stop is None or not self.stop.is_set():
            return False
        return not self.results or pending[0].order >= 4

    def _interrupted(self, rest: Sequence[Action]) -> FunctionOutcome:
        self.results.extend(ActionResult(a, "not_attempted", "interrupted") for a in rest)
        if any(r.status == "applied" for r in self.results):
            unconfirmed, next_step = self._unconfirmed()
            reason = "interrupted before its clean-up (deletes); run apply again to finish it"
            return FunctionOutcome(
                self.plan.fn,
                "changed",
                tuple(self.results),
                reason=f"{unconfirmed}; {reason}" if unconfirmed else reason,
                next_step=next_step,
            )
        return FunctionOutcome(
            self.plan.fn,
            "not_attempted",
            tuple(self.results),
            reason="the run was interrupted (SIGINT/SIGTERM) before this function was started",
        )

    def _failed(
        self, action: Action, err: ReconcilerError, rest: Sequence[Action]
    ) -> FunctionOutcome:
        message = str(err).splitlines()[0]
        log.error("%s: %s", self.plan.fn.key, message)
        self.results.append(ActionResult(action, "failed", message))
        self.results.extend(ActionResult(a, "not_attempted") for a in rest)
        return FunctionOutcome(self.plan.fn, "failed", tuple(self.results), reason=message)

    # -- re-planning after a race --------------------------------------
    def _fresh_actions(self, failed: Action, rest: list[Action], why: str) -> list[Action]:
        if self.replan is None or self.replanned:
            raise Refused(f"{failed.describe()}: changed concurrently ({why})")
        self.replanned = True
        fresh = self.replan(self.plan.fn)
        if fresh.problems:
            raise Refused("; ".join(p.message for p in fresh.problems))
        promised = [kind_of(a).comparable(a, self) for a in (failed, *rest)]
        offered = [kind_of(a).comparable(a, self) for a in fresh.actions]
        if promised != offered:
            now = "; ".join(a.describe() for a in fresh.actions) or "no changes"
            raise Refused(
                f"{failed.fn.name} changed since the plan was made, differently from what it "
                f"promised; not overwritten. The plan now would be: {now}. Review and run again"
            )
        log.info("%s: changed concurrently; the fresh plan matches, applying it", failed.fn.key)
        return list(fresh.actions)


def execute(
    plans: Sequence[FunctionPlan],
    gateway_for: Callable[[FunctionRef], LambdaGateway],
    *,
    replan: Replanner | None,
    concurrency: int,
    on_done: Callable[[FunctionOutcome], None] | None = None,
    now: Callable[[], float] = time.time,
    waiter: Waiter | None = None,
    stop: threading.Event | None = None,
) -> list[FunctionOutcome]:
    """Apply every function's actions; one failure does not stop the others."""

    def run_one(plan: FunctionPlan) -> FunctionOutcome:
        try:
            outcome = _FunctionRun(gateway_for(plan.fn), plan, replan, now, waiter, stop).run()
        except ReconcilerError as err:  # e.g. the re-plan's own reads failed
            outcome = FunctionOutcome(plan.fn, "failed", reason=str(err).splitlines()[0])
        except Exception as err:  # a bug in one function's handling fails that function only
            log.debug("%s: unexpected error", plan.fn.key, exc_info=True)
            outcome = FunctionOutcome(
                plan.fn, "failed", reason=f"internal error: {type(err).__name__}: {err}"
            )
        if on_done:
            on_done(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(run_one, plans))
