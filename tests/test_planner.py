"""The planner is pure: (desired, live snapshot) -> actions. Table-driven."""

from __future__ import annotations

import pytest

from reconciler.aws.live import ContentResolution, FunctionSnapshot, LiveAlias, VersionInfo
from reconciler.manifest.model import (
    AliasSpec,
    ContentVersion,
    FunctionSpec,
    LatestVersion,
    PinnedVersion,
)
from reconciler.plan import (
    AliasState,
    CreateAlias,
    DeleteAlias,
    FunctionRef,
    PublishVersion,
    UpdateAlias,
)
from reconciler.plan.requests import VersionConfig
from reconciler.planning.diff import changed_fields
from reconciler.planning.planner import plan_function

FN = FunctionRef("pay", "pay", "eu-west-1")
SHA = "38GDz7dqzsZyYvEvsXjDEqcBGtUNNVFj1V+Ev7aOkE8="
CANDIDATE = ContentVersion("candidate", SHA, "build 9")


def spec(*aliases: AliasSpec, prune: bool = False) -> FunctionSpec:
    return FunctionSpec(
        function="pay", name="pay", region="eu-west-1", account=None, prune=prune, aliases=aliases
    )


def live(
    name: str, version: str, weights: dict[str, float] | None = None, description: str = ""
) -> LiveAlias:
    return LiveAlias(
        name, version, tuple(sorted((weights or {}).items())), description, f"rev-{name}"
    )


def snap(
    *aliases: LiveAlias, versions: dict[str, VersionInfo | None] | None = None, content=None
) -> FunctionSnapshot:
    return FunctionSnapshot(
        exists=True,
        aliases={a.name: a for a in aliases},
        versions=versions or {},
        content=content or {},
    )


def info(version: str, role: str = "r1", dlq: str = "") -> VersionInfo:
    return VersionInfo(version=version, code_sha256="x", role=role, dead_letter_target=dlq)


def kinds(plan) -> list[tuple[str, str | None]]:
    return [(a.action, a.alias) for a in plan.actions]


CASES = [
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3))), snap(live("live", "3")), [], id="in-sync-pin"
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3))),
        snap(versions={"3": info("3")}),
        [("create_alias", "live")],
        id="create",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3))),
        snap(live("live", "2"), versions={"3": info("3")}),
        [("update_alias", "live")],
        id="repoint",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3), weights=((PinnedVersion(4), 0.1),))),
        snap(live("live", "3"), versions={"3": info("3"), "4": info("4")}),
        [("update_alias", "live")],
        id="add-weights",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3))),
        snap(live("live", "3", {"4": 0.2})),
        [("update_alias", "live")],
        id="remove-weights",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3))),
        snap(live("live", "3", {"4": 0.0})),
        [],
        id="zero-weight-is-no-weight",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3), weights=((PinnedVersion(4), 0.1),))),
        snap(live("live", "3", {"4": 0.1 + 1e-12})),
        [],
        id="weight-tolerance",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3))),
        snap(live("live", "3", description="set by someone")),
        [],
        id="description-unmanaged",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3), description="")),
        snap(live("live", "3", description="set by someone")),
        [("update_alias", "live")],
        id="description-cleared",
    ),
    pytest.param(
        spec(AliasSpec("dev", LatestVersion())),
        snap(live("dev", "$LATEST")),
        [],
        id="latest-in-sync",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3))),
        snap(live("live", "3"), live("old", "1")),
        [],
        id="prune-false-keeps",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3)), prune=True),
        snap(live("live", "3"), live("old", "1")),
        [("delete_alias", "old")],
        id="prune-true-deletes",
    ),
    pytest.param(
        spec(AliasSpec("live", CANDIDATE)),
        snap(
            live("live", "1"), content={SHA: ContentResolution(SHA, publish_from=info("$LATEST"))}
        ),
        [("publish_version", None), ("update_alias", "live")],
        id="content-publishes-then-repoints",
    ),
    pytest.param(
        spec(AliasSpec("live", CANDIDATE)),
        snap(live("live", "5"), content={SHA: ContentResolution(SHA, version="5")}),
        [],
        id="content-in-sync",
    ),
    pytest.param(
        spec(AliasSpec("live", CANDIDATE), AliasSpec("beta", CANDIDATE)),
        snap(content={SHA: ContentResolution(SHA, publish_from=info("$LATEST"))}),
        [("publish_version", None), ("create_alias", "live"), ("create_alias", "beta")],
        id="one-publish-for-two-aliases",
    ),
]


@pytest.mark.parametrize(("desired", "snapshot", "expected"), CASES)
def test_plan_actions(desired, snapshot, expected):
    plan = plan_function(desired, FN, snapshot)
    assert not plan.problems
    assert kinds(plan) == expected


PROBLEMS = [
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(9))),
        snap(versions={"9": None}),
        "pinned_version_missing",
        id="pin-missing",
    ),
    pytest.param(
        spec(AliasSpec("live", CANDIDATE)),
        snap(content={SHA: ContentResolution(SHA)}),
        "hash_not_found",
        id="hash-nowhere",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3), weights=((PinnedVersion(4), 0.1),))),
        snap(versions={"3": info("3", role="a"), "4": info("4", role="b")}),
        "incompatible_split",
        id="different-roles",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3), weights=((PinnedVersion(4), 0.1),))),
        snap(versions={"3": info("3", dlq="q1"), "4": info("4", dlq="q2")}),
        "incompatible_split",
        id="different-dlq",
    ),
    pytest.param(
        spec(AliasSpec("live", PinnedVersion(3))),
        FunctionSnapshot(exists=False),
        "function_missing",
        id="no-function",
    ),
]


@pytest.mark.parametrize(("desired", "snapshot", "kind"), PROBLEMS)
def test_plan_problems(desired, snapshot, kind):
    plan = plan_function(desired, FN, snapshot)
    assert [p.kind for p in plan.problems] == [kind]
    assert not plan.actions


def test_unknown_versions_are_asked_for_not_guessed():
    plan = plan_function(spec(AliasSpec("live", PinnedVersion(3))), FN, snap())
    assert plan.needs == {VersionConfig("3")}
    assert not plan.actions and not plan.problems


def test_split_needs_configs_of_both_versions():
    desired = spec(AliasSpec("live", PinnedVersion(3), weights=((PinnedVersion(4), 0.1),)))
    plan = plan_function(desired, FN, snap(live("live", "3"), versions={"4": info("4")}))
    assert plan.needs == {VersionConfig("3")}


def test_update_carries_revision_and_before_after():
    desired = spec(AliasSpec("live", PinnedVersion(3), description="prod"))
    plan = plan_function(
        desired, FN, snap(live("live", "2", {"4": 0.5}, "old"), versions={"3": info("3")})
    )
    (action,) = plan.actions
    assert isinstance(action, UpdateAlias)
    assert action.revision_id == "rev-live"
    assert action.fields == ("version", "weights", "description")
    assert action.before == AliasState("2", (("4", 0.5),), "old")
    assert action.after == AliasState("3", (), "prod")
    assert action.describe().startswith("~ alias pay:live  version 2 -> 3, weights {4: 50%} -> {}")


def test_publish_is_guarded_by_latest_revision():
    latest = VersionInfo("$LATEST", SHA, revision_id="latest-rev")
    plan = plan_function(
        spec(AliasSpec("live", CANDIDATE)),
        FN,
        snap(content={SHA: ContentResolution(SHA, publish_from=latest)}),
    )
    publish, create = plan.actions
    assert isinstance(publish, PublishVersion) and isinstance(create, CreateAlias)
    assert publish.latest_revision_id == "latest-rev"
    assert publish.description == "build 9"
    assert plan.recorded_latest_revision == "latest-rev"


def test_delete_records_what_it_saw():
    plan = plan_function(spec(prune=True), FN, snap(live("old", "1", description="x")))
    (action,) = plan.actions
    assert isinstance(action, DeleteAlias)
    assert action.before == AliasState("1", (), "x") and action.revision_id == "rev-old"


@pytest.mark.parametrize(
    ("before", "after", "fields"),
    [
        (AliasState("1"), AliasState("1"), ()),
        (AliasState("1"), AliasState("2"), ("version",)),
        (AliasState("1", (("2", 0.1),)), AliasState("1", (("2", 0.2),)), ("weights",)),
        (AliasState("1", (("2", 0.1),)), AliasState("1", (("3", 0.1),)), ("weights",)),
        (AliasState("1", (), "a"), AliasState("1", (), None), ()),
        (AliasState("1", (), "a"), AliasState("1", (), "b"), ("description",)),
        (AliasState("1", (), ""), AliasState("1", (), ""), ()),
    ],
)
def test_changed_fields(before, after, fields):
    assert changed_fields(before, after) == fields
