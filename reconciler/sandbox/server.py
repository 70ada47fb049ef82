"""The embedded AWS emulator: moto's server on a loopback port, seeded with
the functions and versions that the example manifests in manifests/ refer to.

moto is patched first where its Lambda falls short of what the sandbox shows
(:mod:`reconciler.sandbox.moto_gaps`: what is bound to aliases).
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import socket
import zipfile
from dataclasses import dataclass
from typing import Any

from reconciler.aws.gateway import Connection, EmulatorAdmin, Session
from reconciler.errors import SandboxError
from reconciler.sandbox import moto_gaps

REGION = "eu-west-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def demo_code(function: str, build: int) -> bytes:
    """A deterministic zip (fixed timestamps, stored): same build, same hash."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        info = zipfile.ZipInfo("index.py", date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        zf.writestr(
            info,
            f"def handler(event, context):\n    return {{'function': {function!r}, 'build': {build}}}\n",
        )
    return buf.getvalue()


def code_sha256(code: bytes) -> str:
    return base64.b64encode(hashlib.sha256(code).digest()).decode()


@dataclass
class Emulator:
    server: Any
    url: str

    def env(self) -> dict[str, str]:
        """Environment for a process that should use the emulator."""
        return {
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }

    def stop(self) -> None:
        self.server.stop()


def start(port: int = 0) -> Emulator:
    """Start the emulator on 127.0.0.1:``port`` (0: a free port the OS picks)."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise SandboxError(
            "the sandbox needs moto's server: pip install 'reconciler[sandbox]'"
        ) from exc
    # The emulator's per-request log lines would drown the demo's output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_gaps.apply()
    # Port 0 by default: other programs may hold any fixed one.
    _check_port_free(port)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return Emulator(server, f"http://{host}:{port}")


def _check_port_free(port: int) -> None:
    """moto's server thread dies quietly on a taken port; say so up front."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise SandboxError(
                f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}",
            ) from exc


def _session(emulator: Emulator) -> Session:
    keys = (CREDENTIALS["AWS_ACCESS_KEY_ID"], CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    return Session(Connection(region=REGION, endpoint_url=emulator.url, credentials=keys))


def create_queue(emulator: Emulator, name: str) -> str:
    """An SQS queue in the emulator (an event source for a mapping); returns its ARN,
    ``arn:aws:sqs:eu-west-1:123456789012:NAME`` (moto's account). Idempotent."""
    return EmulatorAdmin(_session(emulator), REGION).create_queue(name)


def seed(emulator: Emulator) -> None:
    """Live state that differs from manifests/ in the ways the demo shows."""
    session = _session(emulator)
    admin = EmulatorAdmin(session, REGION)
    lam = session.gateway(REGION)
    role = admin.ensure_role("sandbox-lambda")

    # payments-api: four builds; `live` still on 2, no `beta` yet.
    admin.create_function("payments-api", demo_code("payments-api", 1), role)
    admin.publish("payments-api", "build 1")
    for build in (2, 3, 4):
        admin.deploy("payments-api", demo_code("payments-api", build))
        admin.publish("payments-api", f"build {build}")
    lam.create_alias("payments-api", "live", "2", (), "production")

    # orders-worker: `live` on 1 (manifest: 2), `dev` on $LATEST, and an
    # alias the manifest does not know (kept: prune is false).
    admin.create_function("orders-worker", demo_code("orders-worker", 1), role)
    admin.publish("orders-worker", "build 1")
    admin.deploy("orders-worker", demo_code("orders-worker", 2))
    admin.publish("orders-worker", "build 2")
    lam.create_alias("orders-worker", "live", "1", (), "production")
    lam.create_alias("orders-worker", "dev", "$LATEST", (), None)
    lam.create_alias("orders-worker", "hotfix", "1", (), "manual test")

    # checkout: build 1841 published as version 1 and live; build 1842 is on
    # $LATEST, unpublished; `preview` is not in the manifest (prune: true).
    admin.create_function("checkout", demo_code("checkout", 1841), role)
    admin.publish("checkout", "build 1841")
    admin.deploy("checkout", demo_code("checkout", 1842))
    lam.create_alias("checkout", "live", "1", (), "production")
    lam.create_alias("checkout", "preview", "1", (), None)

    # orders-consumer: build 1 published and `live` on it; no `beta` yet, and
    # nothing bound to either. The orders queue exists: AWS (and the emulator)
    # create a mapping only for a queue that does.
    admin.create_function("orders-consumer", demo_code("orders-consumer", 1), role)
    admin.publish("orders-consumer", "build 1")
    lam.create_alias("orders-consumer", "live", "1", (), "production")
    admin.create_queue("orders")
