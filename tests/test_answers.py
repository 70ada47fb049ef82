"""Unreadable 2xx answers, without a server: the pure checks of reconciler.aws.answers
(against botocore's real operation models), the error's message, and the call path's
handling (retries, limits, what it must not swallow) with methods that fail as botocore
does. The same faults through the real CLI and the fidelity proxy:
tests/test_malformed_answers.py."""

from __future__ import annotations

from typing import Any

import botocore.parsers
import botocore.session
import pytest

from reconciler.aws.answers import UnreadableAnswer, answer_problem, raised_while_parsing
from reconciler.aws.calls import UNREADABLE_ATTEMPTS, Caller
from reconciler.aws.gateway import Connection, Session
from reconciler.errors import AwsError, MalformedResponseError

_MODELS = botocore.session.get_session()
LAMBDA = _MODELS.get_service_model("lambda")
STS = _MODELS.get_service_model("sts")
JSON = {"content-type": "application/json"}
ALIAS = b'{"Name": "live", "FunctionVersion": "1", "AliasArn": "arn:aws:lambda:eu-west-1:1:function:f:live"}'


def problem(operation: str, body: bytes, status: int = 200, model: Any = LAMBDA) -> str | None:
    return answer_problem(model.operation_model(operation), status, JSON, body)


@pytest.mark.parametrize(
    ("operation", "body", "says"),
    [
        ("ListAliases", b'{"Aliases": [' + ALIAS + b"]}", None),
        ("ListAliases", b'{"Aliases": [], "Unknown": [1, {"x": 2}]}', None),
        ("ListAliases", b'{"Aliases": null}', None),  # null: absent, as botocore reads it
        ("ListAliases", b"", "the body is empty"),
        ("ListAliases", b"<html>502</html>", "the body is not JSON (application/json, 16 bytes"),
        ("ListAliases", b'{"Aliases": [] } trailing', "the body is not JSON"),
        ("ListAliases", b'{"Aliases": [{"Name": "li', "cut off after 25 bytes"),
        ("ListAliases", b'{"Aliases": [', "cut off after 13 bytes"),
        ("ListAliases", b"\xff\xfe{}", "the body is not UTF-8 text"),
        ("ListAliases", b"[" * 100_000, "nested too deeply"),
        ("ListAliases", b"[]", "the answer is a list, not an object"),
        ("ListAliases", b"null", "the answer is null, not an object"),
        ("ListAliases", b'"ok"', "the answer is a string, not an object"),
        ("ListAliases", b'{"Aliases": "x"}', "Aliases is a string, not a list"),
        ("ListAliases", b'{"Aliases": {"Name": "x"}}', "Aliases is an object, not a list"),
        ("ListAliases", b'{"Aliases": [1]}', "Aliases[0] is a number, not an object"),
        ("ListAliases", b'{"Aliases": [null]}', "Aliases[0] is null"),
        (
            "ListAliases",
            b'{"Aliases": [{"RoutingConfig": {"AdditionalVersionWeights": [0.5]}}]}',
            "Aliases[0].RoutingConfig.AdditionalVersionWeights is a list, not an object",
        ),
        # Scalars are botocore's to convert and the shape parsers' to judge.
        ("ListAliases", b'{"Aliases": [{"Name": {"x": 1}, "FunctionVersion": 1}]}', None),
        ("GetPolicy", b'{"Policy": 5}', None),
        ("UpdateAlias", ALIAS, None),
        ("UpdateAlias", b'{"RoutingConfig": true}', "RoutingConfig is true/false, not an object"),
        ("ListEventSourceMappings", b'{"EventSourceMappings": [[]]}', "EventSourceMappings[0]"),
        (
            "ListEventSourceMappings",
            b'{"EventSourceMappings": [{"FilterCriteria": {"Filters": "x"}}]}',
            "EventSourceMappings[0].FilterCriteria.Filters is a string, not a list",
        ),
        # No body documented (DeleteAlias: none; DeleteFunction: the status code only).
        ("DeleteAlias", b"<html>", None),
        ("DeleteFunction", b"", None),
    ],
)
def test_answer_problem(operation: str, body: bytes, says: str | None) -> None:
    found = problem(operation, body)
    if says is None:
        assert found is None
    else:
        assert found is not None and says in found, found


def test_what_is_not_judged_here() -> None:
    garbage = b"<html>"
    assert problem("ListAliases", garbage, status=204) is None  # no content, by definition
    assert problem("ListAliases", garbage, status=502) is None  # errors: ClientError's path
    assert problem("GetCallerIdentity", garbage, model=STS) is None  # XML: botocore raises
    assert answer_problem(LAMBDA.operation_model("ListAliases"), 200, {}, None) is None


def parse(operation: str, body: bytes) -> Any:
    """What botocore's own parser makes of a 200 answer (no check of ours before it)."""
    parser = botocore.parsers.RestJSONParser()
    response = {"status_code": 200, "headers": JSON, "body": body}
    return parser.parse(response, LAMBDA.operation_model(operation).output_shape)


def test_botocore_alone_reads_a_body_that_is_not_json_as_an_empty_answer() -> None:
    """Why the body is checked before botocore parses it: "no aliases"."""
    for body in (b"<html>502 Bad Gateway</html>", b'{"Aliases": [{"Name": "li'):
        assert set(parse("ListAliases", body)) == {"ResponseMetadata"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"Aliases": "x"}',
        b'{"Aliases": [1]}',
        b"[]",
        b'{"Aliases": [{"RoutingConfig": {"AdditionalVersionWeights": {"2": "abc"}}}]}',
        b"\xff",
    ],
)
def test_what_botocore_raises_while_parsing_is_recognised(body: bytes) -> None:
    with pytest.raises(Exception) as caught:
        parse("ListAliases", body)
    assert raised_while_parsing(caught.value), caught.value


def test_what_is_raised_elsewhere_is_not() -> None:
    with pytest.raises(ValueError) as caught:
        int("abc")
    assert not raised_while_parsing(caught.value)
    assert raised_while_parsing(botocore.parsers.ResponseParserError("invalid XML"))


def test_the_message_says_what_where_and_what_to_do_on_one_line() -> None:
    error = MalformedResponseError(
        "UpdateAlias",
        "orders",
        "the JSON ends",
        alias="live",
        status=200,
        attempts=3,
        mutation=True,
    )
    text = str(error)
    assert "\n" not in text and isinstance(error, AwsError)
    assert text.startswith("UpdateAlias on orders:live failed: AWS answered HTTP 200, but")
    assert "could not be read (3 attempts): the JSON ends" in text
    assert "may or may not have been made" in text
    assert text.endswith(
        "check --endpoint-url / AWS_ENDPOINT_URL and any proxy between here and AWS"
    )
    read = str(MalformedResponseError("ListAliases", "orders", "x"))
    assert "(1 attempt)" in read and "may or may not" not in read


# -- the call path -------------------------------------------------------------------


@pytest.fixture
def caller() -> Caller:
    """A Lambda caller that never sleeps (no call leaves the process in these tests)."""
    connection = Connection(
        region="eu-west-1", endpoint_url="http://127.0.0.1:9", credentials=("k", "s")
    )
    return Caller(Session(connection, sleep=lambda _: None), "lambda", "eu-west-1")


class Answers:
    """A client method: fails as given, in turn, then answers {"ok": True}."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self, **_: Any) -> Any:
        self.calls += 1
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, UnreadableAnswer):
                raise failure
            parse("ListAliases", b'{"Aliases": [1]}')  # botocore's own AttributeError
        return {"ok": True}


def test_an_unreadable_answer_is_retried(caller: Caller) -> None:
    method = Answers(UnreadableAnswer("cut off", 200), AttributeError())
    assert caller.call("ListAliases", "orders", None, method) == {"ok": True}
    assert method.calls == 3
    assert caller.session.stats.retries["ListAliases"] == 2


@pytest.mark.parametrize("failure", [UnreadableAnswer("cut off", 200), AttributeError()])
def test_unreadable_answers_fail_after_their_own_few_attempts(
    caller: Caller, failure: BaseException
) -> None:
    method = Answers(*[failure] * 10)
    with pytest.raises(MalformedResponseError) as caught:
        caller.call("UpdateAlias", "orders", "live", method)
    assert method.calls == UNREADABLE_ATTEMPTS < caller.session.connection.retry.max_attempts
    error = caught.value
    assert (error.operation, error.function, error.alias) == ("UpdateAlias", "orders", "live")
    assert f"({UNREADABLE_ATTEMPTS} attempts)" in str(error)
    assert error.__cause__ is not None  # the cause kept (shown with --verbose)
    assert caller.session.breaker.error is None  # one function's failure, not the run's


@pytest.mark.parametrize("bug", [AttributeError("ours"), KeyError("k"), TypeError("t")])
def test_a_bug_in_the_method_is_not_taken_for_an_unreadable_answer(
    caller: Caller, bug: Exception
) -> None:
    def broken(**_: Any) -> Any:
        raise bug

    with pytest.raises(type(bug)) as caught:
        caller.call("ListAliases", "orders", None, broken)
    assert caught.value is bug
