"""CloudWatch: the states of a rollout's alarms (metric and composite)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.aws.calls import Caller
from reconciler.aws.live import AlarmState

# DescribeAlarms takes at most 100 names per call.
ALARM_BATCH = 100


def alarm_states(calls: Caller, function: str, names: Sequence[str]) -> dict[str, AlarmState]:
    """DescribeAlarms in the caller's region; names absent from the result do not
    exist. ``function`` is the one whose rollout asks (for errors)."""
    client = calls.client
    found: dict[str, AlarmState] = {}
    wanted = sorted(set(names))
    for start in range(0, len(wanted), ALARM_BATCH):
        params: dict[str, Any] = {
            "AlarmNames": wanted[start : start + ALARM_BATCH],
            "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
            "MaxRecords": ALARM_BATCH,
        }
        while True:
            data = (
                calls.optional("DescribeAlarms", function, None, client.describe_alarms, **params)
                or {}
            )
            for alarm in [*data.get("MetricAlarms", []), *data.get("CompositeAlarms", [])]:
                name = str(alarm["AlarmName"])
                found[name] = AlarmState(
                    name,
                    str(alarm.get("StateValue") or ""),
                    str(alarm.get("StateReason") or ""),
                )
            token = data.get("NextToken")
            if not token:
                break
            params["NextToken"] = token
    return found
