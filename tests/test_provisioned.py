"""Provisioned concurrency: the ownership marker, planning (pure), waiting for READY
and the executor's order, on the in-memory fake. Table-driven where it fits."""

from __future__ import annotations

import jsonschema
import pytest

from reconciler.applying.executor import execute
from reconciler.applying.savedplan import function_plans
from reconciler.aws.live import FunctionSnapshot, LiveAlias, ProvisionedConfig, VersionInfo
from reconciler.features.provisioned import (
    MARKER,
    NEED_CONFIGS,
    ProvisioningError,
    Waiter,
    join_marker,
    split_marker,
)
from reconciler.manifest.model import AliasSpec, FunctionSpec, PinnedVersion
from reconciler.manifest.resources import load_schema
from reconciler.plan import (
    ACTION_ORDER,
    AliasState,
    DeleteProvisionedConcurrency,
    DeleteVersion,
    FunctionPlan,
    FunctionRef,
    Plan,
    PutProvisionedConcurrency,
    Retained,
    UpdateAlias,
)
from reconciler.planning.planner import plan_function
from reconciler.planning.reader import read_and_plan
from reconciler.report.documents import plan_doc
from tests.fakes_lifecycle import LifecycleFake

FN = FunctionRef("pay", "pay", "eu-west-1")


# -- the marker ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "text", "owned"),
    [
        ("", "", False),
        ("production", "production", False),
        (MARKER, "", True),
        (f"production {MARKER}", "production", True),
        (f"production {MARKER}  ", "production", True),
        (f"{MARKER} production", f"{MARKER} production", False),  # only at the end
    ],
)
def test_split_marker(description, text, owned):
    assert split_marker(description) == (text, owned)


@pytest.mark.parametrize(
    ("text", "owned", "expected"),
    [
        ("", True, MARKER),
        ("production", True, f"production {MARKER}"),
        ("production", False, "production"),
        ("x" * 256, False, "x" * 256),
    ],
)
def test_join_marker(text, owned, expected):
    assert join_marker(text, owned) == expected


def test_join_marker_cuts_user_text_to_fit_256():
    joined = join_marker("y" * 300, True)
    assert len(joined) == 256 and joined.endswith(MARKER)
    assert split_marker(joined) == ("y" * (256 - len(MARKER) - 1), True)


# -- planning --------------------------------------------------------------------------------


def spec(*aliases: AliasSpec) -> FunctionSpec:
    return FunctionSpec("pay", "pay", "eu-west-1", None, False, aliases)


def alias(version: int = 3, pc: int | None = 5, description: str | None = None) -> AliasSpec:
    return AliasSpec(
        "live", PinnedVersion(version), description=description, provisioned_concurrency=pc
    )


def live(version: str = "3", description: str = "", weights=None) -> LiveAlias:
    return LiveAlias("live", version, tuple((weights or {}).items()), description, "rev")


def snap(
    *aliases: LiveAlias, configs: dict[str, ProvisionedConfig] | None = None
) -> FunctionSnapshot:
    return FunctionSnapshot(
        exists=True,
        aliases={a.name: a for a in aliases},
        versions={v: VersionInfo(v, "x") for v in ("3", "4")},
        provisioned=configs,
    )


def ready(n: int, status: str = "READY", reason: str = "") -> dict[str, ProvisionedConfig]:
    return {"live": ProvisionedConfig("live", n, n if status == "READY" else 0, status, reason)}


OWNED = f"prod {MARKER}"

PLAN_CASES = [
    pytest.param(
        alias(),
        snap(live(), configs={}),
        ["update_alias live description", "put_provisioned_concurrency live None->5"],
        id="set",
    ),
    pytest.param(alias(), snap(live(description=MARKER), configs=ready(5)), [], id="in-sync"),
    pytest.param(
        alias(),
        snap(live(description=MARKER), configs=ready(3)),
        ["put_provisioned_concurrency live 3->5"],
        id="changed",
    ),
    pytest.param(
        alias(),
        snap(live(description=MARKER), configs=ready(5, "FAILED", "quota")),
        ["put_provisioned_concurrency live 5->5"],
        id="failed-is-set-again",
    ),
    pytest.param(
        alias(),
        snap(live(description=MARKER), configs=ready(5, "IN_PROGRESS")),
        [],
        id="in-progress-same-amount-nothing",
    ),
    pytest.param(
        alias(version=4),
        snap(live(description=MARKER), configs=ready(5)),
        ["update_alias live version wait=5"],
        id="version-switch-waits-for-ready",
    ),
    pytest.param(
        alias(version=4, pc=7),
        snap(live(description=MARKER), configs=ready(5)),
        ["update_alias live version", "put_provisioned_concurrency live 5->7"],
        id="version-and-amount",
    ),
    pytest.param(
        alias(pc=None),
        snap(live(description=OWNED), configs=ready(5)),
        ["delete_provisioned_concurrency live removed", "update_alias live description"],
        id="removed-deletes-then-unmarks",
    ),
    pytest.param(
        alias(pc=None),
        snap(live(description=OWNED), configs={}),
        ["update_alias live description"],
        id="removed-already-gone-only-unmarks",
    ),
    pytest.param(
        alias(pc=None), snap(live(description="prod")), [], id="never-had-it-nothing-read"
    ),
    pytest.param(
        alias(pc=None, description="prod"),
        snap(live(description="prod"), configs=ready(2)),
        [],
        id="hand-set-left-alone",
    ),
    pytest.param(
        AliasSpec("live", PinnedVersion(3), weights=((PinnedVersion(4), 0.1),)),
        snap(live(description=OWNED), configs=ready(5)),
        ["delete_provisioned_concurrency live weights", "update_alias live weights,description"],
        id="owned-alias-getting-weights-deletes-first",
    ),
    pytest.param(
        alias(description="prod"),
        snap(live(description="prod"), configs={}),
        ["update_alias live description", "put_provisioned_concurrency live None->5"],
        id="managed-description-gets-the-marker",
    ),
]


def summary(plan) -> list[str]:
    out = []
    for a in plan.actions:
        if a.action == "update_alias":
            wait = f" wait={a.provisioned}" if a.provisioned else ""
            out.append(f"update_alias {a.alias} {','.join(a.fields)}{wait}")
        elif a.action == "put_provisioned_concurrency":
            out.append(f"put_provisioned_concurrency {a.alias} {a.before}->{a.after}")
        elif a.action == "delete_provisioned_concurrency":
            out.append(f"delete_provisioned_concurrency {a.alias} {a.why}")
        else:
            out.append(f"{a.action} {a.alias}")
    return out


@pytest.mark.parametrize(("desired", "state", "expected"), PLAN_CASES)
def test_plan(desired, state, expected):
    plan = plan_function(spec(desired), FN, state)
    assert not plan.problems and not plan.needs, (plan.problems, plan.needs)
    assert summary(plan) == expected
    order = [ACTION_ORDER[a.action] for a in plan.actions]
    assert order == sorted(order)


def test_marker_written_and_removed_keeps_user_text():
    state = snap(live(description="prod"), configs={})
    plan = plan_function(spec(alias()), FN, state)
    assert plan.actions[0].after.description == f"prod {MARKER}"
    state = snap(live(description=f"prod {MARKER}"), configs=ready(5))
    plan = plan_function(spec(alias(pc=None)), FN, state)
    assert plan.actions[1].after.description == "prod"


def test_hand_set_config_is_noted_when_known():
    other = AliasSpec("beta", PinnedVersion(3), provisioned_concurrency=1)
    state = FunctionSnapshot(
        exists=True,
        aliases={
            "live": live(),
            "beta": LiveAlias("beta", "3", (), MARKER, "r"),
        },
        provisioned={**ready(2), "beta": ProvisionedConfig("beta", 1, 1, "READY")},
    )
    plan = plan_function(spec(alias(pc=None), other), FN, state)
    assert plan.actions == ()
    assert [n.kind for n in plan.notes] == ["unmanaged_provisioned_concurrency"]


def test_configs_unread_means_the_planner_asks():
    plan = plan_function(spec(alias()), FN, snap(live(), configs=None))
    assert plan.needs == {NEED_CONFIGS}


def test_create_alias_with_provisioned_concurrency():
    plan = plan_function(spec(alias()), FN, snap(configs={}))
    assert summary(plan) == ["create_alias live", "put_provisioned_concurrency live None->5"]
    assert plan.actions[0].after.description == MARKER


# -- reads -----------------------------------------------------------------------------------


def fake() -> LifecycleFake:
    gw = LifecycleFake()
    gw.add_function("pay", ["A" * 43 + "=", "B" * 43 + "=", "C" * 43 + "=", "D" * 43 + "="])
    return gw


def test_budget_one_call_without_the_key_two_with_it():
    gw = fake()
    gw.set_alias("pay", "live", "3", description="prod")
    gw.set_provisioned("pay", "live", 2)  # by hand: not ours, never read
    plan = read_and_plan(gw, spec(alias(pc=None)), FN)
    assert plan.actions == () and gw.calls == {"ListAliases": 1}
    gw = fake()
    gw.set_alias("pay", "live", "3", description=MARKER)
    gw.set_provisioned("pay", "live", 5)
    plan = read_and_plan(gw, spec(alias()), FN)
    assert plan.actions == ()
    assert gw.calls == {"ListAliases": 1, "ListProvisionedConcurrencyConfigs": 1}


# -- waiting ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def waiter(clock: Clock, timeout: float = 900.0) -> Waiter:
    return Waiter(timeout=timeout, clock=clock, sleep=clock.sleep)


def sequence(*statuses: str, reason: str = ""):
    configs = iter([ProvisionedConfig("live", 5, 0, s, reason) for s in statuses])
    return lambda: next(configs)


def test_waits_with_growing_interval_until_ready():
    clock = Clock()
    config, waited = waiter(clock).until_ready(
        sequence("IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "READY"), "pay:live"
    )
    assert config.status == "READY"
    assert clock.sleeps == [0.25, 0.375, 0.5625] and waited == pytest.approx(1.1875)


def test_ready_at_once_does_not_sleep():
    clock = Clock()
    first = ProvisionedConfig("live", 5, 5, "READY")
    _, waited = waiter(clock).until_ready(sequence(), "pay:live", first)
    assert waited == 0 and clock.sleeps == []


@pytest.mark.parametrize(
    ("statuses", "timeout", "message"),
    [
        (("IN_PROGRESS", "FAILED"), 900.0, "pay:live: provisioned concurrency 5 FAILED: quota"),
        (("IN_PROGRESS",) * 100, 3.0, "still IN_PROGRESS after"),
    ],
)
def test_failed_or_too_slow_is_an_error(statuses, timeout, message):
    clock = Clock()
    with pytest.raises(ProvisioningError, match=message):
        waiter(clock, timeout).until_ready(sequence(*statuses, reason="quota"), "pay:live")
    assert clock.now <= timeout


def test_config_disappearing_while_waiting_is_an_error():
    with pytest.raises(ProvisioningError, match="disappeared"):
        waiter(Clock()).until_ready(lambda: None, "pay:live")


# -- apply -----------------------------------------------------------------------------------


def run(gw: LifecycleFake, desired: FunctionSpec):
    plan = read_and_plan(gw, desired, FN)
    assert not plan.problems
    clock = Clock()
    (outcome,) = execute([plan], lambda _fn: gw, replan=None, concurrency=1, waiter=waiter(clock))
    return plan, outcome


def mutations(gw: LifecycleFake) -> list[str]:
    return [op for op in gw.log if not op.startswith(("List", "Get"))]


def test_version_switch_waits_for_ready_after_the_update():
    gw = fake()
    gw.set_alias("pay", "live", "3", description=MARKER)
    gw.set_provisioned("pay", "live", 5)
    _, outcome = run(gw, spec(alias(version=4)))
    assert outcome.status == "changed"
    assert mutations(gw) == ["UpdateAlias live"]
    assert gw.log[-1] == "GetProvisionedConcurrencyConfig"
    assert gw.provisioned["pay"]["live"].status == "READY"
    assert "READY after" in (outcome.results[0].message or "")


def test_removal_then_set_elsewhere_in_order():
    gw = fake()
    gw.set_alias("pay", "live", "3", description=f"prod {MARKER}")
    gw.set_alias("pay", "beta", "3")
    gw.set_provisioned("pay", "live", 5)
    beta = AliasSpec("beta", PinnedVersion(4), provisioned_concurrency=2)
    _, outcome = run(gw, spec(alias(pc=None), beta))
    assert outcome.status == "changed", outcome
    assert mutations(gw) == [
        "DeleteProvisionedConcurrencyConfig live",
        "UpdateAlias live",
        "UpdateAlias beta",
        "PutProvisionedConcurrencyConfig beta=2",
    ]
    assert gw.aliases["pay"]["live"].description == "prod"
    assert set(gw.provisioned["pay"]) == {"beta"}


def test_failed_allocation_fails_the_function_with_aws_reason():
    gw = fake()
    gw.set_alias("pay", "live", "3")
    gw.failure = "The maximum allowed provisioned concurrency is 0"
    _, outcome = run(gw, spec(alias()))
    assert outcome.status == "failed"
    assert "FAILED: The maximum allowed provisioned concurrency is 0" in (outcome.reason or "")


# -- documents -------------------------------------------------------------------------------


def test_new_actions_round_trip_through_a_saved_plan():
    actions = (
        DeleteProvisionedConcurrency(FN, "beta", 2, "weights"),
        UpdateAlias(
            FN, "live", AliasState("3"), AliasState("4"), ("version",), "rev", provisioned=5
        ),
        PutProvisionedConcurrency(FN, "edge", 3, 3, "quota"),
        DeleteVersion(FN, "1", 2),
        DeleteVersion(FN, "2", 2),
    )
    plan = Plan((FunctionPlan(FN, actions, retained=(Retained("0", "alias old"),)),))
    doc = plan_doc(plan, None, [])
    jsonschema.validate(doc, load_schema("plan"))
    assert doc["summary"] == {
        "publish": 0,
        "create": 0,
        "update": 1,
        "delete": 0,
        "delete_version": 2,
        "provisioned_concurrency": 2,
        "bindings": 0,
    }
    assert doc["summary_line"] == (
        "Plan: 0 to publish, 0 to create, 1 to update, 0 to delete, 2 versions to delete, "
        "2 provisioned concurrency changes."
    )
    assert doc["retained"] == [
        {"function": "pay", "region": "eu-west-1", "version": "0", "reason": "alias old"}
    ]
    (saved,) = function_plans(doc)
    assert saved.actions == actions
