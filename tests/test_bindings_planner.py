"""What is bound to an alias: pure planning (event sources, function URLs,
permissions), its order beside alias changes, prune, bound_to_version, version
collection keeping versions with statements, and the JSON round trip."""

from __future__ import annotations

import jsonschema
import pytest

from reconciler.applying.savedplan import function_plans
from reconciler.aws.live import (
    EventSourceMapping,
    FunctionSnapshot,
    FunctionUrl,
    LiveAlias,
    PolicyStatement,
    VersionInfo,
)
from reconciler.manifest.model import (
    AliasSpec,
    CorsSpec,
    EventSourceSpec,
    FunctionSpec,
    FunctionUrlSpec,
    PermissionSpec,
    PinnedVersion,
    RetainVersions,
)
from reconciler.manifest.resources import load_schema
from reconciler.plan import FunctionRef, Plan, change_doc, kind_of
from reconciler.plan.requests import EventSources, FunctionUrls, Policy
from reconciler.planning.planner import plan_function
from reconciler.report.documents import plan_doc

FN = FunctionRef("orders", "orders", "eu-west-1")
ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders"
QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders"
OTHER_QUEUE = "arn:aws:sqs:eu-west-1:123456789012:audit"


def alias(name="live", version=2, **keys):
    return AliasSpec(name, PinnedVersion(version), **keys)


def spec(*aliases, prune=False, retain=None):
    return FunctionSpec(
        "orders",
        "orders",
        "eu-west-1",
        None,
        prune,
        aliases,
        retain_versions=RetainVersions(retain) if retain else None,
    )


def live(name="live", version="2"):
    return LiveAlias(name, version, (), "", f"rev-{name}", arn=f"{ARN}:{name}")


def mapping(qualifier="live", source=QUEUE, uuid="u-1", batch=10, enabled=True, window=None):
    return EventSourceMapping(
        uuid,
        qualifier,
        source,
        batch,
        enabled,
        window,
        None,
        "Enabled" if enabled else "Disabled",
        f"{ARN}:{qualifier}" if qualifier else ARN,
    )


def url(qualifier="live", auth="AWS_IAM", mode="BUFFERED", cors=None):
    return FunctionUrl(qualifier, f"https://{qualifier}.lambda-url.on.aws/", auth, mode, cors)


def statement(sid="s3", qualifier="live", principal="s3.amazonaws.com", source_arn=None):
    return PolicyStatement(
        sid, qualifier, principal, "lambda:InvokeFunction", source_arn, None, None
    )


def snap(*aliases, mappings=None, urls=None, policies=None, versions=None):
    return FunctionSnapshot(
        exists=True,
        aliases={a.name: a for a in aliases},
        versions=versions or {},
        event_sources=None if mappings is None else tuple(mappings),
        urls=None if urls is None else tuple(urls),
        policies=policies or {},
    )


def brief(plan):
    return [(a.action, a.alias, getattr(a, "why", None)) for a in plan.actions]


SQS = EventSourceSpec(QUEUE, batch_size=10)
S3 = PermissionSpec("s3", "s3.amazonaws.com", source_arn="arn:aws:s3:::uploads")
IAM_URL = FunctionUrlSpec("AWS_IAM")

PLAN_CASES = [
    # (name, aliases, snapshot, prune, expected actions)
    (
        "mapping missing",
        [alias(event_sources=(SQS,))],
        snap(live(), mappings=[]),
        False,
        [("create_event_source", "live", None)],
    ),
    (
        "mapping in sync",
        [alias(event_sources=(SQS,))],
        snap(live(), mappings=[mapping()]),
        False,
        [],
    ),
    (
        "batch size differs",
        [alias(event_sources=(SQS,))],
        snap(live(), mappings=[mapping(batch=50)]),
        False,
        [("update_event_source", "live", None)],
    ),
    (
        "disabled by hand",
        [alias(event_sources=(SQS,))],
        snap(live(), mappings=[mapping(enabled=False)]),
        False,
        [("update_event_source", "live", None)],
    ),
    (
        "unset batch size is not managed",
        [alias(event_sources=(EventSourceSpec(QUEUE),))],
        snap(live(), mappings=[mapping(batch=77)]),
        False,
        [],
    ),
    (
        "mapping on another alias is not this alias's",
        [alias(event_sources=(SQS,))],
        snap(live(), live("beta"), mappings=[mapping("beta")]),
        False,
        [("create_event_source", "live", None)],
    ),
    (
        "unlisted mapping kept without prune",
        [alias(event_sources=())],
        snap(live(), mappings=[mapping()]),
        False,
        [],
    ),
    (
        "unlisted mapping deleted with prune",
        [alias(event_sources=())],
        snap(live(), mappings=[mapping()]),
        True,
        [("delete_event_source", "live", "unlisted")],
    ),
    (
        "url missing",
        [alias(function_url=IAM_URL)],
        snap(live(), urls=[]),
        False,
        [("create_function_url", "live", None)],
    ),
    ("url in sync", [alias(function_url=IAM_URL)], snap(live(), urls=[url()]), False, []),
    (
        "url auth differs",
        [alias(function_url=IAM_URL)],
        snap(live(), urls=[url(auth="NONE")]),
        False,
        [("update_function_url", "live", None)],
    ),
    (
        "url cors added by hand",
        [alias(function_url=IAM_URL)],
        snap(live(), urls=[url(cors=CorsSpec(allow_origins=("*",)))]),
        False,
        [("update_function_url", "live", None)],
    ),
    (
        "permission missing",
        [alias(permissions=(S3,))],
        snap(live(), policies={"live": ()}),
        False,
        [("add_permission", "live", None)],
    ),
    (
        "permission in sync",
        [alias(permissions=(S3,))],
        snap(live(), policies={"live": (statement(source_arn="arn:aws:s3:::uploads"),)}),
        False,
        [],
    ),
    (
        "permission changed: remove then add",
        [alias(permissions=(S3,))],
        snap(live(), policies={"live": (statement(source_arn="arn:aws:s3:::other"),)}),
        False,
        [("remove_permission", "live", "changed"), ("add_permission", "live", None)],
    ),
    (
        "unlisted statement kept without prune",
        [alias(permissions=())],
        snap(live(), policies={"live": (statement(),)}),
        False,
        [],
    ),
    (
        "unlisted statement removed with prune",
        [alias(permissions=())],
        snap(live(), policies={"live": (statement(),)}),
        True,
        [("remove_permission", "live", "unlisted")],
    ),
    (
        "new alias: created, then bound",
        [alias(event_sources=(SQS,), permissions=(S3,), function_url=IAM_URL)],
        snap(mappings=[], urls=[], versions={"2": VersionInfo("2", "sha2")}),
        False,
        [
            ("create_alias", "live", None),
            ("create_event_source", "live", None),
            ("create_function_url", "live", None),
            ("add_permission", "live", None),
        ],
    ),
    (
        "repoint: bound first, then traffic moves",
        [alias(version=3, event_sources=(SQS,))],
        snap(live(), mappings=[], versions={"3": VersionInfo("3", "sha3")}),
        False,
        [("create_event_source", "live", None), ("update_alias", "live", None)],
    ),
    (
        "repoint with everything bound changes only the alias",
        [
            alias(
                version=3,
                event_sources=(SQS,),
                function_url=IAM_URL,
                permissions=(PermissionSpec("s3", "s3.amazonaws.com"),),
            )
        ],
        snap(
            live(),
            mappings=[mapping()],
            urls=[url()],
            policies={"live": (statement(),)},
            versions={"3": VersionInfo("3", "sha3")},
        ),
        False,
        [("update_alias", "live", None)],
    ),
    (
        "pruned alias: what is bound to it goes first",
        [alias()],
        snap(
            live(),
            live("old"),
            mappings=[mapping("old")],
            urls=[url("old")],
            policies={"old": (statement(qualifier="old"),)},
        ),
        True,
        [
            ("delete_event_source", "old", "alias_deleted"),
            ("delete_function_url", "old", "alias_deleted"),
            ("remove_permission", "old", "alias_deleted"),
            ("delete_alias", "old", None),
        ],
    ),
]


@pytest.mark.parametrize(
    ("aliases", "state", "prune", "expected"),
    [case[1:] for case in PLAN_CASES],
    ids=[case[0] for case in PLAN_CASES],
)
def test_plan(aliases, state, prune, expected):
    plan = plan_function(spec(*aliases, prune=prune), FN, state)
    assert not plan.problems and not plan.needs, (plan.problems, plan.needs)
    assert brief(plan) == expected


def test_update_keeps_what_the_manifest_leaves_out():
    want = EventSourceSpec(QUEUE, batch_size=5)
    plan = plan_function(
        spec(alias(event_sources=(want,))), FN, snap(live(), mappings=[mapping(window=30)])
    )
    (update,) = plan.actions
    assert update.fields == ("batch_size",)
    assert (update.after.batch_size, update.after.maximum_batching_window) == (5, 30)
    assert "batch_size 10 -> 5" in update.describe()


@pytest.mark.parametrize(
    ("aliases", "state", "needs"),
    [
        ([alias(event_sources=())], snap(live()), {EventSources()}),
        ([alias(function_url=IAM_URL)], snap(live()), {FunctionUrls()}),
        ([alias(permissions=())], snap(live()), {Policy("live")}),
        # A new alias has no policy yet: nothing to read.
        ([alias(permissions=(S3,))], snap(versions={"2": VersionInfo("2", "sha2")}), set()),
        ([alias()], snap(live(), live("old")), set()),
    ],
)
def test_reads_asked_for(aliases, state, needs):
    plan = plan_function(spec(*aliases), FN, state)
    assert set(plan.needs) == needs


def test_pruned_alias_asks_for_everything_bound_to_it():
    plan = plan_function(spec(alias(), prune=True), FN, snap(live(), live("old")))
    assert set(plan.needs) == {EventSources(), FunctionUrls(), Policy("old")}


def test_unmanaged_and_bound_to_version_notes():
    state = snap(
        live(),
        mappings=[
            mapping(source=OTHER_QUEUE, uuid="u-9"),
            mapping("3", uuid="u-3"),
            mapping(None, uuid="u-0"),
        ],
        urls=[url(None)],
        policies={"live": (statement("extra"),)},
    )
    plan = plan_function(spec(alias(event_sources=(), permissions=())), FN, state)
    kinds = sorted((n.kind, n.alias) for n in plan.notes)
    assert kinds == [
        ("attachment_unmanaged", "live"),
        ("attachment_unmanaged", "live"),
        ("bound_to_version", None),
        ("bound_to_version", None),
        ("bound_to_version", None),
    ]
    versioned = [n.message for n in plan.notes if "u-3" in n.message]
    assert versioned and "version 3" in versioned[0] and "bind it to an alias" in versioned[0]
    assert any("unqualified function" in n.message for n in plan.notes if "u-0" in n.message)


def test_retain_versions_keeps_a_version_with_a_statement():
    versions = tuple(VersionInfo(str(v), f"sha{v}") for v in range(1, 6))
    state = FunctionSnapshot(
        exists=True,
        aliases={"live": live(version="5")},
        published=versions,
        provisioned={},
        attachments=(),
        event_sources=(),
        urls=(),
    )
    first = plan_function(spec(alias(version=5), retain=1), FN, state)
    assert set(first.needs) == {Policy(v) for v in ("1", "2", "3", "4")}
    policies = {"1": (), "2": (statement("old-trigger", qualifier="2"),), "3": (), "4": ()}
    final = plan_function(
        spec(alias(version=5), retain=1),
        FN,
        FunctionSnapshot(**{**state.__dict__, "policies": policies}),
    )
    assert [a.deleted_version() for a in final.actions] == ["1", "3", "4"]
    assert [(r.version, r.reason) for r in final.retained] == [
        ("2", "permission old-trigger on the version")
    ]


def test_round_trip_and_schema():
    state = snap(
        live(),
        live("old"),
        mappings=[mapping(batch=50), mapping("old", uuid="u-2")],
        urls=[url(auth="NONE")],
        policies={"live": (statement(source_arn="arn:aws:s3:::other"),), "old": ()},
    )
    desired = alias(
        event_sources=(SQS, EventSourceSpec(OTHER_QUEUE, starting_position=None)),
        function_url=FunctionUrlSpec("AWS_IAM", cors=CorsSpec(allow_origins=("https://x",))),
        permissions=(S3,),
    )
    fp = plan_function(spec(desired, prune=True), FN, state)
    assert not fp.needs and len(fp.actions) == 7
    doc = plan_doc(Plan((fp,)), None, ["m.yaml"])
    jsonschema.validate(doc, load_schema("plan"))
    (decoded,) = function_plans(doc)
    assert decoded.actions == fp.actions
    for action in fp.actions:
        change = change_doc(action)
        if action.action == "delete_alias":
            continue
        assert change["binding"]["binds_to"].startswith(ARN + ":")
        assert kind_of(action).name == change["action"]
    assert doc["summary"]["bindings"] == 6
    assert "6 binding changes" in doc["summary_line"]
