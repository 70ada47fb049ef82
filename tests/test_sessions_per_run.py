"""A run builds boto3/botocore sessions per run (and clients per region), never per function.

A boto3 Session costs ~10 ms (about 130 handler registrations); one per function made an
in-sync drift of 1,000 region-less manifests 4x slower than its floor. Counted, not timed:
the CLI runs in this process with the session constructors wrapped.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3.session
import botocore.session
import pytest

from reconciler.aws.gateway import Connection, Session
from reconciler.cli import main
from tests.support.moto_server import MotoServer, aws_env, create_function, lambda_client

REGION = "eu-west-1"


@pytest.fixture
def constructions(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts of boto3 and botocore Session constructions from here on."""
    counts: Counter[str] = Counter()
    for cls, key in ((boto3.session.Session, "boto3"), (botocore.session.Session, "botocore")):
        original = cls.__init__

        def counting(self: Any, *args: Any, _o: Any = original, _k: str = key, **kw: Any) -> None:
            counts[_k] += 1
            _o(self, *args, **kw)

        monkeypatch.setattr(cls, "__init__", counting)
    yield counts


def seed(url: str, names: list[str]) -> None:
    client = lambda_client(url, REGION)
    for name in names:
        create_function(client, name, f"# {name}\n", Publish=True)
        client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")


def write_manifests(folder: Path, names: list[str], *, region: bool) -> None:
    docs = [
        f"apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: {name}\n"
        + (f"region: {REGION}\n" if region else "")
        + "aliases:\n  live:\n    version: 1\n"
        for name in names
    ]
    (folder / "fleet.yaml").write_text("---\n".join(docs), encoding="utf-8")


def sessions_for_drift(
    url: str,
    tmp_path: Path,
    count: int,
    *,
    region: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    counts: Counter[str],
) -> Counter[str]:
    names = [f"sess-{count}-{i:03d}" for i in range(count)]
    seed(url, names)
    folder = tmp_path / f"m{count}-{region}"
    folder.mkdir()
    write_manifests(folder, names, region=region)
    for key, value in aws_env(url, REGION).items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    counts.clear()
    code = main(["drift", str(folder), "--format", "json", "--quiet", "--max-rps", "1000"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc
    assert doc["stats"]["api_calls_total"] == count  # one ListAliases each: all were read
    return Counter(counts)


@pytest.mark.parametrize("region", [False, True], ids=["region-from-env", "region-in-manifest"])
def test_sessions_per_run_do_not_grow_with_functions(
    moto: MotoServer,
    tmp_path: Path,
    region: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    constructions: Counter[str],
) -> None:
    kw: Any = {"region": region, "monkeypatch": monkeypatch, "capsys": capsys}
    few = sessions_for_drift(moto.url, tmp_path, 5, counts=constructions, **kw)
    many = sessions_for_drift(moto.url, tmp_path, 50, counts=constructions, **kw)
    assert many == few
    # One run, one region: one boto3 Session (and the botocore session inside it).
    assert few["boto3"] == 1
    assert few["botocore"] == 1


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"AWS_REGION": "eu-west-3"}, "eu-west-3"),
        ({"AWS_DEFAULT_REGION": "us-east-2"}, "us-east-2"),
        # As the AWS CLI and the other SDKs: AWS_REGION wins.
        ({"AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "us-east-2"}, "eu-west-3"),
        ({}, None),
    ],
)
def test_default_region_comes_from_the_environment(
    env: dict[str, str], expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert Session(Connection()).default_region == expected
