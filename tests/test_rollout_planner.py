"""Rollouts in the pure planner: (spec, live alias + marker, alarms, now) -> one move.

Table-driven; no AWS. The marker's own format is tested at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from reconciler.aws.live import AlarmState, FunctionSnapshot, LiveAlias, VersionInfo
from reconciler.features.rollout.strategy import RolloutPolicy
from reconciler.manifest.model import AliasSpec, FunctionSpec, LatestVersion, PinnedVersion, Rollout
from reconciler.plan import CreateAlias, FunctionPlan, FunctionRef, Plan, UpdateAlias
from reconciler.plan.description import (
    DESCRIPTION_LIMIT,
    Marker,
    compose,
    restamp,
    timeless,
)
from reconciler.plan.description import resolve_pending as materialise
from reconciler.plan.description import split_rollout as parse
from reconciler.plan.pending import PendingVersion
from reconciler.plan.requests import AlarmStates
from reconciler.planning.planner import plan_function
from reconciler.report.drift import drift_doc

FN = FunctionRef("pay", "pay", "eu-west-1")
T0 = 1_764_000_000
CANARY = Rollout("canary", (0.1, 0.5), 600, ("errs",))
QUIET = {"errs": AlarmState("errs", "OK")}
FIRING = {"errs": AlarmState("errs", "ALARM")}


def marker(step: int, at: int = T0, *, source: str = "1", target: str = "2", steps: int = 2) -> str:
    return Marker("rollout", source, target, at, step, steps).text()


def failed(target: str = "2", at: int = T0) -> str:
    return Marker("failed", "1", target, at).text()


@dataclass
class Case:
    live: tuple[str, dict[str, float], str] | None  # version, weights, description
    target: int | str = 2
    rollout: Rollout = CANARY
    alarms: dict[str, AlarmState | None] = field(default_factory=lambda: dict(QUIET))
    now: float = T0
    policy: RolloutPolicy = field(default_factory=RolloutPolicy)
    description: str | None = "production"


def plan(case: Case) -> FunctionPlan:
    version = LatestVersion() if case.target == "$LATEST" else PinnedVersion(int(case.target))
    spec = FunctionSpec(
        function="pay",
        name="pay",
        region="eu-west-1",
        account=None,
        prune=False,
        aliases=(AliasSpec("live", version, description=case.description, rollout=case.rollout),),
    )
    aliases = {}
    if case.live:
        current, weights, text = case.live
        aliases["live"] = LiveAlias("live", current, tuple(sorted(weights.items())), text, "rev-1")
    versions: dict[str, VersionInfo | None] = {
        str(n): VersionInfo(str(n), f"sha{n}", role="r") for n in range(1, 6)
    }
    snap = FunctionSnapshot(
        exists=True, aliases=aliases, versions=versions, alarms=case.alarms, now=case.now
    )
    return plan_function(spec, FN, snap, case.policy)


def only_update(fp: FunctionPlan) -> UpdateAlias:
    assert not fp.problems and not fp.needs, (fp.problems, fp.needs)
    (action,) = fp.actions
    assert isinstance(action, UpdateAlias)
    assert action.rollout is not None
    return action


def note_kinds(fp: FunctionPlan) -> list[str]:
    return [n.kind for n in fp.notes]


# (case, phase, version after, weights after, description after)
MOVES = [
    pytest.param(
        Case(("1", {}, "production")),
        "start",
        "1",
        {"2": 0.1},
        f"production {marker(1)}",
        id="start-first-step",
    ),
    pytest.param(
        Case(
            ("1", {}, "production"), alarms=dict(FIRING), policy=RolloutPolicy(ignore_alarms=True)
        ),
        "start",
        "1",
        {"2": 0.1},
        f"production {marker(1)}",
        id="start-despite-alarm-with-ignore-alarms",
    ),
    pytest.param(
        Case(("1", {"2": 0.1}, f"production {marker(1)}"), now=T0 + 600),
        "step",
        "1",
        {"2": 0.5},
        f"production {marker(2, T0 + 600)}",
        id="advance-when-interval-passed",
    ),
    pytest.param(
        Case(("1", {"2": 0.5}, f"production {marker(2)}"), now=T0 + 601),
        "promote",
        "2",
        {},
        "production",
        id="promote-after-last-step",
    ),
    pytest.param(
        Case(("1", {"2": 0.5}, f"production {marker(2)}"), alarms=dict(FIRING), now=T0 + 5),
        "rollback",
        "1",
        {},
        f"production {Marker('failed', '1', '2', T0 + 5).text()}",
        id="alarm-rolls-back-at-once",
    ),
    pytest.param(
        Case(("1", {}, f"production {failed()}"), policy=RolloutPolicy(retry=True), now=T0 + 9),
        "start",
        "1",
        {"2": 0.1},
        f"production {marker(1, T0 + 9)}",
        id="retry-after-failure",
    ),
    pytest.param(
        Case(("1", {}, f"production {failed()}"), target=3, now=T0 + 9),
        "start",
        "1",
        {"3": 0.1},
        f"production {marker(1, T0 + 9, target='3')}",
        id="failure-released-by-a-new-target",
    ),
    pytest.param(
        Case(("1", {}, f"production {failed()}"), target=1),
        "clear",
        "1",
        {},
        "production",
        id="manifest-back-to-source-clears-failure",
    ),
    pytest.param(
        Case(("1", {"2": 0.1}, f"production {marker(1)}"), target=3, now=T0 + 7),
        "reset",
        "1",
        {},
        f"production {marker(0, T0 + 7, target='3')}",
        id="new-target-mid-rollout-resets",
    ),
    pytest.param(
        Case(("1", {}, f"production {marker(0, target='3')}"), target=3, now=T0 + 1),
        "step",
        "1",
        {"3": 0.1},
        f"production {marker(1, T0 + 1, target='3')}",
        id="after-reset-first-step-is-not-delayed",
    ),
    pytest.param(
        Case(("1", {"2": 0.1}, f"production {marker(1)}"), target=1),
        "reset",
        "1",
        {},
        "production",
        id="manifest-back-to-source-cancels",
    ),
    pytest.param(
        Case(("2", {}, f"production {marker(1)}")),
        "clear",
        "2",
        {},
        "production",
        id="promoted-by-hand-marker-cleared",
    ),
    pytest.param(
        Case(("1", {"2": 0.3}, f"team {marker(1)}"), policy=RolloutPolicy(retry=True)),
        "start",
        "1",
        {"2": 0.1},
        f"production {marker(1)}",
        id="retry-after-hand-edit-restarts",
    ),
    pytest.param(
        Case(("1", {}, "team notes"), description=None),
        "start",
        "1",
        {"2": 0.1},
        f"team notes {marker(1)}",
        id="unmanaged-description-kept-before-marker",
    ),
    pytest.param(
        Case(("1", {"2": 0.5}, f"team notes {marker(2)}"), description=None, now=T0 + 600),
        "promote",
        "2",
        {},
        "team notes",
        id="unmanaged-description-restored",
    ),
    pytest.param(
        Case(("1", {}, ""), rollout=Rollout("all-at-once", (), 0, ("errs",))),
        "start",
        "2",
        {},
        "production",
        id="all-at-once-switches",
    ),
    pytest.param(
        Case(
            ("1", {"2": 0.5}, f"production {marker(2)}"),
            rollout=Rollout("linear", (0.25, 0.5, 0.75), 60, ()),
            now=T0 + 60,
        ),
        "step",
        "1",
        {"2": 0.75},
        f"production {marker(3, T0 + 60, steps=3)}",
        id="steps-changed-mid-rollout-continue-above-current-weight",
    ),
]


@pytest.mark.parametrize(("case", "phase", "version", "weights", "description"), MOVES)
def test_rollout_moves(case, phase, version, weights, description):
    action = only_update(plan(case))
    assert action.rollout.phase == phase
    assert action.after.version == version
    assert dict(action.after.weights) == weights
    assert action.after.description == description
    assert action.revision_id == "rev-1"
    assert "description" in action.fields


# (case, note kinds) for runs that leave the alias alone
HOLDS = [
    pytest.param(
        Case(("1", {"2": 0.1}, f"production {marker(1)}"), now=T0 + 599),
        ["converging"],
        id="waits-for-interval",
    ),
    pytest.param(
        Case(("1", {}, "production"), alarms=dict(FIRING)), ["rollout_blocked"], id="blocked"
    ),
    pytest.param(
        Case(("1", {}, f"production {failed()}"), alarms={}, now=T0 + 10**6),
        ["rollout_failed"],
        id="failed-target-is-not-retried",
    ),
    pytest.param(
        Case(("1", {"2": 0.3}, f"production {marker(1)}"), now=T0 + 600),
        ["rollout_interrupted"],
        id="weight-changed-by-hand",
    ),
    pytest.param(
        Case(("5", {"2": 0.1}, f"production {marker(1)}"), now=T0 + 600),
        ["rollout_interrupted"],
        id="primary-changed-by-hand",
    ),
    pytest.param(
        Case(("1", {}, f"production {marker(1)}"), now=T0 + 600),
        ["rollout_interrupted"],
        id="split-removed-by-hand",
    ),
    pytest.param(
        Case(("1", {}, "production"), policy=RolloutPolicy(start=False)),
        ["deferred"],
        id="rollouts-only-never-starts",
    ),
    pytest.param(Case(("2", {}, "production"), alarms={}), [], id="in-sync"),
]


@pytest.mark.parametrize(("case", "kinds"), HOLDS)
def test_runs_that_change_nothing(case, kinds):
    fp = plan(case)
    assert fp.actions == () and not fp.problems and not fp.needs
    assert note_kinds(fp) == kinds


def test_waiting_note_says_when_the_next_step_comes():
    fp = plan(Case(("1", {"2": 0.1}, f"production {marker(1)}"), now=T0 + 30))
    assert "step 1/2" in fp.notes[0].message
    assert "next step not before 2025-11-24T16:10:00Z" in fp.notes[0].message
    (view,) = fp.rollouts
    assert (view.state, view.step, view.steps, view.next_step_at) == ("in_progress", 1, 2, T0 + 600)
    assert view.alarms == (("errs", "OK"),)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(Case(("1", {}, "production"), alarms={}), id="before-start"),
        pytest.param(Case(("1", {"2": 0.1}, f"x {marker(1)}"), alarms={}), id="in-flight"),
    ],
)
def test_alarms_are_asked_for_before_deciding(case):
    fp = plan(case)
    assert fp.needs == {AlarmStates("errs")}
    assert fp.actions == ()


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(Case(("2", {}, "production"), alarms={}), id="in-sync"),
        pytest.param(Case(("1", {}, f"x {failed()}"), alarms={}), id="held-failed"),
        pytest.param(Case(None, alarms={}), id="new-alias"),
        pytest.param(Case(("1", {"2": 0.1}, f"x {marker(1)}"), target=3, alarms={}), id="reset"),
    ],
)
def test_alarms_are_not_read_when_nothing_depends_on_them(case):
    assert "alarm:errs" not in plan(case).needs


def test_missing_alarm_is_a_problem_naming_it():
    fp = plan(Case(("1", {}, ""), alarms={"errs": None}))
    (problem,) = fp.problems
    assert problem.kind == "alarm_missing" and "errs" in problem.message
    assert fp.actions == ()


def test_new_alias_is_created_at_the_target_directly():
    (action,) = plan(Case(None, alarms={})).actions
    assert isinstance(action, CreateAlias)
    assert (action.after.version, action.after.weights) == ("2", ())
    assert action.after.description == "production"


def test_latest_target_cannot_roll_out():
    fp = plan(Case(("1", {}, ""), target="$LATEST"))
    assert [p.kind for p in fp.problems] == ["rollout_impossible"]


def test_from_latest_switches_at_once_and_says_so():
    fp = plan(Case(("$LATEST", {}, "production")))
    (action,) = fp.actions
    assert isinstance(action, UpdateAlias) and action.rollout is None
    assert (action.after.version, action.after.weights) == ("2", ())
    assert note_kinds(fp) == ["rollout"]


def test_rollout_removed_from_manifest_strips_unmanaged_marker():
    spec = FunctionSpec(
        "pay", "pay", "eu-west-1", None, False, (AliasSpec("live", PinnedVersion(2)),)
    )
    live = LiveAlias("live", "1", (("2", 0.1),), f"team {marker(1)}", "rev-1")
    snap = FunctionSnapshot(exists=True, aliases={"live": live})
    (action,) = plan_function(spec, FN, snap).actions
    assert isinstance(action, UpdateAlias)
    assert (action.after.version, action.after.weights, action.after.description) == (
        "2",
        (),
        "team",
    )


def test_step_describes_itself():
    action = only_update(plan(Case(("1", {"2": 0.1}, f"p {marker(1)}"), now=T0 + 600)))
    assert action.describe() == "~ alias pay:live  rollout step 2/2: 2 at 50% (1 keeps 50%)"


# (case, drift kinds, info kinds, function status)
DRIFT = [
    pytest.param(
        Case(("1", {"2": 0.1}, f"p {marker(1)}"), now=T0 + 1),
        [],
        ["converging"],
        "converging",
        id="waiting",
    ),
    pytest.param(
        Case(("1", {"2": 0.1}, f"p {marker(1)}"), now=T0 + 600),
        [],
        ["converging"],
        "converging",
        id="step-due",
    ),
    pytest.param(
        Case(("1", {"2": 0.1}, f"p {marker(1)}"), target=3),
        [],
        ["converging"],
        "converging",
        id="reset-due",
    ),
    pytest.param(
        Case(("1", {"2": 0.1}, f"p {marker(1)}"), alarms=dict(FIRING)),
        ["rollout_failed"],
        [],
        "drifted",
        id="rollback-due",
    ),
    pytest.param(Case(("1", {}, f"p {failed()}")), ["rollout_failed"], [], "drifted", id="failed"),
    pytest.param(
        Case(("1", {"2": 0.4}, f"p {marker(1)}")),
        ["rollout_interrupted"],
        [],
        "drifted",
        id="hand-edit",
    ),
    pytest.param(Case(("1", {}, "p")), ["version_differs"], [], "drifted", id="not-started"),
    pytest.param(
        Case(("1", {}, "p"), alarms=dict(FIRING)),
        ["version_differs"],
        [],
        "drifted",
        id="blocked",
    ),
    pytest.param(Case(("2", {}, "production")), [], [], "in_sync", id="done"),
]


@pytest.mark.parametrize(("case", "drift", "info", "status"), DRIFT)
def test_drift_reads_rollouts(case, drift, info, status):
    doc = drift_doc(Plan(functions=(plan(case),)), None, [])
    assert [d["kind"] for d in doc["drift"]] == drift
    assert [i["kind"] for i in doc["info"]] == info
    assert doc["functions"][0]["status"] == status
    assert doc["in_sync"] is (not drift)


# -- the marker ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "user", "expected"),
    [
        ("production", "production", None),
        (
            "production [reconciler:rollout from=3 to=4 step=1/2 at=1764000000]",
            "production",
            Marker("rollout", "3", "4", 1764000000, 1, 2),
        ),
        (
            "[reconciler:rollout-failed from=3 to=4 at=1764000000]",
            "",
            Marker("failed", "3", "4", 1764000000),
        ),
        # Damaged or foreign markers are left as user text.
        ("x [reconciler:rollout from=3 to=4 step=3/2 at=1]", None, None),
        ("x [reconciler:rollout from=3 to=4 at=1]", None, None),
        ("x [reconciler:rollout from=a to=4 step=1/2 at=1]", None, None),
        ("x [reconciler:rollout from=3 to=4 step=1/2 at=1] trailing", None, None),
    ],
)
def test_marker_parse(text, user, expected):
    parsed_user, parsed = parse(text)
    assert parsed == expected
    assert parsed_user == (text if user is None else user)
    if expected is not None:
        assert parse(compose(parsed_user, parsed)) == (parsed_user, parsed)


def test_marker_keeps_description_within_the_limit():
    mark = Marker("rollout", "1234567890", "1234567891", T0, 99, 99)
    text = compose("x" * 300, mark)
    assert len(text) == DESCRIPTION_LIMIT
    assert parse(text)[1] == mark


def test_marker_time_and_pending_version_are_filled_in_when_written():
    sha = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    planned = compose("prod", Marker("rollout", "3", PendingVersion(sha), T0, 1, 2))
    written = restamp(materialise(planned, {sha: "4"}), T0 + 42)
    assert written == "prod [reconciler:rollout from=3 to=4 step=1/2 at=1764000042]"
    assert timeless(written) == timeless(compose("prod", Marker("rollout", "3", "4", 1, 1, 2)))
