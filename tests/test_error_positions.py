"""Errors point at the manifest: every plan/apply/drift problem carries the
FILE:LINE of its function (or of the alias it names), is shown under its
function's block, in the JSON error entries and as GitHub annotations."""

from __future__ import annotations

import jsonschema
import pytest

from reconciler.errors import AwsError
from reconciler.manifest.model import AliasSpec, FunctionSpec, PinnedVersion, SourcePos
from reconciler.manifest.resources import load_schema
from reconciler.plan import (
    FunctionOutcome,
    FunctionPlan,
    FunctionRef,
    Note,
    Plan,
    Problem,
    located,
    position,
)
from reconciler.report.documents import apply_doc, failure_doc, plan_doc
from reconciler.report.drift import drift_doc
from reconciler.report.github import (
    annotating,
    command,
    render_github,
    repository_path,
    workflow_commands,
)
from reconciler.report.markdown import render as render_markdown
from reconciler.report.text import render_text
from tests.fakes import FakeGateway

FILE = "manifests/pay.yaml"
FN_POS = SourcePos(FILE, 3, 11)
LIVE_POS = SourcePos(FILE, 6, 3)
FN = FunctionRef("pay", "pay", "eu-west-1")
SHA = "A" * 43 + "="


def spec(name: str = "pay", account: str | None = None, region: str | None = "eu-west-1"):
    aliases = (
        AliasSpec("live", PinnedVersion(1), pos=LIVE_POS),
        AliasSpec("beta", PinnedVersion(1), pos=None),  # e.g. built without positions
    )
    return FunctionSpec(name, name, region, account, False, aliases, pos=FN_POS)


# -- choosing the position --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec_", "alias", "expected"),
    [
        pytest.param(spec(), None, FN_POS, id="function-problem"),
        pytest.param(spec(), "live", LIVE_POS, id="alias-in-the-manifest"),
        pytest.param(spec(), "hotfix", FN_POS, id="alias-not-in-the-manifest"),
        pytest.param(spec(), "beta", FN_POS, id="alias-without-a-position"),
        pytest.param(None, "live", None, id="no-manifest"),
    ],
)
def test_position_of_what_a_problem_names(spec_, alias, expected):
    assert position(spec_, alias) == expected


def test_located_fills_positions_keeps_given_ones_and_carries_the_spec():
    given = SourcePos("other.yaml", 9, 1)
    plan = FunctionPlan(
        FN,
        problems=(Problem("a", "x"), Problem("b", "y", "live"), Problem("c", "z", pos=given)),
        notes=(Note("n", "live"),),
    )
    out = located(plan, spec())
    assert [p.pos for p in out.problems] == [FN_POS, LIVE_POS, given]
    assert [n.pos for n in out.notes] == [LIVE_POS]
    assert out.spec == spec()
    assert located(FunctionPlan(FN, problems=(Problem("a", "x"),)), None).problems[0].pos is None


# -- every source of problems, through the engine ---------------------------------------------


class _Session:
    """What the engine asks of a session: a gateway per region, the account."""

    default_region = "eu-west-1"

    def __init__(self, gw: FakeGateway) -> None:
        self.gw = gw

    def gateway(self, region: str) -> FakeGateway:
        return self.gw

    def caller_account(self, region: str) -> str:
        return "111111111111"


class _Broken(FakeGateway):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def list_aliases(self, function):
        raise self.error


def _engine(gw: FakeGateway):
    from reconciler.engine import Engine, RunOptions

    return Engine(_Session(gw), RunOptions(concurrency=1))  # type: ignore[arg-type]


def _seeded() -> FakeGateway:
    gw = FakeGateway()
    gw.add_function("pay", [SHA])
    return gw


def _missing_version() -> FunctionSpec:
    live = AliasSpec("live", PinnedVersion(99), pos=LIVE_POS)
    return FunctionSpec("pay", "pay", "eu-west-1", None, False, (live,), pos=FN_POS)


@pytest.mark.parametrize(
    ("gw", "spec_", "kind", "pos"),
    [
        pytest.param(FakeGateway(), spec(), "function_missing", FN_POS, id="planner-function"),
        pytest.param(_seeded(), _missing_version(), "pinned_version_missing", LIVE_POS, id="alias"),
        pytest.param(
            _seeded(), spec(account="999999999999"), "account_mismatch", FN_POS, id="guard"
        ),
        pytest.param(
            _Broken(AwsError("ListAliases", "pay", "boom")),
            spec(),
            "aws_error",
            FN_POS,
            id="aws-error",
        ),
        pytest.param(_Broken(RuntimeError("bug")), spec(), "internal_error", FN_POS, id="bug"),
    ],
)
def test_engine_attaches_the_position_to_every_problem(gw, spec_, kind, pos):
    plan = _engine(gw).make_plan([spec_])
    (problem,) = [p for _, p in plan.all_problems]
    assert problem.kind == kind
    assert problem.pos == pos


def test_a_function_without_a_region_points_at_its_manifest():
    engine = _engine(FakeGateway())
    engine.session.default_region = None  # type: ignore[attr-defined]
    plan = engine.make_plan([spec(region=None)])
    ((fn, problem),) = plan.all_problems
    assert fn is None and problem.kind == "no_region" and problem.pos == FN_POS


# -- documents ----------------------------------------------------------------------------------


def _plan(*problems: Problem, notes: tuple[Note, ...] = ()) -> Plan:
    fp = located(FunctionPlan(FN, problems=problems, notes=notes), spec())
    return Plan((fp,), problems=((None, Problem("no_region", "other: no region")),))


def test_json_error_entries_carry_file_and_line():
    doc = plan_doc(
        _plan(Problem("function_missing", "gone"), Problem("x", "bad", "live")), None, []
    )
    jsonschema.validate(doc, load_schema("plan"))
    assert [(e["file"], e["line"]) for e in doc["errors"]] == [(None, None), (FILE, 3), (FILE, 6)]
    assert (doc["functions"][0]["file"], doc["functions"][0]["line"]) == (FILE, 3)


def test_apply_failures_and_rollout_holds_point_at_the_manifest():
    hold = Note("rollout rolled back", "live", "rollout_failed")
    fp = located(FunctionPlan(FN, notes=(hold,)), spec())
    other = FunctionRef("ord", "ord", "eu-west-1")
    ord_spec = FunctionSpec(
        "ord", "ord", "eu-west-1", None, False, (), pos=SourcePos("o.yaml", 1, 1)
    )
    plan = Plan((fp, located(FunctionPlan(other), ord_spec)))
    outcomes = [
        FunctionOutcome(FN, "unchanged"),
        FunctionOutcome(other, "failed", reason="AccessDenied"),
    ]
    doc = apply_doc(plan_doc(plan, None, []), outcomes)
    jsonschema.validate(doc, load_schema("plan"))
    by_kind = {e["kind"]: (e["file"], e["line"]) for e in doc["errors"]}
    assert by_kind == {"rollout_failed": (FILE, 6), "apply_failed": ("o.yaml", 1)}


def test_run_wide_errors_have_no_position():
    doc = failure_doc("apply", "credentials", ["no credentials"], [])
    jsonschema.validate(doc, load_schema("plan"))
    assert [(e["file"], e["line"]) for e in doc["errors"]] == [(None, None)]


def test_drift_findings_and_errors_carry_positions():
    plan = _plan(Problem("pinned_version_missing", "v9 gone", "live"), Problem("aws_error", "x"))
    doc = drift_doc(plan, None, [])
    jsonschema.validate(doc, load_schema("drift"))
    assert [(d["kind"], d["file"], d["line"]) for d in doc["drift"]] == [
        ("pinned_version_missing", FILE, 6)
    ]
    assert [(e["kind"], e["file"]) for e in doc["errors"]] == [
        ("no_region", None),
        ("aws_error", FILE),
    ]


# -- text: under the function's block ---------------------------------------------------------


def _block(text: str, header: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(header)
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), None)
    return lines[start + 1 : end]


@pytest.mark.parametrize("kind", ["plan", "apply", "drift"])
def test_text_prints_each_error_under_its_function_with_file_line(kind):
    plan = _plan(Problem("function_missing", "function pay does not exist"))
    if kind == "drift":
        doc = drift_doc(plan, None, [])
    else:
        doc = plan_doc(plan, None, [])
        doc = apply_doc(doc, []) if kind == "apply" else doc
    text = render_text(doc)
    assert f"    error: {FILE}:3: function pay does not exist" in _block(text, "  pay (eu-west-1)")
    # A run-wide problem has no block and no position: at the bottom.
    assert "  error: other: no region" in text.splitlines()


def test_a_hostile_file_name_stays_on_its_line():
    pos = SourcePos("evil\n::error::owned\x1b[2J.yaml", 2, 1)
    fp = FunctionPlan(FN, problems=(Problem("function_missing", "gone", pos=pos),))
    text = render_text(plan_doc(Plan((fp,)), None, []))
    assert "    error: evil\\x0a::error::owned\\x1b[2J.yaml:2: gone" in text
    assert not any(line.lstrip().startswith("::") for line in text.splitlines())


# -- GitHub annotations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param(
            {
                "function": "pay",
                "alias": "live",
                "kind": "k",
                "message": "m",
                "file": FILE,
                "line": 6,
            },
            f"::error file={FILE},line=6,title=reconciler plan%3A pay%3Alive (k)::m",
            id="alias",
        ),
        pytest.param(
            {"function": None, "kind": "credentials", "message": "no creds", "file": None},
            "::error title=reconciler plan (credentials)::no creds",
            id="run-wide",
        ),
        pytest.param(
            {"function": "p", "message": "50% done\r\nnext", "file": "a,b:c%d\n.yaml", "line": 2},
            "::error file=a%2Cb%3Ac%25d%0A.yaml,line=2,title=reconciler plan%3A p::50%25 done%0D%0Anext",
            id="escaped",
        ),
        pytest.param(
            {"function": "p", "message": "m", "file": "a.yaml", "line": True},
            "::error file=a.yaml,title=reconciler plan%3A p::m",
            id="line-not-a-number",
        ),
    ],
)
def test_workflow_command_escaping(item, expected):
    assert command("error", item, "plan") == expected


def test_annotations_follow_the_text_errors_and_drift_findings():
    plan = _plan(Problem("pinned_version_missing", "v9 gone", "live"))
    drift = render_github(drift_doc(plan, None, []))
    assert f"::warning file={FILE},line=6,title=reconciler drift%3A pay%3Alive " in drift
    out = render_github(plan_doc(plan, None, []))
    text, _ = out.split("\n::", 1)
    assert text == render_text(plan_doc(plan, None, [])).rstrip("\n")
    assert len(workflow_commands(plan_doc(plan, None, []))) == 2


@pytest.mark.parametrize(
    ("fmt", "env", "expected"),
    [
        ("github", {}, True),
        ("text", {"GITHUB_ACTIONS": "true"}, True),
        ("text", {}, False),
        ("json", {"GITHUB_ACTIONS": "true"}, False),  # stdout carries one document only
        ("markdown", {"GITHUB_ACTIONS": "true"}, False),
    ],
)
def test_when_annotations_are_printed(fmt, env, expected):
    assert annotating(fmt, env) is expected


def test_markdown_shows_the_position_inert():
    pos = SourcePos("@team `x` [l](http://e).yaml", 4, 1)
    fp = FunctionPlan(FN, problems=(Problem("function_missing", "gone", pos=pos),))
    md = render_markdown(plan_doc(Plan((fp,)), None, []))
    assert "(eu-west-1) at ``@team `x` [l](http://e).yaml:4``: gone" in md


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("./manifests/a.yaml", "manifests/a.yaml"),
        ("manifests/a.yaml", "manifests/a.yaml"),
        ("{cwd}/manifests/a.yaml", "manifests/a.yaml"),
        ("/elsewhere/a.yaml", "/elsewhere/a.yaml"),
    ],
)
def test_annotation_paths_are_from_the_repository_root(file, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert repository_path(file.format(cwd=tmp_path)) == expected
