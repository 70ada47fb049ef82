"""A rollout's alarm gate: which alarms to read, and whether one is firing. Pure."""

from __future__ import annotations

from reconciler.features.rollout.model import Decision, Situation
from reconciler.plan import Problem
from reconciler.plan.requests import AlarmStates


def alarm_gate(s: Situation) -> Decision | None:
    """None: go on. Else needs (read them first), a problem, or "firing" (empty)."""
    names = s.spec.alarms
    if not names or s.policy.ignore_alarms:
        return None
    unread = frozenset(AlarmStates(n, s.alias) for n in names if n not in s.alarms)
    if unread:
        return Decision(needs=unread)
    missing = [n for n in names if s.alarms[n] is None]
    if missing:
        return Decision(
            problem=Problem(
                "alarm_missing",
                f"alias {s.alias}: rollout alarm(s) {', '.join(missing)} do not exist in the "
                "function's account and region; create them or fix the names",
                s.alias,
            )
        )
    if any(is_firing(s, n) for n in names):
        return Decision()
    return None


def is_firing(s: Situation, name: str) -> bool:
    alarm = s.alarms.get(name)
    return alarm is not None and alarm.firing


def read_alarms(s: Situation) -> list[tuple[str, str]]:
    """(name, state) of this rollout's alarms that were read; MISSING: no such alarm."""
    found = []
    for name in s.spec.alarms:
        if name in s.alarms:
            alarm = s.alarms[name]
            found.append((name, alarm.state if alarm is not None else "MISSING"))
    return found
