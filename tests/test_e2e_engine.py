"""plan / apply / drift through the real CLI against a moto server (real HTTP),
behind the fidelity proxy (AWS's RevisionIds, CodeSha256, paging and validation).

Every scenario runs the idempotency quartet (see tests/e2e.py). The guards
themselves are tested in test_guards_e2e.py and test_faults.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import Cli, live_state, quartet
from tests.support.moto_server import (
    create_function,
    lambda_client,
    make_zip,
    publish,
    seed_function,
    sha_of,
)


# Through the fidelity proxy, so that nothing passes only because moto is lax; seeding
# and out-of-band changes go through it too, as they would reach AWS.
@pytest.fixture
def client(fidelity_proxy):
    return lambda_client(fidelity_proxy.url)


@pytest.fixture
def cli(fidelity_proxy, tmp_path: Path) -> Cli:
    return Cli(fidelity_proxy.url, tmp_path)


def test_create_alias(cli, client):
    seed_function(client, "svc", 2)
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n")
    plan = quartet(cli, client, "svc")
    assert [(c["action"], c["alias"]) for c in plan["changes"]] == [("create_alias", "live")]
    assert client.get_alias(FunctionName="svc", Name="live")["FunctionVersion"] == "2"


def test_repoint(cli, client):
    seed_function(client, "svc", 3)
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 3\n")
    plan = quartet(cli, client, "svc")
    (change,) = plan["changes"]
    assert change["action"] == "update_alias" and change["fields"] == ["version"]
    assert change["before"]["version"] == "1" and change["after"]["version"] == "3"
    assert client.get_alias(FunctionName="svc", Name="live")["FunctionVersion"] == "3"


@pytest.mark.parametrize(
    ("live_weights", "manifest_weights", "expected"),
    [
        pytest.param(None, "{3: 0.1}", {"3": 0.1}, id="add-weights"),
        pytest.param({"3": 0.1}, "{3: 0.25}", {"3": 0.25}, id="change-weights"),
        pytest.param({"3": 0.1}, None, {}, id="remove-weights"),
    ],
)
def test_weights(cli, client, live_weights, manifest_weights, expected):
    seed_function(client, "svc", 3)
    extra = {"RoutingConfig": {"AdditionalVersionWeights": live_weights}} if live_weights else {}
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="2", **extra)
    weights = f"\n    weights: {manifest_weights}" if manifest_weights else ""
    cli.write(
        "svc.yaml",
        f"function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2{weights}\n",
    )
    plan = quartet(cli, client, "svc")
    assert plan["changes"][0]["fields"] == ["weights"]
    assert plan["changes"][0]["traffic_shift"] is True
    routing = client.get_alias(FunctionName="svc", Name="live").get("RoutingConfig") or {}
    live = {k: v for k, v in routing.get("AdditionalVersionWeights", {}).items() if v}
    assert live == expected


def test_description_change_and_clear(cli, client):
    seed_function(client, "svc", 1)
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="1", Description="old")
    client.create_alias(
        FunctionName="svc", Name="beta", FunctionVersion="1", Description="not ours"
    )
    cli.write(
        "svc.yaml",
        """
        function: svc
        region: eu-west-1
        aliases:
          live:
            version: 1
            description: "production"
          beta:
            version: 1
        """,
    )
    plan = quartet(cli, client, "svc")
    assert [(c["alias"], c["fields"]) for c in plan["changes"]] == [("live", ["description"])]
    assert client.get_alias(FunctionName="svc", Name="live")["Description"] == "production"
    # Unmanaged description is left alone.
    assert client.get_alias(FunctionName="svc", Name="beta")["Description"] == "not ours"
    cli.write(
        "svc.yaml",
        'function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 1\n    description: ""\n  beta:\n    version: 1\n',
    )
    quartet(cli, client, "svc")
    assert client.get_alias(FunctionName="svc", Name="live")["Description"] == ""


def test_latest_alias(cli, client):
    seed_function(client, "svc", 1)
    cli.write(
        "svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  dev:\n    version: $LATEST\n"
    )
    quartet(cli, client, "svc")
    assert client.get_alias(FunctionName="svc", Name="dev")["FunctionVersion"] == "$LATEST"


def test_content_reference_publishes_exactly_one_version(cli, client):
    seed_function(client, "svc", 1)
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    client.update_function_code(FunctionName="svc", ZipFile=make_zip("# build 2\n"))
    sha = sha_of("# build 2\n")
    cli.write(
        "svc.yaml",
        f"""
        function: svc
        region: eu-west-1
        versions:
          release:
            code_sha256: "{sha}"
            description: "build 2"
        aliases:
          live:
            version: release
          beta:
            version: release
        """,
    )
    plan = quartet(cli, client, "svc")
    assert [c["action"] for c in plan["changes"]] == [
        "publish_version",
        "update_alias",
        "create_alias",
    ]
    versions = client.list_versions_by_function(FunctionName="svc")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    assert versions[2]["CodeSha256"] == sha and versions[2]["Description"] == "build 2"
    assert client.get_alias(FunctionName="svc", Name="live")["FunctionVersion"] == "2"


def test_content_reference_satisfied_by_existing_version(cli, client):
    create_function(client, "svc", "# build 1\n")
    client.publish_version(FunctionName="svc")
    publish(client, "svc", "# build 2\n")
    publish(client, "svc", "# build 3\n")
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="3")
    build_2 = sha_of("# build 2\n")
    cli.write(
        "svc.yaml",
        f'function: svc\nregion: eu-west-1\nversions:\n  rollback:\n    code_sha256: "{build_2}"\n'
        "aliases:\n  live:\n    version: rollback\n",
    )
    plan = quartet(cli, client, "svc")
    assert [c["action"] for c in plan["changes"]] == ["update_alias"]
    assert len(client.list_versions_by_function(FunctionName="svc")["Versions"]) == 4  # no publish
    assert client.get_alias(FunctionName="svc", Name="live")["FunctionVersion"] == "2"


def test_prune_false_keeps_unmanaged_alias_prune_true_deletes_it(cli, client):
    seed_function(client, "svc", 2)
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    client.create_alias(FunctionName="svc", Name="old", FunctionVersion="1")
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n")
    plan = quartet(cli, client, "svc")
    assert all(c["action"] != "delete_alias" for c in plan["changes"])
    assert any(n["alias"] == "old" for n in plan["notes"])
    assert "old" in live_state(client, "svc")["svc"]["aliases"]

    cli.write(
        "svc.yaml",
        "function: svc\nregion: eu-west-1\nprune: true\naliases:\n  live:\n    version: 2\n",
    )
    plan = quartet(cli, client, "svc")
    assert [(c["action"], c["alias"]) for c in plan["changes"]] == [("delete_alias", "old")]
    assert set(live_state(client, "svc")["svc"]["aliases"]) == {"live"}
    # Versions are never deleted by apply.
    assert len(live_state(client, "svc")["svc"]["versions"]) == 3


def test_drift_after_out_of_band_change(cli, client):
    seed_function(client, "svc", 3)
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="2", Description="prod")
    client.create_alias(FunctionName="svc", Name="manual", FunctionVersion="1")
    cli.write(
        "svc.yaml",
        'function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n    weights: {3: 0.1}\n    description: "prod"\n',
    )
    assert cli.apply()[0] == 0
    code, doc = cli.drift()
    assert code == 0 and doc["in_sync"] is True
    assert [i["kind"] for i in doc["info"]] == ["unmanaged_alias"]  # prune is false: info

    client.update_alias(
        FunctionName="svc",
        Name="live",
        FunctionVersion="1",
        Description="hotfix",
        RoutingConfig={"AdditionalVersionWeights": {"3": 0.5}},
    )
    client.delete_alias(FunctionName="svc", Name="manual")
    code, doc = cli.drift()
    assert code == 2 and doc["in_sync"] is False
    kinds = sorted(d["kind"] for d in doc["drift"])
    assert kinds == ["description_differs", "version_differs", "weights_differ"]
    version = next(d for d in doc["drift"] if d["kind"] == "version_differs")
    assert version["actual"] == "1" and version["alias"] == "live"

    text = cli.run("drift", str(cli.folder))
    assert text.returncode == 2 and "version_differs" in text.stdout

    client.delete_alias(FunctionName="svc", Name="live")
    code, doc = cli.drift()
    assert code == 2 and [d["kind"] for d in doc["drift"]] == ["alias_missing"]


def test_drift_reports_deleted_pinned_version(cli, client):
    seed_function(client, "svc", 3)
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="3")
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n")
    client.delete_function(FunctionName="svc", Qualifier="2")
    code, doc = cli.drift()
    assert code == 2
    assert [d["kind"] for d in doc["drift"]] == ["pinned_version_missing"]


def test_stale_saved_plan_is_refused_and_the_change_kept(cli, client):
    seed_function(client, "svc", 3)
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n")
    plan_file = cli.folder.parent / "svc.plan.json"
    proc = cli.run("plan", str(cli.folder), "--out", str(plan_file))
    assert proc.returncode == 0 and plan_file.exists()

    client.update_alias(FunctionName="svc", Name="live", FunctionVersion="3")  # out of band
    code, doc = cli.json("apply", "--plan", str(plan_file))
    assert code == 1 and doc["failure_reason"] == "plan-stale"
    assert "live" in doc["errors"][0]["message"]
    assert client.get_alias(FunctionName="svc", Name="live")["FunctionVersion"] == "3"

    text = cli.run("apply", "--plan", str(plan_file))
    assert text.returncode == 1 and "saved plan is stale" in text.stderr


def test_saved_plan_applies_exactly(cli, client):
    seed_function(client, "svc", 3)
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n")
    plan_file = cli.folder.parent / "svc.plan.json"
    assert cli.run("plan", str(cli.folder), "--out", str(plan_file)).returncode == 0
    code, doc = cli.json("apply", "--plan", str(plan_file))
    assert code == 0 and doc["applied"] == 1
    assert client.get_alias(FunctionName="svc", Name="live")["FunctionVersion"] == "2"
    # Applying the same plan again: the world no longer matches what it recorded.
    code, doc = cli.json("apply", "--plan", str(plan_file))
    assert code == 1 and doc["failure_reason"] == "plan-stale"


def test_saved_plan_refused_when_manifests_changed(cli, client):
    seed_function(client, "svc", 3)
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n")
    plan_file = cli.folder.parent / "svc.plan.json"
    assert cli.run("plan", str(cli.folder), "--out", str(plan_file)).returncode == 0
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 3\n")
    code, doc = cli.json("apply", "--plan", str(plan_file))
    assert code == 1 and "manifests" in doc["errors"][0]["message"]
    assert client.list_aliases(FunctionName="svc")["Aliases"] == []


def test_plan_error_in_one_function_stops_apply_for_all(cli, client):
    seed_function(client, "good", 2)
    seed_function(client, "bad", 1)
    cli.write("good.yaml", "function: good\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n")
    cli.write("bad.yaml", "function: bad\nregion: eu-west-1\naliases:\n  live:\n    version: 7\n")
    cli.write("gone.yaml", "function: gone\nregion: eu-west-1\naliases:\n  live:\n    version: 1\n")
    code, doc = cli.plan()
    assert code == 1 and doc["failure_reason"] == "plan-error"
    kinds = sorted(e["kind"] for e in doc["errors"])
    assert kinds == ["function_missing", "pinned_version_missing"]
    code, doc = cli.apply()
    assert code == 1 and doc["success"] is False
    assert client.list_aliases(FunctionName="good")["Aliases"] == []  # nothing at all changed


def test_apply_refuses_without_tty_or_auto_approve(cli, client):
    seed_function(client, "svc", 1)
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 1\n")
    proc = cli.run("apply", str(cli.folder))
    assert proc.returncode == 1 and "--auto-approve" in proc.stderr
    assert client.list_aliases(FunctionName="svc")["Aliases"] == []


def test_text_plan_reads_like_terraform(cli, client):
    seed_function(client, "svc", 3)
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    cli.write(
        "svc.yaml",
        "function: svc\nregion: eu-west-1\nversions:\n  stable: 2\naliases:\n  live:\n    version: stable\n"
        "    weights: {3: 0.1}\n  beta:\n    version: 3\n",
    )
    proc = cli.run("plan", str(cli.folder))
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert "    ~ alias svc:live  version 1 -> stable (2), weights {} -> {3: 10%}" in lines
    assert "    + alias svc:beta  version 3" in lines
    assert lines[-1] == "Plan: 0 to publish, 1 to create, 1 to update, 0 to delete."
    assert proc.stderr == ""


def test_account_guard(cli, client):
    seed_function(client, "svc", 1)
    cli.write(
        "svc.yaml",
        'function: svc\nregion: eu-west-1\naccount: "999999999999"\naliases:\n  live:\n    version: 1\n',
    )
    code, doc = cli.apply()
    assert code == 1 and doc["errors"][0]["kind"] == "account_mismatch"
    assert client.list_aliases(FunctionName="svc")["Aliases"] == []
    cli.write(
        "svc.yaml",
        'function: svc\nregion: eu-west-1\naccount: "123456789012"\naliases:\n  live:\n    version: 1\n',
    )
    assert cli.apply()[0] == 0
