"""Version collection (retain_versions): the pure decision, the planner's use of it,
the reader's call budget and the executor's order, on the in-memory fake."""

from __future__ import annotations

import pytest

from reconciler.applying.executor import execute
from reconciler.aws.live import (
    Attachment,
    ContentResolution,
    FunctionSnapshot,
    LiveAlias,
    ProvisionedConfig,
    VersionInfo,
)
from reconciler.aws.shapes import qualifier_of
from reconciler.features.lifecycle import NEED_REFERENCES, collect
from reconciler.iam import policy
from reconciler.manifest.model import (
    AliasSpec,
    ContentVersion,
    FunctionSpec,
    PinnedVersion,
    RetainVersions,
)
from reconciler.plan import FunctionRef, Retained
from reconciler.planning.planner import plan_function
from reconciler.planning.reader import read_and_plan
from tests.fakes_lifecycle import LifecycleFake

FN = FunctionRef("pay", "pay", "eu-west-1")
SHA = "38GDz7dqzsZyYvEvsXjDEqcBGtUNNVFj1V+Ev7aOkE8="


# -- collect: the decision itself ----------------------------------------------------------

COLLECT_CASES = [
    pytest.param(["1", "2", "3"], 3, {}, 0, [], [], id="nothing-older-than-newest"),
    pytest.param(["1", "2", "3", "4"], 2, {}, 0, ["1", "2"], [], id="older-unreferenced-go"),
    pytest.param(
        ["$LATEST", "1", "2", "3"], 1, {}, 0, ["1", "2"], [], id="latest-is-never-a-candidate"
    ),
    pytest.param(
        ["1", "2", "3", "4"],
        1,
        {"2": ["alias live", "alias beta"], "4": ["alias live"]},
        0,
        ["1", "3"],
        [("2", "alias beta; alias live")],
        id="referenced-old-kept-and-listed-newest-not-listed",
    ),
    pytest.param(["9", "10", "11"], 2, {}, 0, ["9"], [], id="numeric-not-lexical-order"),
    pytest.param(["1", "2", "3"], 2, {}, 1, ["1", "2"], [], id="pending-publish-takes-a-place"),
    pytest.param(["1", "2"], 1, {}, 3, ["1", "2"], [], id="more-pending-than-keep-last"),
    pytest.param(["1", "1", "2"], 1, {}, 0, ["1"], [], id="duplicates-once"),
]


@pytest.mark.parametrize(("published", "keep", "refs", "pending", "delete", "kept"), COLLECT_CASES)
def test_collect(published, keep, refs, pending, delete, kept):
    result = collect(published, keep, refs, pending)
    assert list(result.delete) == delete
    assert result.retained == tuple(Retained(v, r) for v, r in kept)


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:lambda:eu-west-1:123456789012:function:pay:7", "7"),
        # Aliases too: a function URL or mapping on an alias protects what it serves.
        ("arn:aws:lambda:eu-west-1:123456789012:function:pay:live", "live"),
        ("arn:aws:lambda:eu-west-1:123456789012:function:pay:$LATEST", "$LATEST"),
        ("arn:aws:lambda:eu-west-1:123456789012:function:pay", None),
    ],
)
def test_qualifier_of(arn, expected):
    assert qualifier_of(arn) == expected


# -- the planner -----------------------------------------------------------------------------


def spec(*aliases: AliasSpec, keep: int | None = 2, versions=(), prune=False) -> FunctionSpec:
    return FunctionSpec(
        "pay",
        "pay",
        "eu-west-1",
        None,
        prune,
        aliases,
        versions=tuple(versions),
        retain_versions=None if keep is None else RetainVersions(keep),
    )


def live(name: str, version: str, weights=None, description: str = "") -> LiveAlias:
    return LiveAlias(name, version, tuple(sorted((weights or {}).items())), description, "rev")


def snap(
    *aliases: LiveAlias,
    count: int = 6,
    provisioned: dict[str, ProvisionedConfig] | None = None,
    attachments: tuple[Attachment, ...] | None = (),
    content=None,
    policies=None,
) -> FunctionSnapshot:
    numbered = [VersionInfo(str(i), f"sha{i}") for i in range(1, count + 1)]
    published = (VersionInfo("$LATEST", "L"), *numbered)
    return FunctionSnapshot(
        exists=True,
        aliases={a.name: a for a in aliases},
        published=published,
        provisioned=provisioned if provisioned is not None else {},
        attachments=attachments,
        content=content or {},
        # Every version's policy read (and empty) unless a test says otherwise.
        policies=policies
        if policies is not None
        else {q: () for q in [*(v.version for v in numbered), *(a.name for a in aliases)]},
        # Read with the attachments (a pruned alias needs them too).
        event_sources=None if attachments is None else (),
        urls=None if attachments is None else (),
    )


def deleted(plan) -> list[str]:
    return [a.version for a in plan.actions if a.action == "delete_version"]


def kept(plan) -> dict[str, str]:
    return {r.version: r.reason for r in plan.retained}


LIVE6 = AliasSpec("live", PinnedVersion(6))

REFERENCE_CASES = [
    pytest.param(
        spec(LIVE6), snap(live("live", "6"), live("old", "2")), "2", "alias old", id="alias"
    ),
    pytest.param(
        spec(LIVE6),
        snap(live("live", "6"), live("side", "5", {"1": 0.1})),
        "1",
        "alias side",
        id="alias-weights",
    ),
    pytest.param(
        spec(LIVE6, versions=[("fallback", PinnedVersion(3))]),
        snap(live("live", "6")),
        "3",
        "in the manifest as fallback",
        id="manifest-number",
    ),
    pytest.param(
        spec(LIVE6, versions=[("build", ContentVersion("build", "sha2"))]),
        snap(live("live", "6")),
        "2",
        "in the manifest as build",
        id="manifest-content-reference",
    ),
    pytest.param(
        spec(LIVE6),
        snap(
            live("live", "6"),
            live("canary", "6", description="x [reconciler:rollout-failed from=3 to=4 at=1]"),
        ),
        "3",
        "failed rollout on alias canary",
        id="failed-rollout-marker",
    ),
    pytest.param(
        spec(LIVE6),
        snap(
            live("live", "6"),
            live("canary", "4", {"5": 0.1}, "[reconciler:rollout from=4 to=5 step=1/2 at=1]"),
        ),
        "4",
        "alias canary; rollout in flight on alias canary",
        id="in-flight-rollout-marker",
    ),
    pytest.param(
        spec(LIVE6),
        snap(live("live", "6"), provisioned={"2": ProvisionedConfig("2", 4)}),
        "2",
        "provisioned concurrency 4",
        id="provisioned-concurrency-on-version",
    ),
    pytest.param(
        spec(LIVE6),
        snap(live("live", "6"), attachments=(Attachment("event source mapping", "1", "u-1"),)),
        "1",
        "event source mapping u-1",
        id="event-source-mapping",
    ),
    pytest.param(
        spec(LIVE6),
        snap(
            live("live", "6"),
            live("public", "3"),
            attachments=(Attachment("function URL", "public", "https://x/"),),
        ),
        "3",
        "alias public; function URL https://x/ (via alias public)",
        id="function-url-via-alias",
    ),
]


@pytest.mark.parametrize(("desired", "state", "version", "reason"), REFERENCE_CASES)
def test_each_reference_keeps_its_version_with_a_reason(desired, state, version, reason):
    plan = plan_function(desired, FN, state)
    assert not plan.problems and not plan.needs
    assert version not in deleted(plan)
    assert kept(plan)[version] == reason
    assert "6" not in deleted(plan) and "5" not in deleted(plan)


def test_without_retain_versions_nothing_is_deleted():
    plan = plan_function(spec(LIVE6, keep=None), FN, snap(live("live", "6"), count=60))
    assert plan.actions == () and plan.retained == ()


def test_keep_last_is_respected_and_deletes_come_last():
    plan = plan_function(spec(LIVE6, keep=3), FN, snap(live("live", "5"), count=6))
    assert [(a.action, a.alias) for a in plan.actions] == [
        ("update_alias", "live"),
        ("delete_version", None),
        ("delete_version", None),
        ("delete_version", None),
    ]
    # 5 is among the newest 3; the alias moves off it first anyway.
    assert deleted(plan) == ["1", "2", "3"]


def test_a_version_an_alias_moves_off_this_run_may_go():
    plan = plan_function(
        spec(AliasSpec("live", PinnedVersion(6)), keep=1), FN, snap(live("live", "2"))
    )
    assert deleted(plan) == ["1", "2", "3", "4", "5"]


def test_pruned_alias_no_longer_protects():
    desired = spec(LIVE6, keep=1, prune=True)
    plan = plan_function(desired, FN, snap(live("live", "6"), live("gone", "3")))
    assert "3" in deleted(plan)
    assert plan.actions[-6].action == "delete_alias"


def test_a_version_to_publish_counts_among_the_newest():
    ref = ContentVersion("next", SHA)
    latest = VersionInfo("$LATEST", SHA, revision_id="r")
    state = snap(live("live", "6"), content={SHA: ContentResolution(SHA, publish_from=latest)})
    plan = plan_function(spec(AliasSpec("live", ref), keep=2), FN, state)
    assert [a.action for a in plan.actions][:2] == ["publish_version", "update_alias"]
    # The new version and 6 are the newest two once published.
    assert deleted(plan) == ["1", "2", "3", "4", "5"]


def test_outside_references_are_read_only_when_an_old_version_is_otherwise_free():
    # Every old version is an alias's: no need to look further.
    state = snap(live("live", "6"), live("a", "1"), count=2, provisioned=None, attachments=None)
    quiet = plan_function(spec(LIVE6, keep=1), FN, state)
    assert not quiet.needs and kept(quiet) == {"1": "alias a"}
    # An unreferenced old version: the planner asks for the rest before deciding.
    state = snap(live("live", "6"), count=6, provisioned=None, attachments=None)
    asking = plan_function(spec(LIVE6, keep=1), FN, state)
    assert asking.needs == {NEED_REFERENCES} and deleted(asking) == []


def test_planning_errors_stop_collection():
    plan = plan_function(
        spec(AliasSpec("live", PinnedVersion(9)), keep=1), FN, snap(live("live", "6"))
    )
    assert plan.problems and deleted(plan) == []


# -- reader budget and executor ---------------------------------------------------------------


def fake(versions: int) -> LifecycleFake:
    gw = LifecycleFake()
    gw.add_function("pay", [f"{i:043d}=" for i in range(versions)])
    return gw


def test_in_sync_collected_function_costs_two_calls():
    gw = fake(3)
    gw.set_alias("pay", "live", "3")
    gw.set_alias("pay", "old", "1")
    plan = read_and_plan(gw, spec(AliasSpec("live", PinnedVersion(3)), keep=2), FN)
    assert plan.actions == () and kept(plan) == {"1": "alias old"}
    assert gw.calls == {"ListAliases": 1, "ListVersionsByFunction": 1}


def test_candidates_cost_three_more_reads_then_a_policy_per_candidate():
    gw = fake(4)
    gw.set_alias("pay", "live", "4")
    mapping = gw.add_mapping("pay", "2", "arn:aws:sqs:eu-west-1:123456789012:q")
    plan = read_and_plan(gw, spec(AliasSpec("live", PinnedVersion(4)), keep=1), FN)
    assert deleted(plan) == ["1", "3"]
    assert kept(plan) == {"2": f"event source mapping {mapping.uuid}"}
    assert gw.calls == {
        "ListAliases": 1,
        "ListVersionsByFunction": 1,
        "ListProvisionedConcurrencyConfigs": 1,
        "ListEventSourceMappings": 1,
        "ListFunctionUrlConfigs": 1,
        "GetPolicy": 2,  # versions 1 and 3, which would otherwise go
    }


def test_apply_moves_aliases_first_then_deletes_and_skips_a_refused_delete():
    gw = fake(4)
    gw.set_alias("pay", "live", "2")
    desired = spec(AliasSpec("live", PinnedVersion(4)), keep=1)
    plan = read_and_plan(gw, desired, FN)
    assert deleted(plan) == ["1", "2", "3"]
    # Someone points an alias at 3 after the plan: AWS refuses, the delete is skipped.
    gw.before["DeleteFunction"] = lambda: gw.set_alias("pay", "hotfix", "3")
    (outcome,) = execute([plan], lambda _fn: gw, replan=None, concurrency=1)
    assert outcome.status == "changed"
    statuses = {
        r.action.version: (r.status, r.message or "")
        for r in outcome.results
        if r.action.action == "delete_version"
    }
    assert statuses["1"][0] == statuses["2"][0] == "applied"
    assert statuses["3"][0] == "skipped" and "aliases reference it" in statuses["3"][1]
    mutations = [op for op in gw.log if not op.startswith(("List", "Get"))]
    assert mutations == [
        "UpdateAlias live",
        "DeleteFunction 1",
        "DeleteFunction 2",
        "DeleteFunction 3",
    ]
    assert set(gw.versions["pay"]) == {"$LATEST", "3", "4"}


def test_iam_policy_of_collection_grants_its_reads_and_delete_only():
    doc = policy([spec(LIVE6, keep=3)], "apply", account="111111111111")
    granted = {a for s in doc["Statement"] for a in s["Action"]}
    assert {
        "lambda:ListVersionsByFunction",
        "lambda:ListEventSourceMappings",
        "lambda:ListFunctionUrlConfigs",
        "lambda:ListProvisionedConcurrencyConfigs",
        "lambda:DeleteFunction",
    } <= granted
    assert not granted & {
        "lambda:PutProvisionedConcurrencyConfig",
        "lambda:DeleteProvisionedConcurrencyConfig",
    }
