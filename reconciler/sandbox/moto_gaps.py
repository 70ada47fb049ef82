"""Where moto's Lambda falls short of what the sandbox shows, patched in-process.

Only the sandbox (``reconciler sandbox``, ``make demo``) applies this, before its
server starts; the product never depends on it, and the tests check the product
against the fidelity proxy, which emulates AWS's rules themselves. What moto 5.2.5
does, and what is patched:

- Event source mappings. A mapping created on an alias records, in FunctionArn,
  the version the alias points to, and ListEventSourceMappings(FunctionName=name)
  matches only mappings created with that literal name: a mapping on ``live``
  would look bound to a version and never be found. Patched: FunctionArn keeps
  the qualifier it was created with, a bare name lists every qualifier's
  mappings (a qualified one, that qualifier's), and Update/Delete of an unknown
  UUID are ResourceNotFoundException (moto: 200 ``{}``).
- Function URLs. Qualifier is ignored (one unqualified URL per function) and
  there is no ListFunctionUrlConfigs. Patched: one config per qualifier, and the
  list operation.
- Resource-based policies. One policy is shared by every qualifier, and
  statements are not written as GetPolicy returns them on AWS (account ids stay
  bare, FunctionUrlAuthType is no condition). Patched: one policy per qualifier,
  statements in AWS's shape, statement ids unique per qualifier.

A moto without the patched names is left as it is (the demo then shows moto's
behaviour).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any
from urllib.parse import unquote

log = logging.getLogger("reconciler.sandbox.moto_gaps")

_applied = threading.Event()
_lock = threading.Lock()


def split_function(ref: str) -> tuple[str, str | None]:
    """(name, qualifier) of a name, ``name:qualifier``, a partial or a full ARN."""
    ref = unquote(ref)
    if ":function:" in ref:
        ref = ref.split(":function:", 1)[1]
    name, _, qualifier = ref.partition(":")
    return name, qualifier or None


def _qualified(arn: str, qualifier: str | None) -> str:
    base = ":".join(arn.split(":")[:7])
    return f"{base}:{qualifier}" if qualifier else base


def statement_for(arn: str, body: dict[str, Any]) -> dict[str, Any]:
    """An AddPermission request as AWS writes it into the policy."""
    principal = str(body.get("Principal") or "")
    if principal == "*":
        who: Any = "*"
    elif principal.isdigit() and len(principal) == 12:
        who = {"AWS": f"arn:aws:iam::{principal}:root"}
    elif principal.startswith("arn:"):
        who = {"AWS": principal}
    else:
        who = {"Service": principal}
    condition: dict[str, dict[str, str]] = {}
    for key, operator, name in (
        ("SourceArn", "ArnLike", "AWS:SourceArn"),
        ("SourceAccount", "StringEquals", "AWS:SourceAccount"),
        ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"),
    ):
        if body.get(key) is not None:
            condition.setdefault(operator, {})[name] = str(body[key])
    statement: dict[str, Any] = {
        "Sid": body.get("StatementId"),
        "Effect": "Allow",
        "Principal": who,
        "Action": body.get("Action"),
        "Resource": arn,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def apply() -> None:
    """Patch moto once per process (idempotent)."""
    with _lock:
        if _applied.is_set():
            return
        try:
            from moto.awslambda import models, responses, urls
            from moto.awslambda.exceptions import GenericResourcNotFound, LambdaClientError
        except ImportError:  # no moto: start() reports that
            return
        needed = (
            hasattr(models.LambdaBackend, "create_event_source_mapping")
            and hasattr(responses.LambdaResponse, "create_function_url_config")
            and isinstance(getattr(urls, "url_paths", None), dict)
        )
        if not needed:
            log.debug("moto's Lambda has changed; sandbox patches not applied")
            _applied.set()
            return
        _patch_mappings(models.LambdaBackend, GenericResourcNotFound)
        _patch_responses(responses.LambdaResponse, LambdaClientError, GenericResourcNotFound)
        # The route moto lacks; the server builds its URL map from this table when
        # it first serves Lambda, which is after this.
        route = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/urls/?$"
        urls.url_paths.setdefault(route, responses.LambdaResponse.dispatch)
        _applied.set()


def _patch_mappings(backend: Any, not_found: Any) -> None:
    create = backend.create_event_source_mapping
    update = backend.update_event_source_mapping
    delete = backend.delete_event_source_mapping

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        _, qualifier = split_function(str(spec.get("FunctionName") or ""))
        mapping = create(self, spec)
        mapping.function_arn = _qualified(mapping.function_arn, qualifier)
        return mapping

    def update_event_source_mapping(self: Any, mapping_id: str, spec: dict[str, Any]) -> Any:
        mapping = update(self, mapping_id, spec)
        if mapping is None:
            raise not_found()
        if spec.get("FunctionName"):
            _, qualifier = split_function(str(spec["FunctionName"]))
            mapping.function_arn = _qualified(mapping.function_arn, qualifier)
        return mapping

    def delete_event_source_mapping(self: Any, mapping_id: str) -> Any:
        mapping = delete(self, mapping_id)
        if mapping is None:
            raise not_found()
        return mapping

    def list_event_source_mappings(self: Any, source: str, function: str) -> list[Any]:
        mappings = list(self._event_source_mappings.values())
        if source:
            mappings = [m for m in mappings if m.event_source_arn == source]
        if function:
            name, qualifier = split_function(function)
            mappings = [
                m
                for m in mappings
                if split_function(m.function_arn)[0] == name
                and qualifier in (None, split_function(m.function_arn)[1])
            ]
        return mappings

    for patched in (
        create_event_source_mapping,
        update_event_source_mapping,
        delete_event_source_mapping,
        list_event_source_mappings,
    ):
        setattr(backend, patched.__name__, patched)


def _bound(backend: Any) -> dict[str, dict[str, Any]]:
    """URL configs and policies kept on the backend (so moto's reset clears them)."""
    store: dict[str, dict[str, Any]] = backend.__dict__.setdefault(
        "_sandbox_bound", {"urls": {}, "policies": {}}
    )
    return store


def _patch_responses(response: Any, error: Any, not_found: Any) -> None:
    class Conflict(error):  # type: ignore[misc]
        code = 409

        def __init__(self, message: str) -> None:
            super().__init__("ResourceConflictException", message)

    def target(self: Any, depth: int) -> tuple[str, str, str]:
        """(function name, qualifier or "", the qualified ARN); 404 when missing."""
        name = split_function(self.path.split("?")[0].split("/")[-depth])[0]
        qualifier = self.querystring.get("Qualifier", [None])[0]
        found = self.backend.get_function(name, qualifier)  # raises for what is missing
        return name, qualifier or "", _qualified(found.function_arn, qualifier)

    def now() -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())

    def url_settings(body: dict[str, Any], into: dict[str, Any]) -> None:
        for key in ("AuthType", "InvokeMode"):
            if body.get(key):
                into[key] = body[key]
        if "Cors" in body:
            cors = {k: v for k, v in (body["Cors"] or {}).items() if v}
            into.pop("Cors", None)
            if cors:
                into["Cors"] = cors

    def create_function_url_config(self: Any) -> Any:
        name, qualifier, arn = target(self, 2)
        urls = _bound(self.backend)["urls"].setdefault(name, {})
        if qualifier in urls:
            raise Conflict("FunctionUrlConfig exists for this Lambda function")
        config = {
            "FunctionUrl": f"https://{uuid.uuid4().hex}.lambda-url.{self.region}.on.aws/",
            "FunctionArn": arn,
            "InvokeMode": "BUFFERED",
            "CreationTime": now(),
            "LastModifiedTime": now(),
        }
        url_settings(self.json_body, config)
        urls[qualifier] = config
        return 201, {"status": 201}, json.dumps(config)

    def existing_url(self: Any) -> tuple[str, str, dict[str, Any]]:
        name, qualifier, _ = target(self, 2)
        config = _bound(self.backend)["urls"].get(name, {}).get(qualifier)
        if config is None:
            raise not_found()
        return name, qualifier, config

    def get_function_url_config(self: Any) -> Any:
        return 200, {"status": 200}, json.dumps(existing_url(self)[2])

    def update_function_url_config(self: Any) -> Any:
        config = existing_url(self)[2]
        url_settings(self.json_body, config)
        config["LastModifiedTime"] = now()
        return 200, {"status": 200}, json.dumps(config)

    def delete_function_url_config(self: Any) -> Any:
        name, qualifier, _ = existing_url(self)
        del _bound(self.backend)["urls"][name][qualifier]
        return 204, {"status": 204}, ""

    def list_function_url_configs(self: Any) -> Any:
        name, _, _ = target(self, 2)
        configs = list(_bound(self.backend)["urls"].get(name, {}).values())
        return 200, {"status": 200}, json.dumps({"FunctionUrlConfigs": configs})

    def add_permission(self: Any) -> Any:
        name, qualifier, arn = target(self, 2)
        body = json.loads(self.body or "{}")
        statements = _bound(self.backend)["policies"].setdefault(name, {}).setdefault(qualifier, [])
        if any(s["Sid"] == body.get("StatementId") for s in statements):
            raise Conflict(f"The statement id ({body.get('StatementId')}) provided already exists.")
        statement = statement_for(arn, body)
        statements.append(statement)
        return 201, {"status": 201}, json.dumps({"Statement": json.dumps(statement)})

    def get_policy(self: Any) -> Any:
        name, qualifier, _ = target(self, 2)
        statements = _bound(self.backend)["policies"].get(name, {}).get(qualifier)
        if not statements:
            raise not_found()
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        return json.dumps({"Policy": json.dumps(policy), "RevisionId": str(uuid.uuid4())})

    def remove_permission(self: Any) -> Any:
        name, qualifier, _ = target(self, 3)
        sid = unquote(self.path.split("?")[0].split("/")[-1])
        statements = _bound(self.backend)["policies"].get(name, {}).get(qualifier, [])
        kept = [s for s in statements if s["Sid"] != sid]
        if len(kept) == len(statements):
            raise not_found()
        _bound(self.backend)["policies"][name][qualifier] = kept
        return 204, {"status": 204}, ""

    for patched in (
        create_function_url_config,
        get_function_url_config,
        update_function_url_config,
        delete_function_url_config,
        list_function_url_configs,
        add_permission,
        get_policy,
        remove_permission,
    ):
        setattr(response, patched.__name__, patched)
