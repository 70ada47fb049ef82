"""Progressive delivery: what one run does for an alias with a rollout. Pure.

From (the rollout spec, the resolved target B, the live alias, its rollout
marker, the alarm states read, now) :func:`decide` picks one of: plan as
usual (nothing to roll out, or a new alias created at B directly), start
(A primary, B at the first step's weight), advance a step, promote (B takes
all traffic), wait for the interval, roll back (an alarm is in ALARM: A at
100%, recorded as failed for B), blocked (an alarm is in ALARM before the
start), held (failed earlier for the same B, or changed by hand mid-rollout),
reset (the manifest names another target: back to A, then toward it), or
clear (B already serves everything; only the marker goes).

The state that survives between runs is the marker in the alias description
(see :mod:`reconciler.plan.description`), written by the same ``UpdateAlias``
that moves the traffic, so both change together under one ``RevisionId``.
Each run takes at most one step, so apply never sleeps: a scheduled run
(``apply --rollouts-only``) moves rollouts along.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from reconciler.aws import weights
from reconciler.aws.live import LiveAlias
from reconciler.features.rollout.alarms import alarm_gate, is_firing, read_alarms
from reconciler.features.rollout.model import Decision, RolloutPolicy, Situation
from reconciler.manifest.model import LATEST
from reconciler.plan import (
    AliasState,
    Note,
    Problem,
    RolloutInfo,
    RolloutView,
    Version,
    format_weight,
)
from reconciler.plan.description import Marker, compose
from reconciler.plan.description import split_rollout as parse

__all__ = ["FUTURE_TOLERANCE", "Decision", "RolloutPolicy", "Situation", "decide", "when"]

# A marker dated further ahead than this is not ours to obey (a skewed clock, or a hand edit).
FUTURE_TOLERANCE = 300


def when(seconds: float) -> str:
    """A time for messages; total (a marker's time comes from anyone's edit)."""
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{seconds:.0f} (Unix seconds, out of range)"


def decide(s: Situation) -> Decision:
    user_text, marker = parse(s.live.description)
    kept = s.description if s.description is not None else user_text
    if marker is not None and marker.at > s.now + FUTURE_TOLERANCE:
        return _from_the_future(s, marker)
    if marker is not None and marker.kind == "failed":
        return _after_failure(s, marker, kept)
    if marker is not None:
        return _in_flight(s, marker, kept)
    return _idle(s, kept, None)


def _from_the_future(s: Situation, marker: Marker) -> Decision:
    note = Note(
        f"{s.alias}: its rollout marker is dated {when(marker.at)}, more than "
        f"{FUTURE_TOLERANCE // 60} minutes after this run's clock ({when(s.now)}); the rollout "
        "is held, not advanced. Check the runner's clock, or remove the marker from the "
        "alias description if it was written by hand",
        s.alias,
        kind="rollout_marker_invalid",
    )
    view = _view(s, "interrupted", marker=marker, message=note.message, read=False)
    return Decision(notes=(note,), view=view)


# -- no rollout in flight ---------------------------------------------------
def _idle(s: Situation, kept: str, marker: Marker | None) -> Decision:
    live, target = s.live, s.target
    if live.version == target:
        if marker is not None and not live.weights:
            return _clear(s, kept, marker)
        return Decision(normal=True, view=_view(s, "done"))
    if target == LATEST:
        problem = Problem(
            "rollout_impossible",
            f"alias {s.alias}: a rollout cannot split traffic with $LATEST; pin a published "
            "version or remove `rollout`",
            s.alias,
        )
        return Decision(problem=problem)
    if live.version == LATEST:
        note = Note(
            f"{s.alias}: serves $LATEST, which cannot share traffic; switching to "
            f"{s.target_label} at once instead of rolling out",
            s.alias,
            kind="rollout",
        )
        return Decision(normal=True, notes=(note,), view=_view(s, "pending"))
    if not s.policy.start:
        note = Note(
            f"{s.alias}: rollout to {s.target_label} not started (--rollouts-only moves only "
            "rollouts in flight; a full apply starts it)",
            s.alias,
            kind="deferred",
        )
        return Decision(notes=(note,), view=_view(s, "pending"))
    gate = alarm_gate(s)
    if gate is not None and (gate.needs or gate.problem):
        return gate
    if gate is not None:  # firing
        names = ", ".join(n for n, _ in read_alarms(s) if is_firing(s, n))
        note = Note(
            f"{s.alias}: rollout to {s.target_label} not started: alarm {names} is in ALARM "
            "(apply --ignore-alarms starts it anyway)",
            s.alias,
            kind="rollout_blocked",
        )
        return Decision(notes=(note,), view=_view(s, "blocked", message=note.message))
    steps = s.spec.steps
    source = live.version
    if not steps:
        after = AliasState(target, (), compose(kept, None), version_label=s.target_label)
        info = RolloutInfo("start", source, target, target_label=s.target_label)
        return Decision(after=after, info=info, view=_view(s, "pending"))
    marker = Marker("rollout", source, target, int(s.now), 1, len(steps))
    after = _split(source, target, steps[0], compose(kept, marker), s.target_label)
    info = RolloutInfo(
        "start", source, target, 1, len(steps), steps[0], target_label=s.target_label
    )
    return Decision(after=after, info=info, view=_view(s, "pending", source=source))


def _after_failure(s: Situation, marker: Marker, kept: str) -> Decision:
    if marker.target != s.target or s.policy.retry:
        # Another target, or asked to try again: the failure no longer holds.
        return _idle(s, kept, marker)
    live = s.live
    if live.version == s.target and not live.weights:
        return _clear(s, kept, marker)  # someone promoted it by hand
    note = Note(
        f"{s.alias}: the rollout to {s.target_label} failed at {when(marker.at)} and was rolled "
        f"back; it serves {live.version}. Not started again until the manifest names another "
        "version or apply --retry-rollout is given",
        s.alias,
        kind="rollout_failed",
    )
    return Decision(
        notes=(note,),
        view=_view(
            s, "failed", source=marker.source, last=marker.at, message=note.message, read=False
        ),
    )


# -- a rollout in flight ----------------------------------------------------
def _in_flight(s: Situation, marker: Marker, kept: str) -> Decision:
    live = s.live
    if live.version == s.target == marker.target and not live.weights:
        return _clear(s, kept, marker)
    if not _as_left(s, marker):
        if s.policy.retry:
            return _idle(s, kept, marker)
        left = (
            f"{marker.source} at 100%"
            if marker.step == 0
            else f"{marker.source} primary with {marker.target} weighted"
        )
        note = Note(
            f"{s.alias}: changed by hand during the rollout to {marker.target} (step "
            f"{marker.step}/{marker.steps}): it serves {live.version} with weights "
            f"{_weights_text(live)}, the rollout left {left}. Not overwritten: name another "
            "version in the manifest or run apply --retry-rollout to restart from what it serves",
            s.alias,
            kind="rollout_interrupted",
        )
        return Decision(
            notes=(note,),
            view=_view(s, "interrupted", marker=marker, message=note.message, read=False),
        )
    if marker.target != s.target:
        return _reset(s, marker, kept)
    gate = alarm_gate(s)
    if gate is not None and (gate.needs or gate.problem):
        return gate
    if gate is not None:
        return _rollback(s, marker, kept)
    steps = s.spec.steps
    if marker.step >= 1 and s.now < marker.at + s.spec.interval_seconds:
        due = marker.at + s.spec.interval_seconds
        note = Note(
            f"{s.alias}: rollout to {s.target_label} at step {marker.step}/{marker.steps} "
            f"({marker.target} at {format_weight(_current_weight(live))}); next step not "
            f"before {when(due)}",
            s.alias,
            kind="converging",
        )
        view = _view(s, "in_progress", marker=marker, next_at=due, message=note.message)
        return Decision(notes=(note,), view=view)
    current = _current_weight(live) if marker.step >= 1 else 0.0
    upcoming = [i for i, w in enumerate(steps) if w > current and not weights.close(w, current)]
    if upcoming:
        index = upcoming[0]
        new = Marker("rollout", marker.source, s.target, int(s.now), index + 1, len(steps))
        after = _split(marker.source, s.target, steps[index], compose(kept, new), s.target_label)
        info = RolloutInfo(
            "step",
            marker.source,
            s.target,
            index + 1,
            len(steps),
            steps[index],
            target_label=s.target_label,
        )
    else:
        after = AliasState(s.target, (), compose(kept, None), version_label=s.target_label)
        info = RolloutInfo(
            "promote",
            marker.source,
            s.target,
            len(steps),
            len(steps),
            1.0,
            target_label=s.target_label,
        )
    view = _view(s, "in_progress", marker=marker, next_at=s.now)
    return Decision(after=after, info=info, view=view)


def _as_left(s: Situation, marker: Marker) -> bool:
    """Whether the live alias is as the rollout's last write left it."""
    live = s.live
    if live.version != marker.source:
        return False
    if marker.step == 0:
        return not live.weights
    if len(live.weights) != 1 or live.weights[0][0] != marker.target:
        return False
    weight = live.weights[0][1]
    steps = s.spec.steps
    if marker.target == s.target and marker.steps == len(steps) and marker.step <= len(steps):
        return weights.close(weight, steps[marker.step - 1])
    return weight > 0  # the manifest changed since: any split the rollout made


def _reset(s: Situation, marker: Marker, kept: str) -> Decision:
    back_to_source = s.target == marker.source
    # --rollouts-only never commits to a new target: a full apply starts it.
    toward = not back_to_source and s.policy.start
    new = Marker("rollout", marker.source, s.target, int(s.now), 0, len(s.spec.steps))
    after = AliasState(
        marker.source, (), compose(kept, new if toward else None), version_label=marker.source
    )
    reason = (
        f"the manifest went back to {marker.source}; rollout to {marker.target} cancelled"
        if back_to_source
        else f"target changed from {marker.target} to {s.target_label}"
    )
    info = RolloutInfo(
        "reset", marker.source, s.target, 0, len(s.spec.steps), 0.0, reason, s.target_label
    )
    view = _view(s, "in_progress", marker=marker, message=reason, read=False)
    return Decision(after=after, info=info, view=view)


def _rollback(s: Situation, marker: Marker, kept: str) -> Decision:
    firing = [n for n, _ in read_alarms(s) if is_firing(s, n)]
    reason = f"alarm {', '.join(firing)} in ALARM"
    failed = Marker("failed", marker.source, marker.target, int(s.now))
    after = AliasState(marker.source, (), compose(kept, failed), version_label=marker.source)
    info = RolloutInfo(
        "rollback",
        marker.source,
        marker.target,
        marker.step,
        marker.steps,
        0.0,
        reason,
        s.target_label,
    )
    note = Note(
        f"{s.alias}: rollout to {s.target_label} fails at step {marker.step}/{marker.steps} "
        f"({reason}): all traffic goes back to {marker.source}, and it is not started again "
        "until the manifest names another version or apply --retry-rollout is given",
        s.alias,
        kind="rollout_failed",
    )
    view = _view(s, "rolling_back", marker=marker, message=note.message)
    return Decision(after=after, info=info, notes=(note,), view=view)


def _clear(s: Situation, kept: str, marker: Marker) -> Decision:
    after = AliasState(s.target, (), compose(kept, None), version_label=s.target_label)
    info = RolloutInfo("clear", marker.source, s.target, target_label=s.target_label)
    return Decision(after=after, info=info, view=_view(s, "done", read=False))


# -- helpers ------------------------------------------------------------------
def _split(source: str, target: Version, weight: float, description: str, label: str) -> AliasState:
    return AliasState(
        source,
        ((target, weight),),
        description,
        version_label=source,
        weight_labels=(label,),
    )


def _current_weight(live: LiveAlias) -> float:
    return live.weights[0][1] if len(live.weights) == 1 else 0.0


def _weights_text(live: LiveAlias) -> str:
    return AliasState(live.version, live.weights).weights_text()


def _view(
    s: Situation,
    state: str,
    *,
    source: str | None = None,
    marker: Marker | None = None,
    last: int | None = None,
    next_at: float | None = None,
    message: str = "",
    read: bool = True,
) -> RolloutView:
    view = RolloutView(
        alias=s.alias,
        state=state,
        target=s.target,
        source=source,
        steps=len(s.spec.steps),
        next_step_at=next_at,
        alarms=tuple(read_alarms(s)) if read else (),
        message=message,
        last_step_at=last,
    )
    if marker is not None:
        view = replace(
            view,
            source=marker.source,
            step=marker.step,
            steps=marker.steps,
            last_step_at=marker.at,
        )
    return view
