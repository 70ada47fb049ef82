"""Quotas, faults and races, through the AWS-fidelity proxy in front of moto.

moto ignores RevisionId, never throttles, never pages and is never "update in
progress"; the proxy does all of that as AWS does, so these tests exercise the
real guards (see tests/support/fidelity_proxy.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reconciler.aws.gateway import Connection, Session
from reconciler.aws.throttle import RetryPolicy
from tests.e2e import Cli, live_state
from tests.support.fidelity_proxy import FaultPlan
from tests.support.moto_server import (
    create_function,
    lambda_client,
    make_zip,
    publish,
    seed_function,
    sha_of,
)

LAMBDA_WRITES = {"PublishVersion", "CreateAlias", "UpdateAlias", "DeleteAlias"}


@pytest.fixture
def cli(fidelity_proxy, tmp_path: Path) -> Cli:
    return Cli(fidelity_proxy.url, tmp_path)


def fleet(direct, cli: Cli, count: int) -> list[str]:
    """Functions needing every kind of change: create, repoint, weights, publish."""
    names = []
    for i in range(count):
        name = f"fleet-{i:02d}"
        names.append(name)
        seed_function(direct, name, 3)
        direct.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
        direct.create_alias(FunctionName=name, Name="old", FunctionVersion="1")
        build_4 = f"# {name} build 4\n"
        direct.update_function_code(FunctionName=name, ZipFile=make_zip(build_4))
        digest = sha_of(build_4)
        cli.write(
            f"{name}.yaml",
            f"""
            function: {name}
            region: eu-west-1
            prune: true
            versions:
              next:
                code_sha256: "{digest}"
            aliases:
              live:
                version: 3
                weights: {{2: 0.2}}
              beta:
                version: next
              dev:
                version: $LATEST
            """,
        )
    return names


def published_hashes(direct, name: str) -> list[str]:
    versions = direct.list_versions_by_function(FunctionName=name)["Versions"]
    return [v["CodeSha256"] for v in versions if v["Version"] != "$LATEST"]


def test_apply_converges_under_throttling_5xx_drops_and_lost_replies(fidelity_proxy, direct, cli):
    names = fleet(direct, cli, 8)
    fidelity_proxy.faults = FaultPlan(throttle=0.30, unavailable=0.05, drop=0.02, lost_reply=0.02)
    code, doc = cli.apply("--max-rps", "200")
    assert code == 0, doc["errors"]
    faults = [r.fault for r in fidelity_proxy.requests if r.fault]
    assert {"throttle", "unavailable"} <= set(faults), "the faults must actually have happened"
    assert sum(doc["stats"]["retries"].values()) > 0

    fidelity_proxy.faults = FaultPlan()
    code, again = cli.plan()
    assert code == 0 and again["changes"] == []
    for name in names:
        hashes = published_hashes(direct, name)
        assert len(hashes) == len(set(hashes)) == 4, f"{name}: a hash was published twice"
        assert set(live_state(direct, name)[name]["aliases"]) == {"live", "beta", "dev"}


@pytest.mark.parametrize("versions", [1, 120])
def test_in_sync_plan_stays_within_call_budget(fidelity_proxy, direct, cli, versions):
    for kind in ("pin", "content"):
        name = f"{kind}-{versions}"
        seed_function(direct, name, versions)
        config = direct.get_function_configuration(FunctionName=name, Qualifier=str(versions))
        direct.create_alias(FunctionName=name, Name="live", FunctionVersion=str(versions))
        if kind == "pin":
            cli.write(
                f"{name}.yaml",
                f"function: {name}\nregion: eu-west-1\naliases:\n  live:\n    version: {versions}\n",
            )
        else:
            cli.write(
                f"{name}.yaml",
                f'function: {name}\nregion: eu-west-1\nversions:\n  v:\n    code_sha256: "{config["CodeSha256"]}"\n'
                "aliases:\n  live:\n    version: v\n",
            )
    fidelity_proxy.reset_counts()
    code, doc = cli.plan()
    assert code == 0 and doc["changes"] == []
    pin = fidelity_proxy.calls_for(f"pin-{versions}")
    content = fidelity_proxy.calls_for(f"content-{versions}")
    assert sum(pin.values()) == 1 and pin["ListAliases"] == 1
    assert sum(content.values()) <= 2
    assert content["ListVersionsByFunction"] == 0


def test_many_aliases_in_sync_still_one_call(fidelity_proxy, direct, cli):
    seed_function(direct, "wide", 1)
    aliases = "".join(f"  a{i}:\n    version: 1\n" for i in range(60))
    for i in range(60):
        direct.create_alias(FunctionName="wide", Name=f"a{i}", FunctionVersion="1")
    cli.write("wide.yaml", f"function: wide\nregion: eu-west-1\naliases:\n{aliases}")
    fidelity_proxy.reset_counts()
    code, doc = cli.plan()
    assert code == 0 and doc["changes"] == []
    # 60 aliases page at 50: two ListAliases pages, nothing else.
    assert fidelity_proxy.calls_for("wide") == {"ListAliases": 2}


def test_content_reference_found_beyond_the_first_page(fidelity_proxy, direct, cli):
    create_function(direct, "deep", "# build 1\n")
    direct.publish_version(FunctionName="deep")
    for build in range(2, 121):
        publish(direct, "deep", f"# build {build}\n")
    direct.create_alias(FunctionName="deep", Name="live", FunctionVersion="120")
    build_77 = sha_of("# build 77\n")
    cli.write(
        "deep.yaml",
        f'function: deep\nregion: eu-west-1\nversions:\n  old:\n    code_sha256: "{build_77}"\n'
        "aliases:\n  live:\n    version: old\n",
    )
    code, doc = cli.plan()
    assert code == 2
    assert doc["changes"][0]["after"]["version"] == "77"
    assert fidelity_proxy.calls_for("deep")["ListVersionsByFunction"] == 3  # 121 entries / 50


def test_out_of_band_update_between_plan_and_apply_is_never_overwritten(
    fidelity_proxy, direct, cli
):
    seed_function(direct, "svc", 3)
    direct.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n")
    console = lambda_client(fidelity_proxy.url)
    fired = threading.Event()

    def human_in_the_console(op, function, alias):
        if op == "UpdateAlias" and not fired.is_set():
            fired.set()  # this very request is ours; the console's goes first
            console.update_alias(FunctionName="svc", Name="live", FunctionVersion="3")

    fidelity_proxy.on_request(human_in_the_console)
    code, doc = cli.apply()
    fidelity_proxy.on_request(None)
    assert fired.is_set() and not fidelity_proxy.hook_errors
    assert code == 1
    (fn,) = doc["functions"]
    assert fn["status"] == "failed" and "not overwritten" in fn["reason"]
    assert direct.get_alias(FunctionName="svc", Name="live")["FunctionVersion"] == "3"
    # A 412 was really answered: the guard did the work, not luck.
    assert any(r.op == "UpdateAlias" and r.status == 412 for r in fidelity_proxy.requests)


def test_saved_plan_refused_when_only_the_revision_changed(fidelity_proxy, direct, cli):
    seed_function(direct, "svc", 2)
    direct.create_alias(FunctionName="svc", Name="live", FunctionVersion="1", Description="a")
    cli.write("svc.yaml", "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: 2\n")
    plan_file = cli.folder.parent / "svc.plan.json"
    assert cli.run("plan", str(cli.folder), "--out", str(plan_file)).returncode == 0
    # Same content, new revision: someone touched it; the reviewed plan is void.
    lambda_client(fidelity_proxy.url).update_alias(FunctionName="svc", Name="live", Description="a")
    code, doc = cli.json("apply", "--plan", str(plan_file))
    assert code == 1 and doc["failure_reason"] == "plan-stale"
    assert "revision" in doc["errors"][0]["message"]
    assert direct.get_alias(FunctionName="svc", Name="live")["FunctionVersion"] == "1"


def test_publish_waits_for_update_in_progress(fidelity_proxy, direct, cli):
    seed_function(direct, "svc", 1)
    direct.update_function_code(FunctionName="svc", ZipFile=make_zip("# build 2\n"))
    build_2 = sha_of("# build 2\n")
    cli.write(
        "svc.yaml",
        f'function: svc\nregion: eu-west-1\nversions:\n  next:\n    code_sha256: "{build_2}"\n'
        "aliases:\n  live:\n    version: next\n",
    )
    opened = threading.Event()

    def deploy_lands_now(op, function, alias):
        # A pipeline's code update lands while we read: relative to our own
        # requests, so process start-up time cannot make the window expire.
        if op == "ListAliases" and function == "svc" and not opened.is_set():
            opened.set()
            fidelity_proxy.set_in_progress("svc", 1.5)

    fidelity_proxy.on_request(deploy_lands_now)
    code, doc = cli.apply()
    fidelity_proxy.on_request(None)
    assert opened.is_set()
    assert code == 0, doc["errors"]
    # Waited by polling GetFunctionConfiguration: GetFunction hands out a code download URL.
    assert fidelity_proxy.calls_for("svc")["GetFunction"] == 0
    assert published_hashes(direct, "svc")[-1] == sha_of("# build 2\n")
    assert len(published_hashes(direct, "svc")) == 2


def test_throttle_honours_retry_after_seconds(fidelity_proxy, direct):
    seed_function(direct, "svc", 1)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        fidelity_proxy.faults = FaultPlan()

    fidelity_proxy.faults = FaultPlan(throttle=1.0, retry_after=3.0, ops={"ListAliases"})
    session = Session(
        Connection(
            region="eu-west-1",
            endpoint_url=fidelity_proxy.url,
            credentials=("t", "t"),
            max_rps=1000,
        ),
        sleep=sleep,
    )
    assert session.gateway("eu-west-1").list_aliases("svc") == []
    assert slept and slept[0] >= 3.0
    assert session.stats.retries["ListAliases"] == 1


def test_retries_are_bounded(fidelity_proxy, direct):
    seed_function(direct, "svc", 1)
    fidelity_proxy.faults = FaultPlan(unavailable=1.0, ops={"ListAliases"})
    policy = RetryPolicy(max_attempts=4)
    session = Session(
        Connection(
            region="eu-west-1",
            endpoint_url=fidelity_proxy.url,
            credentials=("t", "t"),
            retry=policy,
        ),
        sleep=lambda _s: None,
    )
    with pytest.raises(Exception) as raised:
        session.gateway("eu-west-1").list_aliases("svc")
    assert "ListAliases on svc failed" in str(raised.value)
    assert fidelity_proxy.calls_for("svc")["ListAliases"] == 4


def test_client_side_rate_limit_holds(fidelity_proxy, direct, cli):
    for i in range(20):
        seed_function(direct, f"r{i}", 1)
        direct.create_alias(FunctionName=f"r{i}", Name="live", FunctionVersion="1")
        cli.write(
            f"r{i}.yaml", f"function: r{i}\nregion: eu-west-1\naliases:\n  live:\n    version: 1\n"
        )
    fidelity_proxy.rate_limit(6.0)
    fidelity_proxy.reset_counts()
    code, doc = cli.plan("--max-rps", "5")
    assert doc["changes"] == []
    assert code == 0
    # The proxy would have answered 429 above 6/s; the client never got there.
    assert not any(r.status == 429 for r in fidelity_proxy.requests)
    stamps = fidelity_proxy.accepted_times()
    assert len(stamps) == 20
    assert (stamps[-1] - stamps[0]) >= (20 - 5) / 5 * 0.9  # burst of 5, then 5/s


@pytest.mark.parametrize(
    ("kill_on", "nth"),
    [
        ("PublishVersion", 1),
        ("CreateAlias", 1),
        ("UpdateAlias", 1),
        ("CreateAlias", 3),
        ("DeleteAlias", 2),
    ],
)
def test_killed_mid_apply_converges_on_rerun_without_duplicate_publish(
    fidelity_proxy, direct, cli, kill_on, nth
):
    names = fleet(direct, cli, 3)
    seen = {"count": 0}
    child: dict[str, subprocess.Popen[str]] = {}
    killed = threading.Event()

    def kill_point(op, function, alias):
        if op == kill_on and not killed.is_set():
            seen["count"] += 1
            if seen["count"] == nth:
                killed.set()
                os.kill(child["p"].pid, signal.SIGKILL)
                time.sleep(0.2)  # the request itself still reaches the emulator

    fidelity_proxy.on_request(kill_point)
    child["p"] = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "apply",
            str(cli.folder),
            "--auto-approve",
            "--concurrency",
            "1",
        ],
        env=cli.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    child["p"].wait(timeout=120)
    fidelity_proxy.on_request(None)
    assert killed.is_set() and child["p"].returncode == -signal.SIGKILL

    code, doc = cli.apply()
    assert code == 0, doc["errors"]
    code, again = cli.plan()
    assert code == 0 and again["changes"] == []
    for name in names:
        hashes = published_hashes(direct, name)
        assert len(hashes) == len(set(hashes)), f"{name}: duplicate publish after a crash"
