"""What a rollout decision sees and returns (plain data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.aws.live import AlarmState, LiveAlias
from reconciler.manifest.model import Rollout
from reconciler.plan import AliasState, Note, Problem, RolloutInfo, RolloutView, Version
from reconciler.plan.requests import ReadRequest


@dataclass(frozen=True)
class RolloutPolicy:
    """What the command line allows this run."""

    retry: bool = False  # --retry-rollout: try a failed (or interrupted) target again
    ignore_alarms: bool = False  # --ignore-alarms: alarm states are not consulted
    start: bool = True  # False with --rollouts-only: only rollouts in flight move


@dataclass(frozen=True)
class Situation:
    """Everything :func:`decide` needs; ``alarms`` holds only what was read."""

    alias: str
    spec: Rollout
    target: Version  # B, resolved (maybe a version still to be published)
    target_label: str
    description: str | None  # the manifest's; None: not managed
    live: LiveAlias
    alarms: Mapping[str, AlarmState | None]
    now: float
    policy: RolloutPolicy = RolloutPolicy()


@dataclass(frozen=True)
class Decision:
    """``normal``: not a rollout move, plan the alias as usual. Otherwise the
    alias becomes ``after`` (None: no action this run)."""

    normal: bool = False
    after: AliasState | None = None
    info: RolloutInfo | None = None
    notes: tuple[Note, ...] = ()
    problem: Problem | None = None
    needs: frozenset[ReadRequest] = frozenset()
    view: RolloutView | None = None
