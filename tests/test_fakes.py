"""The in-memory fake gateway keeps the AWS rules the executor's unit tests rely on."""

from __future__ import annotations

import pytest

from reconciler.errors import AwsError, ConflictError, InvalidRequestError
from reconciler.manifest.model import EventSourceSpec, FunctionUrlSpec, PermissionSpec
from tests.fakes import FakeGateway


def fake() -> FakeGateway:
    gw = FakeGateway()
    gw.add_function("svc", ["a", "b"])
    return gw


def test_publish_of_unchanged_latest_returns_the_existing_version() -> None:
    gw = fake()
    latest = gw.versions["svc"]["$LATEST"]
    assert gw.publish_version("svc", "b", latest.revision_id, None).version == "2"
    assert set(gw.versions["svc"]) == {"$LATEST", "1", "2"}
    gw.deploy("svc", "c")
    latest = gw.versions["svc"]["$LATEST"]
    assert gw.publish_version("svc", "c", latest.revision_id, None).version == "3"
    again = gw.versions["svc"]["$LATEST"].revision_id
    assert gw.publish_version("svc", "c", again, None).version == "3"


@pytest.mark.parametrize(
    ("alias", "version", "weights"),
    [
        ("123", "1", ()),
        ("a.b", "1", ()),
        ("live", "1", (("2", 1.5),)),
        ("live", "1", (("2", 0.1), ("3", 0.1))),
        ("live", "$LATEST", (("2", 0.1),)),
        ("live", "1", (("$LATEST", 0.1),)),
        ("live", "1", (("1", 0.1),)),
        ("live", "9", ()),
        ("live", "1", (("9", 0.1),)),
    ],
)
def test_aliases_are_refused_as_aws_refuses_them(alias, version, weights) -> None:
    gw = fake()
    with pytest.raises(InvalidRequestError):
        gw.create_alias("svc", alias, version, weights, None)
    gw.set_alias("svc", "live", "1")
    if alias == "live":
        with pytest.raises(InvalidRequestError):
            gw.update_alias("svc", "live", version, weights, None, "")
    assert gw.aliases["svc"]["live"].version == "1"


# -- what is bound to aliases (tests.fakes_attachments) ---------------------------------

QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders"
STREAM = "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"


def bound() -> FakeGateway:
    gw = fake()
    gw.set_alias("svc", "live", "1")
    return gw


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        (EventSourceSpec(QUEUE, starting_position="LATEST"), InvalidRequestError),
        (EventSourceSpec(STREAM), InvalidRequestError),
        (EventSourceSpec(QUEUE), None),
        (EventSourceSpec(STREAM, starting_position="TRIM_HORIZON"), None),
    ],
)
def test_starting_position_rules(spec: EventSourceSpec, error: type[Exception] | None) -> None:
    gw = bound()
    if error is not None:
        with pytest.raises(error):
            gw.create_event_source_mapping("svc", "live", spec)
        assert gw.event_source_mappings("svc") == []
    else:
        made = gw.create_event_source_mapping("svc", "live", spec)
        assert made.batch_size == (10 if spec.source == QUEUE else 100)
        assert made.function_arn.endswith(":function:svc:live")


def test_a_mapping_is_unique_per_source_and_alias_and_unknown_ones_are_not_found() -> None:
    gw = bound()
    gw.set_alias("svc", "beta", "2")
    made = gw.create_event_source_mapping("svc", "live", EventSourceSpec(QUEUE))
    with pytest.raises(ConflictError):
        gw.create_event_source_mapping("svc", "live", EventSourceSpec(QUEUE))
    gw.create_event_source_mapping("svc", "beta", EventSourceSpec(QUEUE))
    with pytest.raises(AwsError) as missing:
        gw.update_event_source_mapping("svc", "live", "nope", EventSourceSpec(QUEUE))
    assert missing.value.status == 404
    kept = gw.update_event_source_mapping(
        "svc", "live", made.uuid, EventSourceSpec(QUEUE, batch_size=None)
    )
    assert kept.batch_size == 10  # None: not managed, left as it is
    on_version = gw.add_mapping("svc", "1", QUEUE)
    assert on_version.qualifier == "1" and on_version in gw.event_source_mappings("svc")
    assert gw.calls["ListEventSourceMappings"] == 1


def test_urls_and_permissions_live_on_the_alias_and_go_with_it() -> None:
    gw = bound()
    with pytest.raises(InvalidRequestError):
        gw.create_function_url("svc", "1", FunctionUrlSpec("NONE"))
    gw.create_function_url("svc", "live", FunctionUrlSpec("NONE"))
    with pytest.raises(ConflictError):
        gw.create_function_url("svc", "live", FunctionUrlSpec("AWS_IAM"))
    gw.add_permission("svc", "live", PermissionSpec("s3", "s3.amazonaws.com"))
    gw.add_permission("svc", "1", PermissionSpec("s3", "s3.amazonaws.com"))  # a version: its own
    with pytest.raises(ConflictError):
        gw.add_permission("svc", "live", PermissionSpec("s3", "sns.amazonaws.com"))
    assert [s.qualifier for s in gw.policy("svc", "live")] == ["live"]
    gw.delete_alias("svc", "live")
    assert gw.function_urls("svc") == [] and gw.policy("svc", "live") == []
    assert [s.qualifier for s in gw.policy("svc", "1")] == ["1"]
    assert gw.calls["GetPolicy"] == 3
