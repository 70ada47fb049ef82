"""The apply-time guards, each through the real CLI and the fidelity proxy.

Each test here fails when its guard is removed (each was run with its guard
disabled and seen to fail): a deploy landing between read and publish, a version
published with another hash, an alias touched (same content, new RevisionId)
before a prune deletes it, and an alias moved to the same version with other
weights while our update was in flight.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reconciler.aws.gateway import Connection, Session
from reconciler.errors import InvalidRequestError
from tests.e2e import Cli
from tests.support.moto_server import lambda_client, make_zip, seed_function, sha_of


@pytest.fixture
def cli(fidelity_proxy, tmp_path: Path) -> Cli:
    return Cli(fidelity_proxy.url, tmp_path)


def published(direct, name: str) -> dict[str, str]:
    versions = direct.list_versions_by_function(FunctionName=name)["Versions"]
    return {v["Version"]: v["CodeSha256"] for v in versions if v["Version"] != "$LATEST"}


def aliases(direct, name: str) -> dict[str, tuple[str, dict[str, float]]]:
    found = direct.list_aliases(FunctionName=name)["Aliases"]
    return {
        a["Name"]: (
            a["FunctionVersion"],
            dict((a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}),
        )
        for a in found
    }


def write_build_manifest(cli: Cli, build: str) -> None:
    cli.write(
        "svc.yaml",
        f'function: svc\nregion: eu-west-1\nversions:\n  next:\n    code_sha256: "{sha_of(build)}"\n'
        "aliases:\n  live:\n    version: next\n",
    )


def once(op: str, action, alias: str | None = None):
    """An on_request hook running `action` before the first `op` (on `alias`)."""
    fired = threading.Event()

    def hook(seen_op, function, seen_alias):
        if seen_op == op and (alias is None or seen_alias == alias) and not fired.is_set():
            fired.set()
            action()

    return hook, fired


def test_code_deployed_between_read_and_publish_publishes_nothing(fidelity_proxy, direct, cli):
    seed_function(direct, "svc", 1)
    direct.update_function_code(FunctionName="svc", ZipFile=make_zip("# build 2\n"))
    write_build_manifest(cli, "# build 2\n")
    before = published(direct, "svc")

    def deploy() -> None:  # a pipeline's deploy lands after our read, before our publish
        direct.update_function_code(FunctionName="svc", ZipFile=make_zip("# build 3\n"))

    hook, fired = once("PublishVersion", deploy)
    fidelity_proxy.on_request(hook)
    code, doc = cli.apply()
    fidelity_proxy.on_request(None)
    assert fired.is_set() and not fidelity_proxy.errors
    assert code == 1
    assert doc["functions"][0]["status"] == "failed"
    assert published(direct, "svc") == before, "build 3 must never be published as 'next'"
    assert "live" not in aliases(direct, "svc")


def test_publish_sends_the_expected_code_sha256(fidelity_proxy, direct):
    """Without a RevisionId, CodeSha256 alone must stop a publish of other code (AWS's
    PublishVersion guard); the reconciler never publishes unchecked."""
    seed_function(direct, "svc", 1)
    direct.update_function_code(FunctionName="svc", ZipFile=make_zip("# build 2\n"))
    session = Session(
        Connection(
            region="eu-west-1",
            endpoint_url=fidelity_proxy.url,
            credentials=("t", "t"),
            max_rps=1000,
        )
    )
    with pytest.raises(InvalidRequestError):
        session.gateway("eu-west-1").publish_version("svc", sha_of("# build 1\n"), "", None)
    assert len(published(direct, "svc")) == 1


def test_version_published_with_another_hash_is_never_routed_to(fidelity_proxy, direct, cli):
    seed_function(direct, "svc", 1)
    direct.update_function_code(FunctionName="svc", ZipFile=make_zip("# build 2\n"))
    write_build_manifest(cli, "# build 2\n")
    fidelity_proxy.publish_other_code_next("svc", make_zip("# build 3\n"))
    code, doc = cli.apply()
    assert code == 1
    (fn,) = doc["functions"]
    assert fn["status"] == "failed" and "unexpected code_sha256" in fn["reason"]
    assert published(direct, "svc")["2"] == sha_of("# build 3\n")  # the fault really hit
    assert "live" not in aliases(direct, "svc")


def test_alias_touched_before_prune_is_not_deleted(fidelity_proxy, direct, cli):
    seed_function(direct, "svc", 2)
    direct.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    direct.create_alias(FunctionName="svc", Name="old", FunctionVersion="1", Description="o")
    cli.write(
        "svc.yaml",
        "function: svc\nregion: eu-west-1\nprune: true\naliases:\n  live:\n    version: 1\n",
    )
    console = lambda_client(fidelity_proxy.url)

    def touch() -> None:  # same content, new RevisionId: someone is working on it
        console.update_alias(FunctionName="svc", Name="old", Description="o")

    revision = fidelity_proxy.revision_id("svc", "old")
    hook, fired = once("GetAlias", touch, alias="old")
    fidelity_proxy.on_request(hook)
    code, doc = cli.apply()
    fidelity_proxy.on_request(None)
    assert fired.is_set() and not fidelity_proxy.errors
    assert fidelity_proxy.revision_id("svc", "old") != revision
    assert code == 0, doc
    (change,) = doc["changes"]
    assert change["action"] == "delete_alias" and change["status"] == "skipped"
    assert "changed since the plan was made" in change["message"]
    assert "old" in aliases(direct, "svc")
    assert fidelity_proxy.calls_for("svc")["DeleteAlias"] == 0


def test_same_version_other_weights_after_a_412_is_not_already_in_place(
    fidelity_proxy, direct, cli
):
    seed_function(direct, "svc", 3)
    direct.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    cli.write(
        "svc.yaml",
        "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n"
        "    weights: {3: 0.1}\n",
    )
    console = lambda_client(fidelity_proxy.url)

    def someone_else() -> None:  # same version as ours, other weights
        console.update_alias(
            FunctionName="svc",
            Name="live",
            FunctionVersion="2",
            RoutingConfig={"AdditionalVersionWeights": {"3": 0.5}},
        )

    hook, fired = once("UpdateAlias", someone_else)
    fidelity_proxy.on_request(hook)
    code, doc = cli.apply()
    fidelity_proxy.on_request(None)
    assert fired.is_set() and not fidelity_proxy.errors
    assert any(r.op == "UpdateAlias" and r.status == 412 for r in fidelity_proxy.requests)
    assert code == 1
    (fn,) = doc["functions"]
    assert fn["status"] == "failed" and "not overwritten" in fn["reason"]
    assert all("already in place" not in (c["message"] or "") for c in doc["changes"])
    assert aliases(direct, "svc")["live"] == ("2", {"3": 0.5})
