"""What is bound to an alias, end to end: the real CLI against moto behind the fidelity
proxy (which keeps mappings' alias qualifiers, URLs and policies per qualifier as AWS
does). Each kind runs the idempotency quartet; out-of-band changes are drift that apply
heals; a repoint moves only the alias; prune unbinds first; GC keeps a version with a
statement; call budgets come from the proxy's counts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e import Cli, quartet
from tests.support.fidelity_proxy import FidelityProxy
from tests.support.moto_server import lambda_client, seed_function

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders"


@pytest.fixture
def client(fidelity_proxy: FidelityProxy) -> Any:
    return lambda_client(fidelity_proxy.url)


@pytest.fixture
def orders(direct: Any) -> str:
    """orders: versions 1-3, live -> 2, beta -> 3."""
    seed_function(direct, "orders", 3)
    direct.create_alias(FunctionName="orders", Name="live", FunctionVersion="2")
    direct.create_alias(FunctionName="orders", Name="beta", FunctionVersion="3")
    return "orders"


def manifest(cli: Cli, live: str = "", beta: str = "", version: int = 2, prune: bool = False):
    cli.write(
        "orders.yaml",
        f"function: orders\nregion: eu-west-1\nprune: {str(prune).lower()}\naliases:\n"
        f"  live:\n    version: {version}\n{live}"
        + (f"  beta:\n    version: 3\n{beta}" if beta is not None else ""),
    )


def sqs_block(queue: str, batch: int = 10) -> str:
    return f"    event_sources:\n      - source: {queue}\n        batch_size: {batch}\n"


URL_BLOCK = "    function_url:\n      auth_type: AWS_IAM\n"
S3_BLOCK = (
    "    permissions:\n      - sid: s3-uploads\n        principal: s3.amazonaws.com\n"
    "        source_arn: arn:aws:s3:::uploads\n"
)


def bound(client: Any) -> dict[str, Any]:
    """Everything bound to the function, by qualifier, as AWS (the proxy) reports it."""
    mappings = client.list_event_source_mappings(FunctionName="orders")["EventSourceMappings"]
    urls = client.list_function_url_configs(FunctionName="orders")["FunctionUrlConfigs"]
    policies: dict[str, Any] = {}
    for qualifier in ("live", "beta", "1", "2", "3"):
        try:
            policy = client.get_policy(FunctionName="orders", Qualifier=qualifier)
        except client.exceptions.ResourceNotFoundException:
            continue
        policies[qualifier] = sorted(
            (s["Sid"], json.dumps(s, sort_keys=True))
            for s in json.loads(policy["Policy"])["Statement"]
        )
    return {
        "mappings": sorted(
            (m["FunctionArn"], m["EventSourceArn"], m.get("BatchSize"), m.get("State"))
            for m in mappings
        ),
        "urls": sorted((u["FunctionArn"], u["AuthType"]) for u in urls),
        "policies": policies,
    }


def texts(doc: dict[str, Any]) -> list[str]:
    return [c["summary"] for c in doc["changes"]]


def test_event_source_quartet_and_budget(cli, client, orders, queue, fidelity_proxy):
    manifest(cli, live=sqs_block(queue), beta="")
    plan = quartet(cli, client, orders, extra=lambda: bound(client))
    (change,) = plan["changes"]
    assert change["action"] == "create_event_source"
    assert change["binding"]["binds_to"] == f"{ARN}:live"
    assert change["summary"].startswith(f"+ event source orders:live  {queue} (batch size 10)")
    assert bound(client)["mappings"] == [(f"{ARN}:live", queue, 10, "Enabled")]
    fidelity_proxy.reset_counts()
    code, _ = cli.drift()
    assert code == 0
    assert fidelity_proxy.calls_for("orders") == {"ListAliases": 1, "ListEventSourceMappings": 1}


def test_function_url_quartet_and_budget(cli, client, orders, fidelity_proxy):
    manifest(cli, live="", beta=URL_BLOCK)
    plan = quartet(cli, client, orders, extra=lambda: bound(client))
    assert [c["action"] for c in plan["changes"]] == ["create_function_url"]
    assert bound(client)["urls"] == [(f"{ARN}:beta", "AWS_IAM")]
    fidelity_proxy.reset_counts()
    assert cli.drift()[0] == 0
    assert fidelity_proxy.calls_for("orders") == {"ListAliases": 1, "ListFunctionUrlConfigs": 1}


def test_permission_quartet_and_budget(cli, client, orders, fidelity_proxy):
    manifest(cli, live=S3_BLOCK, beta="")
    plan = quartet(cli, client, orders, extra=lambda: bound(client))
    assert [c["action"] for c in plan["changes"]] == ["add_permission"]
    (statement,) = json.loads(client.get_policy(FunctionName="orders", Qualifier="live")["Policy"])[
        "Statement"
    ]
    assert statement["Sid"] == "s3-uploads" and statement["Resource"] == f"{ARN}:live"
    fidelity_proxy.reset_counts()
    assert cli.drift()[0] == 0
    assert fidelity_proxy.calls_for("orders") == {"ListAliases": 1, "GetPolicy": 1}


def test_a_function_without_the_keys_keeps_its_one_call(cli, orders, fidelity_proxy):
    manifest(cli, beta="")
    fidelity_proxy.reset_counts()
    assert cli.drift()[0] == 0
    assert fidelity_proxy.calls_for("orders") == {"ListAliases": 1}


def test_out_of_band_changes_are_drift_and_apply_heals_them(cli, client, orders, queue):
    manifest(cli, live=sqs_block(queue) + S3_BLOCK, beta=URL_BLOCK)
    assert cli.apply()[0] == 0
    healthy = bound(client)
    # By hand, as in the console: batch size, URL auth, the statement's source.
    (mapping,) = client.list_event_source_mappings(FunctionName="orders")["EventSourceMappings"]
    client.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=99)
    client.update_function_url_config(FunctionName="orders", Qualifier="beta", AuthType="NONE")
    client.remove_permission(FunctionName="orders", Qualifier="live", StatementId="s3-uploads")
    client.add_permission(
        FunctionName="orders",
        Qualifier="live",
        StatementId="s3-uploads",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::elsewhere",
    )
    code, drift = cli.drift()
    assert code == 2
    kinds = {d["kind"]: d for d in drift["drift"]}
    assert set(kinds) == {"event_source_differs", "function_url_differs", "permission_differs"}
    assert kinds["event_source_differs"]["expected"] == {"batch_size": 10}
    assert kinds["event_source_differs"]["actual"] == {"batch_size": 99}
    assert kinds["permission_differs"]["actual"] == {"source_arn": "arn:aws:s3:::elsewhere"}
    code, plan = cli.plan()
    actions = [c["action"] for c in plan["changes"]]
    # A changed statement is remove then add, adjacent.
    assert actions.index("add_permission") == actions.index("remove_permission") + 1
    assert "changed" in plan["changes"][actions.index("remove_permission")]["summary"]
    assert cli.apply()[0] == 0
    assert bound(client) == healthy
    assert cli.drift()[0] == 0


def test_unlisted_bindings_are_information_then_pruned(cli, client, orders, queue):
    client.create_event_source_mapping(
        EventSourceArn=queue, FunctionName=f"{ARN}:live", BatchSize=5
    )
    manifest(cli, live="    event_sources: []\n", beta="")
    code, drift = cli.drift()
    assert code == 0
    assert [i["kind"] for i in drift["info"]] == ["attachment_unmanaged"]
    manifest(cli, live="    event_sources: []\n", beta="", prune=True)
    code, drift = cli.drift()
    assert code == 2 and [d["kind"] for d in drift["drift"]] == ["attachment_unmanaged"]
    quartet(cli, client, orders, extra=lambda: bound(client))
    assert bound(client)["mappings"] == []


def test_a_repoint_with_everything_bound_changes_only_the_alias(cli, client, orders, queue):
    manifest(cli, live=sqs_block(queue) + URL_BLOCK + S3_BLOCK, beta="")
    assert cli.apply()[0] == 0
    before = bound(client)
    manifest(cli, live=sqs_block(queue) + URL_BLOCK + S3_BLOCK, beta="", version=3)
    plan = quartet(cli, client, orders, extra=lambda: None)
    assert [c["action"] for c in plan["changes"]] == ["update_alias"]
    assert bound(client) == before


def test_prune_deletes_what_is_bound_to_an_alias_before_the_alias(cli, client, orders, queue):
    manifest(cli, live="", beta=sqs_block(queue) + URL_BLOCK + S3_BLOCK)
    assert cli.apply()[0] == 0
    manifest(cli, live="", beta=None, prune=True)
    plan = quartet(cli, client, orders, extra=lambda: bound(client))
    assert [c["action"] for c in plan["changes"]] == [
        "delete_event_source",
        "delete_function_url",
        "remove_permission",
        "delete_alias",
    ]
    assert all(c["binding"]["why"] == "alias_deleted" for c in plan["changes"][:3]), plan["changes"]
    assert bound(client) == {"mappings": [], "urls": [], "policies": {}}
    rendered = cli.run("plan", str(cli.folder), "--format", "markdown")
    assert rendered.returncode == 0


def test_prune_banner_in_markdown(cli, client, orders, queue):
    manifest(cli, live="", beta=sqs_block(queue))
    assert cli.apply()[0] == 0
    manifest(cli, live="", beta=None, prune=True)
    proc = cli.run("plan", str(cli.folder), "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    banner = proc.stdout.split("> [!WARNING]", 1)[1].split("\n\n", 1)[0]
    assert "**Deletes** 1 alias" in banner and "**Unbinds** first 1 binding" in banner


def test_a_mapping_on_a_version_is_bound_to_version(cli, client, orders, queue):
    client.create_event_source_mapping(EventSourceArn=queue, FunctionName=f"{ARN}:2")
    manifest(cli, live="    event_sources: []\n", beta="")
    code, drift = cli.drift()
    assert code == 0
    (item,) = [i for i in drift["info"] if i["kind"] == "bound_to_version"]
    assert "version 2" in item["message"] and "bind it to an alias" in item["message"]


def test_gc_keeps_a_version_with_a_version_qualified_permission(cli, client, orders):
    client.add_permission(
        FunctionName="orders",
        Qualifier="1",
        StatementId="legacy-trigger",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
    )
    cli.write(
        "orders.yaml",
        "function: orders\nregion: eu-west-1\nretain_versions:\n  keep_last: 1\n"
        "aliases:\n  live:\n    version: 3\n  beta:\n    version: 3\n",
    )
    code, plan = cli.plan()
    assert code == 2
    deleted = [c["version"] for c in plan["changes"] if c["action"] == "delete_version"]
    assert deleted == ["2"]
    assert {"version": "1", "reason": "permission legacy-trigger on the version"} in [
        {"version": r["version"], "reason": r["reason"]} for r in plan["retained"]
    ]


def test_status_shows_what_is_bound(cli, client, orders, queue):
    manifest(cli, live=sqs_block(queue) + S3_BLOCK, beta=URL_BLOCK)
    assert cli.apply()[0] == 0
    proc = cli.run("status", str(cli.folder), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    aliases = {a["alias"]: a for a in json.loads(proc.stdout)["functions"][0]["aliases"]}
    assert sorted(b["type"] for b in aliases["live"]["bound"]) == ["event_source", "permission"]
    assert [b["type"] for b in aliases["beta"]["bound"]] == ["function_url"]
    text = cli.run("status", str(cli.folder)).stdout
    assert f"bound: event source {queue}" in text and "bound: permission s3-uploads" in text
