"""Readable answers without what the operation always returns (an alias without
its Name, a version that is not a number, a weight that is not one): the shape
parsers of reconciler.aws.shapes are total, and the gateway turns what they
refuse into a MalformedResponseError on the call's function (end to end: the
last tests of test_malformed_answers)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.aws.shapes import (
    UnexpectedShape,
    account_from,
    alias_from,
    provisioned_from,
    provisioned_list_from,
    version_from,
)

ALIAS = {"Name": "live", "FunctionVersion": "3", "AliasArn": "arn", "RevisionId": "r"}

BAD_ALIASES: list[tuple[Any, str]] = [
    ([], "an alias is list, not an object"),
    ({}, "an alias has the Name None"),
    ({**ALIAS, "Name": ""}, "an alias has the Name ''"),
    ({**ALIAS, "Name": {"x": 1}}, "an alias has the Name {'x': 1}"),
    ({"Name": "live"}, "alias 'live''s FunctionVersion None is not $LATEST or a number"),
    ({**ALIAS, "FunctionVersion": 3}, "FunctionVersion 3 is not"),
    ({**ALIAS, "FunctionVersion": "live"}, "FunctionVersion 'live' is not"),
    ({**ALIAS, "Description": 5}, "Description is int, not text"),
    ({**ALIAS, "RevisionId": ["r"]}, "RevisionId is list, not text"),
    ({**ALIAS, "RoutingConfig": []}, "RoutingConfig is list, not an object"),
    ({**ALIAS, "RoutingConfig": {"AdditionalVersionWeights": {"$LATEST": 0.5}}}, "not a version"),
    ({**ALIAS, "RoutingConfig": {"AdditionalVersionWeights": {"2": "0.5"}}}, "not a number"),
    ({**ALIAS, "RoutingConfig": {"AdditionalVersionWeights": {"2": True}}}, "not a number"),
    ({**ALIAS, "RoutingConfig": {"AdditionalVersionWeights": {"2": 1.5}}}, "not 0.0-1.0"),
    ({**ALIAS, "RoutingConfig": {"AdditionalVersionWeights": {"2": float("nan")}}}, "0.0-1.0"),
    ({"Name": "x" * 100, "FunctionVersion": None}, "x...'s FunctionVersion None"),  # shortened
]


@pytest.mark.parametrize(("data", "says"), BAD_ALIASES)
def test_alias_answers_without_what_an_alias_has_are_refused(data: Any, says: str) -> None:
    with pytest.raises(UnexpectedShape) as caught:
        alias_from(data)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 140


def test_a_complete_alias_parses_and_absent_optional_fields_are_empty() -> None:
    alias = alias_from({"Name": "live", "FunctionVersion": "$LATEST", "Description": None})
    assert (alias.name, alias.version, alias.weights, alias.description) == (
        "live",
        "$LATEST",
        (),
        "",
    )
    split = alias_from({**ALIAS, "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.1}}})
    assert split.weights == (("2", 0.1),)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ("x", "a function configuration is str"),
        ({"Version": 1}, "Version 1 is not"),
        ({"Version": None}, "Version None is not"),
        ({"Version": "1", "CodeSha256": 7}, "CodeSha256 is int"),
        ({"Version": "1", "DeadLetterConfig": "arn"}, "DeadLetterConfig is str"),
        ({"Version": "1", "State": {}}, "State is dict"),
    ],
)
def test_version_answers_are_checked_too(data: Any, says: str) -> None:
    with pytest.raises(UnexpectedShape) as caught:
        version_from(data)
    assert says in str(caught.value)


def test_latest_answers_without_a_version_field_are_latest() -> None:
    assert version_from({"CodeSha256": "abc"}).version == "$LATEST"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"RequestedProvisionedConcurrentExecutions": "5"}, "is not a count"),
        ({"RequestedProvisionedConcurrentExecutions": -1}, "is not a count"),
        ({"AllocatedProvisionedConcurrentExecutions": True}, "is not a count"),
        ({"Status": 1}, "Status is int"),
    ],
)
def test_provisioned_answers_are_checked(data: Any, says: str) -> None:
    with pytest.raises(UnexpectedShape) as caught:
        provisioned_from("live", data)
    assert says in str(caught.value)
    with pytest.raises(UnexpectedShape):
        provisioned_list_from([{**data, "FunctionArn": "arn:aws:lambda:r:1:function:f:live"}])


def test_a_listed_config_names_its_qualifier_by_its_arn() -> None:
    (config,) = provisioned_list_from(
        [{"FunctionArn": "arn:aws:lambda:r:1:function:f:live", "Status": "READY"}]
    )
    assert (config.qualifier, config.status, config.requested) == ("live", "READY", 0)
    with pytest.raises(UnexpectedShape):
        provisioned_list_from([None])


@pytest.mark.parametrize("identity", [{}, {"Account": 123456789012}, {"Account": "12"}, []])
def test_an_account_is_twelve_digits(identity: Any) -> None:
    with pytest.raises(UnexpectedShape):
        account_from(identity)
    assert account_from({"Account": "123456789012"}) == "123456789012"
