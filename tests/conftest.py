"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import Cli
from tests.support.fidelity_proxy import FidelityProxy
from tests.support.moto_server import MotoServer, aws_client, lambda_client


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server for the whole session, on a free loopback port."""
    with MotoServer() as server:
        yield server


@pytest.fixture
def moto(moto_server: MotoServer) -> Iterator[MotoServer]:
    """The session's moto server, emptied before the test."""
    moto_server.reset()
    yield moto_server


@pytest.fixture
def fidelity_proxy(moto: MotoServer) -> Iterator[FidelityProxy]:
    """An AWS-fidelity proxy in front of the freshly reset moto server."""
    with FidelityProxy(moto.url) as proxy:
        yield proxy


@pytest.fixture
def cli(fidelity_proxy: FidelityProxy, tmp_path: Path) -> Cli:
    """The real CLI through the fidelity proxy, manifests in a folder of their own
    (a module may define its own `cli`, e.g. straight to moto)."""
    folder = tmp_path / "manifests"
    folder.mkdir()
    return Cli(fidelity_proxy.url, folder)


@pytest.fixture
def direct(moto: MotoServer) -> object:
    """A client straight to moto: seeding, and changes behind the proxy's back."""
    return lambda_client(moto.url)


@pytest.fixture
def queue(moto: MotoServer) -> str:
    """An SQS queue "orders" on the moto server: its ARN (event source mappings)."""
    sqs = aws_client("sqs", moto.url)
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attrs["Attributes"]["QueueArn"])
