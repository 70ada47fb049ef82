"""`reconciler promote` through the real CLI against a moto server.

The promotion edits git (the manifest files), never AWS: every test checks
the live state is untouched by promote itself, and that plan/apply then do
exactly what the edit says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.manifest.resources import load_schema
from tests.e2e import Cli, live_state, quartet
from tests.support.moto_server import lambda_client, make_zip, seed_function, wait_updated


@pytest.fixture
def client(moto):
    return lambda_client(moto.url)


@pytest.fixture
def cli(moto, tmp_path: Path) -> Cli:
    folder = tmp_path / "manifests"
    folder.mkdir()
    return Cli(moto.url, folder)


def promote(cli: Cli, *argv: str) -> tuple[int, dict[str, Any]]:
    source, target, *options = argv
    proc = cli.run("promote", source, target, str(cli.folder), *options, "--format", "json")

    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, load_schema("promote"))
    return proc.returncode, doc


def two_aliases(cli: Cli, client: Any, *, live: str = "3", beta: str = "4") -> Path:
    """svc with versions 1-4, live and beta in AWS as in git."""
    seed_function(client, "svc", 4)
    client.create_alias(
        FunctionName="svc", Name="live", FunctionVersion=live, Description="production"
    )
    client.create_alias(FunctionName="svc", Name="beta", FunctionVersion=beta)
    return cli.write(
        "svc.yaml",
        """
        function: svc
        region: eu-west-1
        # production first
        aliases:
          live:
            version: 3   # the release
            description: "production"
          beta: {version: 4}
        """,
    )


def test_promote_beta_to_live_then_plan_shows_exactly_the_repoint(cli, client):
    path = two_aliases(cli, client)
    before = live_state(client, "svc")
    code, doc = promote(cli, "beta", "live")
    assert code == 0, doc
    assert [p["function"] for p in doc["promoted"]] == ["svc"]
    assert doc["promoted"][0]["before"]["version"] == 3
    assert doc["promoted"][0]["after"] == {"version": 4, "weights": {}}
    assert doc["written"] is True and doc["files"] == [str(path)]
    assert "    version: 4   # the release\n" in path.read_text(encoding="utf-8")
    assert live_state(client, "svc") == before, "promote must not touch AWS"

    plan = quartet(cli, client, "svc")
    (change,) = plan["changes"]
    assert (change["action"], change["alias"], change["fields"]) == (
        "update_alias",
        "live",
        ["version"],
    )
    assert (change["before"]["version"], change["after"]["version"]) == ("3", "4")


def test_text_output_one_line_per_function_and_notes(cli, client):
    two_aliases(cli, client)
    cli.write("other.yaml", "function: other\nregion: eu-west-1\naliases:\n  live: {version: 1}\n")
    proc = cli.run("promote", "beta", "live", str(cli.folder))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "svc: live beta(4) -> live: version 4 (was 3)"
    assert any(line.startswith("note: other: no alias beta") for line in lines)
    assert lines[-1].startswith("Promoted 1 function(s); wrote ")


def test_latest_source_writes_a_content_reference_and_apply_publishes_it(cli, client):
    seed_function(client, "svc", 2)
    client.update_function_code(FunctionName="svc", ZipFile=make_zip("# svc code 3\n"))
    wait_updated(client, "svc")
    latest = client.get_function_configuration(FunctionName="svc")["CodeSha256"]
    client.create_alias(FunctionName="svc", Name="dev", FunctionVersion="$LATEST")
    client.create_alias(FunctionName="svc", Name="beta", FunctionVersion="2")
    path = cli.write(
        "svc.yaml",
        "function: svc\nregion: eu-west-1\naliases:\n  dev:\n    version: $LATEST\n"
        "  beta:\n    version: 2\n",
    )
    code, doc = promote(cli, "dev", "beta")
    assert code == 0, doc
    reference = doc["promoted"][0]["content_reference"]
    assert reference["code_sha256"] == latest
    text = path.read_text(encoding="utf-8")
    assert (
        f'  {reference["name"]}: {{code_sha256: "{latest}", description: "promoted from dev"}}'
        in text
    )
    assert f"    version: {reference['name']}\n" in text

    versions_before = client.list_versions_by_function(FunctionName="svc")["Versions"]
    plan = quartet(cli, client, "svc")
    assert [c["action"] for c in plan["changes"]] == ["publish_version", "update_alias"]
    versions = client.list_versions_by_function(FunctionName="svc")["Versions"]
    assert len(versions) == len(versions_before) + 1
    newest = max(
        (v for v in versions if v["Version"] != "$LATEST"), key=lambda v: int(v["Version"])
    )
    assert newest["CodeSha256"] == latest
    assert client.get_alias(FunctionName="svc", Name="beta")["FunctionVersion"] == newest["Version"]

    # Idempotent: the same $LATEST is already promoted; nothing is written.
    again = path.read_bytes()
    code, doc = promote(cli, "dev", "beta")
    assert code == 0 and doc["promoted"] == [] and doc["written"] is False
    assert [s["reason"] for s in doc["skipped"]] == ["already_promoted"]
    assert path.read_bytes() == again


def test_weight_makes_a_hand_canary(cli, client):
    path = two_aliases(cli, client)
    code, doc = promote(cli, "beta", "live", "--weight", "0.1")
    assert code == 0, doc
    assert doc["promoted"][0]["after"] == {"version": 3, "weights": {"4": 0.1}}
    assert "    weights: {4: 0.1}\n" in path.read_text(encoding="utf-8")
    plan = quartet(cli, client, "svc")
    (change,) = plan["changes"]
    assert change["fields"] == ["weights"]
    routing = client.get_alias(FunctionName="svc", Name="live")["RoutingConfig"]
    assert routing["AdditionalVersionWeights"] == {"4": 0.1}


def test_refuses_when_the_source_drifted_and_writes_nothing(cli, client):
    path = two_aliases(cli, client, beta="2")  # AWS: beta on 2, git says 4
    before = path.read_bytes()
    code, doc = promote(cli, "beta", "live")
    assert code == 1
    (refused,) = doc["refused"]
    assert refused["function"] == "svc" and refused["reason"] == "drift"
    assert "svc:beta: serves version 2, manifest says 4" in refused["details"][0]
    assert doc["written"] is False and doc["promoted"] == []
    assert path.read_bytes() == before

    proc = cli.run("promote", "beta", "live", str(cli.folder))
    assert proc.returncode == 1
    assert "svc: refused: beta drifted from its manifest:" in proc.stdout
    # Offline, on the user's word, the same edit is made.
    proc = cli.run("promote", "beta", "live", str(cli.folder), "--no-verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_bytes() != before


def test_second_promote_says_already_promoted_and_writes_nothing(cli, client):
    path = two_aliases(cli, client)
    assert promote(cli, "beta", "live")[0] == 0
    after = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    proc = cli.run("promote", "beta", "live", str(cli.folder))
    assert proc.returncode == 0, proc.stderr
    assert "svc: live already promoted" in proc.stdout
    assert proc.stdout.rstrip().endswith("Nothing to promote.")
    assert path.read_bytes() == after and path.stat().st_mtime_ns == mtime


def test_diff_prints_the_edit_and_writes_nothing(cli, client):
    path = two_aliases(cli, client)
    before = path.read_bytes()
    proc = cli.run("promote", "beta", "live", str(cli.folder), "--diff")
    assert proc.returncode == 0, proc.stderr
    assert f"--- {path}\n+++ {path}\n" in proc.stdout
    assert "-    version: 3   # the release\n+    version: 4   # the release\n" in proc.stdout
    assert path.read_bytes() == before
    code, doc = promote(cli, "beta", "live", "--diff")
    assert code == 0 and doc["written"] is False and doc["diff"].startswith("--- ")
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["beta", "beta"], "SOURCE and TARGET are both beta"),
        (["dev", "beta", "--no-verify"], "--no-verify cannot be used"),
        (["beta", "live", "--function", "nope"], "no manifest under"),
    ],
)
def test_errors_exit_1_and_write_nothing(cli, client, argv, message):
    cli.write(
        "svc.yaml",
        "function: svc\nregion: eu-west-1\naliases:\n  dev: {version: $LATEST}\n"
        "  beta: {version: 1}\n  live: {version: 1}\n",
    )
    before = (cli.folder / "svc.yaml").read_bytes()
    proc = cli.run("promote", *argv[:2], str(cli.folder), *argv[2:])
    assert proc.returncode == 1 and message in proc.stderr
    assert (cli.folder / "svc.yaml").read_bytes() == before


@pytest.mark.parametrize("weight", ["0", "1", "1.5", "-0.1", "x"])
def test_bad_weight_is_a_usage_error(cli, weight):
    # Usage errors exit 1 (2 means only "changes pending" / "drift found").
    proc = cli.run("promote", "beta", "live", str(cli.folder), "--weight", weight)
    assert proc.returncode == 1 and "--weight" in proc.stderr


def test_one_refusal_writes_nothing_for_any_function_and_function_narrows(cli, client):
    path = two_aliases(cli, client)
    seed_function(client, "other", 2)
    client.create_alias(FunctionName="other", Name="live", FunctionVersion="1")
    client.create_alias(FunctionName="other", Name="beta", FunctionVersion="1")  # git: 2
    other = cli.write(
        "other.yaml",
        "function: other\nregion: eu-west-1\naliases:\n  live: {version: 1}\n  beta: {version: 2}\n",
    )
    before = (path.read_bytes(), other.read_bytes())
    code, doc = promote(cli, "beta", "live")
    assert code == 1 and [r["function"] for r in doc["refused"]] == ["other"]
    assert doc["promoted"] == [] and doc["written"] is False
    assert (path.read_bytes(), other.read_bytes()) == before
    # Narrowed to the function in sync, the promotion goes ahead.
    code, doc = promote(cli, "beta", "live", "--function", "svc")
    assert code == 0 and [p["function"] for p in doc["promoted"]] == ["svc"]
    assert other.read_bytes() == before[1]


def test_target_limits_the_run_to_one_account_region_group(cli, client):
    two_aliases(cli, client)
    cli.write(
        "elsewhere.yaml",
        "function: elsewhere\nregion: us-east-1\naliases:\n  live: {version: 1}\n"
        "  beta: {version: 2}\n",
    )
    code, doc = promote(cli, "beta", "live", "--target", "*/eu-west-1")
    assert code == 0, doc
    assert [p["function"] for p in doc["promoted"]] == ["svc"]
    assert doc["skipped"] == [] and doc["refused"] == []


def test_latest_promotion_through_the_fidelity_proxy_publishes_only_that_code(
    fidelity_proxy, moto, tmp_path
):
    """Through the proxy (which enforces CodeSha256 on publish, as AWS does):
    code deployed after the promotion is never published under its name."""
    direct = lambda_client(moto.url)
    folder = tmp_path / "manifests"
    folder.mkdir()
    cli = Cli(fidelity_proxy.url, folder)
    seed_function(direct, "svc", 1)
    direct.update_function_code(FunctionName="svc", ZipFile=make_zip("# promoted build\n"))
    wait_updated(direct, "svc")
    direct.create_alias(FunctionName="svc", Name="dev", FunctionVersion="$LATEST")
    direct.create_alias(FunctionName="svc", Name="beta", FunctionVersion="1")
    cli.write(
        "svc.yaml",
        "function: svc\nregion: eu-west-1\naliases:\n  dev: {version: $LATEST}\n"
        "  beta: {version: 1}\n",
    )
    code, doc = promote(cli, "dev", "beta")
    assert code == 0, doc
    promoted = doc["promoted"][0]["content_reference"]["code_sha256"]
    # Someone deploys other code before the apply: the reference still names the old hash.
    direct.update_function_code(FunctionName="svc", ZipFile=make_zip("# later build\n"))
    wait_updated(direct, "svc")
    code, applied = cli.apply()
    print(code, applied.get("errors"), applied.get("failure_reason"))
    versions = direct.list_versions_by_function(FunctionName="svc")["Versions"]
    published = [v for v in versions if v["Version"] not in ("$LATEST", "1")]
    assert all(v["CodeSha256"] == promoted for v in published), published
    beta = direct.get_alias(FunctionName="svc", Name="beta")["FunctionVersion"]
    assert (
        beta == "1" or next(v for v in versions if v["Version"] == beta)["CodeSha256"] == promoted
    )
