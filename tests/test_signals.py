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
