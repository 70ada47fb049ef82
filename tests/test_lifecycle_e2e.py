"""Version collection end to end: the real CLI against moto behind the fidelity proxy
(which hides deleted versions, refuses to delete a version an alias references,
emulates provisioned concurrency, alias function URLs and event source mappings
listed by function name, as AWS does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e import Cli, quartet
from tests.support.moto_server import aws_client, lambda_client, make_zip, seed_function, sha_of

ACCOUNT_ARN = "arn:aws:lambda:eu-west-1:123456789012:function"


@pytest.fixture
def client(fidelity_proxy) -> Any:
    """Through the proxy: what the tool sees (deleted versions hidden)."""
    return lambda_client(fidelity_proxy.url)


@pytest.fixture
def cli(fidelity_proxy, tmp_path: Path) -> Cli:
    return Cli(fidelity_proxy.url, tmp_path)


def versions(client: Any, name: str) -> list[str]:
    pages = client.get_paginator("list_versions_by_function").paginate(FunctionName=name)
    return [v["Version"] for p in pages for v in p["Versions"] if v["Version"] != "$LATEST"]


def test_every_kind_of_reference_keeps_its_version_with_the_reason(
    moto, direct, client, cli, fidelity_proxy
):
    seed_function(direct, "gc", 12)
    direct.create_alias(FunctionName="gc", Name="live", FunctionVersion="12")
    direct.create_alias(FunctionName="gc", Name="old", FunctionVersion="1")
    direct.create_alias(
        FunctionName="gc",
        Name="side",
        FunctionVersion="3",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.2}},
    )
    direct.create_alias(
        FunctionName="gc",
        Name="canary",
        FunctionVersion="12",
        Description="prod [reconciler:rollout-failed from=6 to=7 at=1764000000]",
    )
    sqs = aws_client("sqs", moto.url)
    queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    mapping = direct.create_event_source_mapping(
        EventSourceArn=queue_arn["Attributes"]["QueueArn"], FunctionName=f"{ACCOUNT_ARN}:gc:8"
    )["UUID"]
    client.put_provisioned_concurrency_config(
        FunctionName="gc", Qualifier="9", ProvisionedConcurrentExecutions=1
    )
    direct.create_alias(FunctionName="gc", Name="public", FunctionVersion="10")
    url = client.create_function_url_config(FunctionName="gc", Qualifier="public", AuthType="NONE")
    build_5 = sha_of("# gc code 5\n")
    cli.write(
        "gc.yaml",
        f"""
        function: gc
        region: eu-west-1
        retain_versions: {{keep_last: 1}}
        versions:
          fallback: 4
          build: {{code_sha256: "{build_5}"}}
        aliases:
          live: {{version: 12}}
        """,
    )

    code, drift = cli.drift()
    assert code == 0 and drift["in_sync"] is True
    (pending,) = [i for i in drift["info"] if i["kind"] == "pending_version_deletion"]
    assert pending["actual"] == ["11"]

    plan = quartet(cli, client, "gc")
    assert [(c["action"], c["version"]) for c in plan["changes"]] == [("delete_version", "11")]
    assert plan["summary"]["delete_version"] == 1
    assert plan["summary_line"].endswith("0 to delete, 1 version to delete.")
    assert {r["version"]: r["reason"] for r in plan["retained"]} == {
        "1": "alias old",
        "2": "alias side",
        "3": "alias side",
        "4": "in the manifest as fallback",
        "5": "in the manifest as build",
        "6": "failed rollout on alias canary",
        "7": "failed rollout on alias canary",
        "8": f"event source mapping {mapping}",
        "9": "provisioned concurrency 1",
        "10": f"alias public; function URL {url['FunctionUrl']} (via alias public)",
    }
    assert versions(client, "gc") == [str(v) for v in range(1, 11)] + ["12"]

    text = cli.run("plan", str(cli.folder)).stdout
    assert f"keep version 8: event source mapping {mapping}" in text
    assert "No changes." in text


def test_keep_last_and_no_retain_versions_means_no_deletes(direct, client, cli, fidelity_proxy):
    seed_function(direct, "plain", 60)
    direct.create_alias(FunctionName="plain", Name="live", FunctionVersion="60")
    cli.write("plain.yaml", "function: plain\nregion: eu-west-1\naliases:\n  live: {version: 60}\n")
    seed_function(direct, "kept", 10)
    direct.create_alias(FunctionName="kept", Name="live", FunctionVersion="10")
    cli.write(
        "kept.yaml",
        "function: kept\nregion: eu-west-1\nretain_versions: {keep_last: 4}\n"
        "aliases:\n  live: {version: 10}\n",
    )
    plan = quartet(cli, client, "plain", "kept")
    assert [c["version"] for c in plan["changes"]] == ["1", "2", "3", "4", "5", "6"]
    assert versions(client, "kept") == ["7", "8", "9", "10"]
    assert len(versions(client, "plain")) == 60
    assert fidelity_proxy.calls["DeleteFunction"] == 6

    fidelity_proxy.reset_counts()
    code, doc = cli.plan()
    assert code == 0 and doc["changes"] == []
    assert fidelity_proxy.calls_for("plain") == {"ListAliases": 1}
    assert fidelity_proxy.calls_for("kept") == {"ListAliases": 1, "ListVersionsByFunction": 1}


def test_publish_repoint_and_collect_converge_in_one_apply(direct, client, cli):
    seed_function(direct, "rel", 3)
    direct.create_alias(FunctionName="rel", Name="live", FunctionVersion="3")
    build = "# rel build 4\n"
    direct.update_function_code(FunctionName="rel", ZipFile=make_zip(build))
    cli.write(
        "rel.yaml",
        f"""
        function: rel
        region: eu-west-1
        retain_versions: {{keep_last: 2}}
        versions:
          next: {{code_sha256: "{sha_of(build)}"}}
        aliases:
          live: {{version: next}}
        """,
    )
    plan = quartet(cli, client, "rel")
    assert [c["action"] for c in plan["changes"]] == [
        "publish_version",
        "update_alias",
        "delete_version",
        "delete_version",
    ]
    assert versions(client, "rel") == ["3", "4"]


def test_a_version_an_alias_takes_meanwhile_is_skipped_not_failed(
    direct, client, cli, fidelity_proxy
):
    seed_function(direct, "race", 4)
    direct.create_alias(FunctionName="race", Name="live", FunctionVersion="4")
    cli.write(
        "race.yaml",
        "function: race\nregion: eu-west-1\nretain_versions: {keep_last: 1}\n"
        "aliases:\n  live: {version: 4}\n",
    )
    taken: list[str] = []

    def hotfix(op: str, function: str | None, alias: str | None) -> None:
        if op == "DeleteFunction" and not taken:
            taken.append("2")
            direct.create_alias(FunctionName="race", Name="hotfix", FunctionVersion="2")

    fidelity_proxy.on_request(hotfix)
    code, doc = cli.apply()
    assert code == 0 and doc["success"] is True
    results = {c["version"]: (c["status"], c["message"]) for c in doc["changes"]}
    assert results["1"] == ("applied", None) and results["3"] == ("applied", None)
    assert results["2"][0] == "skipped" and "hotfix" in results["2"][1]
    assert versions(client, "race") == ["2", "4"]
    assert not fidelity_proxy.errors


def test_saved_plan_refuses_to_delete_a_version_an_alias_now_serves(direct, cli, tmp_path):
    seed_function(direct, "saved", 3)
    direct.create_alias(FunctionName="saved", Name="live", FunctionVersion="3")
    cli.write(
        "saved.yaml",
        "function: saved\nregion: eu-west-1\nretain_versions: {keep_last: 1}\n"
        "aliases:\n  live: {version: 3}\n",
    )
    out = tmp_path.parent / "saved.plan.json"
    assert cli.run("plan", str(cli.folder), "--out", str(out)).returncode == 0
    direct.create_alias(FunctionName="saved", Name="rollback", FunctionVersion="1")
    code, doc = cli.json("apply", "--plan", str(out))
    assert code == 1 and doc["failure_reason"] == "plan-stale"
    assert any("version 1 is now served by alias rollback" in e["message"] for e in doc["errors"])
