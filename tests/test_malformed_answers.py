"""2xx answers that cannot be read, end to end: the real CLI against moto behind the
fidelity proxy, which answers the named calls of one function with a raw body (HTML, a
cut-off document, a list for an object, a field of the wrong kind; see
FidelityProxy.answer_next). That function fails with a message naming the operation,
the function (and alias) and what to do; the other function of the run is planned or
applied as usual; exit 1 as for any AWS error of a function; no traceback unless
--verbose, which shows the cause."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from reconciler.aws.calls import UNREADABLE_ATTEMPTS
from reconciler.manifest.resources import load_schema
from tests.e2e import Cli
from tests.support.fidelity_proxy import FidelityProxy
from tests.support.moto_server import seed_function

BAD, GOOD = "bad", "good"
TODO = "run again, and if it persists check --endpoint-url / AWS_ENDPOINT_URL"
PERMISSION = (
    "    permissions:\n      - sid: s3-uploads\n        principal: s3.amazonaws.com\n"
    "        source_arn: arn:aws:s3:::uploads\n"
)

# (body, content type, what the message must say): ListAliases's answers.
LIST_ALIASES = {
    "not-json": (b"<html><body>502 Bad Gateway</body></html>", "text/html", "is not JSON"),
    "json-list": (b'[{"Name": "live"}]', "application/json", "answer is a list, not an object"),
    "aliases-string": (b'{"Aliases": "x"}', "application/json", "Aliases is a string, not a list"),
    "aliases-numbers": (b'{"Aliases": [1]}', "application/json", "Aliases[0] is a number"),
    "truncated": (b'{"Aliases": [{"Name": "live", "Function', "application/json", "cut off"),
    # Right shape, a value botocore cannot convert: raised inside botocore's parser.
    "bad-weight": (
        b'{"Aliases": [{"Name": "live", "FunctionVersion": "1",'
        b' "RoutingConfig": {"AdditionalVersionWeights": {"2": "abc"}}}]}',
        "application/json",
        "botocore could not parse it (ValueError",
    ),
}
UPDATE_ALIAS = {
    "not-json": (b"Bad Gateway", "text/plain", "is not JSON"),
    "json-list": (b"[]", "application/json", "answer is a list, not an object"),
    "weights-string": (
        b'{"Name": "live", "RoutingConfig": {"AdditionalVersionWeights": "x"}}',
        "application/json",
        "RoutingConfig.AdditionalVersionWeights is a string, not an object",
    ),
    "truncated": (b'{"AliasArn": "arn:aws:lambda:eu-west-1:1', "application/json", "cut off"),
}


@pytest.fixture
def pair(direct: Any, cli: Cli) -> None:
    """bad and good: versions 1-2, live -> 1; the manifests move live to 2."""
    for name in (BAD, GOOD):
        seed_function(direct, name, 2)
        direct.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
        write(cli, name)


def write(cli: Cli, name: str, extra: str = "") -> None:
    cli.write(
        f"{name}.yaml",
        f"function: {name}\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n{extra}",
    )


def run(cli: Cli, *argv: str) -> tuple[int, dict[str, Any], str]:
    """(exit code, the JSON document, stderr)."""
    proc = cli.run(*argv, str(cli.folder), "--format", "json")
    try:
        doc: dict[str, Any] = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError(f"not one JSON document:\n{proc.stdout}\n{proc.stderr}") from exc
    jsonschema.validate(doc, load_schema("plan"))
    return proc.returncode, doc, proc.stderr


def bad_message(doc: dict[str, Any]) -> str:
    """The one error of the plan: bad's."""
    (error,) = doc["errors"]
    assert (error["function"], error["kind"]) == (BAD, "aws_error"), error
    message: str = error["message"]
    return message


def good_planned(doc: dict[str, Any]) -> bool:
    return [(c["function"], c["action"]) for c in doc["changes"]] == [(GOOD, "update_alias")]


def alias_version(direct: Any, name: str) -> str:
    return str(direct.get_alias(FunctionName=name, Name="live")["FunctionVersion"])


@pytest.mark.parametrize("case", list(LIST_ALIASES))
def test_an_unreadable_list_aliases_fails_that_function_only(
    case: str, pair: None, cli: Cli, fidelity_proxy: FidelityProxy
) -> None:
    body, kind, says = LIST_ALIASES[case]
    fidelity_proxy.answer_next("ListAliases", body, count=99, function=BAD, content_type=kind)
    code, doc, stderr = run(cli, "plan")
    assert code == 1 and doc["failure_reason"] == "plan-error"
    message = bad_message(doc)
    assert message.startswith(f"ListAliases on {BAD} failed: AWS answered")
    assert says in message and TODO in message, message
    assert good_planned(doc), doc["changes"]
    assert "Traceback" not in stderr, stderr
    # Retried, then given up: a persistent bad answer costs a few calls, not ten.
    assert fidelity_proxy.calls_for(BAD)["ListAliases"] == UNREADABLE_ATTEMPTS


@pytest.mark.parametrize(
    ("case", "shown"),
    [
        ("not-json", ["UnreadableAnswer: the body is not JSON (text/html", "began b'<html>"]),
        ("bad-weight", ["botocore/parsers.py", "ValueError: could not convert string to float"]),
    ],
)
def test_verbose_shows_the_cause_and_its_traceback(
    case: str, shown: list[str], pair: None, cli: Cli, fidelity_proxy: FidelityProxy
) -> None:
    body, kind, says = LIST_ALIASES[case]
    fidelity_proxy.answer_next("ListAliases", body, count=99, function=BAD, content_type=kind)
    code, doc, stderr = run(cli, "plan", "--verbose")
    assert code == 1 and says in bad_message(doc)
    assert "Traceback (most recent call last)" in stderr
    assert all(text in stderr for text in shown), stderr


def test_one_unreadable_answer_is_retried_and_the_run_succeeds(
    pair: None, cli: Cli, fidelity_proxy: FidelityProxy
) -> None:
    body, kind, _ = LIST_ALIASES["truncated"]
    fidelity_proxy.answer_next("ListAliases", body, count=1, function=BAD, content_type=kind)
    code, doc, stderr = run(cli, "plan", "--detailed-exitcode")
    assert code == 2 and doc["errors"] == []
    assert {c["function"] for c in doc["changes"]} == {BAD, GOOD}
    assert doc["stats"]["retries"].get("ListAliases") == 1
    assert stderr == ""


@pytest.mark.parametrize("case", list(UPDATE_ALIAS))
def test_an_unreadable_update_alias_fails_that_function_only(
    case: str, pair: None, cli: Cli, direct: Any, fidelity_proxy: FidelityProxy
) -> None:
    body, kind, says = UPDATE_ALIAS[case]
    fidelity_proxy.answer_next("UpdateAlias", body, count=99, function=BAD, content_type=kind)
    code, doc, stderr = run(cli, "apply", "--auto-approve")
    assert code == 1 and doc["failure_reason"] == "apply-failed"
    outcomes = {f["function"]: f for f in doc["functions"]}
    assert outcomes[GOOD]["status"] == "changed"
    assert outcomes[BAD]["status"] == "failed"
    reason = outcomes[BAD]["reason"]
    assert reason.startswith(f"UpdateAlias on {BAD}:live failed: AWS answered HTTP 200, but")
    assert says in reason and TODO in reason, reason
    assert "may or may not have been made" in reason
    assert "Traceback" not in stderr, stderr
    assert (alias_version(direct, GOOD), alias_version(direct, BAD)) == ("2", "1")


def test_a_change_made_whose_answer_was_garbled_converges(
    pair: None, cli: Cli, direct: Any, fidelity_proxy: FidelityProxy
) -> None:
    """The alias moved, its answer cut off: the retry meets the new RevisionId (412)
    and the apply recovers as from a lost reply."""
    body, kind, _ = UPDATE_ALIAS["truncated"]
    fidelity_proxy.answer_next(
        "UpdateAlias", body, count=1, function=BAD, content_type=kind, forward=True
    )
    code, doc, stderr = run(cli, "apply", "--auto-approve")
    assert code == 0, doc
    updates = [
        (r.status, r.fault)
        for r in fidelity_proxy.requests
        if (r.op, r.function) == ("UpdateAlias", BAD)
    ]
    assert updates == [(200, "garble"), (412, None)]
    assert (alias_version(direct, GOOD), alias_version(direct, BAD)) == ("2", "2")
    assert "Traceback" not in stderr, stderr
    code, again, _ = run(cli, "plan", "--detailed-exitcode")
    assert code == 0 and again["changes"] == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'[{"Policy": "{}"}]', "answer is a list, not an object"),
        (b'{"Policy": "{\\"Statement', "cut off"),
        (b"<html></html>", "is not JSON"),
    ],
    ids=["json-list", "truncated", "not-json"],
)
def test_an_unreadable_get_policy_fails_that_function_only(
    body: bytes, says: str, pair: None, cli: Cli, fidelity_proxy: FidelityProxy
) -> None:
    write(cli, BAD, PERMISSION)
    fidelity_proxy.answer_next("GetPolicy", body, count=99, function=BAD)
    code, doc, stderr = run(cli, "plan")
    assert code == 1
    message = bad_message(doc)
    assert message.startswith(f"GetPolicy on {BAD}:live failed: AWS answered HTTP 200, but")
    assert says in message and TODO in message, message
    assert good_planned(doc), doc["changes"]
    assert "Traceback" not in stderr, stderr


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"EventSourceMappings": "x"}', "EventSourceMappings is a string, not a list"),
        (b'{"EventSourceMappings": [[]]}', "EventSourceMappings[0] is a list, not an object"),
        # A timestamp botocore cannot read: raised inside its parser.
        (
            b'{"EventSourceMappings": [{"UUID": "u", "LastModified": "yesterday"}]}',
            "botocore could not parse it (ValueError: Invalid timestamp",
        ),
    ],
    ids=["mappings-string", "mapping-list", "bad-timestamp"],
)
def test_an_unreadable_list_event_source_mappings_fails_that_function_only(
    body: bytes, says: str, pair: None, cli: Cli, queue: str, fidelity_proxy: FidelityProxy
) -> None:
    write(cli, BAD, f"    event_sources:\n      - source: {queue}\n        batch_size: 10\n")
    fidelity_proxy.answer_next("ListEventSourceMappings", body, count=99, function=BAD)
    code, doc, stderr = run(cli, "plan")
    assert code == 1
    message = bad_message(doc)
    assert message.startswith(f"ListEventSourceMappings on {BAD} failed: AWS answered")
    assert says in message and TODO in message, message
    assert good_planned(doc), doc["changes"]
    assert "Traceback" not in stderr, stderr


# -- end to end: readable JSON of the right kinds, without what an alias has -----------
INCOMPLETE = {
    "no-name": b'{"Aliases": [{"FunctionVersion": "1"}]}',
    "empty-alias": b'{"Aliases": [{}]}',
    "version-not-a-number": b'{"Aliases": [{"Name": "live", "FunctionVersion": "one"}]}',
    "name-an-object": b'{"Aliases": [{"Name": {"a": 1}, "FunctionVersion": "1"}]}',
    "weight-above-one": (
        b'{"Aliases": [{"Name": "live", "FunctionVersion": "1",'
        b' "RoutingConfig": {"AdditionalVersionWeights": {"2": 7.5}}}]}'
    ),
}


@pytest.mark.parametrize("case", list(INCOMPLETE))
def test_an_incomplete_list_aliases_fails_that_function_only(
    case: str, pair: None, cli: Cli, fidelity_proxy: FidelityProxy
) -> None:
    fidelity_proxy.answer_next("ListAliases", INCOMPLETE[case], count=99, function=BAD)
    code, doc, stderr = run(cli, "plan")
    assert code == 1 and doc["failure_reason"] == "plan-error"
    message = bad_message(doc)
    assert message.startswith(f"ListAliases on {BAD} failed: AWS answered HTTP 200, but")
    assert TODO in message, message
    assert good_planned(doc), doc["changes"]
    assert "Traceback" not in stderr and "internal error" not in message, stderr
    # Readable, so not retried: the same answer would come back.
    assert fidelity_proxy.calls_for(BAD)["ListAliases"] == 1


def test_an_incomplete_update_alias_answer_says_the_change_may_have_been_made(
    pair: None, cli: Cli, fidelity_proxy: FidelityProxy
) -> None:
    fidelity_proxy.answer_next("UpdateAlias", b"{}", count=99, function=BAD, forward=True)
    code, doc, stderr = run(cli, "apply", "--auto-approve")
    assert code == 1 and doc["failure_reason"] == "apply-failed"
    outcomes = {f["function"]: f for f in doc["functions"]}
    assert outcomes[GOOD]["status"] == "changed"
    reason = outcomes[BAD]["reason"]
    assert reason.startswith(f"UpdateAlias on {BAD}:live failed: AWS answered HTTP 200, but")
    assert "an alias has the Name None" in reason and "may or may not have been made" in reason
    assert "Traceback" not in stderr, stderr
    # It was made (the proxy forwarded it); the next plan sees where it stands.
    code, again, _ = run(cli, "plan", "--detailed-exitcode")
    assert code == 0 and again["changes"] == [], again
