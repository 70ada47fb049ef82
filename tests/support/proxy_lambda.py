"""Emulation of AWS Lambda's function, version and alias operations over moto.

Each `_op_<Operation>` method handles one Lambda API operation for FidelityProxy, under the
function's lock: AWS's validation and 412/409 rules, RevisionIds, CodeSha256 checks,
publish-nothing-when-unchanged and version deletion that keeps numbering monotonic.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from typing import Any

from tests.support.proxy_http import (
    Reply,
    Request,
    Upstream,
    conflict,
    fail,
    invalid,
    json_reply,
    not_found,
)
from tests.support.proxy_state import (
    EmulationBase,
    FunctionState,
    aws_timestamp,
    config_fingerprint,
    routing_weights,
)

_ALIAS_NAME = re.compile(r"(?!^[0-9]+$)[a-zA-Z0-9_-]{1,128}")


def _alias_versions(alias: dict[str, Any]) -> set[str]:
    return {str(alias.get("FunctionVersion")), *routing_weights(alias)}


def _version_key(config: dict[str, Any]) -> int:
    version = str(config.get("Version"))
    return -1 if version == "$LATEST" else int(version)


class LambdaOperations(EmulationBase):
    """Functions, versions and aliases; provisioned concurrency is in proxy_provisioned."""

    # -- functions and versions ----------------------------------------------------------

    def _check_not_deleted(self, req: Request, state: FunctionState) -> None:
        # API reference, GetFunction / GetFunctionConfiguration: ResourceNotFoundException
        # for a qualifier (a deleted version) that does not exist.
        if req.qualifier in state.tombstones:
            raise not_found(f"Function not found: {self._arn(req, req.qualifier)}")

    def _op_CreateFunction(self, req: Request, state: FunctionState) -> Reply:
        up = self._send(req)
        if not up.ok:
            return up.relay()
        state.forget()  # a re-created function starts from scratch, as on AWS
        return up.relay(doc=self._decorate(state, self._note_publish(state, up.json())))

    def _note_publish(self, state: FunctionState, config: dict[str, Any]) -> dict[str, Any]:
        """Remember a version that a create/update call published (Publish=true)."""
        if str(config.get("Version", "$LATEST")) != "$LATEST":
            state.last_published, state.clean_since_publish = str(config["Version"]), True
        return config

    def _op_GetFunctionConfiguration(self, req: Request, state: FunctionState) -> Reply:
        self._check_not_deleted(req, state)
        up = self._send(req)
        return up.relay(200, self._decorate(state, up.json())) if up.ok else up.relay()

    def _op_GetFunction(self, req: Request, state: FunctionState) -> Reply:
        self._check_not_deleted(req, state)
        up = self._send(req)
        doc = up.json()
        if not up.ok or not isinstance(doc.get("Configuration"), dict):
            return up.relay()
        self._decorate(state, doc["Configuration"])
        return up.relay(200, doc)

    def _update_latest(self, req: Request, state: FunctionState) -> Reply:
        # API reference, UpdateFunctionCode / UpdateFunctionConfiguration: RevisionId
        # mismatch -> 412 PreconditionFailedException; developer guide, "Lambda function
        # states": LastUpdateStatus InProgress after an update, and until it is Successful
        # further updates and PublishVersion get 409 ResourceConflictException.
        self._check_not_busy(req, state)
        current = self._latest_rev(state, self._latest_config(req))
        self._check_revision(req.json().get("RevisionId"), current, alias=False)
        up = self._send(req)
        if not up.ok:
            return up.relay()
        state.latest_rev = None  # every update gets a new id, even one changing nothing
        state.clean_since_publish = False
        state.busy_until = time.monotonic() + self.in_progress_seconds
        return up.relay(doc=self._decorate(state, self._note_publish(state, up.json())))

    _op_UpdateFunctionCode = _update_latest
    _op_UpdateFunctionConfiguration = _update_latest

    def _op_PublishVersion(self, req: Request, state: FunctionState) -> Reply:
        # API reference, PublishVersion: RevisionId mismatch -> 412; CodeSha256 "only
        # publish a version if the hash value matches" (else InvalidParameterValueException);
        # 409 while an update is in progress. Developer guide, "Lambda function versions":
        # nothing new is published when $LATEST is unchanged since the last publish.
        self._check_not_busy(req, state)
        doc, latest = req.json(), self._latest_config(req)
        self._check_revision(doc.get("RevisionId"), self._latest_rev(state, latest), alias=False)
        wanted, current = doc.get("CodeSha256"), latest.get("CodeSha256")
        if wanted and wanted != current:
            raise invalid(
                f"CodeSHA256 ({wanted}) is different from current CodeSHA256 in $LATEST "
                f"({current}). Please try again with the current CodeSHA256."
            )
        if state.swap_code is not None:
            # Fault mode (never AWS, which checks and publishes atomically): other code lands
            # after the CodeSha256 check, so the version is published with another hash.
            code = {"ZipFile": base64.b64encode(state.swap_code).decode()}
            state.swap_code, state.clean_since_publish = None, False
            self._call("PUT", self._fn_path(req, "/code"), req.auth, json.dumps(code).encode())
            latest = self._latest_config(req)
        last, fingerprint = state.last_published, config_fingerprint(latest)
        unchanged = state.clean_since_publish and fingerprint == state.published_fingerprint
        if unchanged and last and last not in state.tombstones:
            # AWS publishes nothing when $LATEST is unchanged since the last publish.
            path = self._fn_path(req, f"/configuration?Qualifier={last}")
            existing = self._fetch(req, path, ok_missing=True)
            if existing:
                return json_reply(201, self._decorate(state, existing))
        up = self._send(req)
        if up.ok and str(up.json().get("Version")) in state.tombstones:
            # moto hands back its newest version when unchanged, even one deleted through
            # the proxy; a no-op configuration update makes it publish a fresh one.
            nudge = json.dumps({"Description": latest.get("Description", "")}).encode()
            self._call("PUT", self._fn_path(req, "/configuration"), req.auth, nudge)
            up = self._send(req)
        if not up.ok:
            return up.relay()
        config = self._note_publish(state, up.json())
        state.published_fingerprint = fingerprint
        state.latest_rev = self._new_id()
        return up.relay(201, self._decorate(state, config))

    def _op_ListVersionsByFunction(self, req: Request, state: FunctionState) -> Reply:
        # API reference, ListVersionsByFunction: $LATEST first, then ascending; MaxItems
        # at most 50 with Marker/NextMarker; ResourceNotFoundException for a missing function.
        versions = [self._decorate(state, v) for v in self._versions(req, state)]
        return self._page(req, "Versions", versions, _version_key)

    def _op_DeleteFunction(self, req: Request, state: FunctionState) -> Reply:
        # API reference, DeleteFunction: Qualifier deletes one version; $LATEST cannot be
        # deleted alone; a version an alias refers to -> ResourceConflictException.
        version = req.qualifier
        if version is None:
            up = self._send(req)
            if up.ok:
                state.forget()
            return up.relay()
        if version == "$LATEST":
            raise invalid("$LATEST version cannot be deleted without deleting the function.")
        if not version.isdigit():
            return self._send(req).relay()
        if version not in {str(v.get("Version")) for v in self._versions(req, state)}:
            raise not_found(f"Function not found: {self._arn(req, version)}")
        aliases = self._fetch(req, self._fn_path(req, "/aliases")).get("Aliases") or []
        users = [a["Name"] for a in aliases if version in _alias_versions(a)]
        if users:
            raise conflict(
                "Unable to delete version because the following aliases reference it: "
                f"[{', '.join(users)}]"
            )
        state.provisioned.pop(version, None)
        state.version_revs.pop(version, None)
        state.policies.pop(version, None)
        if not self.tombstone_deleted_versions:
            return self._send(req).relay()
        # moto numbers a new version len(versions)+1, so a real delete would make it reuse
        # numbers; hiding the version instead keeps numbering monotonic, as on AWS.
        state.tombstones.add(version)
        return Reply(204, [("x-amzn-RequestId", str(uuid.uuid4()))])

    # -- aliases -------------------------------------------------------------------------

    @staticmethod
    def _check_alias_fields(name: Any, description: Any = None) -> None:
        # API reference, CreateAlias / UpdateAlias: Name 1-128 chars matching
        # (?!^[0-9]+$)([a-zA-Z0-9-_]+), Description 0-256 chars (ValidationException).
        if not isinstance(name, str) or not _ALIAS_NAME.fullmatch(name):
            raise fail(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "(?!^[0-9]+$)([a-zA-Z0-9-_]+) and have length between 1 and 128",
            )
        if isinstance(description, str) and len(description) > 256:
            raise fail(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{description}' at 'description' failed "
                "to satisfy constraint: Member must have length less than or equal to 256",
            )

    def _check_routing(
        self, req: Request, state: FunctionState, primary: str, weights: dict[str, Any]
    ) -> None:
        """AWS's alias routing rules, which moto does not enforce.

        API reference, AliasRoutingConfiguration: AdditionalVersionWeights holds at most
        one version, weighted 0.0-1.0; developer guide, "Create a routing configuration for
        an alias": both versions published (no $LATEST), and they must exist.
        """
        if len(weights) > 1:
            raise invalid("Number of items in AdditionalVersionWeights cannot be greater than 1.")
        for version, weight in weights.items():
            number = isinstance(weight, int | float) and not isinstance(weight, bool)
            if not number or not 0 <= weight <= 1:
                raise invalid(f"Invalid weight {weight} for version {version}: must be 0.0-1.0.")
        if weights and "$LATEST" in (primary, *weights):
            raise invalid("$LATEST is not supported for an alias pointing to more than 1 version")
        if primary in weights:
            raise invalid(
                f"Invalid function version {primary}. "
                f"Function version {primary} is already included in routing configuration."
            )
        if primary == "$LATEST" and not weights:
            return
        existing = {str(v.get("Version")) for v in self._versions(req, state)}
        if primary not in existing:
            raise not_found(f"Function not found: {self._arn(req, primary)}")
        for version in weights:
            if version not in existing:
                raise invalid(f"Version {version} in routing configuration does not exist.")

    def _alias_reply(self, state: FunctionState, status: int, up: Upstream, name: str) -> Reply:
        doc = up.json()
        doc["RevisionId"] = self._alias_rev(state, name, doc)
        return up.relay(status, doc)

    def _op_GetAlias(self, req: Request, state: FunctionState) -> Reply:
        self._check_alias_fields(req.alias)
        up = self._send(req)
        return self._alias_reply(state, 200, up, str(req.alias)) if up.ok else up.relay()

    def _op_ListAliases(self, req: Request, state: FunctionState) -> Reply:
        # API reference, ListAliases: FunctionVersion filter; MaxItems at most 50, paged.
        up = self._send(req, drop=("Marker", "MaxItems"))
        if not up.ok:
            return up.relay()
        aliases = list(up.json().get("Aliases") or [])
        wanted = req.query.get("FunctionVersion")
        if wanted:  # moto ignores this filter
            aliases = [a for a in aliases if str(a.get("FunctionVersion")) == wanted]
        for alias in aliases:
            alias["RevisionId"] = self._alias_rev(state, alias["Name"], alias)
        return self._page(req, "Aliases", aliases, lambda a: str(a["Name"]))

    def _op_CreateAlias(self, req: Request, state: FunctionState) -> Reply:
        # API reference, CreateAlias: an existing name -> ResourceConflictException (409).
        doc = req.json()
        name = doc.get("Name")
        self._check_alias_fields(name, doc.get("Description"))
        weights = routing_weights(doc.get("RoutingConfig"))
        self._check_routing(req, state, str(doc.get("FunctionVersion")), weights)
        up = self._send(req)
        if up.status == 409 and up.header("x-amzn-ErrorType").startswith("ConflictException"):
            raise conflict(up.json().get("message") or "Alias already exists")
        if not up.ok:
            return up.relay()
        state.alias_revs.pop(name, None)
        return self._alias_reply(state, 201, up, name)

    def _op_UpdateAlias(self, req: Request, state: FunctionState) -> Reply:
        # API reference, UpdateAlias: RevisionId mismatch -> 412 PreconditionFailedException.
        name, doc = str(req.alias), req.json()
        self._check_alias_fields(name, doc.get("Description"))
        current = self._alias_upstream(req, name)
        revision = self._alias_rev(state, name, current)
        self._check_revision(doc.get("RevisionId"), revision, alias=True)
        # Validate the alias as it would be after the update, not just the request.
        primary = str(doc.get("FunctionVersion") or current.get("FunctionVersion"))
        routing = doc.get("RoutingConfig")
        weights = routing_weights(current if routing is None else routing)
        self._check_routing(req, state, primary, weights)
        # No refusal of weights on an alias with provisioned concurrency: AWS allows it
        # (API reference, PutProvisionedConcurrencyConfig: the allocated count "fluctuates"
        # while a weighted alias is used during linear and canary deployments). Only
        # *putting* a configuration on an alias that has weights is refused (proxy_provisioned).
        provisioned = state.provisioned.get(name)
        up = self._send(req)
        if not up.ok:
            return up.relay()
        state.alias_revs.pop(name, None)
        if provisioned and primary != str(current.get("FunctionVersion")):
            # AWS re-allocates an alias's provisioned concurrency on the new version.
            provisioned.ready_at = time.monotonic() + self.pc_ready_seconds
            provisioned.last_modified = aws_timestamp(time.time())
        return self._alias_reply(state, 200, up, name)

    def _op_DeleteAlias(self, req: Request, state: FunctionState) -> Reply:
        # API reference, DeleteAlias: FunctionName and Name only (no RevisionId, so no 412),
        # 204 on success; documented errors InvalidParameterValueException,
        # ResourceConflictException, ServiceException, TooManyRequestsException. A missing
        # alias of an existing function is therefore not a 404 here: moto's 204 is relayed.
        name = str(req.alias)
        self._check_alias_fields(name)
        up = self._send(req, drop=("RevisionId",))
        if not up.ok:
            return up.relay()
        state.alias_revs.pop(name, None)
        state.alias_seen.pop(name, None)
        state.provisioned.pop(name, None)
        # AWS deletes what lives on the alias itself: its URL config and its policy.
        state.urls.pop(name, None)
        state.policies.pop(name, None)
        return Reply(204, [("x-amzn-RequestId", str(uuid.uuid4()))])
