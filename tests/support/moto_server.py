"""A moto server on a free loopback port, plus boto3 helpers to seed Lambda state in tests."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import threading
import time
import urllib.request
import zipfile
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

TEST_ROLE_NAME = "reconciler-test-lambda-role"
_ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


class MotoServer:
    """moto's threaded server bound to 127.0.0.1 on a port chosen by the OS."""

    def __init__(self, *, quiet: bool = True) -> None:
        if quiet:
            # werkzeug logs every request at INFO; that drowns test output.
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._running = False
        self.url = ""

    def start(self) -> MotoServer:
        if not self._running:
            self._server.start()
            host, port = self._server.get_host_and_port()
            self.url = f"http://{host}:{port}"
            self._running = True
        return self

    def reset(self) -> None:
        """Forget every resource in every moto backend."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._server.stop()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def aws_env(url: str, region: str = "eu-west-1") -> dict[str, str]:
    """A complete environment for a subprocess that must talk to `url` and nothing else.

    Every inherited AWS_* variable is dropped so a developer's profile, session token or
    service-specific endpoint can never leak into a test run.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env


_session_lock = threading.Lock()
_sessions: list[boto3.session.Session] = []


def aws_client(
    service: str, url: str, region: str = "eu-west-1", *, max_attempts: int = 1, **config: Any
) -> Any:
    """A boto3 client for `url` with test credentials; botocore retries are off unless
    `max_attempts` > 1. `config` adds botocore Config options (e.g. parameter_validation)."""
    options: dict[str, Any] = {"connect_timeout": 10, "read_timeout": 30}
    options.update(config)
    # One shared session: a fresh one re-parses the service models (~0.3 s a client).
    # Sessions are not thread-safe for client creation, hence the lock.
    with _session_lock:
        if not _sessions:
            _sessions.append(boto3.session.Session())
        return _sessions[0].client(
            service,
            endpoint_url=url,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": max_attempts}, **options),
        )


def lambda_client(
    url: str, region: str = "eu-west-1", *, max_attempts: int = 1, **config: Any
) -> Any:
    """A Lambda client for `url` (see aws_client)."""
    return aws_client("lambda", url, region, max_attempts=max_attempts, **config)


def make_zip(text: str) -> bytes:
    """A byte-for-byte reproducible deployment package holding `text` as the handler module."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        info = zipfile.ZipInfo("lambda_function.py", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, text)
    return buffer.getvalue()


def sha_of(code_text: str) -> str:
    """The CodeSha256 Lambda reports for a function whose code is ``code_text``."""
    return base64.b64encode(hashlib.sha256(make_zip(code_text)).digest()).decode()


def _ensure_role(client: Any) -> str:
    """The test role's ARN, creating it first; moto refuses functions whose role is missing."""
    iam = aws_client("iam", client.meta.endpoint_url, client.meta.region_name)
    try:
        return str(iam.get_role(RoleName=TEST_ROLE_NAME)["Role"]["Arn"])
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchEntity":
            raise
    role = iam.create_role(RoleName=TEST_ROLE_NAME, AssumeRolePolicyDocument=_ASSUME_ROLE_POLICY)
    return str(role["Role"]["Arn"])


def create_function(
    client: Any, name: str, code_text: str, role_arn: str | None = None, **kw: Any
) -> dict[str, Any]:
    """CreateFunction with sensible defaults; `kw` overrides or extends the request."""
    request: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.11",
        "Role": role_arn or _ensure_role(client),
        "Handler": "lambda_function.handler",
        "Code": {"ZipFile": make_zip(code_text)},
    }
    request.update(kw)
    response: dict[str, Any] = client.create_function(**request)
    response.pop("ResponseMetadata", None)
    return response


def wait_updated(client: Any, name: str, timeout: float = 10.0) -> None:
    """Block until $LATEST has no update in progress, as a careful AWS client must."""
    deadline = time.monotonic() + timeout
    while True:
        config = client.get_function_configuration(FunctionName=name)
        if config.get("LastUpdateStatus") != "InProgress":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"function {name} still has an update in progress")
        time.sleep(0.05)


def publish(client: Any, name: str, code_text: str, description: str = "") -> str:
    """Replace the code of $LATEST and publish it; returns the new version number."""
    update = client.update_function_code(FunctionName=name, ZipFile=make_zip(code_text))
    if update.get("LastUpdateStatus") == "InProgress":  # never so on bare moto
        wait_updated(client, name)
    return str(client.publish_version(FunctionName=name, Description=description)["Version"])


def seed_function(client: Any, name: str, versions: int) -> list[str]:
    """Create `name` and publish `versions` versions, each with distinct code."""
    create_function(client, name, f"# {name} code 1\n")
    if versions < 1:
        return []
    published = [str(client.publish_version(FunctionName=name)["Version"])]
    for index in range(2, versions + 1):
        published.append(_update_and_publish(client, name, f"# {name} code {index}\n"))
    return published


def _update_and_publish(client: Any, name: str, code_text: str) -> str:
    """UpdateFunctionCode with Publish=true: one call per version, which keeps seeding
    fast; behind the fidelity proxy the previous update may still be in progress (409)."""
    while True:
        try:
            response = client.update_function_code(
                FunctionName=name, ZipFile=make_zip(code_text), Publish=True
            )
            return str(response["Version"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceConflictException":
                raise
            wait_updated(client, name)
