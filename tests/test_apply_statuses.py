"""Honest apply statuses: every function of an apply report ends applied
(changed), unchanged (in sync), failed (with a reason) or not attempted (with
why), and the last line suggests running apply again only where that helps."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import jsonschema
import pytest

from reconciler.manifest.resources import load_schema
from reconciler.plan import (
    AliasState,
    FunctionOutcome,
    FunctionPlan,
    FunctionRef,
    Note,
    Plan,
    Problem,
    UpdateAlias,
)
from reconciler.plan.model import ActionResult
from reconciler.report.documents import apply_doc, plan_doc
from reconciler.report.text import render_text
from tests.support.moto_server import lambda_client, seed_function

HONEST = {"unchanged", "changed", "failed", "not_attempted"}
A, B = FunctionRef("a", "a", "eu-west-1"), FunctionRef("b", "b", "eu-west-1")


def update(fn: FunctionRef) -> UpdateAlias:
    return UpdateAlias(fn, "live", AliasState("1"), AliasState("2"), ("version",), "rev")


def applied(fn: FunctionRef) -> FunctionOutcome:
    return FunctionOutcome(fn, "changed", (ActionResult(update(fn), "applied"),))


DEFERRED = Note("1 other change(s) left for a full apply (--rollouts-only)", kind="deferred")


@pytest.mark.parametrize(
    ("plans", "outcomes", "expected"),
    [
        pytest.param(
            [FunctionPlan(A, (update(A),)), FunctionPlan(B)],
            [applied(A), FunctionOutcome(B, "unchanged")],
            {"a": "changed", "b": "unchanged"},
            id="applied-and-in-sync",
        ),
        pytest.param(
            [FunctionPlan(A, (update(A),)), FunctionPlan(B, problems=(Problem("x", "gone"),))],
            [],
            {"a": "not_attempted", "b": "failed"},
            id="plan-error-elsewhere",
        ),
        pytest.param(
            # --rollouts-only applies despite a plan error: that function still failed.
            [FunctionPlan(A, (update(A),)), FunctionPlan(B, problems=(Problem("x", "gone"),))],
            [applied(A), FunctionOutcome(B, "unchanged")],
            {"a": "changed", "b": "failed"},
            id="rollouts-only-with-a-plan-error",
        ),
        pytest.param(
            [FunctionPlan(A, notes=(DEFERRED,)), FunctionPlan(B, (update(B),), notes=(DEFERRED,))],
            [FunctionOutcome(A, "unchanged"), applied(B)],
            {"a": "not_attempted", "b": "changed"},
            id="rollouts-only-defers-the-rest",
        ),
        pytest.param(
            [FunctionPlan(A, (update(A),))],
            [FunctionOutcome(A, "not_attempted", reason="the run was interrupted")],
            {"a": "not_attempted"},
            id="interrupted",
        ),
        pytest.param(
            [FunctionPlan(A, (update(A),))],
            [FunctionOutcome(A, "failed", reason="AccessDenied")],
            {"a": "failed"},
            id="failed",
        ),
    ],
)
def test_every_function_ends_with_an_honest_status(plans, outcomes, expected):
    doc = apply_doc(plan_doc(Plan(tuple(plans)), None, []), outcomes)
    jsonschema.validate(doc, load_schema("plan"))
    assert {f["function"]: f["status"] for f in doc["functions"]} == expected
    for fn in doc["functions"]:
        assert fn["status"] in HONEST
        if fn["status"] in ("failed", "not_attempted"):
            assert fn["reason"], fn


def test_changes_left_by_rollouts_only_are_said_so():
    plans = [FunctionPlan(A, notes=(DEFERRED,)), FunctionPlan(B, (update(B),), notes=(DEFERRED,))]
    outcomes = [FunctionOutcome(A, "unchanged"), applied(B)]
    doc = apply_doc(plan_doc(Plan(tuple(plans)), None, []), outcomes)
    reasons = {f["function"]: f["reason"] for f in doc["functions"]}
    assert reasons == {"a": DEFERRED.message, "b": DEFERRED.message}
    text = render_text(doc)
    assert "already in sync" not in text
    assert text.count(DEFERRED.message) == 2  # once in each function's block


def summary(doc: dict) -> str:
    return render_text(doc).rstrip("\n").splitlines()[-1]


def _doc(plans, outcomes, **overrides):
    doc = apply_doc(plan_doc(Plan(tuple(plans)), None, []), outcomes)
    return {**doc, **overrides}


TWO = [FunctionPlan(A, (update(A),)), FunctionPlan(B, (update(B),))]


@pytest.mark.parametrize(
    ("doc", "says", "again"),
    [
        pytest.param(_doc(TWO, [applied(A), applied(B)]), "Apply complete: 2", False, id="done"),
        pytest.param(
            _doc(
                TWO,
                [applied(A), FunctionOutcome(B, "not_attempted", reason="stop")],
                failure_reason="interrupted",
            ),
            "Apply interrupted: 1 change(s) applied; 1 not attempted",
            True,
            id="interrupted-with-rest",
        ),
        pytest.param(
            _doc(TWO, [applied(A), applied(B)], failure_reason="interrupted"),
            "Apply interrupted: 2 change(s) applied.",
            False,
            id="interrupted-after-all",
        ),
        pytest.param(
            _doc(
                [*TWO, FunctionPlan(FunctionRef("c", "c", "r"), problems=(Problem("x", "y"),))], []
            ),
            "Apply refused: planning failed",
            False,
            id="plan-error",
        ),
        pytest.param(
            _doc(TWO, [applied(A), FunctionOutcome(B, "failed", reason="Throttled")]),
            "Apply failed for 1 function(s)",
            True,
            id="apply-failed",
        ),
        pytest.param(
            _doc(
                [
                    FunctionPlan(
                        A, (update(A),), notes=(Note("rolled back", "live", "rollout_failed"),)
                    )
                ],
                [applied(A)],
            ),
            "held by a rollout",
            False,
            id="rollout-held",
        ),
        pytest.param(
            _doc(
                TWO,
                [],
                failure_reason="endpoint-unreachable",
                errors=[{"function": None, "message": "nothing answered"}],
            ),
            "Apply failed (endpoint-unreachable)",
            False,
            id="environment",
        ),
    ],
)
def test_the_summary_suggests_a_rerun_only_where_it_helps(doc, says, again):
    line = summary(doc)
    assert says in line, line
    assert ("apply again" in line) is again, line


# -- through the CLI ------------------------------------------------------------------------------


@pytest.fixture
def two(cli, fidelity_proxy):
    client = lambda_client(fidelity_proxy.url)
    for name in ("svc", "calm"):
        seed_function(client, name, 2)
        client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n")
    cli.write("calm.yaml", "function: calm\nregion: eu-west-1\naliases:\n  live:\n    version: 1\n")
    return client


def test_a_stale_saved_plan_reports_every_function(cli, two):
    plan_file = cli.folder.parent / "p.json"
    assert cli.run("plan", str(cli.folder), "--out", str(plan_file)).returncode == 0
    two.update_alias(FunctionName="svc", Name="live", FunctionVersion="2")  # someone else did it
    two.update_alias(FunctionName="calm", Name="live", FunctionVersion="2")  # and changed this
    code, doc = cli.json("apply", "--plan", str(plan_file))
    assert code == 1 and doc["failure_reason"] == "plan-stale"
    statuses = {f["function"]: (f["status"], f["reason"]) for f in doc["functions"]}
    assert statuses["svc"][0] == "unchanged"  # in sync now
    assert statuses["calm"][0] == "not_attempted" and "saved plan" in statuses["calm"][1]


def test_cancelling_at_the_prompt_prints_one_document(cli, two, fidelity_proxy):
    """On a terminal, an answer other than yes: nothing changes, and --format json
    still prints its one document, each function not attempted and why."""
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "apply", str(cli.folder), "--format", "json"],
            env=cli.env,
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(primary, b"no\n")
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(primary)
        os.close(secondary)
    assert proc.returncode == 1, err
    assert "Apply cancelled" in err
    doc = json.loads(out)
    jsonschema.validate(doc, load_schema("plan"))
    assert doc["kind"] == "apply" and doc["failure_reason"] == "cancelled"
    statuses = {f["function"]: (f["status"], f["reason"]) for f in doc["functions"]}
    assert statuses == {
        "svc": ("not_attempted", "apply was not confirmed"),
        "calm": ("unchanged", None),
    }
    assert doc["applied"] == 0
    assert not [r for r in fidelity_proxy.requests if r.op == "UpdateAlias"]
