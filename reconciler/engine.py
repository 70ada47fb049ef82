"""The pipeline: manifests -> desired model -> live snapshot -> Plan -> (apply).

``plan`` and ``drift`` run :func:`make_plan` only; ``apply`` runs the same and
then hands the Plan to the executor. There is no dry-run flag anywhere.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from reconciler.applying.executor import execute
from reconciler.aws.gateway import LambdaGateway, Session
from reconciler.errors import AwsEnvironmentError, AwsError, PlanError, ReconcilerError
from reconciler.features.rollout.scope import rollouts_only
from reconciler.features.rollout.strategy import RolloutPolicy
from reconciler.manifest.model import FunctionSpec, ManifestSet
from reconciler.plan import (
    FunctionOutcome,
    FunctionPlan,
    FunctionRef,
    Plan,
    Problem,
    located,
)
from reconciler.planning.reader import read_and_plan
from reconciler.report.progress import Progress

log = logging.getLogger("reconciler.engine")


@dataclass(frozen=True)
class RunOptions:
    region: str | None = None
    concurrency: int = 8
    progress: bool = False
    # The wall clock rollouts measure their intervals with (injectable for tests).
    now: Callable[[], float] = field(default=time.time)
    retry_rollout: bool = False
    ignore_alarms: bool = False
    # Plan and apply only what moves rollouts already in flight.
    rollouts_only: bool = False

    @property
    def policy(self) -> RolloutPolicy:
        return RolloutPolicy(
            retry=self.retry_rollout, ignore_alarms=self.ignore_alarms, start=not self.rollouts_only
        )


class Engine:
    """Plans (and applies) a set of functions against one AWS session."""

    def __init__(self, session: Session, options: RunOptions) -> None:
        self.session = session
        self.options = options
        # Set on SIGINT/SIGTERM: no new call starts (see the executor).
        self.stop = threading.Event()

    def function_ref(self, spec: FunctionSpec) -> FunctionRef | None:
        region = spec.region or self.options.region or self.session.default_region
        if region is None:
            return None
        # Calls use the bare name with the region's client: an ARN's region picks
        # the client and its account is enforced by the account guard, so the
        # two are equivalent (and emulators that cannot route ARNs still work).
        return FunctionRef(function=spec.name, name=spec.name, region=region, account=spec.account)

    def gateway_for(self, fn: FunctionRef) -> LambdaGateway:
        return self.session.gateway(fn.region)

    def _check_accounts(self, refs: Sequence[FunctionRef]) -> dict[FunctionRef, Problem]:
        """The account guard: one STS call per run, only if a manifest asks."""
        guarded = [r for r in refs if r.account]
        if not guarded:
            return {}
        try:
            actual = self.session.caller_account(guarded[0].region)
        except (AwsError, AwsEnvironmentError) as err:
            return {
                r: Problem("account_unknown", f"cannot check the account guard: {err}")
                for r in guarded
            }
        return {
            r: Problem(
                "account_mismatch",
                f"the credentials belong to account {actual}, but the manifest of {r.name} "
                f"requires account {r.account}; refusing to act on it",
            )
            for r in guarded
            if r.account != actual
        }

    def replan(self, plan: FunctionPlan) -> FunctionPlan:
        """Read and plan one function again (after a race), from its own spec."""
        if plan.spec is None:
            raise PlanError([f"{plan.fn.name}: no manifest to plan again from"])
        return self._read_and_plan(plan.spec, plan.fn)

    def _read_and_plan(self, spec: FunctionSpec, fn: FunctionRef) -> FunctionPlan:
        options = self.options
        plan = read_and_plan(self.gateway_for(fn), spec, fn, options.policy, options.now)
        # Problems and notes point at the manifest: attached here, once, for all
        # of the reader's, planner's and features' findings.
        return located(rollouts_only(plan) if options.rollouts_only else plan, spec)

    def _plan_one(
        self, spec: FunctionSpec, ref: FunctionRef, refused: Problem | None
    ) -> FunctionPlan:
        try:
            if refused is not None:
                return FunctionPlan(fn=ref, problems=(refused,))
            return self._read_and_plan(spec, ref)
        except ReconcilerError as err:
            return FunctionPlan(
                fn=ref, problems=(Problem("aws_error", str(err).splitlines()[0]),), spec=spec
            )
        except Exception as err:  # a bug planning one function fails that function only
            log.debug("%s: unexpected error while planning", ref.key, exc_info=True)
            message = (
                f"internal error while planning {ref.name}: {type(err).__name__}: {err} "
                "(run with --verbose for the traceback, and please report it)"
            )
            return FunctionPlan(fn=ref, problems=(Problem("internal_error", message),))

    def make_plan(self, manifests: ManifestSet | Sequence[FunctionSpec]) -> Plan:
        specs = manifests.functions if isinstance(manifests, ManifestSet) else tuple(manifests)
        global_problems: list[tuple[FunctionRef | None, Problem]] = []
        refs: list[tuple[FunctionSpec, FunctionRef]] = []
        for spec in specs:
            ref = self.function_ref(spec)
            if ref is None:
                global_problems.append(
                    (
                        None,
                        Problem(
                            "no_region",
                            f"{spec.function}: no region; set `region:` or --region",
                            pos=spec.pos,
                        ),
                    )
                )
                continue
            refs.append((spec, ref))
        regions = sorted({r.region for _, r in refs})
        log.info("planning %d function(s) in %s", len(refs), ", ".join(regions) or "no region")
        refused = self._check_accounts([r for _, r in refs])
        progress = Progress("planning", len(refs), enabled=self.options.progress)

        def plan_one(item: tuple[FunctionSpec, FunctionRef]) -> FunctionPlan:
            spec, ref = item
            try:
                return located(self._plan_one(spec, ref, refused.get(ref)), spec)
            finally:
                progress.advance()

        try:
            with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency)) as pool:
                plans = tuple(pool.map(plan_one, refs))
        finally:
            progress.close()
        return Plan(functions=plans, problems=tuple(global_problems))

    def apply(
        self, plan: Plan, *, on_done: Callable[[FunctionOutcome], None] | None = None
    ) -> list[FunctionOutcome]:
        """Carry out a Plan. Callers must not pass a plan with problems, except
        with ``rollouts_only``: rollout actions (a rollback above all) are never
        held up by a problem elsewhere."""
        if plan.has_errors and not self.options.rollouts_only:
            raise PlanError([p.message for _, p in plan.all_problems])
        todo = [f for f in plan.functions if f.actions]
        progress = Progress("applying", len(todo), enabled=self.options.progress)

        def done(outcome: FunctionOutcome) -> None:
            progress.advance()
            if on_done:
                on_done(outcome)

        planned = {f.fn: f for f in todo}

        def replan(fn: FunctionRef) -> FunctionPlan:
            return self.replan(planned[fn])

        try:
            outcomes = execute(
                todo,
                self.gateway_for,
                replan=replan,
                concurrency=self.options.concurrency,
                on_done=done,
                now=self.options.now,
                stop=self.stop,
            )
        finally:
            progress.close()
        by_fn = {o.fn: o for o in outcomes}
        return [by_fn.get(f.fn) or FunctionOutcome(f.fn, "unchanged") for f in plan.functions]
