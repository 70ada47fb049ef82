"""The CLI's small contracts, end to end: usage errors exit 1 (2 means only
"changes pending"/"drift found"), --target that matches nothing, --target with
a saved plan, `plan --out` checked before any AWS read, `report merge` of
different manifests, validation wording, `status` of a function that differs,
and the options each command offers."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.manifest.resources import load_schema
from tests.e2e import Cli
from tests.support.foreign_endpoint import closed_port_url
from tests.support.moto_server import aws_env, lambda_client, seed_function

ROOT = Path(__file__).parent.parent
SVC = "function: svc\nregion: eu-west-1\naliases:\n  live:\n    version: {version}\n"


def reconciler(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *argv],
        env=env or aws_env(closed_port_url()),
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["drift", "manifests", "--bogus"],
        ["plan", "--formt", "json"],
        ["frobnicate"],
        [],
        ["validate", "manifests", "--region", "eu-west-1"],
        ["--endpoint-url", "http://h", "report", "render", "x.json"],
        ["--region", "eu-west-1", "validate", "manifests"],
        ["sandbox", "--region", "us-east-1"],
        ["sandbox", "--port", "99999"],
        ["plan", "--concurrency", "0"],
    ],
)
def test_usage_errors_exit_1_with_the_usage_line(argv):
    proc = reconciler(*argv)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("usage: reconciler"), proc.stderr
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", ["validate", "report"])
def test_commands_without_aws_do_not_offer_connection_options(command):
    help_text = reconciler(command, "--help").stdout
    assert "--region" not in help_text and "--endpoint-url" not in help_text


def test_commands_with_aws_offer_connection_options():
    help_text = reconciler("plan", "--help").stdout
    assert "--region" in help_text and "--endpoint-url" in help_text


def test_target_matching_no_function_lists_the_targets(tmp_path):
    (tmp_path / "svc.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: LambdaFunction\n" + SVC.format(version=1),
        encoding="utf-8",
    )
    proc = reconciler("plan", str(tmp_path), "--target", "111111111111/eu-west-1")
    assert proc.returncode == 1
    assert "--target 111111111111/eu-west-1 matches no function" in proc.stderr
    assert "eu-west-1" in proc.stderr.split("their targets:")[1]
    proc = reconciler("drift", str(tmp_path), "--target", "*/us-east-1", "--format", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, load_schema("drift"))
    assert doc["failure_reason"] == "usage"


def test_plan_out_is_checked_before_any_aws_read(tmp_path):
    (tmp_path / "svc.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: LambdaFunction\n" + SVC.format(version=1),
        encoding="utf-8",
    )
    # The endpoint is a closed port: reading AWS first would fail differently.
    proc = reconciler("plan", str(tmp_path), "--out", str(tmp_path / "no" / "dir" / "p.json"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "does not exist" in proc.stderr and "connect" not in proc.stderr
    proc = reconciler("plan", str(tmp_path), "--out", str(tmp_path))
    assert proc.returncode == 1 and "is a directory" in proc.stderr


def saved_plan(moto: Any, tmp_path: Path) -> tuple[Cli, Path, Any]:
    client = lambda_client(moto.url)
    seed_function(client, "svc", 2)
    cli = Cli(moto.url, tmp_path / "m")
    cli.folder.mkdir()
    cli.write("svc.yaml", SVC.format(version=2))
    out = tmp_path / "plan.json"
    proc = cli.run("plan", str(cli.folder), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"saved plan to {out}" in proc.stderr
    return cli, out, client


def test_target_with_a_saved_plan_is_refused_unless_it_is_the_plans(moto, tmp_path):
    cli, out, client = saved_plan(moto, tmp_path)
    proc = cli.run("apply", "--plan", str(out), "--auto-approve", "--target", "*/us-east-1")
    assert proc.returncode == 1
    assert "--target does not match the saved plan's target" in proc.stderr
    assert client.list_aliases(FunctionName="svc")["Aliases"] == []  # nothing applied
    # The saved plan covers every target; only a --target equal to its own passes.
    proc = cli.run("apply", "--plan", str(out), "--auto-approve")
    assert proc.returncode == 0, proc.stderr
    assert [a["Name"] for a in client.list_aliases(FunctionName="svc")["Aliases"]] == ["live"]


def test_status_marks_a_function_that_differs(moto, tmp_path):
    client = lambda_client(moto.url)
    seed_function(client, "svc", 2)
    client.create_alias(FunctionName="svc", Name="live", FunctionVersion="1")
    cli = Cli(moto.url, tmp_path)
    cli.write("svc.yaml", SVC.format(version=2))
    proc = cli.run("status", str(tmp_path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, load_schema("status"))
    (fn,) = doc["functions"]
    assert fn["status"] == "differs"
    assert [a["differs"] for a in fn["aliases"]] == [True]
    text = cli.run("status", str(tmp_path)).stdout
    assert "svc (eu-west-1)  differs" in text and "differs from the manifest" in text
    # In sync: ok.
    cli.write("svc.yaml", SVC.format(version=1))
    doc = json.loads(cli.run("status", str(tmp_path), "--format", "json").stdout)
    assert doc["functions"][0]["status"] == "ok"
    assert doc["functions"][0]["aliases"][0]["differs"] is False


def report(path: Path, digest: str, region: str) -> str:
    doc = json.loads((ROOT / "tests" / "fixtures" / "reports" / "plan_changes.json").read_text())
    doc["manifests"]["digest"] = digest
    doc["target"] = {"account": None, "region": region}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_report_merge_refuses_different_manifests(tmp_path):
    first = report(tmp_path / "a.json", "sha256:" + "a" * 64, "eu-west-1")
    second = report(tmp_path / "b.json", "sha256:" + "b" * 64, "us-east-1")
    proc = reconciler("report", "merge", first, second)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "different manifests" in proc.stderr and "--allow-mixed" in proc.stderr
    proc = reconciler("report", "merge", first, second, "--allow-mixed")
    assert proc.returncode == 0, proc.stderr
    merged = json.loads(proc.stdout)
    jsonschema.validate(merged, load_schema("plan"))
    assert merged["manifests"]["digest"] is None
    assert [m["documents"] for m in merged["mixed_manifests"]] == [[first], [second]]
    markdown = reconciler("report", "merge", first, second, "--allow-mixed", "--format", "markdown")
    assert "**mixed manifests**: 2 different sets merged" in markdown.stdout
    # Same manifests: merged without a word.
    same = report(tmp_path / "c.json", "sha256:" + "a" * 64, "us-east-1")
    merged = json.loads(reconciler("report", "merge", first, same).stdout)
    assert "mixed_manifests" not in merged
    assert merged["manifests"]["digest"] == "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"$latest"', "refers to version '$latest' (did you mean $LATEST?"),
        ("live", "refers to alias 'live', but an alias cannot point to another alias"),
        ("[1]", "version of alias 'beta' is a list, which is not valid"),
    ],
)
def test_validation_wording(tmp_path, value, expected):
    (tmp_path / "m.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: f\nregion: eu-west-1\n"
        f"aliases:\n  live:\n    version: 1\n  beta:\n    version: {value}\n",
        encoding="utf-8",
    )
    proc = reconciler("validate", str(tmp_path))
    assert proc.returncode == 1
    assert expected in proc.stdout, proc.stdout


def test_validate_counts_files_and_functions(tmp_path):
    body = "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: {name}\naliases:\n  live:\n    version: 1\n"
    (tmp_path / "two.yaml").write_text(
        body.format(name="a") + "---\n" + body.format(name="b"), encoding="utf-8"
    )
    proc = reconciler("validate", str(tmp_path))
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip() == "1 manifest file valid: 2 functions, 2 aliases"


def test_sandbox_hint_names_an_extra_that_exists():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    source = (ROOT / "reconciler" / "sandbox" / "server.py").read_text()
    assert "reconciler[sandbox]" in source and "sandbox" in extras
    assert any(dep.startswith("moto[server]") for dep in extras["sandbox"])


def test_sandbox_port_that_is_taken_is_a_clean_error():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = reconciler("sandbox", "--port", str(port), "--no-seed")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr


def test_sandbox_port_is_used(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "--port", str(port), "--no-seed"],
        env=aws_env(closed_port_url()),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        lines = [child.stdout.readline() for _ in range(4)]
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}\n" in lines
    finally:
        child.terminate()
        child.wait(timeout=30)
