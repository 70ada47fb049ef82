"""Emulation of what is bound to aliases: event source mappings, function URLs and
resource-based policies, as AWS documents them, where moto 5.2.5 falls short.

What moto does (its awslambda models and responses, and probes of its server):

- Event source mappings. CreateEventSourceMapping accepts a qualified FunctionName
  (``name:alias`` or the alias ARN) but records in FunctionArn the *version* the alias
  points to; ListEventSourceMappings matches FunctionName literally against what the
  create was given; StartingPosition is accepted for SQS and defaulted to TRIM_HORIZON
  for streams; a second mapping of one source to one function is accepted; Update and
  Delete of an unknown UUID answer 200 ``{}``; State settles at once.
- Function URLs. Create/Get/Update/Delete ignore Qualifier (one unqualified URL per
  function, silently replaced by each Create, even with a version as qualifier); there
  is no ListFunctionUrlConfigs; Update cannot clear Cors and ignores InvokeMode
  (reported as "Buffered"); Delete of a missing config answers 204.
- Policies. AddPermission with a Qualifier writes into one policy that the function's
  versions and $LATEST share (Resource carries the qualifier); GetPolicy and
  RemovePermission ignore the Qualifier; a statement id can be added twice; an account
  principal stays a bare id; FunctionUrlAuthType stays a top-level key of the statement.

So: mappings are forwarded to moto and what it answers is fixed (the qualifier they were
bound to, listing, the rules below), keyed by UUID for mappings made through the proxy.
URL configs and policies are kept by the proxy, per qualifier; an unqualified URL that
moto holds (made behind the proxy's back: moto knows no other) is adopted on first sight.
Changes made behind the proxy's back are otherwise not seen: tests make out-of-band
changes through the proxy's URL. The rules, from the API reference:

- CreateEventSourceMapping: FunctionName may be a version or alias ARN; StartingPosition
  is for streams (Kinesis, DynamoDB: required) and not for SQS (InvalidParameterValue);
  one mapping per source and function (ResourceConflictException). Update/Delete of an
  unknown UUID: ResourceNotFoundException; while a mapping is Creating or Updating:
  ResourceInUseException (400). Create, Update and Delete answer 202.
- Function URLs: Qualifier is an alias name (pattern ``((?!^\\d+$)^[0-9a-zA-Z-_]+$)``,
  so never a version); one config per qualifier (ResourceConflictException); Get/Update/
  Delete of a missing one: ResourceNotFoundException; AuthType AWS_IAM|NONE, InvokeMode
  BUFFERED|RESPONSE_STREAM.
- AddPermission/GetPolicy/RemovePermission: one policy per qualifier (an alias, a version
  or none); a statement id is unique in its policy (ResourceConflictException); GetPolicy
  of a qualifier without one and RemovePermission of an unknown statement:
  ResourceNotFoundException. Statements are written as GetPolicy returns them: services
  as ``{"Service": ...}``, accounts as ``{"AWS": "arn:aws:iam::ID:root"}``, conditions
  ArnLike AWS:SourceArn, StringEquals AWS:SourceAccount and lambda:FunctionUrlAuthType.
"""

from __future__ import annotations

import json
import re
import time
import uuid
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
from tests.support.proxy_state import EmulationBase, FunctionState, MappingNote, aws_timestamp

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
_URL_QUALIFIER = re.compile(r"(?!^\d+$)[0-9a-zA-Z_-]{1,128}")
_STATEMENT_ID = re.compile(r"[a-zA-Z0-9_.-]{1,100}")
_PERMISSION_ACTION = re.compile(r"lambda:[*]|lambda:[a-zA-Z]+|[*]")
_ACCOUNT = re.compile(r"\d{12}")
_CORS_LISTS = ("AllowOrigins", "AllowMethods", "AllowHeaders", "ExposeHeaders")


def _validation(value: Any, field: str, constraint: str) -> Exception:
    return fail(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}",
    )


def _enum(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _validation(
            value, field, f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return str(value)


def _service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2].lower() if len(parts) > 2 else ""


def _cors(given: Any) -> dict[str, Any] | None:
    """AWS's Cors as stored: only what is set; None when nothing is (no CORS)."""
    if not isinstance(given, dict):
        return None
    kept: dict[str, Any] = {k: list(given[k]) for k in _CORS_LISTS if given.get(k)}
    if given.get("AllowCredentials"):
        kept["AllowCredentials"] = True
    if given.get("MaxAge"):
        kept["MaxAge"] = given["MaxAge"]
    return kept or None


def _principal(principal: str) -> Any:
    """A principal as AWS writes it into the policy (AddPermission's forms)."""
    if principal == "*":
        return "*"
    if _ACCOUNT.fullmatch(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.startswith("arn:"):
        return {"AWS": principal}
    return {"Service": principal}


class AttachmentOperations(EmulationBase):
    """Event source mappings, function URLs and resource-based policies."""

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

    # -- function URLs -------------------------------------------------------------------

    def _urls(self, req: Request, state: FunctionState) -> dict[str, dict[str, Any]]:
        """The function's URL configs by qualifier, moto's unqualified one adopted."""
        self._latest_config(req)  # ResourceNotFoundException for a missing function
        if "" not in state.urls:
            held = self._fetch(req, self._url_path(req), ok_missing=True)
            if held and held.get("FunctionUrl"):
                mode = str(held.get("InvokeMode") or "BUFFERED").upper()
                state.urls[""] = {
                    **{k: v for k, v in held.items() if v is not None},
                    "InvokeMode": mode,
                }
        return state.urls

    @staticmethod
    def _url_path(req: Request) -> str:
        return f"/2021-10-31/functions/{quote(str(req.function), safe='')}/url"

    def _url_key(self, req: Request) -> str:
        qualifier = req.qualifier
        if qualifier is None:
            return ""
        if not _URL_QUALIFIER.fullmatch(qualifier):
            raise _validation(
                qualifier,
                "qualifier",
                "Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)",
            )
        if self._fetch(req, self._alias_path(req, qualifier), ok_missing=True) is None:
            raise not_found(f"Function not found: {self._arn(req, qualifier)}")
        return qualifier

    def _url_settings(self, doc: dict[str, Any], into: dict[str, Any]) -> None:
        if "AuthType" in doc:
            into["AuthType"] = _enum(doc["AuthType"], "authType", ("AWS_IAM", "NONE"))
        if "InvokeMode" in doc:
            modes = ("BUFFERED", "RESPONSE_STREAM")
            into["InvokeMode"] = _enum(doc["InvokeMode"], "invokeMode", modes)
        if "Cors" in doc:
            cors = _cors(doc["Cors"])
            if cors is None:
                into.pop("Cors", None)
            else:
                into["Cors"] = cors

    def _existing_url(self, req: Request, state: FunctionState) -> tuple[str, dict[str, Any]]:
        urls = self._urls(req, state)
        key = self._url_key(req)
        if key not in urls:
            raise not_found("The resource you requested does not exist.")
        return key, urls[key]

    def _op_CreateFunctionUrlConfig(self, req: Request, state: FunctionState) -> Reply:
        urls = self._urls(req, state)
        key = self._url_key(req)
        if key in urls:
            raise conflict(
                f"Failed to create function url config for [functionArn = {self._arn(req, key or None)}]. Error message:  FunctionUrlConfig exists for this Lambda function"
            )
        now = aws_timestamp(time.time())
        url: dict[str, Any] = {
            "FunctionUrl": f"https://{uuid.uuid4().hex}.lambda-url.{req.region}.on.aws/",
            "FunctionArn": self._arn(req, key or None),
            "InvokeMode": "BUFFERED",
            "CreationTime": now,
            "LastModifiedTime": now,
        }
        doc = req.json()
        if "AuthType" not in doc:
            raise _validation(None, "authType", "Member must not be null")
        self._url_settings(doc, url)
        urls[key] = url
        return json_reply(201, {k: v for k, v in url.items() if k != "LastModifiedTime"})

    def _op_GetFunctionUrlConfig(self, req: Request, state: FunctionState) -> Reply:
        return json_reply(200, self._existing_url(req, state)[1])

    def _op_UpdateFunctionUrlConfig(self, req: Request, state: FunctionState) -> Reply:
        _, url = self._existing_url(req, state)
        self._url_settings(req.json(), url)
        url["LastModifiedTime"] = aws_timestamp(time.time())
        return json_reply(200, url)

    def _op_DeleteFunctionUrlConfig(self, req: Request, state: FunctionState) -> Reply:
        key, _ = self._existing_url(req, state)
        del state.urls[key]
        if not key:  # so that moto's copy is not adopted again
            self._call("DELETE", self._url_path(req), req.auth)
        return Reply(204, [("x-amzn-RequestId", str(uuid.uuid4()))])

    def _op_ListFunctionUrlConfigs(self, req: Request, state: FunctionState) -> Reply:
        urls = list(self._urls(req, state).values())
        return self._page(req, "FunctionUrlConfigs", urls, lambda u: str(u["FunctionArn"]))

    # -- resource-based policies ---------------------------------------------------------

    def _policy_key(self, req: Request, state: FunctionState) -> str:
        self._latest_config(req)  # ResourceNotFoundException for a missing function
        qualifier = req.qualifier
        if qualifier is None or qualifier == "$LATEST":
            return ""
        self._check_bound_target(req, state)
        return qualifier

    def _op_GetPolicy(self, req: Request, state: FunctionState) -> Reply:
        key = self._policy_key(req, state)
        statements = state.policies.get(key)
        if not statements:
            raise not_found("The resource you requested does not exist.")
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        revision = state.policy_revs.setdefault(key, self._new_id())
        return json_reply(200, {"Policy": json.dumps(policy), "RevisionId": revision})

    def _op_AddPermission(self, req: Request, state: FunctionState) -> Reply:
        key = self._policy_key(req, state)
        doc = req.json()
        sid, action, principal = doc.get("StatementId"), doc.get("Action"), doc.get("Principal")
        if not isinstance(sid, str) or not _STATEMENT_ID.fullmatch(sid):
            raise _validation(
                sid,
                "statementId",
                "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)",
            )
        if not isinstance(action, str) or not _PERMISSION_ACTION.fullmatch(action):
            raise _validation(
                action,
                "action",
                "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])",
            )
        if not isinstance(principal, str) or not principal:
            raise _validation(principal, "principal", "Member must not be null")
        statements = state.policies.setdefault(key, [])
        if any(s.get("Sid") == sid for s in statements):
            raise conflict(
                f"The statement id ({sid}) provided already exists. Please provide a new "
                "statement id, or remove the existing statement."
            )
        condition: dict[str, dict[str, str]] = {}
        for field, operator, name in (
            ("SourceArn", "ArnLike", "AWS:SourceArn"),
            ("SourceAccount", "StringEquals", "AWS:SourceAccount"),
            ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
            ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"),
            ("EventSourceToken", "StringEquals", "lambda:EventSourceToken"),
        ):
            if doc.get(field) is not None:
                if field == "FunctionUrlAuthType":
                    _enum(doc[field], "functionUrlAuthType", ("AWS_IAM", "NONE"))
                condition.setdefault(operator, {})[name] = str(doc[field])
        statement: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": _principal(principal),
            "Action": action,
            "Resource": self._arn(req, key or None),
        }
        if condition:
            statement["Condition"] = condition
        statements.append(statement)
        state.policy_revs[key] = self._new_id()
        return json_reply(201, {"Statement": json.dumps(statement)})

    def _op_RemovePermission(self, req: Request, state: FunctionState) -> Reply:
        key = self._policy_key(req, state)
        statements = state.policies.get(key)
        if not statements:
            raise not_found("No policy is associated with the given resource.")
        kept = [s for s in statements if s.get("Sid") != req.item]
        if len(kept) == len(statements):
            raise not_found(f"Statement {req.item} is not found in resource policy.")
        if kept:
            state.policies[key] = kept
        else:
            del state.policies[key]
        state.policy_revs[key] = self._new_id()
        return Reply(204, [("x-amzn-RequestId", str(uuid.uuid4()))])

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
