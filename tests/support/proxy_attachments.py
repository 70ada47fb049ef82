"""Emulation of what else is bound to aliases: function URLs and resource-based policies,
as AWS documents them, where moto 5.2.5 falls short (event source mappings are in
proxy_mappings).

What moto does (its awslambda models and responses, and probes of its server):

- Function URLs. Create/Get/Update/Delete ignore Qualifier (one unqualified URL per
  function, silently replaced by each Create, even with a version as qualifier); there
  is no ListFunctionUrlConfigs; Update cannot clear Cors and ignores InvokeMode
  (reported as "Buffered"); Delete of a missing config answers 204.
- Policies. AddPermission with a Qualifier writes into one policy that the function's
  versions and $LATEST share (Resource carries the qualifier); GetPolicy and
  RemovePermission ignore the Qualifier; a statement id can be added twice; an account
  principal stays a bare id; FunctionUrlAuthType stays a top-level key of the statement.

So URL configs and policies are kept by the proxy, per qualifier; an unqualified URL that
moto holds (made behind the proxy's back: moto knows no other) is adopted on first sight.
Other changes made behind the proxy's back are not seen: tests make out-of-band changes
through the proxy's URL. The rules, from the API reference:

- Function URLs: Qualifier is an alias name (pattern ``((?!^\\d+$)^[0-9a-zA-Z-_]+$)``,
  so never a version); one config per qualifier (ResourceConflictException); Get/Update/
  Delete of a missing one: ResourceNotFoundException; AuthType AWS_IAM|NONE, InvokeMode
  BUFFERED|RESPONSE_STREAM. Deleting an alias deletes its URL config (proxy_lambda).
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
    json_reply,
    not_found,
)
from tests.support.proxy_mappings import MAPPING_OPS, MappingOperations
from tests.support.proxy_state import FunctionState, aws_timestamp

__all__ = ["MAPPING_OPS", "AttachmentOperations"]

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


class AttachmentOperations(MappingOperations):
    """Function URLs and resource-based policies (and, inherited, event source mappings)."""

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
