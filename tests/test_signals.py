"""SIGINT/SIGTERM during apply: no new call, a report of what happened, 130/143."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading

import pytest

from tests.e2e import Cli
from tests.support.moto_server import seed_function

MUTATING = {"CreateAlias", "UpdateAlias", "DeleteAlias", "PublishVersion"}


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_apply_reports_what_was_done(fidelity_proxy, direct, tmp_path, signum, code):
    cli = Cli(fidelity_proxy.url, tmp_path)
    for i in range(12):
        name = f"sig-{i:02d}"
        seed_function(direct, name, 2)
        direct.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
        cli.write(
            f"{name}.yaml",
            f"function: {name}\nregion: eu-west-1\naliases:\n"
            "  live: {version: 2}\n  beta: {version: 1}\n",
        )
    fidelity_proxy.rate_limit(3)  # slow enough to be stopped in the middle
    child: dict[str, subprocess.Popen[str]] = {}
    sent = threading.Event()

    def stop_after_the_first_change(op, function, alias):
        if op in MUTATING and not sent.is_set():
            sent.set()
            child["p"].send_signal(signum)

    fidelity_proxy.on_request(stop_after_the_first_change)
    child["p"] = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "apply",
            str(cli.folder),
            "--auto-approve",
            "--format",
            "json",
            "--concurrency",
            "2",
        ],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = child["p"].communicate(timeout=120)
    fidelity_proxy.on_request(None)
    assert sent.is_set()
    assert child["p"].returncode == code, err
    assert "Traceback" not in err
    doc = json.loads(out)
    assert doc["failure_reason"] == "interrupted"
    done = [r for r in fidelity_proxy.requests if r.op in MUTATING and r.status < 300]
    assert doc["applied"] == len(done)
    assert 0 < len(done) < 24  # stopped in the middle
    statuses = {f["status"] for f in doc["functions"]}
    assert statuses <= {"changed", "not_attempted", "unchanged"}
    # No function half-applied: each either has both changes or none.
    for fn in doc["functions"]:
        mine = [c for c in doc["changes"] if c["function"] == fn["function"]]
        assert len({c["status"] for c in mine}) == 1, mine


@pytest.mark.parametrize(
    ("signum", "code", "fmt"), [(signal.SIGTERM, 143, "json"), (signal.SIGINT, 130, "text")]
)
def test_a_signal_during_the_wait_for_ready_ends_it(
    fidelity_proxy, direct, tmp_path, signum, code, fmt
):
    """Provisioned concurrency that takes long to be READY (AWS: minutes): a signal
    during the wait ends the run promptly, reporting the setting applied and
    READY not confirmed, with what to check."""
    cli = Cli(fidelity_proxy.url, tmp_path)
    seed_function(direct, "warm", 2)
    direct.create_alias(FunctionName="warm", Name="live", FunctionVersion="1")
    cli.write(
        "warm.yaml",
        "function: warm\nregion: eu-west-1\naliases:\n"
        "  live:\n    version: 2\n    provisioned_concurrency: 2\n",
    )
    fidelity_proxy.pc_ready_seconds = 3600.0  # longer than any test may wait
    child: dict[str, subprocess.Popen[str]] = {}
    sent = threading.Event()

    def stop_while_waiting(op, function, alias):
        if op == "GetProvisionedConcurrencyConfig" and not sent.is_set():
            sent.set()
            child["p"].send_signal(signum)

    fidelity_proxy.on_request(stop_while_waiting)
    child["p"] = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "apply",
            str(cli.folder),
            "--auto-approve",
            "--format",
            fmt,
        ],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = child["p"].communicate(timeout=60)  # generous: the wait alone is an hour
    except subprocess.TimeoutExpired:
        child["p"].kill()
        child["p"].communicate()
        pytest.fail("apply went on waiting for READY after the signal")
    fidelity_proxy.on_request(None)
    assert sent.is_set()
    assert child["p"].returncode == code, err
    assert "Traceback" not in err
    puts = [r for r in fidelity_proxy.requests if r.op == "PutProvisionedConcurrencyConfig"]
    assert len(puts) == 1 and puts[0].status is not None and puts[0].status < 300
    if fmt == "text":
        assert "READY not confirmed" in out
        assert "    next: check `reconciler status`" in out
        assert out.rstrip().endswith("See each function's next step above."), out
        return
    doc = json.loads(out)
    assert doc["failure_reason"] == "interrupted" and doc["success"] is False
    (put,) = [c for c in doc["changes"] if c["action"] == "put_provisioned_concurrency"]
    assert put["status"] == "applied"
    assert "READY not confirmed: the run was interrupted" in put["message"]
    (fn,) = doc["functions"]
    assert fn["status"] == "changed"
    assert "READY not confirmed" in fn["reason"]
    assert "reconciler status" in fn["next_step"]
    assert doc["applied"] == sum(1 for c in doc["changes"] if c["status"] == "applied") == 2
