"""The AWS layer's public face (the only package that imports boto3/botocore).

The layer is split by concern: :mod:`~reconciler.aws.session` (credentials,
clients, the run's shared limits and circuit breaker),
:mod:`~reconciler.aws.calls` (the one retrying call path),
:mod:`~reconciler.aws.lambda_api` (typed Lambda methods),
:mod:`~reconciler.aws.alarms` (CloudWatch) and :mod:`~reconciler.aws.emulator`
(the sandbox's set-up calls). Import from here.
"""

from __future__ import annotations

from reconciler.aws.emulator import EmulatorAdmin
from reconciler.aws.lambda_api import LambdaGateway
from reconciler.aws.session import Session, default_region
from reconciler.aws.shapes import CallStats, Connection

__all__ = ["CallStats", "Connection", "EmulatorAdmin", "LambdaGateway", "Session", "default_region"]
