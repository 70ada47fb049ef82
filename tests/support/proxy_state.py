"""The fidelity proxy's per-function bookkeeping and what every emulated operation shares.

EmulationBase holds the state the proxy keeps per function (revision ids, update windows,
deleted versions, provisioned concurrency, function URLs, policies) and per event source
mapping, the upstream look-ups the operations make for their own checks, and AWS-style
paging. The operations themselves are in proxy_lambda, proxy_provisioned, proxy_mappings
and proxy_attachments; FidelityProxy puts them together.

This state only knows about changes made *through the proxy*; changes made behind its back
are noticed by fingerprinting what moto returns.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tests.support.proxy_http import (
    Abort,
    Reply,
    Request,
    Upstream,
    UpstreamClient,
    conflict,
    fail,
    invalid,
    json_reply,
    not_found,
    split_function_ref,
)

DEFAULT_ACCOUNT = "123456789012"
PAGE_LIMIT = 50


@dataclass
class Provisioned:
    """One qualifier's provisioned concurrency: READY once `ready_at` has passed."""

    requested: int
    ready_at: float
    last_modified: str


@dataclass
class MappingNote:
    """What the proxy knows of an event source mapping made through it: the function and
    qualifier it was bound to (moto records the version an alias pointed to instead) and
    a transition (Creating, Updating) in progress until `busy_until`."""

    function: str
    qualifier: str | None
    busy_state: str = ""
    busy_until: float = 0.0


@dataclass
class FunctionState:
    """What the proxy knows of one function; guarded by `lock` while an operation runs."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    latest_rev: str | None = None
    latest_seen: str | None = None  # $LATEST's fingerprint when last read; None: unknown
    alias_revs: dict[str, str] = field(default_factory=dict)
    alias_seen: dict[str, str] = field(default_factory=dict)
    version_revs: dict[str, str] = field(default_factory=dict)
    clean_since_publish: bool = False
    last_published: str | None = None
    published_fingerprint: str = ""
    tombstones: set[str] = field(default_factory=set)
    busy_until: float = 0.0
    provisioned: dict[str, Provisioned] = field(default_factory=dict)
    # Function URL configs by qualifier ("": unqualified) and resource-based policy
    # statements by qualifier (proxy_attachments): moto keeps neither per qualifier.
    urls: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    policy_revs: dict[str, str] = field(default_factory=dict)
    swap_code: bytes | None = None  # fault: a zip deployed inside the next publish

    def forget(self) -> None:
        """Back to a blank state, keeping the lock that the caller may be holding."""
        self.__dict__.update(FunctionState(lock=self.lock).__dict__)


def routing_weights(alias_or_routing: Any) -> dict[str, Any]:
    """AdditionalVersionWeights of an alias document or of a RoutingConfig."""
    if not isinstance(alias_or_routing, dict):
        return {}
    routing = alias_or_routing.get("RoutingConfig", alias_or_routing)
    weights = (routing or {}).get("AdditionalVersionWeights") or {}
    return {str(k): v for k, v in weights.items()} if isinstance(weights, dict) else {}


# fmt: off
_VOLATILE = frozenset({
    "RevisionId", "LastModified", "LastUpdateStatus", "LastUpdateStatusReason", "State",
    "FunctionArn", "Version",  # FunctionArn: ListVersionsByFunction appends ":$LATEST"
})
# fmt: on


def config_fingerprint(config: dict[str, Any]) -> str:
    """$LATEST's code and configuration, to notice changes made behind the proxy's back."""
    return json.dumps({k: v for k, v in config.items() if k not in _VOLATILE}, sort_keys=True)


def alias_fingerprint(alias: dict[str, Any]) -> str:
    content = [alias.get("FunctionVersion"), alias.get("Description") or "", routing_weights(alias)]
    return json.dumps(content, sort_keys=True)


def aws_timestamp(moment: float) -> str:
    millis = int(moment * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{millis:03d}+0000"


class EmulationBase:
    """Per-function state, upstream look-ups, revision ids and paging for the operations."""

    def __init__(
        self,
        upstream_url: str,
        *,
        in_progress_seconds: float,
        pc_ready_seconds: float,
        tombstone_deleted_versions: bool,
        mapping_settle_seconds: float = 0.0,
    ) -> None:
        self._upstream = UpstreamClient(upstream_url)
        self.in_progress_seconds = in_progress_seconds
        self.pc_ready_seconds = pc_ready_seconds
        self.tombstone_deleted_versions = tombstone_deleted_versions
        self.mapping_settle_seconds = mapping_settle_seconds
        # Guards the function registry here and, in FidelityProxy, the counters and faults.
        self._lock = threading.Lock()
        self._functions: dict[str, FunctionState] = {}
        # Event source mappings made through the proxy, by UUID (proxy_mappings).
        self._mappings: dict[str, MappingNote] = {}
        self._mappings_lock = threading.Lock()

    # -- upstream ----------------------------------------------------------------------

    def _call(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> Upstream:
        return self._upstream.call(method, target, headers, body)

    def _send(self, req: Request, drop: Collection[str] = ()) -> Upstream:
        """Forward the client's request (function name normalised, `drop` query keys cut)."""
        return self._call(req.method, req.target(drop), req.headers, req.body)

    def _fetch(self, req: Request, path: str, ok_missing: bool = False) -> Any:
        """GET a Lambda resource upstream for the proxy's own checks; None if 404 and allowed."""
        up = self._call("GET", path, req.auth)
        if up.status == 404 and ok_missing:
            return None
        if not up.ok:
            raise Abort(up.relay())
        return up.json()

    def _fn_path(self, req: Request, suffix: str = "") -> str:
        return f"/2015-03-31/functions/{quote(req.function or '', safe='')}{suffix}"

    def _latest_config(self, req: Request) -> dict[str, Any]:
        return dict(self._fetch(req, self._fn_path(req, "/configuration")))

    def _alias_upstream(self, req: Request, alias: str) -> dict[str, Any]:
        return dict(self._fetch(req, self._fn_path(req, f"/aliases/{quote(alias, safe='')}")))

    def _versions(self, req: Request, state: FunctionState) -> list[dict[str, Any]]:
        """Upstream's versions ($LATEST first) minus those deleted through the proxy."""
        docs = self._fetch(req, self._fn_path(req, "/versions")).get("Versions") or []
        if not docs:  # moto answers 200 [] where AWS says the function does not exist
            raise not_found(f"Function not found: {self._arn(req)}")
        return [d for d in docs if str(d.get("Version")) not in state.tombstones]

    def _arn(self, req: Request, qualifier: str | None = None) -> str:
        arn = f"arn:aws:lambda:{req.region}:{DEFAULT_ACCOUNT}:function:{req.function}"
        return f"{arn}:{qualifier}" if qualifier else arn

    # -- state -------------------------------------------------------------------------

    @staticmethod
    def _fn_key(function: str | None) -> str | None:
        return split_function_ref(function)[0] if function else None

    def _state(self, name: str) -> FunctionState:
        with self._lock:
            return self._functions.setdefault(name, FunctionState())

    @staticmethod
    def _new_id() -> str:
        # Truly random, not seeded: ids must never repeat across proxy instances.
        return str(uuid.uuid4())

    # Revision ids: a new one whenever the resource changes, whether through the proxy
    # (which drops the id) or behind its back (the content seen upstream differs).

    def _latest_rev(self, state: FunctionState, config: dict[str, Any] | None = None) -> str:
        seen = None if config is None else config_fingerprint(config)
        changed = None not in (seen, state.latest_seen) and seen != state.latest_seen
        if state.latest_rev is None or changed:
            state.latest_rev = self._new_id()
        if seen is not None:
            state.latest_seen = seen
        return state.latest_rev

    def _alias_rev(self, state: FunctionState, name: str, doc: dict[str, Any] | None = None) -> str:
        seen, known = None if doc is None else alias_fingerprint(doc), state.alias_seen.get(name)
        changed = None not in (seen, known) and seen != known
        if name not in state.alias_revs or changed:
            state.alias_revs[name] = self._new_id()
        if seen is not None:
            state.alias_seen[name] = seen
        return state.alias_revs[name]

    def _version_rev(self, state: FunctionState, version: str) -> str:
        if version not in state.version_revs:
            state.version_revs[version] = self._new_id()
        return state.version_revs[version]

    def _decorate(self, state: FunctionState, config: dict[str, Any]) -> dict[str, Any]:
        """Give a function configuration the proxy's RevisionId and update status."""
        version = str(config.get("Version", "$LATEST"))
        config.pop("LastUpdateStatusReason", None)
        if version == "$LATEST":
            config["RevisionId"] = self._latest_rev(state, config)
            busy = state.busy_until > time.monotonic()
            config["LastUpdateStatus"] = "InProgress" if busy else "Successful"
            if busy:
                config["LastUpdateStatusReason"] = "The function is being updated."
        else:
            config["RevisionId"] = self._version_rev(state, version)
            config["LastUpdateStatus"] = "Successful"
        return config

    def _check_revision(self, given: Any, current: str, alias: bool) -> None:
        # API reference, PreconditionFailedException (UpdateAlias, PublishVersion,
        # UpdateFunctionCode/Configuration): HTTP 412 with this message.
        if given is not None and given != current:
            api = "GetAlias" if alias else "GetFunction or the GetAlias"
            raise fail(
                412,
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. "
                f"Call the {api} API to retrieve the latest Revision Id",
            )

    def _check_not_busy(self, req: Request, state: FunctionState) -> None:
        if state.busy_until > time.monotonic():
            raise conflict(
                "The operation cannot be performed at this time. "
                f"An update is in progress for resource: {self._arn(req)}"
            )

    # -- paging --------------------------------------------------------------------------

    def _page(
        self, req: Request, key: str, items: list[dict[str, Any]], order: Callable[[Any], Any]
    ) -> Reply:
        """A page of at most min(MaxItems, 50) items after the opaque Marker's position.

        API reference, ListVersionsByFunction / ListAliases / ListProvisionedConcurrencyConfigs:
        MaxItems up to 50, Marker in, NextMarker out while more remain.
        """
        try:
            limit = min(int(req.query.get("MaxItems") or PAGE_LIMIT), PAGE_LIMIT)
        except ValueError:
            raise invalid("MaxItems must be an integer") from None
        if limit < 1:
            raise invalid("MaxItems must be at least 1")
        items = sorted(items, key=order)
        if req.query.get("Marker"):
            try:
                op, function, after = json.loads(base64.urlsafe_b64decode(req.query["Marker"]))
            except ValueError:
                raise invalid("Invalid Marker") from None
            if (op, function) != (req.op, req.function):
                raise invalid("Invalid Marker")
            # Position by key rather than index, so deletions between pages skip nothing.
            items = [item for item in items if order(item) > after]
        doc: dict[str, Any] = {key: items[:limit]}
        if len(items) > limit:
            token = json.dumps([req.op, req.function, order(items[limit - 1])]).encode()
            doc["NextMarker"] = base64.urlsafe_b64encode(token).decode()
        return json_reply(200, doc)
