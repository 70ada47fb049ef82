"""Provisioned concurrency end to end: the real CLI against moto behind the fidelity
proxy, which emulates it as AWS does (IN_PROGRESS, then READY after
``pc_ready_seconds``; refused on $LATEST and weighted aliases; re-provisioned when
an alias's version changes). Every scenario runs the idempotency quartet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.features.provisioned import MARKER
from tests.e2e import Cli, quartet
from tests.support.moto_server import lambda_client, seed_function

BAD = Path(__file__).parent / "bad_manifests"


@pytest.fixture
def client(fidelity_proxy) -> Any:
    fidelity_proxy.pc_ready_seconds = 0.5
    return lambda_client(fidelity_proxy.url)


@pytest.fixture
def cli(fidelity_proxy, tmp_path: Path) -> Cli:
    return Cli(fidelity_proxy.url, tmp_path)


@pytest.fixture
def hot(moto, client) -> str:
    seed_function(lambda_client(moto.url), "hot", 3)
    client.create_alias(FunctionName="hot", Name="live", FunctionVersion="2", Description="prod")
    client.create_alias(FunctionName="hot", Name="beta", FunctionVersion="2")
    return "hot"


def manifest(cli: Cli, version: int = 2, pc: int | None = None) -> None:
    line = f"\n    provisioned_concurrency: {pc}" if pc is not None else ""
    cli.write(
        "hot.yaml",
        f"function: hot\nregion: eu-west-1\naliases:\n  live:\n    version: {version}{line}\n"
        "  beta:\n    version: 2\n",
    )


def configs(client: Any) -> dict[str, tuple[int, str]]:
    listed = client.list_provisioned_concurrency_configs(FunctionName="hot")
    return {
        c["FunctionArn"].rsplit(":", 1)[1]: (
            c["RequestedProvisionedConcurrentExecutions"],
            c["Status"],
        )
        for c in listed["ProvisionedConcurrencyConfigs"]
    }


def requested(client: Any) -> dict[str, int]:
    """The settings (not their status, which moves on by itself): for the quartet."""
    return {alias: amount for alias, (amount, _) in configs(client).items()}


def applied_messages(cli: Cli) -> dict[str, str]:
    code, doc = cli.apply()
    assert code == 0, doc
    return {c["action"]: c["message"] or "" for c in doc["changes"]}


def test_set_then_in_sync_costs_two_calls(hot, client, cli, fidelity_proxy):
    manifest(cli, pc=3)
    plan = quartet(cli, client, hot, extra=lambda: requested(client))
    assert [c["summary"].split("  ")[0] for c in plan["changes"]] == [
        "~ alias hot:live",
        "+ provisioned concurrency hot:live",
    ]
    assert plan["summary"]["provisioned_concurrency"] == 1
    assert plan["summary_line"].endswith(", 1 provisioned concurrency change.")
    # Ready when apply reports success: apply waited.
    assert configs(client) == {"live": (3, "READY")}
    live = client.get_alias(FunctionName="hot", Name="live")
    assert live["Description"] == f"prod {MARKER}"

    fidelity_proxy.reset_counts()
    code, _ = cli.plan()
    assert code == 0
    assert fidelity_proxy.calls_for("hot") == {
        "ListAliases": 1,
        "ListProvisionedConcurrencyConfigs": 1,
    }
    status = json.loads(cli.run("status", str(cli.folder), "--format", "json").stdout)
    (live_doc,) = [a for a in status["functions"][0]["aliases"] if a["alias"] == "live"]
    assert live_doc["description"] == "prod"
    assert live_doc["provisioned_concurrency"]["requested"] == 3
    text = cli.run("status", str(cli.folder)).stdout
    assert "provisioned concurrency 3 READY" in text


def test_apply_waits_for_ready(hot, client, cli):
    manifest(cli, pc=3)
    messages = applied_messages(cli)
    waited = float(messages["put_provisioned_concurrency"].split("READY after ")[1].split("s")[0])
    assert waited >= 0.4  # pc_ready_seconds is 0.5
    assert configs(client) == {"live": (3, "READY")}


def test_changed(hot, client, cli):
    manifest(cli, pc=3)
    cli.apply()
    manifest(cli, pc=5)
    plan = quartet(cli, client, hot, extra=lambda: requested(client))
    assert [c["summary"] for c in plan["changes"]] == ["~ provisioned concurrency hot:live  3 -> 5"]
    assert plan["changes"][0]["provisioned_concurrency"]["before"] == 3
    assert configs(client) == {"live": (5, "READY")}


def test_version_switch_waits_and_never_leaves_the_alias_without(hot, client, cli, fidelity_proxy):
    manifest(cli, pc=3)
    cli.apply()
    manifest(cli, version=3, pc=3)
    fidelity_proxy.reset_counts()
    plan = quartet(cli, client, hot, extra=lambda: requested(client))
    (change,) = plan["changes"]
    assert change["action"] == "update_alias" and change["provisioned_concurrency"]["after"] == 3
    assert "provisioned concurrency 3 follows (waits for READY)" in change["summary"]
    # The config stayed on the alias throughout: never deleted, never put again.
    assert fidelity_proxy.calls["DeleteProvisionedConcurrencyConfig"] == 0
    assert fidelity_proxy.calls["PutProvisionedConcurrencyConfig"] == 0
    assert fidelity_proxy.calls["GetProvisionedConcurrencyConfig"] >= 2  # polled until READY
    assert configs(client) == {"live": (3, "READY")}
    assert client.get_alias(FunctionName="hot", Name="live")["FunctionVersion"] == "3"


def test_removed_only_where_the_manifest_manages(hot, client, cli):
    manifest(cli, pc=3)
    cli.apply()
    # A setting made by hand on an alias whose manifest never had the key.
    client.put_provisioned_concurrency_config(
        FunctionName="hot", Qualifier="beta", ProvisionedConcurrentExecutions=1
    )
    manifest(cli)
    plan = quartet(cli, client, hot, extra=lambda: requested(client))
    assert [c["action"] for c in plan["changes"]] == [
        "delete_provisioned_concurrency",
        "update_alias",
    ]
    assert set(configs(client)) == {"beta"}
    assert client.get_alias(FunctionName="hot", Name="live")["Description"] == "prod"


def test_hand_set_setting_is_left_alone_and_noted(hot, client, cli):
    client.put_provisioned_concurrency_config(
        FunctionName="hot", Qualifier="beta", ProvisionedConcurrentExecutions=2
    )
    manifest(cli, pc=1)
    plan = quartet(cli, client, hot, extra=lambda: requested(client))
    notes = [n for n in plan["notes"] if n["kind"] == "unmanaged_provisioned_concurrency"]
    assert [n["alias"] for n in notes] == ["beta"]
    assert configs(client)["beta"][0] == 2


def test_drift_reports_missing_and_different(hot, client, cli):
    manifest(cli, pc=4)
    code, doc = cli.drift()
    assert code == 2
    assert [(d["kind"], d["expected"], d["actual"]) for d in doc["drift"]] == [
        ("provisioned_concurrency_differs", 4, None)
    ]  # the marker-only description change is bookkeeping, not drift
    cli.apply()
    assert cli.drift()[0] == 0
    client.put_provisioned_concurrency_config(
        FunctionName="hot", Qualifier="live", ProvisionedConcurrentExecutions=2
    )
    code, doc = cli.drift()
    assert code == 2 and doc["drift"][0]["actual"] == 2
    assert "provisioned concurrency is 2, manifest says 4" in doc["drift"][0]["message"]
    client.delete_provisioned_concurrency_config(FunctionName="hot", Qualifier="live")
    code, doc = cli.drift()
    assert code == 2 and doc["drift"][0]["actual"] is None
    quartet(cli, client, hot, extra=lambda: requested(client))
    assert cli.drift()[0] == 0


@pytest.mark.parametrize(
    "name",
    [
        "provisioned_concurrency_on_latest.yaml",
        "provisioned_concurrency_with_weights.yaml",
        "provisioned_concurrency_with_rollout.yaml",
        "provisioned_concurrency_zero.yaml",
    ],
)
def test_rejected_combinations_never_reach_aws(name, cli, fidelity_proxy):
    code, doc = cli.json("plan", str(BAD / name))
    assert code == 1 and doc["failure_reason"] == "invalid-manifest"
    expected = (BAD / name).read_text(encoding="utf-8").splitlines()[0].split(" ", 3)[3]
    assert expected in doc["errors"][0]["message"]
    assert sum(fidelity_proxy.calls.values()) == 0
