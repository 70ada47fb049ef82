"""Errors the user's environment causes (credentials, endpoint, network, TLS),
end to end through the CLI: exit 1, one line naming what failed, where and
what to do, no traceback, and one JSON document with `failure_reason`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.manifest.resources import load_schema
from tests.e2e import HEADER
from tests.support.foreign_endpoint import NotFoundServer, closed_port_url
from tests.support.moto_server import aws_env

COMMANDS = {
    "plan": ["plan"],
    "apply": ["apply", "--auto-approve"],
    "drift": ["drift"],
    "status": ["status"],
}


@pytest.fixture(scope="module")
def not_found_server() -> Iterator[NotFoundServer]:
    with NotFoundServer() as server:
        yield server


def write_functions(folder: Path, count: int) -> Path:
    for i in range(count):
        (folder / f"fn-{i:03d}.yaml").write_text(
            f"{HEADER}function: fn-{i:03d}\nregion: eu-west-1\naliases:\n  live:\n    version: 1\n",
            encoding="utf-8",
        )
    return folder


def run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *argv],
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_document(proc: subprocess.CompletedProcess[str], command: str) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError(f"not one JSON document:\n{proc.stdout}\n{proc.stderr}") from exc
    schema = {"drift": "drift", "status": "status"}.get(command, "plan")
    jsonschema.validate(doc, load_schema(schema))
    return doc


def environment(case: str, not_found: NotFoundServer) -> tuple[dict[str, str], str, str]:
    """(env, expected failure_reason, a word the message must contain)."""
    if case == "no-credentials":
        env = aws_env(closed_port_url())
        del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        return env, "credentials", "credentials"
    if case == "unknown-profile":
        env = aws_env(closed_port_url())
        env["AWS_PROFILE"] = "no-such-profile"
        return env, "credentials", "no-such-profile"
    if case == "invalid-url":
        return aws_env("notaurl"), "endpoint-invalid", "notaurl"
    if case == "connection-refused":
        url = closed_port_url()
        return aws_env(url), "endpoint-unreachable", url
    if case == "tls-mismatch":
        url = not_found.url.replace("http://", "https://")
        return aws_env(url), "endpoint-tls", url
    assert case == "not-lambda"
    return aws_env(not_found.url), "endpoint-not-lambda", not_found.url


CASES = [
    "no-credentials",
    "unknown-profile",
    "invalid-url",
    "connection-refused",
    "tls-mismatch",
    "not-lambda",
]


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", CASES)
def test_environment_error_is_one_line_and_one_document(case, command, tmp_path, not_found_server):
    env, reason, word = environment(case, not_found_server)
    folder = write_functions(tmp_path, 3)
    proc = run(env, *COMMANDS[command], str(folder), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = one_document(proc, command)
    assert doc["kind"] == command  # apply's own document, even when it stopped planning
    assert doc["failure_reason"] == reason
    assert len(doc["errors"]) == 1 and word in doc["errors"][0]["message"]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and word in lines[0], proc.stderr
    # Every function the run could not reach is reported, and not as applied/in sync.
    statuses = {f["status"] for f in doc["functions"]}
    assert statuses <= {"not_attempted"}, statuses


@pytest.mark.parametrize("case", CASES)
def test_environment_error_in_text_names_where_and_what_to_do(case, tmp_path, not_found_server):
    env, _reason, word = environment(case, not_found_server)
    proc = run(env, "plan", str(write_functions(tmp_path, 2)))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("error: ") and word in line
    assert "region" in line and "; " in line  # where, then what to do


def test_verbose_adds_the_cause(tmp_path):
    proc = run(aws_env(closed_port_url()), "plan", str(write_functions(tmp_path, 1)), "-v")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cause: EndpointConnectionError" in proc.stderr


def test_not_lambda_404_is_not_read_as_missing_function(tmp_path, not_found_server):
    proc = run(aws_env(not_found_server.url), "plan", str(write_functions(tmp_path, 1)))
    assert proc.returncode == 1
    assert "does not exist" not in proc.stderr + proc.stdout
    assert "did not answer like AWS lambda" in proc.stderr
    assert not_found_server.url in proc.stderr


def test_unreachable_endpoint_stops_fast_whatever_the_number_of_functions(tmp_path):
    """200 functions against a closed port: the circuit breaker opens once, no
    function is retried on its own, all are reported not attempted."""
    proc = run(
        aws_env(closed_port_url()),
        "plan",
        str(write_functions(tmp_path, 200)),
        "--format",
        "json",
        "--concurrency",
        "8",
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    doc = one_document(proc, "plan")
    assert doc["failure_reason"] == "endpoint-unreachable"
    assert len(doc["functions"]) == 200
    assert {f["status"] for f in doc["functions"]} == {"not_attempted"}
    assert len(doc["errors"]) == 1
    # Attempts were made by the threads in flight when the breaker opened, not
    # by each of the 200 functions in turn.
    assert doc["stats"]["api_calls_total"] < 200
