"""Emulation of event source mappings where moto 5.2.5 falls short, as AWS documents it.

What moto does (its awslambda models and responses, and probes of its server):
CreateEventSourceMapping accepts a qualified FunctionName (``name:alias`` or the alias
ARN) but records in FunctionArn the *version* the alias points to;
ListEventSourceMappings matches FunctionName literally against what the create was
given; StartingPosition is accepted for SQS and defaulted to TRIM_HORIZON for streams; a
second mapping of one source to one function is accepted; Update and Delete of an
unknown UUID answer 200 ``{}``; State settles at once.

So mappings are forwarded to moto and what it answers is fixed, keyed by UUID for the
mappings made through the proxy (one made behind its back keeps moto's FunctionArn).
The rules, from the API reference: FunctionName may be a version or alias ARN;
StartingPosition is for streams (Kinesis, DynamoDB: required) and not for SQS
(InvalidParameterValueException); one mapping per source and function
(ResourceConflictException); Update/Delete of an unknown UUID: ResourceNotFoundException;
while a mapping is Creating or Updating: ResourceInUseException (400; reported only when
mapping_settle_seconds or hold_mapping asks); Create, Update and Delete answer 202.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from tests.support.proxy_http import (
    Reply,
    Request,
    conflict,
    fail,
    invalid,
    json_reply,
    not_found,
    split_function_ref,
)
from tests.support.proxy_state import EmulationBase, FunctionState, MappingNote

# Handled even without a function in the request (a mapping's UUID names it; a listing
# of every function's mappings still needs their qualifiers fixed).
MAPPING_OPS = frozenset(
    {
        "GetEventSourceMapping",
        "UpdateEventSourceMapping",
        "DeleteEventSourceMapping",
        "ListEventSourceMappings",
    }
)
_STREAMS = ("kinesis", "dynamodb")
# API reference, CreateEventSourceMapping BatchSize: SQS max 10,000 (FIFO 10), streams 10,000.
_BATCH_MAX = {"sqs": 10000, "kinesis": 10000, "dynamodb": 10000}


def _service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2].lower() if len(parts) > 2 else ""


class MappingOperations(EmulationBase):
    """Event source mappings, and what the URL and policy operations share with them."""

    # -- test controls -------------------------------------------------------------------

    def hold_mapping(self, mapping: str, state: str = "Updating", seconds: float = 60.0) -> None:
        """Report mapping `mapping` in `state` (Creating, Updating) for `seconds`: until
        then Update and Delete answer ResourceInUseException, as AWS does."""
        with self._mappings_lock:
            note = self._mappings.setdefault(mapping, MappingNote("", None))
            note.busy_state, note.busy_until = state, time.monotonic() + seconds

    def release_mapping(self, mapping: str) -> None:
        """End a transition started by hold_mapping or by mapping_settle_seconds."""
        with self._mappings_lock:
            note = self._mappings.get(mapping)
            if note is not None:
                note.busy_until = 0.0

    # -- event source mappings -----------------------------------------------------------

    def _mapping_owner(self, req: Request) -> str | None:
        """The function a mapping made through the proxy belongs to, by its UUID."""
        if req.op not in MAPPING_OPS or not req.item:
            return None
        with self._mappings_lock:
            note = self._mappings.get(req.item)
        return note.function if note is not None and note.function else None

    def _check_bound_target(self, req: Request, state: FunctionState) -> None:
        """The function, and the version or alias named, exist (ResourceNotFoundException)."""
        self._latest_config(req)
        qualifier = req.qualifier
        if qualifier is None or qualifier == "$LATEST":
            return
        if qualifier.isdigit():
            if qualifier not in {str(v.get("Version")) for v in self._versions(req, state)}:
                raise not_found(f"Function not found: {self._arn(req, qualifier)}")
        elif self._fetch(req, self._alias_path(req, qualifier), ok_missing=True) is None:
            raise not_found(f"Function not found: {self._arn(req, qualifier)}")

    def _alias_path(self, req: Request, alias: str) -> str:
        return self._fn_path(req, f"/aliases/{quote(alias, safe='')}")

    def _mapping_view(self, doc: dict[str, Any]) -> dict[str, Any]:
        """moto's mapping with the qualifier it was bound to and any transition in progress."""
        with self._mappings_lock:
            note = self._mappings.get(str(doc.get("UUID") or ""))
        if note is None:
            return doc
        if note.function:
            base = ":".join(str(doc.get("FunctionArn") or "").split(":")[:7])
            doc["FunctionArn"] = f"{base}:{note.qualifier}" if note.qualifier else base
        if note.busy_until > time.monotonic():
            doc["State"] = note.busy_state
        return doc

    def _all_mappings(self, req: Request) -> list[dict[str, Any]]:
        listed = self._fetch(req, "/2015-03-31/event-source-mappings")
        return [self._mapping_view(m) for m in listed.get("EventSourceMappings") or []]

    def _existing_mapping(self, req: Request) -> dict[str, Any]:
        doc = self._fetch(req, f"/2015-03-31/event-source-mappings/{req.item}", ok_missing=True)
        if not doc:
            raise not_found("The resource you requested does not exist.")
        return self._mapping_view(dict(doc))

    def _check_batch(self, source: str, batch: Any) -> None:
        if batch is None:
            return
        service = _service(source)
        top = (
            10 if service == "sqs" and source.endswith(".fifo") else _BATCH_MAX.get(service, 10000)
        )
        if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= top:
            raise invalid(f"BatchSize {batch} is not valid for {source}: it must be 1 to {top}.")

    def _check_not_in_use(self, mapping: str) -> None:
        with self._mappings_lock:
            note = self._mappings.get(mapping)
        if note is not None and note.busy_until > time.monotonic():
            raise fail(
                400,
                "ResourceInUseException",
                f"Cannot update the event source mapping {mapping} because it is in use "
                f"({note.busy_state}). Please try again later.",
            )

    def _note(self, mapping: str, function: str, qualifier: str | None, busy: str) -> None:
        with self._mappings_lock:
            note = self._mappings.setdefault(mapping, MappingNote(function, qualifier))
            if function:
                note.function, note.qualifier = function, qualifier
            if self.mapping_settle_seconds > 0:
                note.busy_state = busy
                note.busy_until = time.monotonic() + self.mapping_settle_seconds

    def _op_CreateEventSourceMapping(self, req: Request, state: FunctionState) -> Reply:
        doc = req.json()
        source = str(doc.get("EventSourceArn") or "")
        self._check_bound_target(req, state)
        service, position = _service(source), doc.get("StartingPosition")
        if service == "sqs" and position is not None:
            raise invalid("StartingPosition is not valid for SQS event sources.")
        if service in _STREAMS and not position:
            raise invalid(
                "StartingPosition is required for Kinesis and DynamoDB Streams event sources."
            )
        self._check_batch(source, doc.get("BatchSize"))
        bound = self._arn(req, None if req.qualifier == "$LATEST" else req.qualifier)
        for other in self._all_mappings(req):
            if other.get("EventSourceArn") == source and other.get("FunctionArn") == bound:
                raise conflict(
                    f'An event source mapping with event source ("{source}") and function '
                    f'("{bound}") already exists. Please update or delete the existing '
                    f"mapping with UUID {other.get('UUID')}"
                )
        up = self._send(req)
        if up.status == 400 and b"Invalid EventSourceArn" in up.body:
            # moto's answer (a 400 ResourceNotFoundException) for a source that does not exist.
            raise invalid(f"The event source {source} does not exist.")
        if not up.ok:
            return up.relay()
        created = up.json()
        self._note(str(created.get("UUID")), str(req.function), req.qualifier, "Creating")
        return up.relay(202, self._mapping_view(created))

    def _op_GetEventSourceMapping(self, req: Request, state: FunctionState) -> Reply:
        return json_reply(200, self._existing_mapping(req))

    def _op_UpdateEventSourceMapping(self, req: Request, state: FunctionState) -> Reply:
        mapping = str(req.item)
        current = self._existing_mapping(req)  # moto answers 200 {} for an unknown UUID
        self._check_not_in_use(mapping)
        doc = req.json()
        rebinding = bool(doc.get("FunctionName"))
        if rebinding:
            self._check_bound_target(req, state)
        self._check_batch(str(current.get("EventSourceArn") or ""), doc.get("BatchSize"))
        up = self._send(req)
        if not up.ok:
            return up.relay()
        if rebinding:
            self._note(mapping, str(req.function), req.qualifier, "Updating")
        else:
            self._note(mapping, "", None, "Updating")
        return up.relay(202, self._mapping_view(up.json()))

    def _op_DeleteEventSourceMapping(self, req: Request, state: FunctionState) -> Reply:
        mapping = str(req.item)
        current = self._existing_mapping(req)  # moto answers 200 {} for an unknown UUID
        self._check_not_in_use(mapping)
        up = self._send(req)
        if not up.ok:
            return up.relay()
        with self._mappings_lock:
            self._mappings.pop(mapping, None)
        return json_reply(202, {**current, "State": "Deleting"})

    def _op_ListEventSourceMappings(self, req: Request, state: FunctionState) -> Reply:
        # moto matches FunctionName literally; AWS lists the function's mappings of every
        # qualifier for an unqualified name, of that qualifier for a qualified one
        # (FunctionArn carries it; API reference, ListEventSourceMappings).
        up = self._send(req, drop=("FunctionName", "Marker", "MaxItems"))
        if not up.ok:
            return up.relay()
        named = req.query.get("FunctionName")
        wanted = split_function_ref(named) if named else None
        mappings = []
        for m in up.json().get("EventSourceMappings") or []:
            found = split_function_ref(str(self._mapping_view(m).get("FunctionArn", "")))
            if wanted is None or (found[0] == wanted[0] and wanted[1] in (None, found[1])):
                mappings.append(m)
        return self._page(req, "EventSourceMappings", mappings, lambda m: str(m["UUID"]))

    # -- IAM -----------------------------------------------------------------------------

    def iam_conditions(self, req: Request) -> dict[str, str]:
        """The condition keys AWS evaluates for the request (lower-cased): for mappings,
        lambda:FunctionArn (the function it binds to, or is bound to)."""
        if req.op == "CreateEventSourceMapping" and req.function:
            return {"lambda:functionarn": self._arn(req, req.qualifier)}
        if req.op in MAPPING_OPS and req.item:
            try:
                return {"lambda:functionarn": str(self._existing_mapping(req)["FunctionArn"])}
            except Exception:  # a missing mapping: AWS authorises before it looks
                return {}
        return {}
