"""Set-up calls for the local sandbox and the benchmark: roles, functions, code.

Not the product's calls (the IAM policy leaves them out); here because only the
AWS layer may import botocore.
"""

from __future__ import annotations

import botocore.exceptions

from reconciler.aws.session import Session


class EmulatorAdmin:
    """Set-up calls for the local sandbox (create functions, deploy code).

    Not used against real AWS by plan/apply/drift; it lives in the AWS layer
    because only that layer talks to boto3.
    """

    def __init__(self, session: Session, region: str) -> None:
        self._lambda = session.client("lambda", region)
        self._iam = session.client("iam", region)
        self._sqs = session.client("sqs", region)

    def create_queue(self, name: str) -> str:
        """An SQS queue (an event source for mappings); returns its ARN. Idempotent."""
        url: str = self._sqs.create_queue(QueueName=name)["QueueUrl"]
        attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        arn: str = attributes["Attributes"]["QueueArn"]
        return arn

    def ensure_role(self, name: str) -> str:
        try:
            arn: str = self._iam.get_role(RoleName=name)["Role"]["Arn"]
        except botocore.exceptions.ClientError:
            policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
            arn = self._iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy)["Role"][
                "Arn"
            ]
        return arn

    def create_function(self, name: str, code: bytes, role: str) -> None:
        self._lambda.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": code},
        )

    def deploy(self, name: str, code: bytes) -> str:
        """UpdateFunctionCode of $LATEST; returns its CodeSha256."""
        sha: str = self._lambda.update_function_code(FunctionName=name, ZipFile=code)["CodeSha256"]
        return sha

    def publish(self, name: str, description: str = "") -> str:
        version: str = self._lambda.publish_version(FunctionName=name, Description=description)[
            "Version"
        ]
        return version
