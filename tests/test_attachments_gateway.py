"""The gateway's calls on what is bound to aliases, through the fidelity proxy on a real
moto server (happy path, not found, conflict), and the parsers of AWS's answers, which
take any shape without raising."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from reconciler.aws import attachments
from reconciler.aws.attachments import (
    cors_from,
    mapping_from,
    principal_of,
    statement_from,
    statements_from,
    url_from,
)
from reconciler.aws.calls import UNREADABLE_ATTEMPTS
from reconciler.aws.gateway import Connection, LambdaGateway, Session
from reconciler.aws.live import EventSourceMapping, FunctionUrl, PolicyStatement
from reconciler.aws.throttle import GET_POLICY_RPS, RateLimits, RetryPolicy
from reconciler.errors import AwsError, ConflictError, InvalidRequestError, MalformedResponseError
from reconciler.manifest.model import CorsSpec, EventSourceSpec, FunctionUrlSpec, PermissionSpec
from tests.fakes import FakeGateway
from tests.support.fidelity_proxy import FidelityProxy
from tests.support.moto_server import MotoServer, aws_client, seed_function

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:svc"


def gateway(url: str, **session: Any) -> LambdaGateway:
    connection = Connection(region="eu-west-1", endpoint_url=url, credentials=("t", "t"))
    return Session(connection, **session).gateway("eu-west-1")


@pytest.fixture
def svc(direct: Any) -> str:
    seed_function(direct, "svc", 2)
    direct.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    direct.create_alias(FunctionName="svc", Name="beta", FunctionVersion="2")
    return "svc"


@pytest.fixture
def queues(moto: MotoServer) -> list[str]:
    sqs = aws_client("sqs", moto.url)
    arns = []
    for name in ("orders", "refunds", "audit"):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        arns.append(str(attrs["Attributes"]["QueueArn"]))
    return arns


@pytest.fixture
def gw(fidelity_proxy: FidelityProxy) -> LambdaGateway:
    return gateway(fidelity_proxy.url)


# -- event source mappings ------------------------------------------------------------------


def test_a_mapping_is_created_on_the_alias_arn_updated_and_deleted(
    gw: LambdaGateway, fidelity_proxy: FidelityProxy, svc: str, queues: list[str]
) -> None:
    spec = EventSourceSpec(queues[0], batch_size=5, maximum_batching_window=2)
    made = gw.create_event_source_mapping(svc, "live", spec)
    assert (made.qualifier, made.source, made.batch_size, made.maximum_batching_window) == (
        "live",
        queues[0],
        5,
        2,
    )
    assert made.function_arn == f"{ARN}:live" and made.enabled and made.starting_position is None
    # By name, the alias ARN comes from GetAlias, once per function.
    gw.create_event_source_mapping(svc, "beta", EventSourceSpec(queues[1]))
    assert fidelity_proxy.calls["GetAlias"] == 1
    listed = gw.event_source_mappings(svc)
    assert sorted((m.qualifier, m.source) for m in listed) == [
        ("beta", queues[1]),
        ("live", queues[0]),
    ]
    # Unmanaged fields (None) are left as they are; Enabled is always sent.
    changed = gw.update_event_source_mapping(
        svc, "live", made.uuid, EventSourceSpec(queues[0], enabled=False)
    )
    assert (changed.batch_size, changed.enabled, changed.state, changed.qualifier) == (
        5,
        False,
        "Disabled",
        "live",
    )
    assert gw.delete_event_source_mapping(svc, "live", made.uuid) is True
    assert gw.delete_event_source_mapping(svc, "live", made.uuid) is False
    assert [m.qualifier for m in gw.event_source_mappings(svc)] == ["beta"]


def test_a_function_given_as_an_arn_needs_no_lookup(
    gw: LambdaGateway, fidelity_proxy: FidelityProxy, svc: str, queues: list[str]
) -> None:
    made = gw.create_event_source_mapping(ARN, "live", EventSourceSpec(queues[0]))
    assert made.function_arn == f"{ARN}:live"
    assert fidelity_proxy.calls["GetAlias"] == 0
    assert [m.uuid for m in gw.event_source_mappings(ARN)] == [made.uuid]


def test_mapping_errors(gw: LambdaGateway, svc: str, queues: list[str]) -> None:
    with pytest.raises(AwsError) as missing_alias:
        gw.create_event_source_mapping(svc, "nope", EventSourceSpec(queues[0]))
    assert missing_alias.value.status == 404 and missing_alias.value.alias == "nope"
    gw.create_event_source_mapping(svc, "live", EventSourceSpec(queues[0]))
    with pytest.raises(ConflictError):
        gw.create_event_source_mapping(svc, "live", EventSourceSpec(queues[0]))
    with pytest.raises(InvalidRequestError):
        gw.create_event_source_mapping(
            svc, "live", EventSourceSpec(queues[1], starting_position="LATEST")
        )
    with pytest.raises(AwsError) as unknown:
        gw.update_event_source_mapping(
            svc, "live", "00000000-0000-0000-0000-000000000000", EventSourceSpec(queues[0])
        )
    assert unknown.value.status == 404
    assert gw.event_source_mappings("ghost") == []


def test_a_mapping_in_transition_is_waited_for(
    fidelity_proxy: FidelityProxy, svc: str, queues: list[str]
) -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        fidelity_proxy.release_mapping(made.uuid)

    gw = gateway(fidelity_proxy.url, sleep=sleep)
    made = gw.create_event_source_mapping(svc, "live", EventSourceSpec(queues[0]))
    fidelity_proxy.hold_mapping(made.uuid, "Creating")
    updated = gw.update_event_source_mapping(
        svc, "live", made.uuid, EventSourceSpec(queues[0], batch_size=3)
    )
    assert updated.batch_size == 3 and len(slept) == 1


def test_a_mapping_that_stays_in_transition_fails_after_the_bound(
    fidelity_proxy: FidelityProxy, svc: str, queues: list[str]
) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    retry = RetryPolicy(settle_timeout=3.0, settle_poll=1.0)
    connection = Connection(
        region="eu-west-1", endpoint_url=fidelity_proxy.url, credentials=("t", "t"), retry=retry
    )
    gw = Session(connection, sleep=sleep, clock=lambda: now[0]).gateway("eu-west-1")
    made = gw.create_event_source_mapping(svc, "live", EventSourceSpec(queues[0]))
    fidelity_proxy.hold_mapping(made.uuid, "Updating")
    with pytest.raises(InvalidRequestError) as busy:
        gw.delete_event_source_mapping(svc, "live", made.uuid)
    assert busy.value.code == "ResourceInUseException"
    assert fidelity_proxy.calls["DeleteEventSourceMapping"] == 4  # at 0, 1, 2 and 3 s


def test_mappings_are_read_page_by_page(
    gw: LambdaGateway,
    fidelity_proxy: FidelityProxy,
    svc: str,
    queues: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(attachments, "PAGE_SIZE", 2)
    for queue in queues:
        for alias in ("live", "beta"):
            gw.create_event_source_mapping(svc, alias, EventSourceSpec(queue))
    assert len(gw.event_source_mappings(svc)) == 6
    assert fidelity_proxy.calls["ListEventSourceMappings"] == 3


# -- function URLs --------------------------------------------------------------------------


def test_a_url_is_created_updated_and_deleted_on_the_alias(gw: LambdaGateway, svc: str) -> None:
    cors = CorsSpec(allow_origins=("https://example.com",), allow_methods=("GET",), max_age=60)
    made = gw.create_function_url(svc, "beta", FunctionUrlSpec("AWS_IAM", cors=cors))
    assert (made.qualifier, made.auth_type, made.invoke_mode, made.cors) == (
        "beta",
        "AWS_IAM",
        "BUFFERED",
        cors,
    )
    assert made.function_arn == f"{ARN}:beta" and made.url.startswith("https://")
    assert gw.function_urls(svc) == [made]
    with pytest.raises(ConflictError):
        gw.create_function_url(svc, "beta", FunctionUrlSpec("NONE"))
    changed = gw.update_function_url(svc, "beta", FunctionUrlSpec("NONE", "RESPONSE_STREAM"))
    assert (changed.auth_type, changed.invoke_mode, changed.cors, changed.url) == (
        "NONE",
        "RESPONSE_STREAM",
        None,
        made.url,
    )
    assert gw.function_urls(svc) == [changed]
    assert gw.delete_function_url(svc, "beta") is True
    assert gw.delete_function_url(svc, "beta") is False
    assert gw.function_urls(svc) == []


def test_url_errors(gw: LambdaGateway, svc: str) -> None:
    with pytest.raises(AwsError) as missing:
        gw.create_function_url(svc, "nope", FunctionUrlSpec("NONE"))
    assert missing.value.status == 404
    with pytest.raises(AwsError) as absent:
        gw.update_function_url(svc, "live", FunctionUrlSpec("NONE"))
    assert absent.value.status == 404
    assert gw.function_urls("ghost") == []


# -- resource-based policy ------------------------------------------------------------------


def test_a_change_to_what_is_gone_says_what_is_missing(gw: LambdaGateway) -> None:
    """One mutation path (Caller.mutate) for aliases and attachments: AWS's 404 on a
    change is an AwsError naming what the change needed, not a silent None."""
    with pytest.raises(AwsError) as alias_change:
        gw.create_alias("nowhere", "live", "1", (), None)
    assert (alias_change.value.status, alias_change.value.alias) == (404, "live")
    assert "function or version not found" in str(alias_change.value)
    with pytest.raises(AwsError) as permission:
        gw.add_permission("nowhere", "live", PermissionSpec("partner", "111122223333"))
    assert permission.value.status == 404
    assert "function or alias not found" in str(permission.value)


def test_permissions_are_added_read_and_removed_per_alias(gw: LambdaGateway, svc: str) -> None:
    assert gw.policy(svc, "live") == []
    s3 = PermissionSpec(
        "s3-uploads",
        "s3.amazonaws.com",
        source_arn="arn:aws:s3:::uploads",
        source_account="123456789012",
    )
    url = PermissionSpec("url", "*", "lambda:InvokeFunctionUrl", function_url_auth_type="NONE")
    account = PermissionSpec("partner", "111122223333")
    for spec in (s3, url, account):
        gw.add_permission(svc, "live", spec)
    assert gw.policy(svc, "live") == [
        PolicyStatement(
            "s3-uploads",
            "live",
            "s3.amazonaws.com",
            "lambda:InvokeFunction",
            source_arn="arn:aws:s3:::uploads",
            source_account="123456789012",
            resource=f"{ARN}:live",
        ),
        PolicyStatement(
            "url",
            "live",
            "*",
            "lambda:InvokeFunctionUrl",
            function_url_auth_type="NONE",
            resource=f"{ARN}:live",
        ),
        PolicyStatement(
            "partner", "live", "111122223333", "lambda:InvokeFunction", resource=f"{ARN}:live"
        ),
    ]
    assert gw.policy(svc, "beta") == []
    with pytest.raises(ConflictError):
        gw.add_permission(svc, "live", s3)
    gw.add_permission(svc, "beta", s3)  # another qualifier, another policy
    assert gw.remove_permission(svc, "live", "s3-uploads") is True
    assert gw.remove_permission(svc, "live", "s3-uploads") is False
    assert [s.sid for s in gw.policy(svc, "live")] == ["url", "partner"]
    assert [s.qualifier for s in gw.policy(svc, "beta")] == ["beta"]


def test_permission_errors(gw: LambdaGateway, svc: str) -> None:
    with pytest.raises(AwsError) as missing:
        gw.add_permission(svc, "nope", PermissionSpec("x", "s3.amazonaws.com"))
    assert missing.value.status == 404
    assert gw.remove_permission(svc, "nope", "x") is False
    assert gw.policy("ghost", "live") == []


def test_get_policy_has_a_bucket_of_its_own(
    gw: LambdaGateway, svc: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = gw.session.limits
    asked: list[tuple[str, str]] = []
    bucket = limits.bucket
    monkeypatch.setattr(
        limits,
        "bucket",
        lambda region, quota: asked.append((region, quota)) or bucket(region, quota),
    )
    gw.policy(svc, "live")
    gw.get_alias(svc, "live")
    assert asked == [("eu-west-1", "get_policy"), ("eu-west-1", "control")]
    assert RateLimits(100).bucket("eu-west-1", "get_policy").rate == GET_POLICY_RPS
    assert RateLimits(4).bucket("eu-west-1", "get_policy").rate == 4


# -- parsers --------------------------------------------------------------------------------

UUID = "9b6c7d3e-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, None),
        ("mapping", None),
        ([], None),
        ({}, None),
        ({"UUID": UUID}, None),
        ({"FunctionArn": f"{ARN}:live"}, None),
        ({"UUID": 7, "FunctionArn": f"{ARN}:live"}, None),
        ({"UUID": UUID, "FunctionArn": ["x"]}, None),
        (
            {"UUID": UUID, "FunctionArn": f"{ARN}:live"},
            EventSourceMapping(UUID, "live", "", function_arn=f"{ARN}:live"),
        ),
        (
            {
                "UUID": UUID,
                "FunctionArn": f"{ARN}:7",
                "EventSourceArn": "arn:aws:kinesis:eu-west-1:1:stream/s",
                "BatchSize": 100,
                "MaximumBatchingWindowInSeconds": 0,
                "StartingPosition": "LATEST",
                "State": "Disabled",
            },
            EventSourceMapping(
                UUID,
                "7",
                "arn:aws:kinesis:eu-west-1:1:stream/s",
                100,
                False,
                0,
                "LATEST",
                "Disabled",
                f"{ARN}:7",
            ),
        ),
        (
            # Wrong types become "not known", never an exception.
            {
                "UUID": UUID,
                "FunctionArn": ARN,
                "EventSourceArn": 5,
                "BatchSize": True,
                "MaximumBatchingWindowInSeconds": "5",
                "StartingPosition": {},
                "State": None,
            },
            EventSourceMapping(UUID, None, "", function_arn=ARN),
        ),
        (
            {"UUID": UUID, "FunctionArn": ARN, "State": "Updating", "StartingPosition": ""},
            EventSourceMapping(UUID, None, "", state="Updating", function_arn=ARN),
        ),
        (
            {"UUID": UUID, "FunctionArn": "not-an-arn", "State": "Deleting"},
            EventSourceMapping(
                UUID, None, "", enabled=False, state="Deleting", function_arn="not-an-arn"
            ),
        ),
    ],
)
def test_mapping_from_takes_any_shape(data: Any, expected: EventSourceMapping | None) -> None:
    assert mapping_from(data) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, None),
        ({}, None),
        ({"FunctionUrl": "https://u/"}, None),
        ({"FunctionArn": ARN}, None),
        ({"FunctionUrl": 3, "FunctionArn": ARN}, None),
        (
            {"FunctionUrl": "https://u/", "FunctionArn": f"{ARN}:beta"},
            FunctionUrl("beta", "https://u/", "", function_arn=f"{ARN}:beta"),
        ),
        (
            {
                "FunctionUrl": "https://u/",
                "FunctionArn": ARN,
                "AuthType": "NONE",
                "InvokeMode": "Buffered",
                "Cors": {"AllowOrigins": ["*"], "MaxAge": "x", "AllowCredentials": "yes"},
            },
            FunctionUrl(None, "https://u/", "NONE", "BUFFERED", CorsSpec(("*",)), ARN),
        ),
        (
            {
                "FunctionUrl": "https://u/",
                "FunctionArn": ARN,
                "AuthType": 1,
                "InvokeMode": 2,
                "Cors": [],
            },
            FunctionUrl(None, "https://u/", "", "BUFFERED", None, ARN),
        ),
    ],
)
def test_url_from_takes_any_shape(data: Any, expected: FunctionUrl | None) -> None:
    assert url_from(data) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, None),
        ("GET", None),
        ({}, None),
        ({"AllowOrigins": [], "AllowCredentials": False, "MaxAge": 0}, None),
        (
            {
                "AllowOrigins": "https://a",
                "AllowMethods": ["GET", 3, None],
                "AllowCredentials": True,
            },
            CorsSpec(("https://a",), ("GET",), allow_credentials=True),
        ),
        (
            {"ExposeHeaders": ["x-id"], "AllowHeaders": {"a": 1}, "MaxAge": 300},
            CorsSpec(expose_headers=("x-id",), max_age=300),
        ),
    ],
)
def test_cors_from_takes_any_shape(data: Any, expected: CorsSpec | None) -> None:
    assert cors_from(data) == expected


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", "*"),
        ({"AWS": "*"}, "*"),
        ({"Service": "s3.amazonaws.com"}, "s3.amazonaws.com"),
        ({"Service": ["sns.amazonaws.com"]}, "sns.amazonaws.com"),
        ({"AWS": "arn:aws:iam::111122223333:root"}, "111122223333"),
        ({"AWS": "arn:aws-cn:iam::111122223333:root"}, "111122223333"),
        (
            {"AWS": "arn:aws:iam::111122223333:role/deployer"},
            "arn:aws:iam::111122223333:role/deployer",
        ),
        ({"AWS": "111122223333"}, "111122223333"),
        ({"AWS": "arn:aws:iam:::root"}, "arn:aws:iam:::root"),
        ({"CanonicalUser": "abc"}, "abc"),
        ({"AWS": ["a", "b"]}, None),
        ({"AWS": "x", "Service": "y"}, None),
        ({"AWS": 5}, None),
        ({"AWS": ""}, None),
        ("", None),
        (None, None),
        (12, None),
        ([], None),
    ],
)
def test_principals_are_read_in_add_permission_terms(principal: Any, expected: str | None) -> None:
    assert principal_of(principal) == expected


def statement(**extra: Any) -> dict[str, Any]:
    return {
        "Sid": "s3",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"{ARN}:live",
        **extra,
    }


BASE = PolicyStatement(
    "s3", "live", "s3.amazonaws.com", "lambda:InvokeFunction", resource=f"{ARN}:live"
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (statement(), BASE),
        (None, None),
        ("statement", None),
        (statement(Sid=None), None),
        (statement(Sid=4), None),
        (statement(Principal={"AWS": ["a", "b"]}), None),
        (statement(Action=["lambda:InvokeFunction", "lambda:GetFunction"]), None),
        (statement(Action=["lambda:InvokeFunction"]), BASE),
        (
            statement(Resource=None),
            PolicyStatement("s3", None, "s3.amazonaws.com", "lambda:InvokeFunction"),
        ),
        (
            statement(Resource=[f"{ARN}:7"]),
            PolicyStatement(
                "s3", "7", "s3.amazonaws.com", "lambda:InvokeFunction", resource=f"{ARN}:7"
            ),
        ),
        (
            statement(
                Condition={
                    "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"},
                    "StringEquals": {
                        "AWS:SourceAccount": ["123456789012"],
                        "lambda:FunctionUrlAuthType": "NONE",
                    },
                }
            ),
            PolicyStatement(
                "s3",
                "live",
                "s3.amazonaws.com",
                "lambda:InvokeFunction",
                "arn:aws:s3:::b",
                "123456789012",
                "NONE",
                f"{ARN}:live",
            ),
        ),
        (
            # Condition keys are case-insensitive; ArnEquals is AWS's other spelling.
            statement(Condition={"ArnEquals": {"aws:sourcearn": "arn:aws:s3:::b"}}),
            PolicyStatement(
                "s3",
                "live",
                "s3.amazonaws.com",
                "lambda:InvokeFunction",
                "arn:aws:s3:::b",
                resource=f"{ARN}:live",
            ),
        ),
        (statement(Condition="odd"), BASE),
        (
            statement(
                Condition={"StringEquals": "odd", 5: {}, "ArnLike": {"AWS:SourceArn": ["a", "b"]}}
            ),
            BASE,
        ),
    ],
)
def test_statement_from_takes_any_shape(data: Any, expected: PolicyStatement | None) -> None:
    assert statement_from(data) == expected


@pytest.mark.parametrize(
    ("policy", "sids"),
    [
        (
            json.dumps({"Version": "2012-10-17", "Statement": [statement(), statement(Sid="b")]}),
            ["s3", "b"],
        ),
        (json.dumps({"Statement": statement()}), ["s3"]),
        (json.dumps({"Statement": [statement(), "junk", 4, statement(Sid=None)]}), ["s3"]),
        ({"Statement": [statement()]}, ["s3"]),
        ('{"Statement": [', []),
        ("", []),
        ("null", []),
        ("[1, 2]", []),
        (json.dumps({"Statement": "x"}), []),
        (None, []),
        (7, []),
    ],
)
def test_a_damaged_policy_never_raises(policy: Any, sids: list[str]) -> None:
    assert [s.sid for s in statements_from(policy)] == sids


class Hostile:
    """A loopback endpoint answering every request 200 with one fixed JSON body (of a
    shape botocore's parser passes through: it raises on some others itself)."""

    def __init__(self, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.requests: list[str] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("body", "pages"),
    [
        # A marker seen before ends the listing instead of looping for ever.
        ({"FunctionUrlConfigs": [], "NextMarker": "again"}, 2),
        ({"FunctionUrlConfigs": None, "NextMarker": ""}, 1),
        ({"FunctionUrlConfigs": [{"FunctionUrl": "https://u/"}, {}]}, 1),
        ({"FunctionUrlConfigs": [{"FunctionUrl": 5, "FunctionArn": True, "Cors": None}]}, 1),
    ],
)
def test_hostile_listings_end_and_parse_to_nothing(body: Any, pages: int) -> None:
    hostile = Hostile(body)
    try:
        assert gateway(hostile.url).function_urls("svc") == []
    finally:
        hostile.close()
    assert len(hostile.requests) == pages


def test_a_null_in_a_listing_is_an_unreadable_answer_not_nothing() -> None:
    """Lambda documents no list with null items: that answer is damage (retried a
    few times, then that function's MalformedResponseError), not an empty listing."""
    hostile = Hostile({"FunctionUrlConfigs": [None, {"FunctionUrl": "https://u/"}]})
    try:
        with pytest.raises(MalformedResponseError) as caught:
            gateway(hostile.url).function_urls("svc")
    finally:
        hostile.close()
    assert "FunctionUrlConfigs[0] is null" in str(caught.value)
    assert len(hostile.requests) == UNREADABLE_ATTEMPTS


# -- the fake gateway keeps the same rules ---------------------------------------------------


def scenario(gw: Any, queue: str) -> list[str]:
    """The same calls on any gateway; each outcome as a short label."""

    def outcome(call: Any) -> str:
        try:
            result = call()
        except ConflictError:
            return "conflict"
        except InvalidRequestError:
            return "invalid"
        except AwsError as exc:
            return f"error {exc.status}"
        if isinstance(result, list):
            return f"{len(result)} items"
        if isinstance(result, EventSourceMapping):
            return f"mapping {result.qualifier} batch {result.batch_size} enabled {result.enabled}"
        if isinstance(result, FunctionUrl):
            return f"url {result.qualifier} {result.auth_type} cors {result.cors is not None}"
        return str(result)

    sqs = EventSourceSpec(queue, batch_size=5)
    made: list[EventSourceMapping] = []
    cors = CorsSpec(allow_origins=("*",))
    permission = PermissionSpec("s3", "s3.amazonaws.com")
    return [
        outcome(lambda: made.append(gw.create_event_source_mapping("svc", "live", sqs)) or made[0]),
        outcome(lambda: gw.create_event_source_mapping("svc", "live", sqs)),
        outcome(lambda: gw.create_event_source_mapping("svc", "nope", sqs)),
        outcome(
            lambda: gw.create_event_source_mapping(
                "svc", "beta", replace(sqs, starting_position="LATEST")
            )
        ),
        outcome(
            lambda: gw.update_event_source_mapping(
                "svc", "live", made[0].uuid, EventSourceSpec(queue, enabled=False)
            )
        ),
        outcome(lambda: gw.event_source_mappings("svc")),
        outcome(lambda: gw.delete_event_source_mapping("svc", "live", made[0].uuid)),
        outcome(lambda: gw.delete_event_source_mapping("svc", "live", made[0].uuid)),
        outcome(lambda: gw.create_function_url("svc", "live", FunctionUrlSpec("NONE", cors=cors))),
        outcome(lambda: gw.create_function_url("svc", "live", FunctionUrlSpec("NONE"))),
        outcome(lambda: gw.update_function_url("svc", "live", FunctionUrlSpec("AWS_IAM"))),
        outcome(lambda: gw.update_function_url("svc", "beta", FunctionUrlSpec("AWS_IAM"))),
        outcome(lambda: gw.function_urls("svc")),
        outcome(lambda: gw.delete_function_url("svc", "live")),
        outcome(lambda: gw.delete_function_url("svc", "live")),
        outcome(lambda: gw.policy("svc", "live")),
        outcome(lambda: gw.add_permission("svc", "live", permission)),
        outcome(lambda: gw.add_permission("svc", "live", permission)),
        outcome(lambda: gw.add_permission("svc", "beta", permission)),
        outcome(lambda: gw.add_permission("svc", "nope", permission)),
        outcome(lambda: gw.policy("svc", "live")),
        outcome(lambda: gw.remove_permission("svc", "live", "s3")),
        outcome(lambda: gw.remove_permission("svc", "live", "s3")),
        outcome(lambda: gw.policy("svc", "beta")),
    ]


EXPECTED = [
    "mapping live batch 5 enabled True",
    "conflict",
    "error 404",
    "invalid",
    "mapping live batch 5 enabled False",
    "1 items",
    "True",
    "False",
    "url live NONE cors True",
    "conflict",
    "url live AWS_IAM cors False",
    "error 404",
    "1 items",
    "True",
    "False",
    "0 items",
    "None",
    "conflict",
    "None",
    "error 404",
    "1 items",
    "True",
    "False",
    "1 items",
]


def test_the_fake_gateway_answers_as_the_proxy_does(
    gw: LambdaGateway, svc: str, queues: list[str]
) -> None:
    fake = FakeGateway()
    fake.add_function("svc", ["a", "b"])
    fake.set_alias("svc", "live", "1")
    fake.set_alias("svc", "beta", "2")
    assert scenario(gw, queues[0]) == EXPECTED
    assert scenario(fake, queues[0]) == EXPECTED
