"""Saved plans are promises checked against a fresh plan (issue: plans that cannot lie).

Everything runs through the fidelity proxy, which records every mutating call,
so "refused" always means "and nothing changed".
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import Cli
from tests.support.moto_server import lambda_client, make_zip, seed_function, sha_of

MUTATING = {
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "PublishVersion",
    "DeleteFunction",
    "PutProvisionedConcurrencyConfig",
    "DeleteProvisionedConcurrencyConfig",
}
REPOINT = (
    "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n  beta:\n    version: 1\n"
)


CODE_1 = "# svc code 1\n"
BUILD_2 = "# build 2\n"


@pytest.fixture
def cli(fidelity_proxy, tmp_path: Path) -> Cli:
    return Cli(fidelity_proxy.url, tmp_path / "manifests")


def mutations(proxy: Any) -> list[str]:
    return [r.op for r in proxy.requests if r.op in MUTATING and r.status < 300]


def saved_plan(cli: Cli, body: str) -> tuple[Path, dict[str, Any]]:
    cli.folder.mkdir(exist_ok=True)
    cli.write("svc.yaml", body)
    out = cli.folder.parent / "svc.plan.json"
    proc = cli.run("plan", str(cli.folder), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"saved plan to {out}" in proc.stderr
    return out, json.loads(out.read_text(encoding="utf-8"))


def _retarget(doc: dict[str, Any]) -> None:
    doc["changes"][0]["after"]["version"] = "1"


def _add_delete(doc: dict[str, Any]) -> None:
    extra = dict(doc["changes"][0], action="delete_alias", alias="beta", summary="- beta")
    extra["before"] = dict(doc["changes"][0]["before"] or doc["changes"][0]["after"])
    doc["changes"].append(extra)


def _drop(doc: dict[str, Any]) -> None:
    doc["changes"].pop()


def _rename(doc: dict[str, Any]) -> None:
    doc["changes"][0]["function"] = doc["changes"][0]["function_id"] = "other"


def _move(doc: dict[str, Any]) -> None:
    doc["changes"][0]["region"] = "us-east-1"


def _digest(doc: dict[str, Any]) -> None:
    doc["manifests"]["digest"] = "0" * 64


@pytest.mark.parametrize(
    "tamper",
    [_retarget, _add_delete, _drop, _rename, _move, _digest],
    ids=["target-version", "added-action", "removed-action", "function", "region", "digest"],
)
def test_a_tampered_plan_is_refused_and_nothing_changes(fidelity_proxy, direct, cli, tamper):
    seed_function(direct, "svc", 2)
    direct.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    out, doc = saved_plan(cli, REPOINT)
    assert [c["action"] for c in doc["changes"]] == ["update_alias", "create_alias"]
    tamper(doc)
    out.write_text(json.dumps(doc), encoding="utf-8")
    fidelity_proxy.reset_counts()
    code, result = cli.json("apply", "--plan", str(out))
    assert code == 1 and result["failure_reason"] == "plan-stale"
    assert result["errors"] and all("message" in e for e in result["errors"])
    assert mutations(fidelity_proxy) == []
    assert direct.get_alias(FunctionName="svc", Name="live")["FunctionVersion"] == "1"


def test_the_untampered_plan_applies_and_converges(fidelity_proxy, direct, cli):
    seed_function(direct, "svc", 2)
    direct.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    out, _ = saved_plan(cli, REPOINT)
    code, result = cli.json("apply", "--plan", str(out))
    assert code == 0 and result["applied"] == 2
    assert cli.plan()[0] == 0  # nothing left to do


def test_the_account_guard_holds_for_a_saved_plan(fidelity_proxy, direct, cli):
    seed_function(direct, "svc", 2)
    out, _ = saved_plan(cli, 'account: "123456789012"\n' + REPOINT)
    fidelity_proxy.caller_account = "999999999999"  # other credentials at apply time
    fidelity_proxy.reset_counts()
    code, result = cli.json("apply", "--plan", str(out))
    assert code == 1 and result["failure_reason"] == "plan-error"
    assert [e["kind"] for e in result["errors"]] == ["account_mismatch"]
    assert mutations(fidelity_proxy) == []


def test_promotion_with_retain_versions_applies_from_a_saved_plan(fidelity_proxy, direct, cli):
    seed_function(direct, "svc", 5)
    direct.create_alias(FunctionName="svc", Name="test", FunctionVersion="3")
    out, doc = saved_plan(
        cli,
        "function: svc\nregion: eu-west-1\nretain_versions: {keep_last: 1}\n"
        "aliases:\n  test: {version: 5}\n",
    )
    assert "delete_version" in [c["action"] for c in doc["changes"]]
    code, result = cli.json("apply", "--plan", str(out))
    assert code == 0, result["errors"]
    assert direct.get_alias(FunctionName="svc", Name="test")["FunctionVersion"] == "5"
    assert cli.plan()[0] == 0


def test_race_after_apply_plan_is_replanned_whatever_the_region_source(fidelity_proxy, direct, cli):
    seed_function(direct, "svc", 2)
    direct.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    cli.folder.mkdir(exist_ok=True)
    cli.write("svc.yaml", "function: svc\naliases:\n  live:\n    version: 2\n")  # no region
    out = cli.folder.parent / "svc.plan.json"
    assert cli.run("plan", str(cli.folder), "--out", str(out)).returncode == 0  # AWS_REGION
    console = lambda_client(fidelity_proxy.url)
    fired = threading.Event()

    def touch(op, function, alias):
        if op == "UpdateAlias" and not fired.is_set():
            fired.set()  # an unmanaged description edit: a new RevisionId, same promise
            console.update_alias(FunctionName="svc", Name="live", Description="on call")

    fidelity_proxy.on_request(touch)
    code, result = cli.json("apply", "--plan", str(out), "--region", "eu-west-1")
    fidelity_proxy.on_request(None)
    assert fired.is_set() and not fidelity_proxy.hook_errors
    assert code == 0, result["errors"]
    assert any(r.op == "UpdateAlias" and r.status == 412 for r in fidelity_proxy.requests)
    assert direct.get_alias(FunctionName="svc", Name="live")["FunctionVersion"] == "2"


def test_a_content_reference_weighting_the_alias_own_version_is_rejected(
    fidelity_proxy, direct, cli
):
    seed_function(direct, "svc", 1)
    cli.folder.mkdir(exist_ok=True)
    cli.write(
        "svc.yaml",
        "function: svc\nregion: eu-west-1\nversions:\n  stable: 1\n"
        f'  candidate: {{code_sha256: "{sha_of(CODE_1)}"}}\n'
        "aliases:\n  live:\n    version: stable\n    weights: {candidate: 0.1}\n",
    )
    fidelity_proxy.reset_counts()
    code, doc = cli.apply()
    assert code == 1
    (error,) = doc["errors"]
    assert error["kind"] == "weight_on_primary"
    assert "candidate" in error["message"] and "stable" in error["message"]
    assert mutations(fidelity_proxy) == []


@pytest.mark.parametrize(
    ("live_on", "expected"),
    [("1", {"live": "1", "beta": "3"}), (None, {"live": "3", "beta": "3"})],
    ids=["served-version-kept", "highest-otherwise"],
)
def test_duplicate_hashes_resolve_by_one_rule(fidelity_proxy, direct, cli, live_on, expected):
    # Versions 1:A, 2:B, 3:A.
    seed_function(direct, "svc", 2)
    update = direct.update_function_code(FunctionName="svc", ZipFile=make_zip(CODE_1))
    assert update["CodeSha256"] == sha_of(CODE_1)
    lambda_client(fidelity_proxy.url).publish_version(FunctionName="svc")
    if live_on:
        direct.create_alias(FunctionName="svc", Name="live", FunctionVersion=live_on)
    cli.folder.mkdir(exist_ok=True)
    cli.write(
        "svc.yaml",
        "function: svc\nregion: eu-west-1\nversions:\n"
        f'  a: {{code_sha256: "{sha_of(CODE_1)}"}}\n'
        "aliases:\n  live: {version: a}\n  beta: {version: a}\n",
    )
    assert cli.apply()[0] == 0
    served = {a: direct.get_alias(FunctionName="svc", Name=a)["FunctionVersion"] for a in expected}
    assert served == expected
    assert cli.plan()[0] == 0


def test_another_writers_publish_is_reported_as_theirs(fidelity_proxy, direct, cli):
    seed_function(direct, "svc", 1)
    direct.update_function_code(FunctionName="svc", ZipFile=make_zip(BUILD_2))
    cli.folder.mkdir(exist_ok=True)
    cli.write(
        "svc.yaml",
        "function: svc\nregion: eu-west-1\nversions:\n"
        f'  next: {{code_sha256: "{sha_of(BUILD_2)}", description: "build 2"}}\n'
        "aliases:\n  live: {version: next}\n",
    )
    other = lambda_client(fidelity_proxy.url)
    fired = threading.Event()

    def someone_else(op, function, alias):
        if op == "PublishVersion" and not fired.is_set():
            fired.set()  # another pipeline publishes the same code first
            other.publish_version(FunctionName="svc", Description="their pipeline")

    fidelity_proxy.on_request(someone_else)
    code, doc = cli.apply()
    fidelity_proxy.on_request(None)
    assert fired.is_set() and not fidelity_proxy.hook_errors
    assert code == 0, doc["errors"]
    (publish,) = [c for c in doc["changes"] if c["action"] == "publish_version"]
    assert "published by another writer" in publish["message"]
    assert "their pipeline" in publish["message"]
    versions = direct.list_versions_by_function(FunctionName="svc")["Versions"]
    published = [v["Version"] for v in versions if v["Version"] != "$LATEST"]
    assert [v for v in published if v != "1"] == ["2"]  # one version with the hash, theirs
    assert direct.get_alias(FunctionName="svc", Name="live")["FunctionVersion"] == "2"
