"""The fake gateway's event source mappings, function URLs and resource-based policies,
with AWS's rules (mixed into tests.fakes.FakeGateway).

The rules, as the API reference documents them: a mapping binds to an existing alias's
ARN, one per event source and function (ResourceConflictException); StartingPosition is
refused for SQS and required for Kinesis and DynamoDB streams; BatchSize defaults to 10
(SQS) or 100 (streams). One URL config per alias (ResourceConflictException), never on
a version. One policy per qualifier; a statement id is unique in it
(ResourceConflictException). Deleting an alias deletes its URL config and its policy.
"Not found" is False for deletes, [] for reads, a 404 AwsError for the rest.

Seeding helpers (add_mapping, add_url, add_statement) put things in place as someone
outside the tool would: on a version, unqualified, or with any settings.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace

from reconciler.aws.live import EventSourceMapping, FunctionUrl, PolicyStatement
from reconciler.errors import AwsError, ConflictError, InvalidRequestError
from reconciler.manifest.model import EventSourceSpec, FunctionUrlSpec, PermissionSpec

ARN = "arn:aws:lambda:eu-west-1:123456789012:function"


def function_arn(function: str, qualifier: str | None) -> str:
    return f"{ARN}:{function}:{qualifier}" if qualifier else f"{ARN}:{function}"


def _service(source: str) -> str:
    parts = source.split(":")
    return parts[2] if len(parts) > 2 else ""


class AttachmentsFake:
    """Mappings, URLs and statements by function; uses FakeGateway's aliases, versions
    and call hook."""

    def __init__(self) -> None:
        # function -> UUID -> mapping; function -> qualifier ("" unqualified) -> URL / statements
        self.mappings: dict[str, dict[str, EventSourceMapping]] = {}
        self.urls: dict[str, dict[str, FunctionUrl]] = {}
        self.statements: dict[str, dict[str, list[PolicyStatement]]] = {}
        self._url_ids = itertools.count(1)

    def _missing(self, op: str, function: str, alias: str | None, what: str) -> AwsError:
        return AwsError(op, function, f"{what} not found", alias=alias, status=404)

    def _require_alias(self, op: str, function: str, alias: str) -> None:
        if alias not in self.aliases.get(function, {}):
            raise self._missing(op, function, alias, "function or alias")

    def forget_alias(self, function: str, alias: str) -> None:
        """What AWS deletes with an alias: its URL config and its policy (not mappings)."""
        self.urls.get(function, {}).pop(alias, None)
        self.statements.get(function, {}).pop(alias, None)

    # -- seeding -----------------------------------------------------------------------

    def add_mapping(
        self, function: str, qualifier: str | None, source: str, **fields: object
    ) -> EventSourceMapping:
        mapping = EventSourceMapping(
            uuid=str(uuid.uuid4()),
            qualifier=qualifier,
            source=source,
            function_arn=function_arn(function, qualifier),
            **fields,
        )
        self.mappings.setdefault(function, {})[mapping.uuid] = mapping
        return mapping

    def add_url(
        self, function: str, qualifier: str | None, auth_type: str = "NONE", **fields: object
    ) -> FunctionUrl:
        url = FunctionUrl(
            qualifier,
            f"https://fake{next(self._url_ids)}.lambda-url.eu-west-1.on.aws/",
            auth_type,
            function_arn=function_arn(function, qualifier),
            **fields,
        )
        self.urls.setdefault(function, {})[qualifier or ""] = url
        return url

    def add_statement(
        self, function: str, qualifier: str | None, spec: PermissionSpec
    ) -> PolicyStatement:
        statement = PolicyStatement(
            spec.sid,
            qualifier,
            spec.principal,
            spec.action,
            spec.source_arn,
            spec.source_account,
            spec.function_url_auth_type,
            function_arn(function, qualifier),
        )
        self.statements.setdefault(function, {}).setdefault(qualifier or "", []).append(statement)
        return statement

    # -- event source mappings ---------------------------------------------------------

    def event_source_mappings(self, function: str) -> list[EventSourceMapping]:
        self._hook("ListEventSourceMappings")
        return list(self.mappings.get(function, {}).values())

    def create_event_source_mapping(
        self, function: str, alias: str, spec: EventSourceSpec
    ) -> EventSourceMapping:
        op = "CreateEventSourceMapping"
        self._hook(op)
        self._require_alias(op, function, alias)
        service = _service(spec.source)
        if service == "sqs" and spec.starting_position is not None:
            raise InvalidRequestError(
                op, function, "StartingPosition is not valid for SQS", alias=alias, status=400
            )
        if service in ("kinesis", "dynamodb") and spec.starting_position is None:
            raise InvalidRequestError(
                op, function, "StartingPosition is required for streams", alias=alias, status=400
            )
        for other in self.mappings.get(function, {}).values():
            if other.source == spec.source and other.qualifier == alias:
                raise ConflictError(
                    op,
                    function,
                    f"mapping {other.uuid} exists",
                    alias=alias,
                    code="ResourceConflictException",
                    status=409,
                )
        default_batch = 10 if service == "sqs" else 100
        return self.add_mapping(
            function,
            alias,
            spec.source,
            batch_size=spec.batch_size if spec.batch_size is not None else default_batch,
            enabled=spec.enabled,
            maximum_batching_window=spec.maximum_batching_window or 0,
            starting_position=spec.starting_position,
            state="Enabled" if spec.enabled else "Disabled",
        )

    def update_event_source_mapping(
        self, function: str, alias: str, uuid: str, spec: EventSourceSpec
    ) -> EventSourceMapping:
        op = "UpdateEventSourceMapping"
        self._hook(op)
        current = self.mappings.get(function, {}).get(uuid)
        if current is None:
            raise self._missing(op, function, alias, f"event source mapping {uuid}")
        updated = replace(
            current,
            enabled=spec.enabled,
            state="Enabled" if spec.enabled else "Disabled",
            batch_size=current.batch_size if spec.batch_size is None else spec.batch_size,
            maximum_batching_window=(
                current.maximum_batching_window
                if spec.maximum_batching_window is None
                else spec.maximum_batching_window
            ),
        )
        self.mappings[function][uuid] = updated
        return updated

    def delete_event_source_mapping(self, function: str, alias: str | None, uuid: str) -> bool:
        self._hook("DeleteEventSourceMapping")
        return self.mappings.get(function, {}).pop(uuid, None) is not None

    # -- function URLs -----------------------------------------------------------------

    def function_urls(self, function: str) -> list[FunctionUrl]:
        self._hook("ListFunctionUrlConfigs")
        return list(self.urls.get(function, {}).values())

    def create_function_url(self, function: str, alias: str, spec: FunctionUrlSpec) -> FunctionUrl:
        op = "CreateFunctionUrlConfig"
        self._hook(op)
        if alias.isdigit():
            raise InvalidRequestError(
                op, function, "a URL's qualifier is an alias", alias=alias, status=400
            )
        self._require_alias(op, function, alias)
        if alias in self.urls.get(function, {}):
            raise ConflictError(
                op,
                function,
                "FunctionUrlConfig exists",
                alias=alias,
                code="ResourceConflictException",
                status=409,
            )
        return self.add_url(
            function, alias, spec.auth_type, invoke_mode=spec.invoke_mode, cors=spec.cors
        )

    def update_function_url(self, function: str, alias: str, spec: FunctionUrlSpec) -> FunctionUrl:
        op = "UpdateFunctionUrlConfig"
        self._hook(op)
        current = self.urls.get(function, {}).get(alias)
        if current is None:
            raise self._missing(op, function, alias, "function URL config")
        updated = replace(
            current, auth_type=spec.auth_type, invoke_mode=spec.invoke_mode, cors=spec.cors
        )
        self.urls[function][alias] = updated
        return updated

    def delete_function_url(self, function: str, alias: str) -> bool:
        self._hook("DeleteFunctionUrlConfig")
        return self.urls.get(function, {}).pop(alias, None) is not None

    # -- resource-based policies -------------------------------------------------------

    def policy(self, function: str, qualifier: str) -> list[PolicyStatement]:
        self._hook("GetPolicy")
        return list(self.statements.get(function, {}).get(qualifier, []))

    def add_permission(self, function: str, alias: str, spec: PermissionSpec) -> None:
        op = "AddPermission"
        self._hook(op)
        if alias not in self.aliases.get(function, {}) and alias not in self.versions.get(
            function, {}
        ):
            raise self._missing(op, function, alias, "function, version or alias")
        if any(s.sid == spec.sid for s in self.statements.get(function, {}).get(alias, [])):
            raise ConflictError(
                op,
                function,
                f"statement id {spec.sid} exists",
                alias=alias,
                code="ResourceConflictException",
                status=409,
            )
        self.add_statement(function, alias, spec)

    def remove_permission(self, function: str, alias: str, sid: str) -> bool:
        self._hook("RemovePermission")
        statements = self.statements.get(function, {}).get(alias, [])
        kept = [s for s in statements if s.sid != sid]
        if len(kept) == len(statements):
            return False
        self.statements[function][alias] = kept
        return True
