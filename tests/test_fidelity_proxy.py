"""The AWS-fidelity proxy, exercised through real boto3 clients with retries disabled."""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError, HTTPClientError

from tests.support.fidelity_proxy import FaultPlan, FidelityProxy
from tests.support.moto_server import (
    MotoServer,
    aws_client,
    create_function,
    lambda_client,
    make_zip,
    publish,
    seed_function,
    wait_updated,
)

AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20240101/eu-west-1/lambda/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response: dict[str, Any] = excinfo.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return status, response["Error"]["Code"], response["Error"]["Message"]


def raw(url: str, method: str, path: str, body: bytes | None = None, **headers: str) -> Any:
    """A hand-made signed-looking request, for wire details boto3 cannot produce."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers={"Authorization": AUTH, **headers})
        response = conn.getresponse()
        return response.status, response.getheader("x-amzn-ErrorType"), response.read()
    finally:
        conn.close()


@pytest.fixture
def direct(moto: MotoServer) -> Any:
    return lambda_client(moto.url)


@pytest.fixture
def client(fidelity_proxy: FidelityProxy) -> Any:
    return lambda_client(fidelity_proxy.url)


@pytest.fixture
def fn(direct: Any) -> str:
    """Function "fn" with versions 1, 2 and 3."""
    seed_function(direct, "fn", 3)
    return "fn"


# -- revision ids ---------------------------------------------------------------------------


def test_alias_revision_ids_change_and_stale_ones_are_refused(
    client: Any, direct: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    created = client.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    first = client.get_alias(FunctionName=fn, Name="live")
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert first["RevisionId"] == created["RevisionId"] == fidelity_proxy.revision_id(fn, "live")

    updated = client.update_alias(
        FunctionName=fn, Name="live", FunctionVersion="2", RevisionId=first["RevisionId"]
    )
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert updated["RevisionId"] != first["RevisionId"]
    listed = client.list_aliases(FunctionName=fn)["Aliases"]
    assert [a["RevisionId"] for a in listed] == [updated["RevisionId"]]

    with pytest.raises(ClientError) as excinfo:
        client.update_alias(
            FunctionName=fn, Name="live", FunctionVersion="3", RevisionId=first["RevisionId"]
        )
    status, code, message = error_of(excinfo)
    assert (status, code) == (412, "PreconditionFailedException")
    assert "does not match the latest Revision Id" in message
    assert direct.get_alias(FunctionName=fn, Name="live")["FunctionVersion"] == "2"

    # Out-of-band changes (the "console"), through the proxy without a RevisionId or
    # straight to moto behind the proxy's back: either way the old id goes stale.
    for n, console in enumerate((client, direct)):
        revision = client.get_alias(FunctionName=fn, Name="live")["RevisionId"]
        console.update_alias(FunctionName=fn, Name="live", Description=f"hotfix {n}")
        with pytest.raises(ClientError) as excinfo:
            client.update_alias(
                FunctionName=fn, Name="live", FunctionVersion="3", RevisionId=revision
            )
        assert error_of(excinfo)[1] == "PreconditionFailedException"
    current = client.get_alias(FunctionName=fn, Name="live")["RevisionId"]
    assert client.get_alias(FunctionName=fn, Name="live")["RevisionId"] == current


def test_function_revision_id_guards_publish_and_updates(client: Any, direct: Any, fn: str) -> None:
    before = client.get_function_configuration(FunctionName=fn)["RevisionId"]
    assert client.get_function(FunctionName=fn)["Configuration"]["RevisionId"] == before
    versions = client.list_versions_by_function(FunctionName=fn)["Versions"]
    assert versions[0]["Version"] == "$LATEST" and versions[0]["RevisionId"] == before
    assert all(v["RevisionId"] for v in versions)

    after = client.update_function_configuration(FunctionName=fn, Description="x")["RevisionId"]
    assert after != before
    wait_updated(client, fn)
    for call in (
        lambda: client.publish_version(FunctionName=fn, RevisionId=before),
        lambda: client.update_function_code(
            FunctionName=fn, ZipFile=make_zip("y"), RevisionId=before
        ),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo)[:2] == (412, "PreconditionFailedException")
    published = client.publish_version(FunctionName=fn, RevisionId=after)
    assert published["Version"] == "4"
    latest = client.get_function_configuration(FunctionName=fn)["RevisionId"]
    assert latest != after
    direct.update_function_configuration(FunctionName=fn, Timeout=7)  # behind the proxy's back
    assert client.get_function(FunctionName=fn)["Configuration"]["RevisionId"] != latest


def test_delete_alias_takes_no_revision_id_and_missing_aliases_are_no_error(
    client: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    # API reference, DeleteAlias: no RevisionId parameter, no PreconditionFailedException,
    # no ResourceNotFoundException among its errors.
    client.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    path = f"/2015-03-31/functions/{fn}/aliases/live"
    assert raw(fidelity_proxy.url, "DELETE", f"{path}?RevisionId=stale")[0] == 204
    with pytest.raises(ClientError) as excinfo:
        client.get_alias(FunctionName=fn, Name="live")
    assert error_of(excinfo)[:2] == (404, "ResourceNotFoundException")
    client.delete_alias(FunctionName=fn, Name="live")  # already gone: 204, as documented


# -- publishing -----------------------------------------------------------------------------


def test_publish_with_a_different_code_sha_is_refused(client: Any, fn: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.publish_version(FunctionName=fn, CodeSha256="bogus")
    status, code, message = error_of(excinfo)
    assert (status, code) == (400, "InvalidParameterValueException")
    assert message.startswith("CodeSHA256 (bogus) is different from current CodeSHA256")
    sha = client.get_function_configuration(FunctionName=fn)["CodeSha256"]
    client.update_function_code(FunctionName=fn, ZipFile=make_zip("new"))
    wait_updated(client, fn)
    with pytest.raises(ClientError):
        client.publish_version(FunctionName=fn, CodeSha256=sha)
    new_sha = client.get_function_configuration(FunctionName=fn)["CodeSha256"]
    assert client.publish_version(FunctionName=fn, CodeSha256=new_sha)["Version"] == "4"


def test_publish_without_changes_returns_the_existing_version(
    client: Any, direct: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    version = publish(client, fn, "new code")
    assert version == "4"
    fidelity_proxy.drop_next("PublishVersion", forward=True)
    with pytest.raises(HTTPClientError):
        client.publish_version(FunctionName=fn)  # nothing changed: no new version
    again = client.publish_version(FunctionName=fn)
    assert again["Version"] == "4" and again["ResponseMetadata"]["HTTPStatusCode"] == 201
    client.update_function_configuration(FunctionName=fn, MemorySize=256)
    wait_updated(client, fn)
    assert client.publish_version(FunctionName=fn)["Version"] == "5"
    direct.update_function_code(FunctionName=fn, ZipFile=make_zip("behind its back"))
    assert client.publish_version(FunctionName=fn)["Version"] == "6"


def test_deleted_versions_stay_gone_and_numbers_are_never_reused(client: Any, fn: str) -> None:
    client.delete_function(FunctionName=fn, Qualifier="2")
    versions = [v["Version"] for v in client.list_versions_by_function(FunctionName=fn)["Versions"]]
    assert versions == ["$LATEST", "1", "3"]
    with pytest.raises(ClientError) as excinfo:
        client.get_function_configuration(FunctionName=fn, Qualifier="2")
    assert error_of(excinfo)[:2] == (404, "ResourceNotFoundException")
    with pytest.raises(ClientError):
        client.delete_function(FunctionName=fn, Qualifier="2")
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(FunctionName=fn, Name="old", FunctionVersion="2")
    assert error_of(excinfo)[:2] == (404, "ResourceNotFoundException")
    assert publish(client, fn, "fresh") == "4"
    # Unchanged since 4, but 4 is gone: moto would hand 4 back; AWS makes a new version.
    client.delete_function(FunctionName=fn, Qualifier="4")
    assert client.publish_version(FunctionName=fn)["Version"] == "5"
    assert [
        v["Version"] for v in client.list_versions_by_function(FunctionName=fn)["Versions"]
    ] == [
        "$LATEST",
        "1",
        "3",
        "5",
    ]


def test_deleting_a_version_an_alias_uses_is_refused(client: Any, fn: str) -> None:
    client.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    client.create_alias(
        FunctionName=fn,
        Name="canary",
        FunctionVersion="3",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
    )
    for version, alias in (("1", "live"), ("2", "canary"), ("3", "canary")):
        with pytest.raises(ClientError) as excinfo:
            client.delete_function(FunctionName=fn, Qualifier=version)
        status, code, message = error_of(excinfo)
        assert (status, code) == (409, "ResourceConflictException")
        assert alias in message
    with pytest.raises(ClientError) as excinfo:
        client.delete_function(FunctionName=fn, Qualifier="$LATEST")
    assert error_of(excinfo)[1] == "InvalidParameterValueException"


# -- paging ---------------------------------------------------------------------------------


def test_versions_are_paged_at_fifty(client: Any, direct: Any) -> None:
    seed_function(direct, "big", 120)
    pages, marker = [], None
    while True:
        kwargs = {"Marker": marker} if marker else {}
        page = client.list_versions_by_function(FunctionName="big", MaxItems=500, **kwargs)
        pages.append([v["Version"] for v in page["Versions"]])
        marker = page.get("NextMarker")
        if not marker:
            break
    assert [len(p) for p in pages] == [50, 50, 21]
    assert [v for page in pages for v in page] == ["$LATEST"] + [str(n) for n in range(1, 121)]
    paginator = client.get_paginator("list_versions_by_function")
    config = {"PageSize": 7, "MaxItems": 14}
    small = list(paginator.paginate(FunctionName="big", PaginationConfig=config))
    assert [[v["Version"] for v in p["Versions"]] for p in small] == [
        ["$LATEST", "1", "2", "3", "4", "5", "6"],
        ["7", "8", "9", "10", "11", "12", "13"],
    ]
    with pytest.raises(ClientError) as excinfo:
        client.list_versions_by_function(FunctionName="big", Marker="not-a-marker")
    assert error_of(excinfo)[:2] == (400, "InvalidParameterValueException")


def test_aliases_are_paged_at_fifty(client: Any, direct: Any, fn: str) -> None:
    for n in range(60):
        direct.create_alias(FunctionName=fn, Name=f"a{n:02d}", FunctionVersion="1")
    first = client.list_aliases(FunctionName=fn)
    assert len(first["Aliases"]) == 50 and first["NextMarker"]
    second = client.list_aliases(FunctionName=fn, Marker=first["NextMarker"])
    assert len(second["Aliases"]) == 10 and "NextMarker" not in second
    names = [a["Name"] for a in first["Aliases"] + second["Aliases"]]
    assert names == [f"a{n:02d}" for n in range(60)]
    assert len(client.list_aliases(FunctionName=fn, MaxItems=3)["Aliases"]) == 3


def test_listing_versions_of_a_missing_function_is_not_found(client: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.list_versions_by_function(FunctionName="missing")
    assert error_of(excinfo)[:2] == (404, "ResourceNotFoundException")


def test_function_arns_work_as_names(client: Any, fn: str) -> None:
    arn = client.get_function_configuration(FunctionName=fn)["FunctionArn"]
    client.create_alias(FunctionName=arn, Name="live", FunctionVersion="1")
    assert [a["Name"] for a in client.list_aliases(FunctionName=arn)["Aliases"]] == ["live"]
    assert len(client.list_versions_by_function(FunctionName=arn)["Versions"]) == 4
    assert client.get_function_configuration(FunctionName=f"{arn}:live")["Version"] == "1"


# -- validation -----------------------------------------------------------------------------

INVALID_ROUTING = [
    ("weight above 1", "1", {"2": 1.5}, "InvalidParameterValueException"),
    ("negative weight", "1", {"2": -0.1}, "InvalidParameterValueException"),
    ("two extra versions", "1", {"2": 0.1, "3": 0.1}, "InvalidParameterValueException"),
    ("$LATEST as extra", "1", {"$LATEST": 0.1}, "InvalidParameterValueException"),
    ("$LATEST as primary", "$LATEST", {"2": 0.1}, "InvalidParameterValueException"),
    ("primary as extra", "2", {"2": 0.1}, "InvalidParameterValueException"),
    ("missing extra", "1", {"9": 0.1}, "InvalidParameterValueException"),
    ("missing primary", "9", {}, "ResourceNotFoundException"),
]


def test_invalid_routing_is_refused(fidelity_proxy: FidelityProxy, fn: str) -> None:
    # Client-side validation would catch some of these before they reach the wire.
    unchecked = lambda_client(fidelity_proxy.url, parameter_validation=False)
    unchecked.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    for case, primary, weights, code in INVALID_ROUTING:
        routing = {"AdditionalVersionWeights": weights}
        for call in (unchecked.create_alias, unchecked.update_alias):
            name = "live" if call == unchecked.update_alias else "new"
            with pytest.raises(ClientError) as excinfo:
                call(FunctionName=fn, Name=name, FunctionVersion=primary, RoutingConfig=routing)
            assert error_of(excinfo)[1] == code, (case, name)
    assert fidelity_proxy.calls["UpdateAlias"] == len(INVALID_ROUTING)
    assert unchecked.get_alias(FunctionName=fn, Name="live")["FunctionVersion"] == "1"


def test_update_alias_checks_the_resulting_routing(client: Any, fn: str) -> None:
    client.create_alias(
        FunctionName=fn,
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    with pytest.raises(ClientError) as excinfo:
        client.update_alias(FunctionName=fn, Name="live", FunctionVersion="2")
    assert "already included" in error_of(excinfo)[2]
    client.update_alias(FunctionName=fn, Name="live", FunctionVersion="3")


def test_bad_alias_names_and_descriptions_fail_validation(client: Any, fn: str) -> None:
    for name, description in [("123", ""), ("bad.name", ""), ("a" * 129, ""), ("ok", "d" * 257)]:
        with pytest.raises(ClientError) as excinfo:
            client.create_alias(
                FunctionName=fn, Name=name, FunctionVersion="1", Description=description
            )
        assert error_of(excinfo)[:2] == (400, "ValidationException"), name


def test_duplicate_alias_is_a_resource_conflict(client: Any, fn: str) -> None:
    client.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    with pytest.raises(ClientError) as excinfo:
        client.create_alias(FunctionName=fn, Name="live", FunctionVersion="2")
    status, code, message = error_of(excinfo)
    assert (status, code) == (409, "ResourceConflictException")
    assert message.startswith("Alias already exists: arn:aws:lambda:")


# -- update-in-progress window ----------------------------------------------------------------


def test_updates_leave_the_function_in_progress_for_a_while(
    client: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    fidelity_proxy.in_progress_seconds = 30.0  # ended by hand below: no timing races
    response = client.update_function_code(FunctionName=fn, ZipFile=make_zip("v4"))
    assert response["LastUpdateStatus"] == "InProgress"
    config = client.get_function(FunctionName=fn)["Configuration"]
    assert config["LastUpdateStatus"] == "InProgress" and config["LastUpdateStatusReason"]
    for call in (
        lambda: client.publish_version(FunctionName=fn),
        lambda: client.update_function_code(FunctionName=fn, ZipFile=make_zip("v5")),
        lambda: client.update_function_configuration(FunctionName=fn, Timeout=9),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        status, code, message = error_of(excinfo)
        assert (status, code) == (409, "ResourceConflictException")
        assert "An update is in progress for resource: arn:aws:lambda:" in message
    version_1 = client.get_function_configuration(FunctionName=fn, Qualifier="1")
    assert version_1["LastUpdateStatus"] == "Successful"

    fidelity_proxy.set_in_progress(fn, 0)
    assert client.get_function_configuration(FunctionName=fn)["LastUpdateStatus"] == "Successful"
    assert client.publish_version(FunctionName=fn)["Version"] == "4"

    fidelity_proxy.in_progress_seconds = 0.2
    client.update_function_configuration(FunctionName=fn, Timeout=9)
    time.sleep(0.25)
    assert client.get_function(FunctionName=fn)["Configuration"]["LastUpdateStatus"] == (
        "Successful"
    )
    client.update_function_configuration(FunctionName=fn, Timeout=10)


# -- counting -------------------------------------------------------------------------------


def test_calls_are_counted_per_operation_and_function(
    client: Any, direct: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    seed_function(direct, "other", 1)
    client.list_aliases(FunctionName=fn)
    client.list_aliases(FunctionName="other")
    client.get_function_configuration(FunctionName=fn)
    client.list_versions_by_function(FunctionName=fn)
    with pytest.raises(ClientError):
        client.get_alias(FunctionName=fn, Name="missing")
    assert fidelity_proxy.calls == {
        "ListAliases": 2,
        "GetFunctionConfiguration": 1,
        "ListVersionsByFunction": 1,
        "GetAlias": 1,
    }
    arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{fn}"
    assert fidelity_proxy.calls_for(arn)["ListAliases"] == 1
    assert sum(fidelity_proxy.calls_for("other").values()) == 1
    log = fidelity_proxy.requests
    assert [(r.op, r.status) for r in log][-1] == ("GetAlias", 404)
    assert log[0].method == "GET" and log[0].path == f"/2015-03-31/functions/{fn}/aliases"
    fidelity_proxy.reset_counts()
    assert not fidelity_proxy.calls and not fidelity_proxy.requests


# -- faults ---------------------------------------------------------------------------------


def test_throttle_has_the_aws_shape(client: Any, fn: str, fidelity_proxy: FidelityProxy) -> None:
    fidelity_proxy.faults = FaultPlan(throttle=1.0, retry_after=1)
    with pytest.raises(ClientError) as excinfo:
        client.get_alias(FunctionName=fn, Name="live")
    assert error_of(excinfo) == (429, "TooManyRequestsException", "Rate exceeded")
    response = excinfo.value.response
    assert response["retryAfterSeconds"] == "1"
    assert response["Reason"] == "CallerRateLimitExceeded"
    assert fidelity_proxy.requests[-1].fault == "throttle"


def test_unavailable_is_a_503_service_exception(
    client: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    fidelity_proxy.faults = FaultPlan(unavailable=1.0)
    with pytest.raises(ClientError) as excinfo:
        client.list_aliases(FunctionName=fn)
    assert error_of(excinfo)[:2] == (503, "ServiceException")


def test_dropped_requests_are_not_forwarded(
    client: Any, direct: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    fidelity_proxy.faults = FaultPlan(drop=1.0)
    with pytest.raises(HTTPClientError):
        client.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    assert direct.list_aliases(FunctionName=fn)["Aliases"] == []
    assert fidelity_proxy.requests[-1].status is None


def test_lost_replies_are_forwarded(
    client: Any, direct: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    fidelity_proxy.faults = FaultPlan(lost_reply=1.0, ops={"CreateAlias"})
    with pytest.raises(HTTPClientError):
        client.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    assert direct.get_alias(FunctionName=fn, Name="live")["FunctionVersion"] == "1"
    alias = client.get_alias(FunctionName=fn, Name="live")  # other ops are unaffected
    assert alias["RevisionId"] == fidelity_proxy.revision_id(fn, "live")
    record = fidelity_proxy.requests[-2]
    assert (record.op, record.status, record.fault) == ("CreateAlias", 201, "lost_reply")


def test_faults_are_deterministic_for_a_seed(moto: MotoServer, fn: str) -> None:
    outcomes = []
    for _ in range(2):
        with FidelityProxy(moto.url, seed=7) as proxy:
            proxy.faults = FaultPlan(throttle=0.3, unavailable=0.3)
            client = lambda_client(proxy.url)
            run = []
            for _ in range(20):
                try:
                    client.list_aliases(FunctionName=fn)
                    run.append(200)
                except ClientError as error:
                    run.append(error.response["ResponseMetadata"]["HTTPStatusCode"])
            outcomes.append(run)
    assert outcomes[0] == outcomes[1]
    assert {200, 429, 503} <= set(outcomes[0])


def test_fail_next_and_drop_next_hit_exactly_the_named_calls(
    client: Any, direct: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    fidelity_proxy.fail_next("UpdateAlias", 500, "ServiceException", "boom", count=2, function=fn)
    client.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            client.update_alias(FunctionName=fn, Name="live", FunctionVersion="2")
        assert error_of(excinfo) == (500, "ServiceException", "boom")
    client.update_alias(FunctionName=fn, Name="live", FunctionVersion="2")
    fidelity_proxy.drop_next("UpdateAlias")
    with pytest.raises(HTTPClientError):
        client.update_alias(FunctionName=fn, Name="live", FunctionVersion="3")
    assert direct.get_alias(FunctionName=fn, Name="live")["FunctionVersion"] == "2"


def test_rate_limit_throttles_above_the_rate(
    client: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    rate, burst, seconds = 25.0, 5.0, 1.0
    fidelity_proxy.rate_limit(rate, burst=burst)
    statuses: list[int] = []

    def hammer() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                client.get_function_configuration(FunctionName=fn)
                statuses.append(200)
            except ClientError as error:
                statuses.append(error.response["ResponseMetadata"]["HTTPStatusCode"])

    workers = [threading.Thread(target=hammer) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert statuses.count(429) > 0
    accepted = fidelity_proxy.accepted_times()
    assert statuses.count(200) == len(accepted)
    assert len(accepted) <= burst + rate * (accepted[-1] - accepted[0]) + 1
    assert client.get_function(FunctionName=fn)  # GetFunction is not rate limited
    fidelity_proxy.rate_limit(None)
    client.get_function_configuration(FunctionName=fn)


def test_on_request_runs_before_forwarding(
    client: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    client.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    revision = client.get_alias(FunctionName=fn, Name="live")["RevisionId"]
    seen: list[tuple[str, str | None, str | None]] = []

    def console_change(op: str, function: str | None, alias: str | None) -> None:
        seen.append((op, function, alias))
        if op == "UpdateAlias" and len(seen) == 1:
            lambda_client(fidelity_proxy.url).update_alias(
                FunctionName=fn, Name="live", FunctionVersion="3"
            )

    fidelity_proxy.on_request(console_change)
    with pytest.raises(ClientError) as excinfo:
        client.update_alias(FunctionName=fn, Name="live", FunctionVersion="2", RevisionId=revision)
    assert error_of(excinfo)[1] == "PreconditionFailedException"
    assert seen == [("UpdateAlias", fn, "live"), ("UpdateAlias", fn, "live")]
    assert not fidelity_proxy.errors


# -- provisioned concurrency ----------------------------------------------------------------


def test_provisioned_concurrency_lifecycle(
    client: Any, fn: str, fidelity_proxy: FidelityProxy
) -> None:
    fidelity_proxy.pc_ready_seconds = 0.8  # room for a slow machine to see IN_PROGRESS
    client.create_alias(FunctionName=fn, Name="live", FunctionVersion="2")
    put = client.put_provisioned_concurrency_config(
        FunctionName=fn, Qualifier="live", ProvisionedConcurrentExecutions=5
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["Status"] == "IN_PROGRESS" and put["RequestedProvisionedConcurrentExecutions"] == 5
    client.put_provisioned_concurrency_config(
        FunctionName=fn, Qualifier="3", ProvisionedConcurrentExecutions=1
    )
    got = client.get_provisioned_concurrency_config(FunctionName=fn, Qualifier="live")
    assert got["Status"] == "IN_PROGRESS" and got["AllocatedProvisionedConcurrentExecutions"] == 0
    time.sleep(fidelity_proxy.pc_ready_seconds + 0.05)
    got = client.get_provisioned_concurrency_config(FunctionName=fn, Qualifier="live")
    assert got["Status"] == "READY" and got["AvailableProvisionedConcurrentExecutions"] == 5
    assert got["LastModified"]
    listed = client.list_provisioned_concurrency_configs(FunctionName=fn)
    arns = sorted(c["FunctionArn"] for c in listed["ProvisionedConcurrencyConfigs"])
    assert [arn.rsplit(":", 1)[1] for arn in arns] == ["3", "live"]

    # AWS lets an alias with provisioned concurrency take weights (a canary or linear
    # shift); only putting a configuration on a weighted alias is refused (see below).
    client.update_alias(
        FunctionName=fn, Name="live", RoutingConfig={"AdditionalVersionWeights": {"3": 0.1}}
    )
    got = client.get_provisioned_concurrency_config(FunctionName=fn, Qualifier="live")
    assert got["RequestedProvisionedConcurrentExecutions"] == 5
    with pytest.raises(ClientError) as excinfo:
        client.put_provisioned_concurrency_config(
            FunctionName=fn, Qualifier="live", ProvisionedConcurrentExecutions=6
        )
    status, code, message = error_of(excinfo)
    assert (status, code) == (400, "InvalidParameterValueException")
    assert "Provisioned Concurrency" in message

    client.delete_provisioned_concurrency_config(FunctionName=fn, Qualifier="live")
    with pytest.raises(ClientError) as excinfo:
        client.get_provisioned_concurrency_config(FunctionName=fn, Qualifier="live")
    assert error_of(excinfo)[:2] == (404, "ProvisionedConcurrencyConfigNotFoundException")
    assert fidelity_proxy.calls["ListProvisionedConcurrencyConfigs"] == 1


def test_provisioned_concurrency_rejections(client: Any, fn: str) -> None:
    client.create_alias(
        FunctionName=fn,
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
    )
    cases = [
        ("$LATEST", 400, "InvalidParameterValueException"),
        ("canary", 400, "InvalidParameterValueException"),
        ("nope", 404, "ResourceNotFoundException"),
        ("9", 404, "ResourceNotFoundException"),
    ]
    for qualifier, status, code in cases:
        with pytest.raises(ClientError) as excinfo:
            client.put_provisioned_concurrency_config(
                FunctionName=fn, Qualifier=qualifier, ProvisionedConcurrentExecutions=1
            )
        assert error_of(excinfo)[:2] == (status, code), qualifier
    with pytest.raises(ClientError) as excinfo:
        client.list_provisioned_concurrency_configs(FunctionName="missing")
    assert error_of(excinfo)[:2] == (404, "ResourceNotFoundException")


# -- HTTP plumbing --------------------------------------------------------------------------


def test_non_lambda_calls_pass_through(fidelity_proxy: FidelityProxy) -> None:
    sts = aws_client("sts", fidelity_proxy.url)
    assert sts.get_caller_identity()["Account"] == "123456789012"
    assert fidelity_proxy.calls == {"other": 1}


def test_chunked_request_bodies_are_read(fidelity_proxy: FidelityProxy, fn: str) -> None:
    doc = json.dumps({"Name": "live", "FunctionVersion": "1"}).encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(doc), doc)
    path = f"/2015-03-31/functions/{fn}/aliases"
    status, _, body = raw(
        fidelity_proxy.url, "POST", path, chunked, **{"Transfer-Encoding": "chunked"}
    )
    assert status == 201 and json.loads(body)["Name"] == "live"


def test_stop_leaves_no_thread_behind(moto: MotoServer) -> None:
    before = set(threading.enumerate())
    proxy = FidelityProxy(moto.url)
    client = lambda_client(proxy.url)
    create_function(lambda_client(moto.url), "f", "code")
    for _ in range(5):
        client.list_aliases(FunctionName="f")
    proxy.stop()
    proxy.stop()
    assert set(threading.enumerate()) <= before
