"""What is bound to an alias: event_sources, function_url and permissions, as
the manifests declare them (the specs built) and the rules they must keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifest import check_manifests
from reconciler.manifest.attachments import is_fifo_queue, source_service
from reconciler.manifest.model import (
    AliasSpec,
    CorsSpec,
    EventSourceSpec,
    FunctionUrlSpec,
    PermissionSpec,
    SourcePos,
)

HEAD = "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: orders\naliases:\n"
# The alias bodies below start on line 7 (after `  live:` and `    version: 3`).
LIVE = "  live:\n    version: 3\n"
QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders"
FIFO = "arn:aws:sqs:eu-west-1:123456789012:orders.fifo"
STREAM = "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"
TABLE_STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-05-01T00:00:00.000"
MSK = "arn:aws:kafka:eu-west-1:123456789012:cluster/events/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-1"
BROKER = "arn:aws:mq:eu-west-1:123456789012:broker:orders:b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9"
PUBLIC = (
    "    permissions:\n"
    "      - {sid: public-url, principal: '*', action: lambda:InvokeFunctionUrl,"
    " function_url_auth_type: NONE}\n"
)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def aliases(tmp_path: Path, body: str) -> tuple[AliasSpec, ...]:
    manifests, diagnostics = check_manifests([str(write(tmp_path, body))])
    assert diagnostics == [] and manifests is not None
    (function,) = manifests.functions
    return function.aliases


def at(tmp_path: Path, line: int, col: int) -> SourcePos:
    return SourcePos(str(tmp_path / "m.yaml"), line, col)


def test_absent_keys_manage_nothing(tmp_path: Path) -> None:
    (live,) = aliases(tmp_path, LIVE)
    assert (live.event_sources, live.function_url, live.permissions) == (None, None, None)
    assert not live.binds


def test_empty_lists_want_none(tmp_path: Path) -> None:
    (live,) = aliases(tmp_path, LIVE + "    event_sources: []\n    permissions: []\n")
    assert live.event_sources == () and live.permissions == ()
    assert live.function_url is None
    assert live.binds


def test_defaults(tmp_path: Path) -> None:
    body = (
        LIVE
        + f"    event_sources:\n      - source: {QUEUE}\n"
        + "    function_url:\n      auth_type: AWS_IAM\n"
        + "    permissions:\n      - sid: s3-uploads\n        principal: s3.amazonaws.com\n"
    )
    (live,) = aliases(tmp_path, body)
    assert live.event_sources == (EventSourceSpec(QUEUE),)
    (source,) = live.event_sources
    assert source.enabled is True and source.batch_size is None
    assert source.maximum_batching_window is None and source.starting_position is None
    assert live.function_url == FunctionUrlSpec("AWS_IAM")
    assert live.function_url.invoke_mode == "BUFFERED" and live.function_url.cors is None
    assert live.permissions == (PermissionSpec("s3-uploads", "s3.amazonaws.com"),)
    (permission,) = live.permissions
    assert permission.action == "lambda:InvokeFunction"
    assert (permission.source_arn, permission.source_account) == (None, None)
    assert permission.function_url_auth_type is None
    # Positions: each item where it starts, the URL where its key is written.
    assert source.pos == at(tmp_path, 8, 9)
    assert live.function_url.pos == at(tmp_path, 9, 5)
    assert permission.pos == at(tmp_path, 12, 9)


def test_every_field_is_built(tmp_path: Path) -> None:
    body = (
        LIVE
        + "    event_sources:\n"
        + f"      - source: {QUEUE}\n"
        + "        batch_size: 100.0\n"  # the schema's "integer" admits 100.0
        + "        enabled: false\n"
        + "        maximum_batching_window: 5\n"
        + f"      - {{source: {STREAM}, starting_position: TRIM_HORIZON}}\n"
        + "    function_url:\n"
        + "      auth_type: NONE\n"
        + "      invoke_mode: RESPONSE_STREAM\n"
        + "      cors:\n"
        + "        allow_origins: ['https://example.com']\n"
        + "        allow_methods: [GET, POST]\n"
        + "        allow_headers: [content-type]\n"
        + "        expose_headers: [x-request-id]\n"
        + "        allow_credentials: true\n"
        + "        max_age: 600\n"
        + PUBLIC
        + "      - sid: s3-uploads\n"
        + "        principal: s3.amazonaws.com\n"
        + "        action: lambda:InvokeFunction\n"
        + "        source_arn: arn:aws:s3:::uploads\n"
        + "        source_account: '123456789012'\n"
    )
    (live,) = aliases(tmp_path, body)
    assert live.event_sources == (
        EventSourceSpec(QUEUE, batch_size=100, enabled=False, maximum_batching_window=5),
        EventSourceSpec(STREAM, starting_position="TRIM_HORIZON"),
    )
    assert live.event_sources is not None
    assert isinstance(live.event_sources[0].batch_size, int)
    assert live.function_url == FunctionUrlSpec(
        "NONE",
        "RESPONSE_STREAM",
        CorsSpec(
            allow_origins=("https://example.com",),
            allow_methods=("GET", "POST"),
            allow_headers=("content-type",),
            expose_headers=("x-request-id",),
            allow_credentials=True,
            max_age=600,
        ),
    )
    assert live.permissions == (
        PermissionSpec(
            "public-url", "*", "lambda:InvokeFunctionUrl", function_url_auth_type="NONE"
        ),
        PermissionSpec(
            "s3-uploads",
            "s3.amazonaws.com",
            source_arn="arn:aws:s3:::uploads",
            source_account="123456789012",
        ),
    )
    assert [s.pos for s in live.event_sources] == [at(tmp_path, 8, 9), at(tmp_path, 12, 9)]


def test_empty_cors_is_a_cors_without_settings(tmp_path: Path) -> None:
    (live,) = aliases(tmp_path, LIVE + "    function_url: {auth_type: AWS_IAM, cors: {}}\n")
    assert live.function_url == FunctionUrlSpec("AWS_IAM", cors=CorsSpec())


def test_aliases_keep_their_own_attachments(tmp_path: Path) -> None:
    body = (
        LIVE
        + f"    event_sources: [{{source: {QUEUE}}}]\n"
        + "    permissions: [{sid: shared, principal: s3.amazonaws.com}]\n"
        + "  beta:\n    version: 4\n"
        + f"    event_sources: [{{source: {FIFO}, batch_size: 10}}]\n"
        + "    permissions: [{sid: shared, principal: sns.amazonaws.com}]\n"
    )
    live, beta = aliases(tmp_path, body)
    assert live.event_sources == (EventSourceSpec(QUEUE),)
    assert beta.event_sources == (EventSourceSpec(FIFO, batch_size=10),)
    # A statement id is unique per alias: each alias has a policy of its own.
    assert [p.principal for p in (*(live.permissions or ()), *(beta.permissions or ()))] == [
        "s3.amazonaws.com",
        "sns.amazonaws.com",
    ]


# Valid: each of these is accepted as it is (the edges of every rule below).
VALID = {
    "sqs batch of 10 needs no window": f"[{{source: {QUEUE}, batch_size: 10}}]",
    "sqs batch above 10 with a window": (
        f"[{{source: {QUEUE}, batch_size: 10000, maximum_batching_window: 1}}]"
    ),
    "fifo batch of 10": f"[{{source: {FIFO}, batch_size: 10}}]",
    "window bounds": f"[{{source: {QUEUE}, maximum_batching_window: 300}}]",
    "kinesis stream": f"[{{source: {STREAM}, starting_position: LATEST, batch_size: 10000}}]",
    "kinesis consumer": (
        f"[{{source: '{STREAM}/consumer/app:1714521600', starting_position: LATEST}}]"
    ),
    "dynamodb stream": f"[{{source: '{TABLE_STREAM}', starting_position: TRIM_HORIZON}}]",
    "msk without a starting position": f"[{{source: {MSK}}}]",
    "msk with a starting position": f"[{{source: {MSK}, starting_position: LATEST}}]",
    "amazon mq broker": f"[{{source: {BROKER}}}]",
    "another partition": "[{source: 'arn:aws-us-gov:sqs:us-gov-west-1:123456789012:orders'}]",
}


@pytest.mark.parametrize("sources", VALID.values(), ids=VALID.keys())
def test_valid_event_sources(tmp_path: Path, sources: str) -> None:
    (live,) = aliases(tmp_path, LIVE + f"    event_sources: {sources}\n")
    assert live.event_sources


VALID_BINDINGS = {
    "a public url without a permissions key (the policy is managed elsewhere)": (
        "    function_url: {auth_type: NONE}\n"
    ),
    "a public url with its public statement": "    function_url: {auth_type: NONE}\n" + PUBLIC,
    "an iam url with no statements": "    function_url: {auth_type: AWS_IAM}\n    permissions: []\n",
    "wildcard actions": (
        "    permissions:\n"
        "      - {sid: all, principal: '123456789012', action: 'lambda:*'}\n"
        "      - {sid: any, principal: 'arn:aws:iam::123456789012:root', action: '*'}\n"
    ),
    "a sid of 100 characters": f"    permissions: [{{sid: {'s' * 100}, principal: '*'}}]\n",
    "url auth type on the url action": (
        "    permissions: [{sid: p, principal: '111122223333', action: lambda:InvokeFunctionUrl,"
        " function_url_auth_type: AWS_IAM}]\n"
    ),
    "cors wildcard and the max age bound": (
        "    function_url: {auth_type: AWS_IAM, cors: {allow_methods: ['*'], max_age: 86400}}\n"
    ),
}


@pytest.mark.parametrize("body", VALID_BINDINGS.values(), ids=VALID_BINDINGS.keys())
def test_valid_bindings(tmp_path: Path, body: str) -> None:
    (live,) = aliases(tmp_path, LIVE + body)
    assert live.binds


# Every rule: (alias body from line 7, line, what the error points at, part of the
# message). The column is where that text is on the line; None: just past the
# line's end, where an empty value would have been.
RULES = {
    "source not an arn": (
        "    event_sources: [{source: orders}]\n",
        7,
        "orders}",
        "event_sources[0].source 'orders' of alias 'live' is not valid; an event source is "
        "the ARN of an SQS queue",
    ),
    "source of another service": (
        "    event_sources: [{source: 'arn:aws:sns:eu-west-1:123456789012:topic'}]\n",
        7,
        "'arn",
        "is not valid; an event source is the ARN",
    ),
    "source with a trailing newline": (
        '    event_sources: [{source: "' + QUEUE + '\\n"}]\n',
        7,
        '"arn',
        "is not valid",
    ),
    "dynamodb table instead of its stream": (
        "    event_sources: [{source: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',"
        " starting_position: LATEST}]\n",
        7,
        "'arn",
        "is a DynamoDB table, not its stream; a DynamoDB source is the table's stream",
    ),
    "kinesis arn that is not a stream": (
        "    event_sources: [{source: 'arn:aws:kinesis:eu-west-1:123456789012:clicks',"
        " starting_position: LATEST}]\n",
        7,
        "'arn",
        "of alias 'live' is not a Kinesis stream; a Kinesis source is a stream",
    ),
    "sqs queue name too long": (
        f"    event_sources: [{{source: '{QUEUE[: -len('orders')]}{'q' * 81}'}}]\n",
        7,
        "'arn",
        "is not an SQS queue; an SQS queue ARN ends in the queue name",
    ),
    "mq arn that is not a broker": (
        "    event_sources: [{source: 'arn:aws:mq:eu-west-1:123456789012:configuration:c-1'}]\n",
        7,
        "'arn",
        "is not an Amazon MQ broker",
    ),
    "source twice in an alias": (
        f"    event_sources:\n      - source: {QUEUE}\n      - source: {QUEUE}\n",
        9,
        "arn",
        f"event source '{QUEUE}' appears twice in event_sources of alias 'live' (first at line 8)",
    ),
    "source on two aliases": (
        f"    event_sources: [{{source: {QUEUE}}}]\n  beta:\n    version: 4\n"
        f"    event_sources: [{{source: {QUEUE}}}]\n",
        10,
        "arn",
        f"event source '{QUEUE}' is bound to both alias 'live' (line 7) and alias 'beta'; AWS "
        "would run both mappings",
    ),
    "starting position on sqs": (
        f"    event_sources: [{{source: {QUEUE}, starting_position: LATEST}}]\n",
        7,
        "LATEST",
        "starting_position is only for streams (Kinesis, DynamoDB, MSK); event source "
        f"'{QUEUE}' of alias 'live' is an SQS queue",
    ),
    "starting position on a broker": (
        f"    event_sources: [{{source: '{BROKER}', starting_position: LATEST}}]\n",
        7,
        "LATEST",
        "is an Amazon MQ broker, which AWS reads without one: remove it",
    ),
    "kinesis without a starting position": (
        f"    event_sources: [{{source: {STREAM}}}]\n",
        7,
        "arn",
        f"event source '{STREAM}' of alias 'live' is a Kinesis stream, which needs "
        "starting_position",
    ),
    "dynamodb stream without a starting position": (
        f"    event_sources: [{{source: '{TABLE_STREAM}'}}]\n",
        7,
        "'arn",
        "is a DynamoDB stream, which needs starting_position: TRIM_HORIZON",
    ),
    "at timestamp": (
        f"    event_sources: [{{source: {STREAM}, starting_position: AT_TIMESTAMP}}]\n",
        7,
        "AT_TIMESTAMP",
        "AT_TIMESTAMP is not offered: it needs a timestamp",
    ),
    "sqs batch above 10 without a window": (
        f"    event_sources: [{{source: {QUEUE}, batch_size: 11}}]\n",
        7,
        "11",
        f"batch_size 11 of event source '{QUEUE}' (alias 'live') needs maximum_batching_window "
        "of at least 1 second",
    ),
    "sqs batch above 10 with a zero window": (
        f"    event_sources: [{{source: {QUEUE}, batch_size: 11, maximum_batching_window: 0}}]\n",
        7,
        "11",
        "needs maximum_batching_window of at least 1 second",
    ),
    "fifo batch above 10": (
        f"    event_sources: [{{source: {FIFO}, batch_size: 11}}]\n",
        7,
        "11",
        f"batch_size 11 is too large for the FIFO queue '{FIFO}' (alias 'live'); a FIFO "
        "queue's batch size is at most 10",
    ),
    "window on a fifo queue": (
        f"    event_sources: [{{source: {FIFO}, maximum_batching_window: 0}}]\n",
        7,
        "0}",
        f"maximum_batching_window is not supported for the FIFO queue '{FIFO}'",
    ),
    "batch size above 10000": (
        f"    event_sources: [{{source: {STREAM}, starting_position: LATEST,"
        " batch_size: 10001}]\n",
        7,
        "10001",
        "batch_size 10001 of alias 'live' is out of range; batch_size is a whole number from 1 "
        "to 10000",
    ),
    "batching window negative": (
        f"    event_sources: [{{source: {QUEUE}, maximum_batching_window: -1}}]\n",
        7,
        "-1}",
        "maximum_batching_window -1 of alias 'live' is out of range",
    ),
    "enabled not a boolean": (
        f"    event_sources: [{{source: {QUEUE}, enabled: 'no'}}]\n",
        7,
        "'no'",
        "event_sources[0].enabled 'no' of alias 'live' is a string, not a boolean",
    ),
    "event sources misspelled": (
        f"    event_source: [{{source: {QUEUE}}}]\n",
        7,
        "event_source",
        "unknown key 'event_source' in alias 'live'; allowed: version, weights, description, "
        "provisioned_concurrency, rollout, alarms, event_sources, function_url, permissions; "
        "did you mean 'event_sources'?",
    ),
    "event source key misspelled": (
        f"    event_sources: [{{source: {QUEUE}, batchsize: 5}}]\n",
        7,
        "batchsize",
        "unknown key 'batchsize' in event_sources[0] of alias 'live'; allowed: source, "
        "batch_size, enabled, maximum_batching_window, starting_position; did you mean "
        "'batch_size'?",
    ),
    "event sources a mapping": (
        f"    event_sources: {{source: {QUEUE}}}\n",
        7,
        "event_sources",
        "event_sources of alias 'live' is a mapping, not a list",
    ),
    "event sources empty": (
        "    event_sources:\n",
        7,
        None,
        "event_sources of alias 'live' is empty",
    ),
    "function url empty": ("    function_url:\n", 7, None, "function_url of alias 'live' is empty"),
    "function url without auth type": (
        "    function_url: {invoke_mode: BUFFERED}\n",
        7,
        "function_url",
        "function_url of alias 'live' is missing the required key 'auth_type'",
    ),
    "function url auth type": (
        "    function_url: {auth_type: iam}\n",
        7,
        "iam",
        "function_url.auth_type 'iam' of alias 'live' is not one of the allowed values; "
        "auth_type is AWS_IAM (signed requests) or NONE (public)",
    ),
    "function url invoke mode": (
        "    function_url: {auth_type: NONE, invoke_mode: STREAM}\n",
        7,
        "STREAM}",
        "function_url.invoke_mode 'STREAM' of alias 'live' is not one of the allowed values",
    ),
    "public url with statements but not the public one": (
        "    function_url: {auth_type: NONE}\n"
        "    permissions:\n"
        "      - {sid: p, principal: '*', action: lambda:InvokeFunctionUrl,"
        " function_url_auth_type: AWS_IAM}\n"
        "      - {sid: q, principal: '123456789012', action: lambda:InvokeFunctionUrl,"
        " function_url_auth_type: NONE}\n",
        7,
        "NONE}",
        "the function URL of alias 'live' has auth_type NONE, but its permissions have no "
        "statement letting anyone call it, so AWS would answer every request with 403",
    ),
    "public url with no statements": (
        "    function_url: {auth_type: NONE}\n    permissions: []\n",
        7,
        "NONE}",
        "add {sid: public-url, principal: '*', action: lambda:InvokeFunctionUrl, "
        "function_url_auth_type: NONE} to permissions",
    ),
    "cors method in lower case": (
        "    function_url: {auth_type: AWS_IAM, cors: {allow_methods: [get]}}\n",
        7,
        "get",
        "function_url.cors.allow_methods[0] 'get' of alias 'live' is not one of the allowed "
        "values; a method is GET, HEAD, POST, PUT, PATCH, DELETE or '*'",
    ),
    "cors method twice": (
        "    function_url: {auth_type: AWS_IAM, cors: {allow_methods: [GET, GET]}}\n",
        7,
        "allow_methods",
        "function_url.cors.allow_methods of alias 'live' has duplicate entries",
    ),
    "cors max age too long": (
        "    function_url: {auth_type: AWS_IAM, cors: {max_age: 86401}}\n",
        7,
        "86401",
        "function_url.cors.max_age 86401 of alias 'live' is out of range; max_age is a whole "
        "number of seconds from 0 to 86400",
    ),
    "cors key misspelled": (
        "    function_url: {auth_type: AWS_IAM, cors: {allow_origin: ['*']}}\n",
        7,
        "allow_origin",
        "unknown key 'allow_origin' in function_url.cors of alias 'live'; allowed: "
        "allow_origins, allow_methods, allow_headers, expose_headers, allow_credentials, "
        "max_age; did you mean 'allow_origins'?",
    ),
    "cors origins a string": (
        "    function_url: {auth_type: AWS_IAM, cors: {allow_origins: '*'}}\n",
        7,
        "'*'",
        "function_url.cors.allow_origins '*' of alias 'live' is a string, not a list",
    ),
    "sid characters": (
        "    permissions: [{sid: 'a b', principal: '*'}]\n",
        7,
        "'a b'",
        "permissions[0].sid 'a b' of alias 'live' is not valid; a sid is letters, digits, '-' "
        "and '_' (1 to 100 characters)",
    ),
    "sid empty": (
        "    permissions: [{sid: '', principal: '*'}]\n",
        7,
        "''",
        "permissions[0].sid '' of alias 'live' is empty; a sid is letters",
    ),
    "sid too long": (
        f"    permissions: [{{sid: {'s' * 101}, principal: '*'}}]\n",
        7,
        "s" * 101,
        "permissions[0].sid of alias 'live' is too long (101 characters)",
    ),
    "sid twice": (
        "    permissions:\n      - {sid: a, principal: '*'}\n      - {sid: a, principal: x}\n",
        9,
        "a,",
        "sid 'a' appears twice in permissions of alias 'live' (first at line 8); a statement "
        "id is unique within the alias's policy",
    ),
    "action without the lambda prefix": (
        "    permissions: [{sid: a, principal: '*', action: InvokeFunction}]\n",
        7,
        "InvokeFunction",
        "permissions[0].action 'InvokeFunction' of alias 'live' is not valid; an action is "
        "'lambda:' and an action name",
    ),
    "url auth type with the default action": (
        "    permissions: [{sid: a, principal: '*', function_url_auth_type: NONE}]\n",
        7,
        "NONE",
        "function_url_auth_type is only for action lambda:InvokeFunctionUrl; statement 'a' of "
        "alias 'live' has action 'lambda:InvokeFunction'",
    ),
    "url auth type with a wildcard action": (
        "    permissions: [{sid: a, principal: '*', action: 'lambda:*',"
        " function_url_auth_type: NONE}]\n",
        7,
        "NONE",
        "has action 'lambda:*': set `action: lambda:InvokeFunctionUrl`",
    ),
    "url auth type value": (
        "    permissions: [{sid: a, principal: '*', action: lambda:InvokeFunctionUrl,"
        " function_url_auth_type: PUBLIC}]\n",
        7,
        "PUBLIC",
        "function_url_auth_type 'PUBLIC' of alias 'live' is not one of the allowed values",
    ),
    "principal empty": (
        "    permissions: [{sid: a, principal: ''}]\n",
        7,
        "''",
        "permissions[0].principal '' of alias 'live' is empty",
    ),
    "principal with whitespace": (
        "    permissions: [{sid: a, principal: 's3 amazonaws.com'}]\n",
        7,
        "'s3 amazonaws.com'",
        "permissions[0].principal 's3 amazonaws.com' of alias 'live' is not valid; a "
        "principal is a service",
    ),
    "principal missing": (
        "    permissions: [{sid: a}]\n",
        7,
        "{",
        "permissions[0] of alias 'live' is missing the required key 'principal'",
    ),
    "source account unquoted": (
        "    permissions: [{sid: a, principal: s3.amazonaws.com, source_account: 123456789012}]\n",
        7,
        "123456789012",
        "source_account 123456789012 of alias 'live' is a whole number, not a string",
    ),
    "source account short": (
        "    permissions: [{sid: a, principal: s3.amazonaws.com, source_account: '12345'}]\n",
        7,
        "'12345'",
        "permissions[0].source_account '12345' of alias 'live' is not valid",
    ),
    "source arn not an arn": (
        "    permissions: [{sid: a, principal: s3.amazonaws.com, source_arn: uploads}]\n",
        7,
        "uploads",
        "permissions[0].source_arn 'uploads' of alias 'live' is not valid; source_arn is an ARN",
    ),
    "permissions a mapping": (
        "    permissions: {sid: a, principal: '*'}\n",
        7,
        "permissions",
        "permissions of alias 'live' is a mapping, not a list",
    ),
    "permission key misspelled": (
        "    permissions: [{sid: a, principal: '*', source_acount: '123456789012'}]\n",
        7,
        "source_acount",
        "did you mean 'source_account'?",
    ),
}


@pytest.mark.parametrize(("body", "line", "at", "substance"), RULES.values(), ids=RULES.keys())
def test_rule(tmp_path: Path, body: str, line: int, at: str | None, substance: str) -> None:
    path = write(tmp_path, LIVE + body)
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    if at is None:
        col = len(text) + 1
    else:
        assert text.count(at) == 1, f"{at!r} must name one place on line {line}: {text!r}"
        col = text.index(at) + 1
    manifests, diagnostics = check_manifests([str(path)])
    assert manifests is None
    assert [(d.line, d.col) for d in diagnostics] == [(line, col)], diagnostics
    (diagnostic,) = diagnostics
    assert substance in diagnostic.message, diagnostic.message


@pytest.mark.parametrize(
    ("arn", "service", "fifo"),
    [
        (QUEUE, "sqs", False),
        (FIFO, "sqs", True),
        (STREAM, "kinesis", False),
        (TABLE_STREAM, "dynamodb", False),
        (MSK, "kafka", False),
        (BROKER, "mq", False),
        ("arn:aws:sns:eu-west-1:123456789012:topic.fifo", None, False),
        ("orders", None, False),
    ],
)
def test_source_service(arn: str, service: str | None, fifo: bool) -> None:
    assert source_service(arn) == service
    assert is_fifo_queue(arn) is fifo


def test_source_service_of_a_non_string() -> None:
    assert source_service(5) is None and source_service(None) is None
