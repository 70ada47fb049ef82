"""A stop (SIGINT/SIGTERM) during the wait for provisioned concurrency READY ends
the wait at once, and the change is reported as it is: applied, READY not
confirmed, with `reconciler status` as the next step."""

from __future__ import annotations

import threading

import pytest

from reconciler.applying.executor import execute
from reconciler.aws.live import ProvisionedConfig
from reconciler.features.provisioned import STOP_CHECK, ReadyNotConfirmed, Waiter
from reconciler.manifest.model import AliasSpec, FunctionSpec, PinnedVersion
from reconciler.plan import FunctionRef, Plan
from reconciler.planning.reader import read_and_plan
from reconciler.report.documents import apply_doc, plan_doc
from reconciler.report.text import render_text
from tests.fakes_lifecycle import LifecycleFake

FN = FunctionRef("pay", "pay", "eu-west-1")


class Clock:
    """A clock that moves only when slept on; ``stop_at``: set ``stop`` then."""

    def __init__(self, stop: threading.Event, stop_at: float) -> None:
        self.now = 0.0
        self.stop, self.stop_at = stop, stop_at

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.now >= self.stop_at:
            self.stop.set()


def in_progress() -> ProvisionedConfig:
    return ProvisionedConfig("live", 5, 1, "IN_PROGRESS")


@pytest.mark.parametrize("stop_at", [0.1, 3.0, 120.0])
def test_the_wait_ends_soon_after_the_stop(stop_at):
    stop = threading.Event()
    clock = Clock(stop, stop_at)
    reads: list[float] = []

    def read() -> ProvisionedConfig:
        reads.append(clock.now)
        return in_progress()

    with pytest.raises(ReadyNotConfirmed, match="READY not confirmed: the run was interrupted"):
        Waiter(clock=clock, sleep=clock.sleep).until_ready(read, "pay:live", stop=stop)
    assert clock.now <= stop_at + STOP_CHECK + 1e-9  # not the 900 s timeout
    assert all(t <= stop_at for t in reads)  # no call after the stop


def test_stopped_before_the_wait_reads_nothing():
    stop = threading.Event()
    stop.set()
    calls: list[str] = []
    with pytest.raises(ReadyNotConfirmed, match="its status not read"):
        Waiter().until_ready(lambda: calls.append("read") or None, "pay:live", stop=stop)
    assert calls == []


def test_ready_before_the_stop_is_still_ready():
    stop = threading.Event()
    clock = Clock(stop, 100.0)
    ready = ProvisionedConfig("live", 5, 5, "READY")
    config, _ = Waiter(clock=clock, sleep=clock.sleep).until_ready(lambda: ready, "x", stop=stop)
    assert config.status == "READY" and not stop.is_set()


def test_apply_reports_the_setting_applied_and_ready_unconfirmed():
    gw = LifecycleFake()
    gw.add_function("pay", ["A" * 43 + "=", "B" * 43 + "="])
    gw.set_alias("pay", "live", "2")
    gw.polls_to_ready = 10**6  # AWS is slow today
    stop = threading.Event()
    gw.before["GetProvisionedConcurrencyConfig"] = stop.set  # the signal comes mid-wait
    spec = FunctionSpec(
        "pay",
        "pay",
        "eu-west-1",
        None,
        False,
        (AliasSpec("live", PinnedVersion(2), provisioned_concurrency=3),),
    )
    plan = read_and_plan(gw, spec, FN)
    (outcome,) = execute([plan], lambda _fn: gw, replan=None, concurrency=1, stop=stop)
    (put,) = [r for r in outcome.results if r.action.action == "put_provisioned_concurrency"]
    assert put.status == "applied"
    assert "READY not confirmed" in (put.message or "")
    assert outcome.status == "changed"
    assert "READY not confirmed" in (outcome.reason or "")
    assert "reconciler status" in (outcome.next_step or "")

    doc = apply_doc(plan_doc(Plan((plan,)), None, []), [outcome])
    (fn_doc,) = doc["functions"]
    assert fn_doc["next_step"] == outcome.next_step
    text = render_text({**doc, "failure_reason": "interrupted", "success": False})
    assert f"    next: {outcome.next_step}" in text
    assert text.rstrip().endswith("See each function's next step above.")
