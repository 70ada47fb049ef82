"""The fidelity proxy's emulation of what is bound to aliases, rule by rule, through real
boto3 clients (retries off) against a real moto server: each test shows the AWS rule the
proxy enforces where moto 5.2.5 does not (tests/support/proxy_mappings.py,
proxy_attachments.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler.iam import policy
from reconciler.manifest.model import AliasSpec, FunctionSpec, PinnedVersion
from tests.support.fidelity_proxy import FidelityProxy
from tests.support.moto_server import MotoServer, aws_client, lambda_client, seed_function
from tests.support.proxy_iam import IamPolicy

FN_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:fn"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response: dict[str, Any] = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


@pytest.fixture
def client(fidelity_proxy: FidelityProxy) -> Any:
    return lambda_client(fidelity_proxy.url)


@pytest.fixture
def fn(direct: Any) -> str:
    """Function "fn", versions 1 and 2, alias live -> 1 and beta -> 2."""
    seed_function(direct, "fn", 2)
    direct.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    direct.create_alias(FunctionName="fn", Name="beta", FunctionVersion="2")
    return "fn"


@pytest.fixture
def stream(moto: MotoServer) -> str:
    kinesis = aws_client("kinesis", moto.url)
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    return str(kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"])


# -- event source mappings ------------------------------------------------------------------


def test_a_mapping_created_on_an_alias_carries_the_alias_and_is_listed_by_name(
    client: Any, direct: Any, fn: str, queue: str
) -> None:
    created = client.create_event_source_mapping(
        EventSourceArn=queue, FunctionName=f"{FN_ARN}:live", BatchSize=5
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["FunctionArn"] == f"{FN_ARN}:live"
    # moto records the version the alias pointed to, and lists by the literal name.
    assert direct.get_event_source_mapping(UUID=created["UUID"])["FunctionArn"] == f"{FN_ARN}:1"
    assert direct.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"] == []
    listed = client.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]
    assert [(m["UUID"], m["FunctionArn"]) for m in listed] == [(created["UUID"], f"{FN_ARN}:live")]
    on_beta = client.list_event_source_mappings(FunctionName=f"{fn}:beta")["EventSourceMappings"]
    assert on_beta == []
    everyone = client.list_event_source_mappings()["EventSourceMappings"]
    assert [m["FunctionArn"] for m in everyone] == [f"{FN_ARN}:live"]
    got = client.get_event_source_mapping(UUID=created["UUID"])
    assert got["FunctionArn"] == f"{FN_ARN}:live" and got["BatchSize"] == 5


def test_calls_naming_only_a_mapping_uuid_are_counted_for_its_function(
    client: Any, fidelity_proxy: FidelityProxy, fn: str, queue: str
) -> None:
    made = client.create_event_source_mapping(EventSourceArn=queue, FunctionName=f"{FN_ARN}:live")
    client.get_event_source_mapping(UUID=made["UUID"])
    client.update_event_source_mapping(UUID=made["UUID"], BatchSize=7)
    client.delete_event_source_mapping(UUID=made["UUID"])
    counted = fidelity_proxy.calls_for(fn)
    assert {op: counted[op] for op in counted if "EventSourceMapping" in op} == {
        "CreateEventSourceMapping": 1,
        "GetEventSourceMapping": 1,
        "UpdateEventSourceMapping": 1,
        "DeleteEventSourceMapping": 1,
    }


def test_one_mapping_per_source_and_function(client: Any, fn: str, queue: str) -> None:
    client.create_event_source_mapping(EventSourceArn=queue, FunctionName=f"{FN_ARN}:live")
    with pytest.raises(ClientError) as again:
        client.create_event_source_mapping(EventSourceArn=queue, FunctionName=f"{FN_ARN}:live")
    assert error_of(again) == (409, "ResourceConflictException")
    # Another alias of the same function is another function ARN: allowed, as on AWS.
    other = client.create_event_source_mapping(EventSourceArn=queue, FunctionName=f"{FN_ARN}:beta")
    assert other["FunctionArn"] == f"{FN_ARN}:beta"


def test_starting_position_is_refused_for_sqs_and_required_for_streams(
    client: Any, direct: Any, fn: str, queue: str, stream: str
) -> None:
    # moto accepts the first and defaults the second to TRIM_HORIZON.
    with pytest.raises(ClientError) as sqs:
        client.create_event_source_mapping(
            EventSourceArn=queue, FunctionName=f"{FN_ARN}:live", StartingPosition="LATEST"
        )
    assert error_of(sqs) == (400, "InvalidParameterValueException")
    with pytest.raises(ClientError) as kinesis:
        client.create_event_source_mapping(EventSourceArn=stream, FunctionName=f"{FN_ARN}:live")
    assert error_of(kinesis) == (400, "InvalidParameterValueException")
    assert direct.list_event_source_mappings()["EventSourceMappings"] == []
    made = client.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=f"{FN_ARN}:live", StartingPosition="LATEST"
    )
    assert made["StartingPosition"] == "LATEST" and made["FunctionArn"] == f"{FN_ARN}:live"


def test_mappings_bind_only_to_what_exists(client: Any, fn: str, queue: str) -> None:
    for name in (
        f"{FN_ARN}:nope",
        f"{FN_ARN}:9",
        "arn:aws:lambda:eu-west-1:123456789012:function:ghost",
    ):
        with pytest.raises(ClientError) as missing:
            client.create_event_source_mapping(EventSourceArn=queue, FunctionName=name)
        assert error_of(missing) == (404, "ResourceNotFoundException"), name
    with pytest.raises(ClientError) as no_queue:
        client.create_event_source_mapping(
            EventSourceArn="arn:aws:sqs:eu-west-1:123456789012:ghost", FunctionName=f"{FN_ARN}:live"
        )
    assert error_of(no_queue) == (400, "InvalidParameterValueException")


def test_update_and_delete_of_an_unknown_mapping_are_not_found(
    client: Any, direct: Any, fn: str, queue: str
) -> None:
    ghost = "00000000-0000-0000-0000-000000000000"
    # moto answers 200 {} to both.
    assert (
        direct.update_event_source_mapping(UUID=ghost, BatchSize=3)["ResponseMetadata"][
            "HTTPStatusCode"
        ]
        == 200
    )
    for call in (
        lambda: client.update_event_source_mapping(UUID=ghost, BatchSize=3),
        lambda: client.delete_event_source_mapping(UUID=ghost),
    ):
        with pytest.raises(ClientError) as missing:
            call()
        assert error_of(missing) == (404, "ResourceNotFoundException")
    made = client.create_event_source_mapping(EventSourceArn=queue, FunctionName=f"{FN_ARN}:live")
    updated = client.update_event_source_mapping(UUID=made["UUID"], BatchSize=3, Enabled=False)
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (updated["BatchSize"], updated["State"], updated["FunctionArn"]) == (
        3,
        "Disabled",
        f"{FN_ARN}:live",
    )
    deleted = client.delete_event_source_mapping(UUID=made["UUID"])
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202 and deleted["State"] == "Deleting"
    with pytest.raises(ClientError) as gone:
        client.delete_event_source_mapping(UUID=made["UUID"])
    assert error_of(gone) == (404, "ResourceNotFoundException")


def test_a_mapping_in_transition_refuses_changes(
    client: Any, fidelity_proxy: FidelityProxy, fn: str, queue: str
) -> None:
    made = client.create_event_source_mapping(EventSourceArn=queue, FunctionName=f"{FN_ARN}:live")
    fidelity_proxy.hold_mapping(made["UUID"], "Updating")
    assert client.get_event_source_mapping(UUID=made["UUID"])["State"] == "Updating"
    for call in (
        lambda: client.update_event_source_mapping(UUID=made["UUID"], BatchSize=2),
        lambda: client.delete_event_source_mapping(UUID=made["UUID"]),
    ):
        with pytest.raises(ClientError) as busy:
            call()
        assert error_of(busy) == (400, "ResourceInUseException")
    fidelity_proxy.release_mapping(made["UUID"])
    assert client.update_event_source_mapping(UUID=made["UUID"], BatchSize=2)["BatchSize"] == 2


def test_mappings_settle_after_a_window_when_asked(moto: MotoServer, fn: str, queue: str) -> None:
    with FidelityProxy(moto.url, mapping_settle_seconds=60) as proxy:
        client = lambda_client(proxy.url)
        made = client.create_event_source_mapping(
            EventSourceArn=queue, FunctionName=f"{FN_ARN}:live"
        )
        assert made["State"] == "Creating"
        with pytest.raises(ClientError) as busy:
            client.update_event_source_mapping(UUID=made["UUID"], BatchSize=2)
        assert error_of(busy) == (400, "ResourceInUseException")
        proxy.release_mapping(made["UUID"])
        assert client.get_event_source_mapping(UUID=made["UUID"])["State"] == "Enabled"


# -- function URLs --------------------------------------------------------------------------


def test_one_url_per_qualifier_and_never_on_a_version(client: Any, direct: Any, fn: str) -> None:
    live = client.create_function_url_config(FunctionName=fn, Qualifier="live", AuthType="NONE")
    assert live["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert live["FunctionArn"] == f"{FN_ARN}:live" and live["InvokeMode"] == "BUFFERED"
    with pytest.raises(ClientError) as again:
        client.create_function_url_config(FunctionName=fn, Qualifier="live", AuthType="AWS_IAM")
    assert error_of(again) == (409, "ResourceConflictException")
    beta = client.create_function_url_config(FunctionName=fn, Qualifier="beta", AuthType="AWS_IAM")
    bare = client.create_function_url_config(FunctionName=fn, AuthType="AWS_IAM")
    with pytest.raises(ClientError) as twice:
        client.create_function_url_config(FunctionName=fn, AuthType="NONE")
    assert error_of(twice) == (409, "ResourceConflictException")
    with pytest.raises(ClientError) as version:
        client.create_function_url_config(FunctionName=fn, Qualifier="1", AuthType="NONE")
    assert error_of(version) == (400, "ValidationException")
    with pytest.raises(ClientError) as missing:
        client.create_function_url_config(FunctionName=fn, Qualifier="nope", AuthType="NONE")
    assert error_of(missing) == (404, "ResourceNotFoundException")
    urls = client.list_function_url_configs(FunctionName=fn)["FunctionUrlConfigs"]
    assert sorted(u["FunctionUrl"] for u in urls) == sorted(
        u["FunctionUrl"] for u in (live, beta, bare)
    )
    assert {u["FunctionArn"] for u in urls} == {FN_ARN, f"{FN_ARN}:live", f"{FN_ARN}:beta"}


def test_get_update_delete_address_the_qualifier(client: Any, fn: str) -> None:
    cors = {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET"]}
    client.create_function_url_config(FunctionName=fn, Qualifier="live", AuthType="NONE", Cors=cors)
    client.create_function_url_config(FunctionName=fn, Qualifier="beta", AuthType="AWS_IAM")
    got = client.get_function_url_config(FunctionName=fn, Qualifier="live")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200 and got["Cors"] == cors
    # moto cannot clear Cors and ignores InvokeMode.
    updated = client.update_function_url_config(
        FunctionName=fn, Qualifier="live", Cors={}, InvokeMode="RESPONSE_STREAM"
    )
    assert "Cors" not in updated and updated["InvokeMode"] == "RESPONSE_STREAM"
    assert updated["AuthType"] == "NONE"
    assert (
        client.get_function_url_config(FunctionName=fn, Qualifier="beta")["AuthType"] == "AWS_IAM"
    )
    client.delete_function_url_config(FunctionName=fn, Qualifier="live")
    for call in (
        lambda: client.get_function_url_config(FunctionName=fn, Qualifier="live"),
        lambda: client.delete_function_url_config(FunctionName=fn, Qualifier="live"),
        lambda: client.update_function_url_config(
            FunctionName=fn, Qualifier="live", AuthType="NONE"
        ),
    ):
        with pytest.raises(ClientError) as missing:
            call()
        assert error_of(missing) == (404, "ResourceNotFoundException")
    listed = client.list_function_url_configs(FunctionName=fn)["FunctionUrlConfigs"]
    assert [u["FunctionArn"] for u in listed] == [f"{FN_ARN}:beta"]


def test_url_settings_are_validated_and_deleting_an_alias_deletes_its_url(
    client: Any, fn: str
) -> None:
    unchecked = lambda_client(client.meta.endpoint_url, parameter_validation=False)
    with pytest.raises(ClientError) as bad:
        unchecked.create_function_url_config(FunctionName=fn, Qualifier="live", AuthType="OPEN")
    assert error_of(bad) == (400, "ValidationException")
    client.create_function_url_config(FunctionName=fn, Qualifier="live", AuthType="NONE")
    client.delete_alias(FunctionName=fn, Name="live")
    assert client.list_function_url_configs(FunctionName=fn)["FunctionUrlConfigs"] == []


def test_moto_s_unqualified_url_is_adopted(client: Any, direct: Any, fn: str) -> None:
    held = direct.create_function_url_config(FunctionName=fn, AuthType="AWS_IAM")
    listed = client.list_function_url_configs(FunctionName=fn)["FunctionUrlConfigs"]
    assert [(u["FunctionUrl"], u["InvokeMode"]) for u in listed] == [
        (held["FunctionUrl"], "BUFFERED")
    ]
    with pytest.raises(ClientError) as again:
        client.create_function_url_config(FunctionName=fn, AuthType="NONE")
    assert error_of(again) == (409, "ResourceConflictException")


def test_urls_of_a_missing_function_are_not_found(client: Any) -> None:
    with pytest.raises(ClientError) as missing:
        client.list_function_url_configs(FunctionName="ghost")
    assert error_of(missing) == (404, "ResourceNotFoundException")


# -- resource-based policies ----------------------------------------------------------------


def policy_of(client: Any, fn: str, qualifier: str | None = None) -> list[dict[str, Any]]:
    extra = {"Qualifier": qualifier} if qualifier else {}
    return list(json.loads(client.get_policy(FunctionName=fn, **extra)["Policy"])["Statement"])


def test_each_qualifier_has_its_own_policy(client: Any, fn: str) -> None:
    with pytest.raises(ClientError) as none:
        client.get_policy(FunctionName=fn, Qualifier="live")
    assert error_of(none) == (404, "ResourceNotFoundException")
    added = client.add_permission(
        FunctionName=fn,
        Qualifier="live",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
        SourceAccount="123456789012",
    )
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert json.loads(added["Statement"]) == {
        "Sid": "s3",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"{FN_ARN}:live",
        "Condition": {
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"},
            "StringEquals": {"AWS:SourceAccount": "123456789012"},
        },
    }
    client.add_permission(
        FunctionName=fn,
        Qualifier="1",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="111122223333",
    )
    assert [s["Resource"] for s in policy_of(client, fn, "live")] == [f"{FN_ARN}:live"]
    (on_version,) = policy_of(client, fn, "1")
    assert on_version["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    for qualifier in ("beta", None):
        with pytest.raises(ClientError) as other:
            client.get_policy(FunctionName=fn, **({"Qualifier": qualifier} if qualifier else {}))
        assert error_of(other) == (404, "ResourceNotFoundException")


def test_statement_ids_are_unique_per_qualifier(client: Any, fn: str) -> None:
    grant = {"StatementId": "url", "Action": "lambda:InvokeFunctionUrl", "Principal": "*"}
    client.add_permission(FunctionName=fn, Qualifier="live", FunctionUrlAuthType="NONE", **grant)
    with pytest.raises(ClientError) as again:
        client.add_permission(FunctionName=fn, Qualifier="live", **grant)
    assert error_of(again) == (409, "ResourceConflictException")
    client.add_permission(FunctionName=fn, Qualifier="beta", **grant)
    (statement,) = policy_of(client, fn, "live")
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}


def test_remove_permission_addresses_the_qualifier(client: Any, fn: str) -> None:
    grant = {
        "StatementId": "sns",
        "Action": "lambda:InvokeFunction",
        "Principal": "sns.amazonaws.com",
    }
    client.add_permission(FunctionName=fn, Qualifier="live", **grant)
    client.add_permission(FunctionName=fn, Qualifier="beta", **grant)
    with pytest.raises(ClientError) as unknown:
        client.remove_permission(FunctionName=fn, Qualifier="live", StatementId="nope")
    assert error_of(unknown) == (404, "ResourceNotFoundException")
    removed = client.remove_permission(FunctionName=fn, Qualifier="live", StatementId="sns")
    assert removed["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as gone:
        client.remove_permission(FunctionName=fn, Qualifier="live", StatementId="sns")
    assert error_of(gone) == (404, "ResourceNotFoundException")
    assert [s["Sid"] for s in policy_of(client, fn, "beta")] == ["sns"]


def test_permissions_need_an_existing_qualifier_and_go_with_the_alias(client: Any, fn: str) -> None:
    grant = {"StatementId": "x", "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com"}
    for qualifier in ("nope", "9"):
        with pytest.raises(ClientError) as missing:
            client.add_permission(FunctionName=fn, Qualifier=qualifier, **grant)
        assert error_of(missing) == (404, "ResourceNotFoundException")
    client.add_permission(FunctionName=fn, Qualifier="live", **grant)
    client.delete_alias(FunctionName=fn, Name="live")
    client.create_alias(FunctionName=fn, Name="live", FunctionVersion="2")
    with pytest.raises(ClientError) as fresh:
        client.get_policy(FunctionName=fn, Qualifier="live")
    assert error_of(fresh) == (404, "ResourceNotFoundException")


# -- IAM ------------------------------------------------------------------------------------


def mapping_policy(function: str) -> dict[str, Any]:
    """The apply policy `reconciler iam-policy` prints for `function` with event_sources."""
    alias = AliasSpec("live", PinnedVersion(1), event_sources=())
    spec = FunctionSpec(function, function, "eu-west-1", "123456789012", False, (alias,))
    return policy([spec], "apply")


def test_mapping_actions_are_authorised_on_the_mapping_with_the_function_condition(
    client: Any, fidelity_proxy: FidelityProxy, fn: str, queue: str
) -> None:
    made = client.create_event_source_mapping(EventSourceArn=queue, FunctionName=f"{FN_ARN}:live")
    checker = IamPolicy(mapping_policy("other"))
    fidelity_proxy.iam_policy = checker
    with pytest.raises(ClientError) as denied:
        client.update_event_source_mapping(UUID=made["UUID"], BatchSize=2)
    assert error_of(denied) == (403, "AccessDeniedException")
    mapping_arn = f"arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:{made['UUID']}"
    assert checker.denied == [("lambda:UpdateEventSourceMapping", mapping_arn)]
    fidelity_proxy.iam_policy = IamPolicy(mapping_policy("fn"))
    assert client.update_event_source_mapping(UUID=made["UUID"], BatchSize=2)["BatchSize"] == 2
    again = client.create_event_source_mapping(EventSourceArn=queue, FunctionName=f"{FN_ARN}:beta")
    assert again["FunctionArn"] == f"{FN_ARN}:beta"
