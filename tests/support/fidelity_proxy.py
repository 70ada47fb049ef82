"""An HTTP proxy in front of a moto server that makes its Lambda API behave like AWS's.

moto is lax where AWS is strict (revision ids, CodeSha256, paging, validation, update
windows, throttling, provisioned concurrency). Tests point the code under test at this
proxy, which enforces AWS's rules itself and forwards everything else untouched. The
proxy's own bookkeeping (revision ids, update windows, deleted versions, provisioned
concurrency) only knows about changes made *through the proxy*.

Standard library only: the proxy must not depend on boto3.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

DEFAULT_ACCOUNT = "123456789012"
PAGE_LIMIT = 50
# Not forwarded either way; http.client and http.server write their own framing headers.
# fmt: off
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "te", "trailer", "transfer-encoding", "upgrade", "expect", "host", "content-length",
})
# fmt: on
_DROP_FROM_UPSTREAM = _HOP_BY_HOP | {"server", "date", "status"}  # "status": a moto stray
_ALIAS_NAME = re.compile(r"(?!^[0-9]+$)[a-zA-Z0-9_-]{1,128}")
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")
# Method, path ({fn}: function name or URL-encoded ARN; {alias}: alias name), operation.
_ROUTE_TABLE = """
GET    /2015-03-31/functions                           ListFunctions
POST   /2015-03-31/functions                           CreateFunction
GET    /2015-03-31/functions/{fn}                      GetFunction
DELETE /2015-03-31/functions/{fn}                      DeleteFunction
GET    /2015-03-31/functions/{fn}/aliases              ListAliases
POST   /2015-03-31/functions/{fn}/aliases              CreateAlias
GET    /2015-03-31/functions/{fn}/aliases/{alias}      GetAlias
PUT    /2015-03-31/functions/{fn}/aliases/{alias}      UpdateAlias
DELETE /2015-03-31/functions/{fn}/aliases/{alias}      DeleteAlias
GET    /2015-03-31/functions/{fn}/versions             ListVersionsByFunction
POST   /2015-03-31/functions/{fn}/versions             PublishVersion
GET    /2015-03-31/functions/{fn}/configuration        GetFunctionConfiguration
PUT    /2015-03-31/functions/{fn}/configuration        UpdateFunctionConfiguration
PUT    /2015-03-31/functions/{fn}/code                 UpdateFunctionCode
GET    /2019-09-30/functions/{fn}/provisioned-concurrency  GetProvisionedConcurrencyConfig
PUT    /2019-09-30/functions/{fn}/provisioned-concurrency  PutProvisionedConcurrencyConfig
DELETE /2019-09-30/functions/{fn}/provisioned-concurrency  DeleteProvisionedConcurrencyConfig
GET    /2015-03-31/event-source-mappings               ListEventSourceMappings
GET    /2021-10-31/functions/{fn}/urls                 ListFunctionUrlConfigs
GET    /2021-10-31/functions/{fn}/url                  GetFunctionUrlConfig
POST   /2021-10-31/functions/{fn}/url                  CreateFunctionUrlConfig
"""
_ROUTES = [
    (method, re.compile(path.format(fn="(?P<fn>[^/]+)", alias="(?P<alias>[^/]+)") + "/?"), op)
    for method, path, op in (line.split() for line in _ROUTE_TABLE.strip().splitlines())
]
_LAMBDA_PATH = re.compile(r"/\d{4}-\d{2}-\d{2}/")

Hook = Callable[[str, str | None, str | None], None]


@dataclass(frozen=True)
class FaultPlan:
    """Probabilities (0..1, one roll per request) of each injected fault.

    throttle: 429 TooManyRequestsException; unavailable: 503 ServiceException; drop: close
    the connection without forwarding; lost_reply: forward, then close without replying.
    `ops` restricts faults to those operation names; by default every Lambda operation.
    """

    throttle: float = 0.0
    unavailable: float = 0.0
    drop: float = 0.0
    lost_reply: float = 0.0
    retry_after: float | None = None
    ops: Collection[str] | None = None

    def __post_init__(self) -> None:
        odds = (self.throttle, self.unavailable, self.drop, self.lost_reply)
        if any(p < 0 for p in odds) or sum(odds) > 1:
            raise ValueError("fault probabilities must be >= 0 and sum to at most 1")

    def applies(self, op: str, is_lambda: bool) -> bool:
        return is_lambda if self.ops is None else op in self.ops


@dataclass
class RequestRecord:
    """One request seen by the proxy. `status` is None when no reply was sent."""

    method: str
    path: str
    op: str
    function: str | None
    time: float
    status: int | None = None
    fault: str | None = None


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


class _Abort(Exception):
    """Carries a finished reply (an AWS error) out of an operation handler."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def error_reply(status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> Reply:
    """An error in AWS's wire shape: botocore reads the code from x-amzn-ErrorType."""
    key = "Message" if code == "ServiceException" else "message"
    doc: dict[str, Any] = {"Type": "User" if status < 500 else "Service", key: message}
    doc.update(extra or {})
    headers = [("x-amzn-ErrorType", code), ("x-amzn-RequestId", str(uuid.uuid4()))]
    if extra and "retryAfterSeconds" in extra:
        # botocore's model reads retryAfterSeconds from this header, AWS sends both.
        headers.append(("Retry-After", str(extra["retryAfterSeconds"])))
    return json_reply(status, doc, headers)


def json_reply(status: int, doc: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
    kept = [(k, v) for k, v in headers or [] if k.lower() != "content-type"]
    kept.append(("Content-Type", "application/json"))
    return Reply(status, kept, json.dumps(doc).encode())


def _fail(status: int, code: str, message: str) -> _Abort:
    return _Abort(error_reply(status, code, message))


def _invalid(message: str) -> _Abort:
    return _fail(400, "InvalidParameterValueException", message)


def _not_found(message: str) -> _Abort:
    return _fail(404, "ResourceNotFoundException", message)


def _conflict(message: str) -> _Abort:
    return _fail(409, "ResourceConflictException", message)


@dataclass
class _Upstream:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}

    @property
    def ok(self) -> bool:
        return self.status < 300

    def relay(self, status: int | None = None, doc: Any = None) -> Reply:
        headers = [(k, v) for k, v in self.headers if k.lower() not in _DROP_FROM_UPSTREAM]
        if doc is not None:
            return json_reply(status or self.status, doc, headers)
        return Reply(status or self.status, headers, self.body)


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    op: str = "other"
    is_lambda: bool = False
    function: str | None = None
    qualifier: str | None = None
    alias: str | None = None
    region: str = "us-east-1"
    upstream_path: str = ""

    def json(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.body or b"{}")
        except ValueError:
            message = "Could not parse request body into json"
            raise _fail(400, "InvalidRequestContentException", message) from None
        return doc if isinstance(doc, dict) else {}

    def target(self, drop: Collection[str] = ()) -> str:
        query = {k: v for k, v in self.query.items() if k not in drop}
        return self.upstream_path + (f"?{urlencode(query)}" if query else "")

    @property
    def auth(self) -> dict[str, str]:
        """Headers moto needs to route internal look-ups to the same service and region."""
        return {
            k: v for k, v in self.headers.items() if k.lower() in ("authorization", "x-amz-date")
        }


@dataclass
class _Provisioned:
    requested: int
    ready_at: float
    last_modified: str


@dataclass
class _FunctionState:
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
    provisioned: dict[str, _Provisioned] = field(default_factory=dict)
    alias_urls: dict[str, dict[str, Any]] = field(default_factory=dict)  # moto has none

    def forget(self) -> None:
        """Back to a blank state, keeping the lock that the caller may be holding."""
        self.__dict__.update(_FunctionState(lock=self.lock).__dict__)


@dataclass
class _Rule:
    op: str
    function: str | None
    remaining: int
    kind: str  # "error", "drop" or "lost_reply"
    reply: Reply | None = None


class _TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.capacity, self.tokens = rate, burst, burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def split_function_ref(ref: str) -> tuple[str, str | None]:
    """(name, qualifier) from a name, `name:qualifier`, a partial ARN or a full ARN."""
    ref = unquote(ref)
    if ":function:" in ref:
        ref = ref.split(":function:", 1)[1]
    name, _, qualifier = ref.partition(":")
    return name, qualifier or None


def _weights(alias_or_routing: Any) -> dict[str, Any]:
    """AdditionalVersionWeights of an alias document or of a RoutingConfig."""
    if not isinstance(alias_or_routing, dict):
        return {}
    routing = alias_or_routing.get("RoutingConfig", alias_or_routing)
    weights = (routing or {}).get("AdditionalVersionWeights") or {}
    return {str(k): v for k, v in weights.items()} if isinstance(weights, dict) else {}


def _alias_versions(alias: dict[str, Any]) -> set[str]:
    return {str(alias.get("FunctionVersion")), *_weights(alias)}


def _version_key(config: dict[str, Any]) -> int:
    version = str(config.get("Version"))
    return -1 if version == "$LATEST" else int(version)


# fmt: off
_VOLATILE = frozenset({
    "RevisionId", "LastModified", "LastUpdateStatus", "LastUpdateStatusReason", "State",
    "FunctionArn", "Version",  # FunctionArn: ListVersionsByFunction appends ":$LATEST"
})
# fmt: on


def _fingerprint(config: dict[str, Any]) -> str:
    """$LATEST's code and configuration, to notice changes made behind the proxy's back."""
    return json.dumps({k: v for k, v in config.items() if k not in _VOLATILE}, sort_keys=True)


def _alias_fingerprint(alias: dict[str, Any]) -> str:
    content = [alias.get("FunctionVersion"), alias.get("Description") or "", _weights(alias)]
    return json.dumps(content, sort_keys=True)


def _timestamp(moment: float) -> str:
    millis = int(moment * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{millis:03d}+0000"


class FidelityProxy:
    """Loopback proxy that makes a moto server's Lambda API behave like AWS Lambda."""

    def __init__(
        self,
        upstream_url: str,
        *,
        seed: int = 0,
        in_progress_seconds: float = 0.5,
        pc_ready_seconds: float = 0.3,
        tombstone_deleted_versions: bool = True,
    ) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.in_progress_seconds = in_progress_seconds
        self.pc_ready_seconds = pc_ready_seconds
        self.tombstone_deleted_versions = tombstone_deleted_versions
        self.faults = FaultPlan()
        # Exceptions raised by the on_request hook or by the proxy itself (answered 500).
        self.errors: list[BaseException] = []
        self.hook_errors = self.errors  # the same list, under its older name
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._functions: dict[str, _FunctionState] = {}
        self._calls: Counter[str] = Counter()
        self._calls_by_function: dict[str, Counter[str]] = {}
        self._log: list[RequestRecord] = []
        self._accepted: list[tuple[float, str]] = []
        self._rules: list[_Rule] = []
        self._bucket: _TokenBucket | None = None
        self._hook: Hook | None = None
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval keeps stop() (and so every test's teardown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fidelity-proxy", daemon=True
        )
        self._thread.start()
        self._stopped = False

    # -- lifecycle ---------------------------------------------------------------------

    def stop(self) -> None:
        """Stop serving and join every thread the proxy started."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()  # joins in-flight handler threads
        self._thread.join()

    def __enter__(self) -> FidelityProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- test controls -----------------------------------------------------------------

    def rate_limit(self, rps: float | None, burst: float | None = None) -> None:
        """Throttle Lambda control-plane calls (all but GetFunction) to `rps`; None lifts it.

        The bucket holds `burst` tokens (default: one second's worth) and starts full.
        """
        with self._lock:
            if not rps:
                self._bucket = None
            else:
                self._bucket = _TokenBucket(rps, burst if burst is not None else max(1.0, rps))

    def fail_next(
        self,
        op: str,
        status: int,
        code: str,
        message: str,
        count: int = 1,
        function: str | None = None,
    ) -> None:
        """Answer the next `count` calls of `op` (on `function`) with this error, unforwarded."""
        rule = _Rule(op, self._fn_key(function), count, "error", error_reply(status, code, message))
        with self._lock:
            self._rules.append(rule)

    def drop_next(
        self, op: str, count: int = 1, function: str | None = None, *, forward: bool = False
    ) -> None:
        """Close the connection on the next `count` calls of `op` without replying.

        forward=False drops the request unprocessed; forward=True processes it first
        (a lost reply).
        """
        kind = "lost_reply" if forward else "drop"
        with self._lock:
            self._rules.append(_Rule(op, self._fn_key(function), count, kind))

    def on_request(self, callback: Hook | None) -> None:
        """Call `callback(op, function, alias)` before each request is processed.

        It runs on the request's thread, outside the proxy's locks, so it may call the
        proxy itself; exceptions are collected in `errors` and the request goes on.
        """
        self._hook = callback

    def set_in_progress(self, function: str, seconds: float) -> None:
        """Report an update in progress on `function` for `seconds` from now."""
        state = self._state(self._fn_key(function) or function)
        with state.lock:
            state.busy_until = time.monotonic() + seconds

    def revision_id(self, function: str, alias: str | None = None) -> str:
        """The proxy's current RevisionId of an alias, or of $LATEST when alias is None."""
        state = self._state(self._fn_key(function) or function)
        with state.lock:
            return self._alias_rev(state, alias) if alias else self._latest_rev(state)

    @property
    def calls(self) -> Counter[str]:
        with self._lock:
            return Counter(self._calls)

    def calls_for(self, function: str) -> Counter[str]:
        with self._lock:
            return Counter(self._calls_by_function.get(self._fn_key(function) or "", {}))

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def accepted_times(self, op: str | None = None) -> list[float]:
        """time.monotonic() stamps of the Lambda control-plane calls (all but GetFunction)
        that got past rate limiting and fault injection (lost replies included)."""
        with self._lock:
            return [t for t, o in self._accepted if op is None or o == op]

    def reset_counts(self) -> None:
        with self._lock:
            self._calls.clear()
            self._calls_by_function.clear()
            self._log.clear()
            self._accepted.clear()

    # -- request pipeline --------------------------------------------------------------

    def process(self, method: str, target: str, headers: Message, body: bytes) -> Reply | None:
        """Handle one request; None means close the connection without a reply."""
        req = self._parse(method, target, headers, body)
        record = RequestRecord(method, req.path, req.op, req.function, time.monotonic())
        with self._lock:
            self._calls[req.op] += 1
            if req.function:
                self._calls_by_function.setdefault(req.function, Counter())[req.op] += 1
            self._log.append(record)
        verdict, record.fault = self._admit(req)
        if isinstance(verdict, Reply):
            record.status = verdict.status
            return verdict
        if verdict == "drop":
            return None
        if self._hook is not None:
            try:
                self._hook(req.op, req.function, req.alias)
            except Exception as exc:
                self.errors.append(exc)
        reply = self._dispatch(req)
        record.status = reply.status
        return None if verdict == "lost_reply" else reply

    def _parse(self, method: str, target: str, headers: Message, body: bytes) -> _Request:
        parts = urlsplit(target)
        kept = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
        req = _Request(method, parts.path, dict(parse_qsl(parts.query, True)), kept, body)
        req.upstream_path = parts.path
        region = _REGION.search(headers.get("Authorization", ""))
        req.region = region.group(1) if region else "us-east-1"
        req.is_lambda = _LAMBDA_PATH.match(parts.path) is not None
        if not req.is_lambda:
            return req
        for method_, pattern, op in _ROUTES:
            match = pattern.fullmatch(parts.path) if method_ == method else None
            if match is None:
                continue
            req.op = op
            if match.groupdict().get("fn"):
                req.function, req.qualifier = split_function_ref(match["fn"])
                # moto mishandles URL-encoded ARNs in some routes; forward the plain name.
                plain = req.function + (f":{req.qualifier}" if req.qualifier else "")
                start, end = match.span("fn")
                req.upstream_path = parts.path[:start] + quote(plain, safe=":") + parts.path[end:]
            if match.groupdict().get("alias"):
                req.alias = unquote(match["alias"])
            break
        if req.op == "GetProvisionedConcurrencyConfig" and req.query.get("List") == "ALL":
            req.op = "ListProvisionedConcurrencyConfigs"
        if req.query.get("Qualifier"):
            req.qualifier = req.query["Qualifier"]
        if req.op == "ListEventSourceMappings" and req.query.get("FunctionName"):
            req.function = split_function_ref(req.query["FunctionName"])[0]
        if req.op in ("CreateFunction", "CreateAlias"):
            try:
                doc = json.loads(body or b"{}")
            except ValueError:
                doc = None
            named = str(doc.get("FunctionName") or "") if isinstance(doc, dict) else ""
            if named and req.op == "CreateFunction":
                req.function = split_function_ref(named)[0]
            elif isinstance(doc, dict) and doc.get("Name"):
                req.alias = str(doc["Name"])
        return req

    def _admit(self, req: _Request) -> tuple[Reply | str | None, str | None]:
        """Injected faults: (a Reply, "drop", "lost_reply" or None to process; a label)."""
        limited = req.is_lambda and req.op != "GetFunction"
        with self._lock:
            verdict, label = self._pick_fault(req, limited)
            if limited and verdict in (None, "lost_reply"):
                self._accepted.append((time.monotonic(), req.op))
        return verdict, label

    def _pick_fault(self, req: _Request, limited: bool) -> tuple[Reply | str | None, str | None]:
        for rule in self._rules:
            if rule.op == req.op and rule.function in (None, req.function):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
                return (rule.reply, "fail_next") if rule.kind == "error" else (rule.kind, rule.kind)
        if limited and self._bucket is not None and not self._bucket.take():
            extra = {"Reason": "CallerRateLimitExceeded"}
            return error_reply(429, "TooManyRequestsException", "Rate exceeded", extra), (
                "rate_limit"
            )
        return self._roll(req)

    def _roll(self, req: _Request) -> tuple[Reply | str | None, str | None]:
        plan = self.faults
        if not plan.applies(req.op, req.is_lambda):
            return None, None
        roll = self._rng.random()
        if roll < plan.throttle:
            extra: dict[str, Any] = {"Reason": "CallerRateLimitExceeded"}
            if plan.retry_after is not None:
                extra["retryAfterSeconds"] = f"{plan.retry_after:g}"
            return error_reply(429, "TooManyRequestsException", "Rate exceeded", extra), "throttle"
        roll -= plan.throttle
        if roll < plan.unavailable:
            reply = error_reply(503, "ServiceException", "Service unavailable")
            return reply, "unavailable"
        roll -= plan.unavailable
        if roll < plan.drop:
            return "drop", "drop"
        if roll - plan.drop < plan.lost_reply:
            return "lost_reply", "lost_reply"
        return None, None

    def _dispatch(self, req: _Request) -> Reply:
        handler = getattr(self, f"_op_{req.op}", None) if req.is_lambda else None
        try:
            if handler is None or req.function is None:
                return self._send(req).relay()
            state = self._state(req.function)
            with state.lock:
                reply: Reply = handler(req, state)
                return reply
        except _Abort as abort:
            return abort.reply
        except (OSError, http.client.HTTPException) as exc:
            return error_reply(500, "ServiceException", f"upstream failure: {exc!r}")

    # -- upstream ----------------------------------------------------------------------

    def _call(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> _Upstream:
        conn = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            return _Upstream(response.status, response.getheaders(), response.read())
        finally:
            conn.close()

    def _send(self, req: _Request, drop: Collection[str] = ()) -> _Upstream:
        """Forward the client's request (function name normalised, `drop` query keys cut)."""
        return self._call(req.method, req.target(drop), req.headers, req.body)

    def _fetch(self, req: _Request, path: str, ok_missing: bool = False) -> Any:
        """GET a Lambda resource upstream for the proxy's own checks; None if 404 and allowed."""
        up = self._call("GET", path, req.auth)
        if up.status == 404 and ok_missing:
            return None
        if not up.ok:
            raise _Abort(up.relay())
        return up.json()

    def _fn_path(self, req: _Request, suffix: str = "") -> str:
        return f"/2015-03-31/functions/{quote(req.function or '', safe='')}{suffix}"

    def _latest_config(self, req: _Request) -> dict[str, Any]:
        return dict(self._fetch(req, self._fn_path(req, "/configuration")))

    def _alias_upstream(self, req: _Request, alias: str) -> dict[str, Any]:
        return dict(self._fetch(req, self._fn_path(req, f"/aliases/{quote(alias, safe='')}")))

    def _versions(self, req: _Request, state: _FunctionState) -> list[dict[str, Any]]:
        """Upstream's versions ($LATEST first) minus those deleted through the proxy."""
        docs = self._fetch(req, self._fn_path(req, "/versions")).get("Versions") or []
        if not docs:  # moto answers 200 [] where AWS says the function does not exist
            raise _not_found(f"Function not found: {self._arn(req)}")
        return [d for d in docs if str(d.get("Version")) not in state.tombstones]

    def _arn(self, req: _Request, qualifier: str | None = None) -> str:
        arn = f"arn:aws:lambda:{req.region}:{DEFAULT_ACCOUNT}:function:{req.function}"
        return f"{arn}:{qualifier}" if qualifier else arn

    # -- state -------------------------------------------------------------------------

    @staticmethod
    def _fn_key(function: str | None) -> str | None:
        return split_function_ref(function)[0] if function else None

    def _state(self, name: str) -> _FunctionState:
        with self._lock:
            return self._functions.setdefault(name, _FunctionState())

    @staticmethod
    def _new_id() -> str:
        # Truly random, not seeded: ids must never repeat across proxy instances.
        return str(uuid.uuid4())

    # Revision ids: a new one whenever the resource changes, whether through the proxy
    # (which drops the id) or behind its back (the content seen upstream differs).

    def _latest_rev(self, state: _FunctionState, config: dict[str, Any] | None = None) -> str:
        seen = None if config is None else _fingerprint(config)
        changed = None not in (seen, state.latest_seen) and seen != state.latest_seen
        if state.latest_rev is None or changed:
            state.latest_rev = self._new_id()
        if seen is not None:
            state.latest_seen = seen
        return state.latest_rev

    def _alias_rev(
        self, state: _FunctionState, name: str, doc: dict[str, Any] | None = None
    ) -> str:
        seen, known = None if doc is None else _alias_fingerprint(doc), state.alias_seen.get(name)
        changed = None not in (seen, known) and seen != known
        if name not in state.alias_revs or changed:
            state.alias_revs[name] = self._new_id()
        if seen is not None:
            state.alias_seen[name] = seen
        return state.alias_revs[name]

    def _version_rev(self, state: _FunctionState, version: str) -> str:
        if version not in state.version_revs:
            state.version_revs[version] = self._new_id()
        return state.version_revs[version]

    def _decorate(self, state: _FunctionState, config: dict[str, Any]) -> dict[str, Any]:
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
        if given is not None and given != current:
            api = "GetAlias" if alias else "GetFunction or the GetAlias"
            raise _fail(
                412,
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. "
                f"Call the {api} API to retrieve the latest Revision Id",
            )

    def _check_not_busy(self, req: _Request, state: _FunctionState) -> None:
        if state.busy_until > time.monotonic():
            raise _conflict(
                "The operation cannot be performed at this time. "
                f"An update is in progress for resource: {self._arn(req)}"
            )

    # -- functions and versions ----------------------------------------------------------

    def _check_not_deleted(self, req: _Request, state: _FunctionState) -> None:
        if req.qualifier in state.tombstones:
            raise _not_found(f"Function not found: {self._arn(req, req.qualifier)}")

    def _op_CreateFunction(self, req: _Request, state: _FunctionState) -> Reply:
        up = self._send(req)
        if not up.ok:
            return up.relay()
        state.forget()  # a re-created function starts from scratch, as on AWS
        return up.relay(doc=self._decorate(state, self._note_publish(state, up.json())))

    def _note_publish(self, state: _FunctionState, config: dict[str, Any]) -> dict[str, Any]:
        """Remember a version that a create/update call published (Publish=true)."""
        if str(config.get("Version", "$LATEST")) != "$LATEST":
            state.last_published, state.clean_since_publish = str(config["Version"]), True
        return config

    def _op_GetFunctionConfiguration(self, req: _Request, state: _FunctionState) -> Reply:
        self._check_not_deleted(req, state)
        up = self._send(req)
        return up.relay(200, self._decorate(state, up.json())) if up.ok else up.relay()

    def _op_GetFunction(self, req: _Request, state: _FunctionState) -> Reply:
        self._check_not_deleted(req, state)
        up = self._send(req)
        doc = up.json()
        if not up.ok or not isinstance(doc.get("Configuration"), dict):
            return up.relay()
        self._decorate(state, doc["Configuration"])
        return up.relay(200, doc)

    def _update_latest(self, req: _Request, state: _FunctionState) -> Reply:
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

    def _op_PublishVersion(self, req: _Request, state: _FunctionState) -> Reply:
        self._check_not_busy(req, state)
        doc, latest = req.json(), self._latest_config(req)
        self._check_revision(doc.get("RevisionId"), self._latest_rev(state, latest), alias=False)
        wanted, current = doc.get("CodeSha256"), latest.get("CodeSha256")
        if wanted and wanted != current:
            raise _invalid(
                f"CodeSHA256 ({wanted}) is different from current CodeSHA256 in $LATEST "
                f"({current}). Please try again with the current CodeSHA256."
            )
        last, fingerprint = state.last_published, _fingerprint(latest)
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

    def _op_ListVersionsByFunction(self, req: _Request, state: _FunctionState) -> Reply:
        versions = [self._decorate(state, v) for v in self._versions(req, state)]
        return self._page(req, "Versions", versions, _version_key)

    def _op_DeleteFunction(self, req: _Request, state: _FunctionState) -> Reply:
        version = req.qualifier
        if version is None:
            up = self._send(req)
            if up.ok:
                state.forget()
            return up.relay()
        if version == "$LATEST":
            raise _invalid("$LATEST version cannot be deleted without deleting the function.")
        if not version.isdigit():
            return self._send(req).relay()
        if version not in {str(v.get("Version")) for v in self._versions(req, state)}:
            raise _not_found(f"Function not found: {self._arn(req, version)}")
        aliases = self._fetch(req, self._fn_path(req, "/aliases")).get("Aliases") or []
        users = [a["Name"] for a in aliases if version in _alias_versions(a)]
        if users:
            raise _conflict(
                "Unable to delete version because the following aliases reference it: "
                f"[{', '.join(users)}]"
            )
        state.provisioned.pop(version, None)
        state.version_revs.pop(version, None)
        if not self.tombstone_deleted_versions:
            return self._send(req).relay()
        # moto numbers a new version len(versions)+1, so a real delete would make it reuse
        # numbers; hiding the version instead keeps numbering monotonic, as on AWS.
        state.tombstones.add(version)
        return Reply(204, [("x-amzn-RequestId", str(uuid.uuid4()))])

    # -- aliases -------------------------------------------------------------------------

    @staticmethod
    def _check_alias_fields(name: Any, description: Any = None) -> None:
        if not isinstance(name, str) or not _ALIAS_NAME.fullmatch(name):
            raise _fail(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "(?!^[0-9]+$)([a-zA-Z0-9-_]+) and have length between 1 and 128",
            )
        if isinstance(description, str) and len(description) > 256:
            raise _fail(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{description}' at 'description' failed "
                "to satisfy constraint: Member must have length less than or equal to 256",
            )

    def _check_routing(
        self, req: _Request, state: _FunctionState, primary: str, weights: dict[str, Any]
    ) -> None:
        """AWS's alias routing rules, which moto does not enforce."""
        if len(weights) > 1:
            raise _invalid("Number of items in AdditionalVersionWeights cannot be greater than 1.")
        for version, weight in weights.items():
            number = isinstance(weight, int | float) and not isinstance(weight, bool)
            if not number or not 0 <= weight <= 1:
                raise _invalid(f"Invalid weight {weight} for version {version}: must be 0.0-1.0.")
        if weights and "$LATEST" in (primary, *weights):
            raise _invalid("$LATEST is not supported for an alias pointing to more than 1 version")
        if primary in weights:
            raise _invalid(
                f"Invalid function version {primary}. "
                f"Function version {primary} is already included in routing configuration."
            )
        if primary == "$LATEST" and not weights:
            return
        existing = {str(v.get("Version")) for v in self._versions(req, state)}
        if primary not in existing:
            raise _not_found(f"Function not found: {self._arn(req, primary)}")
        for version in weights:
            if version not in existing:
                raise _invalid(f"Version {version} in routing configuration does not exist.")

    def _alias_reply(self, state: _FunctionState, status: int, up: _Upstream, name: str) -> Reply:
        doc = up.json()
        doc["RevisionId"] = self._alias_rev(state, name, doc)
        return up.relay(status, doc)

    def _op_GetAlias(self, req: _Request, state: _FunctionState) -> Reply:
        self._check_alias_fields(req.alias)
        up = self._send(req)
        return self._alias_reply(state, 200, up, str(req.alias)) if up.ok else up.relay()

    def _op_ListAliases(self, req: _Request, state: _FunctionState) -> Reply:
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

    def _op_CreateAlias(self, req: _Request, state: _FunctionState) -> Reply:
        doc = req.json()
        name = doc.get("Name")
        self._check_alias_fields(name, doc.get("Description"))
        weights = _weights(doc.get("RoutingConfig"))
        self._check_routing(req, state, str(doc.get("FunctionVersion")), weights)
        up = self._send(req)
        if up.status == 409 and up.header("x-amzn-ErrorType").startswith("ConflictException"):
            raise _conflict(up.json().get("message") or "Alias already exists")
        if not up.ok:
            return up.relay()
        state.alias_revs.pop(name, None)
        return self._alias_reply(state, 201, up, name)

    def _op_UpdateAlias(self, req: _Request, state: _FunctionState) -> Reply:
        name, doc = str(req.alias), req.json()
        self._check_alias_fields(name, doc.get("Description"))
        current = self._alias_upstream(req, name)
        revision = self._alias_rev(state, name, current)
        self._check_revision(doc.get("RevisionId"), revision, alias=True)
        # Validate the alias as it would be after the update, not just the request.
        primary = str(doc.get("FunctionVersion") or current.get("FunctionVersion"))
        routing = doc.get("RoutingConfig")
        weights = _weights(current if routing is None else routing)
        self._check_routing(req, state, primary, weights)
        provisioned = state.provisioned.get(name)
        if provisioned and weights:
            raise _invalid("Alias with weights can not be used with Provisioned Concurrency")
        up = self._send(req)
        if not up.ok:
            return up.relay()
        state.alias_revs.pop(name, None)
        if provisioned and primary != str(current.get("FunctionVersion")):
            # AWS re-allocates an alias's provisioned concurrency on the new version.
            provisioned.ready_at = time.monotonic() + self.pc_ready_seconds
            provisioned.last_modified = _timestamp(time.time())
        return self._alias_reply(state, 200, up, name)

    def _op_DeleteAlias(self, req: _Request, state: _FunctionState) -> Reply:
        name = str(req.alias)
        self._check_alias_fields(name)
        current = self._alias_upstream(req, name)  # moto "deletes" missing aliases; AWS: 404
        revision = self._alias_rev(state, name, current)
        self._check_revision(req.query.get("RevisionId"), revision, alias=True)
        up = self._send(req, drop=("RevisionId",))
        if not up.ok:
            return up.relay()
        state.alias_revs.pop(name, None)
        state.alias_seen.pop(name, None)
        state.provisioned.pop(name, None)
        state.alias_urls.pop(name, None)
        return Reply(204, [("x-amzn-RequestId", str(uuid.uuid4()))])

    # -- paging --------------------------------------------------------------------------

    def _page(
        self, req: _Request, key: str, items: list[dict[str, Any]], order: Callable[[Any], Any]
    ) -> Reply:
        """A page of at most min(MaxItems, 50) items after the opaque Marker's position."""
        try:
            limit = min(int(req.query.get("MaxItems") or PAGE_LIMIT), PAGE_LIMIT)
        except ValueError:
            raise _invalid("MaxItems must be an integer") from None
        if limit < 1:
            raise _invalid("MaxItems must be at least 1")
        items = sorted(items, key=order)
        if req.query.get("Marker"):
            try:
                op, function, after = json.loads(base64.urlsafe_b64decode(req.query["Marker"]))
            except ValueError:
                raise _invalid("Invalid Marker") from None
            if (op, function) != (req.op, req.function):
                raise _invalid("Invalid Marker")
            # Position by key rather than index, so deletions between pages skip nothing.
            items = [item for item in items if order(item) > after]
        doc: dict[str, Any] = {key: items[:limit]}
        if len(items) > limit:
            token = json.dumps([req.op, req.function, order(items[limit - 1])]).encode()
            doc["NextMarker"] = base64.urlsafe_b64encode(token).decode()
        return json_reply(200, doc)

    # -- provisioned concurrency (moto has none) -----------------------------------------

    def _pc_target(self, req: _Request, state: _FunctionState, putting: bool) -> str:
        qualifier = req.qualifier
        if not qualifier:
            raise _invalid("Qualifier is required for provisioned concurrency")
        if qualifier == "$LATEST":
            raise _invalid(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
            )
        if qualifier.isdigit():
            if qualifier not in {str(v.get("Version")) for v in self._versions(req, state)}:
                raise _not_found(f"Function not found: {self._arn(req, qualifier)}")
            return qualifier
        self._latest_config(req)  # a missing function is reported before a missing alias
        path = self._fn_path(req, f"/aliases/{quote(qualifier, safe='')}")
        alias = self._fetch(req, path, ok_missing=True)
        if alias is None:
            raise _not_found(f"Cannot find alias arn: {self._arn(req, qualifier)}")
        if putting and _weights(alias.get("RoutingConfig")):
            raise _invalid("Alias with weights can not be used with Provisioned Concurrency")
        return qualifier

    @staticmethod
    def _pc_view(pc: _Provisioned) -> dict[str, Any]:
        ready = time.monotonic() >= pc.ready_at
        allocated = pc.requested if ready else 0
        return {
            "RequestedProvisionedConcurrentExecutions": pc.requested,
            "AvailableProvisionedConcurrentExecutions": allocated,
            "AllocatedProvisionedConcurrentExecutions": allocated,
            "Status": "READY" if ready else "IN_PROGRESS",
            "LastModified": pc.last_modified,
        }

    def _op_PutProvisionedConcurrencyConfig(self, req: _Request, state: _FunctionState) -> Reply:
        qualifier = self._pc_target(req, state, putting=True)
        amount = req.json().get("ProvisionedConcurrentExecutions")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise _invalid("ProvisionedConcurrentExecutions must be a positive integer")
        pc = _Provisioned(amount, time.monotonic() + self.pc_ready_seconds, _timestamp(time.time()))
        state.provisioned[qualifier] = pc
        return json_reply(202, self._pc_view(pc))

    def _op_GetProvisionedConcurrencyConfig(self, req: _Request, state: _FunctionState) -> Reply:
        pc = state.provisioned.get(self._pc_target(req, state, putting=False))
        if pc is None:
            raise _fail(
                404,
                "ProvisionedConcurrencyConfigNotFoundException",
                "No Provisioned Concurrency Config found for this function",
            )
        return json_reply(200, self._pc_view(pc))

    def _op_DeleteProvisionedConcurrencyConfig(self, req: _Request, state: _FunctionState) -> Reply:
        state.provisioned.pop(self._pc_target(req, state, putting=False), None)
        return Reply(204, [("x-amzn-RequestId", str(uuid.uuid4()))])

    def _op_ListProvisionedConcurrencyConfigs(self, req: _Request, state: _FunctionState) -> Reply:
        self._latest_config(req)
        items = [
            {"FunctionArn": self._arn(req, q), **self._pc_view(pc)}
            for q, pc in state.provisioned.items()
        ]
        return self._page(req, "ProvisionedConcurrencyConfigs", items, lambda i: i["FunctionArn"])

    def _op_ListFunctionUrlConfigs(self, req: _Request, state: _FunctionState) -> Reply:
        # moto lacks this list; it keeps at most one (unqualified) URL config per function.
        self._latest_config(req)
        path = f"/2021-10-31/functions/{quote(str(req.function), safe='')}/url"
        url = self._fetch(req, path, ok_missing=True)
        urls = ([url] if url else []) + list(state.alias_urls.values())
        return self._page(req, "FunctionUrlConfigs", urls, lambda u: str(u["FunctionArn"]))

    def _op_CreateFunctionUrlConfig(self, req: _Request, state: _FunctionState) -> Reply:
        qualifier = req.qualifier
        if not qualifier:
            return self._send(req).relay()
        # moto ignores Qualifier; AWS allows a URL on $LATEST or an alias, never a version.
        if qualifier.isdigit():
            raise _fail(400, "ValidationException", "Qualifier must not be a version number")
        path = self._fn_path(req, f"/aliases/{quote(qualifier, safe='')}")
        if self._fetch(req, path, ok_missing=True) is None:
            raise _not_found(f"Function not found: {self._arn(req, qualifier)}")
        if qualifier in state.alias_urls:
            raise _conflict("FunctionUrlConfig exists for this Lambda function")
        url = {
            "FunctionUrl": f"https://{uuid.uuid4().hex}.lambda-url.{req.region}.on.aws/",
            "FunctionArn": self._arn(req, qualifier),
            "AuthType": req.json().get("AuthType", "NONE"),
            "CreationTime": _timestamp(time.time()),
            "LastModifiedTime": _timestamp(time.time()),
        }
        state.alias_urls[qualifier] = url
        return json_reply(201, url)

    def _op_ListEventSourceMappings(self, req: _Request, state: _FunctionState) -> Reply:
        # moto matches FunctionName literally; AWS lists the function's mappings of every
        # qualifier (FunctionArn carries it).
        up = self._send(req, drop=("FunctionName", "Marker", "MaxItems"))
        if not up.ok:
            return up.relay()
        mappings = [
            m
            for m in up.json().get("EventSourceMappings") or []
            if split_function_ref(str(m.get("FunctionArn", "")))[0] == req.function
        ]
        return self._page(req, "EventSourceMappings", mappings, lambda m: str(m["UUID"]))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True
    proxy: FidelityProxy


class _Handler(BaseHTTPRequestHandler):
    # Every reply closes its connection: no idle keep-alive threads to reap on stop(), and
    # a dropped connection can never be mistaken for a reusable one by the client.
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        self.close_connection = True
        proxy = self.server.proxy
        try:
            reply = proxy.process(self.command, self.path, self.headers, self._read_body())
        except Exception as exc:  # a proxy bug: make it loud on the client and in `errors`
            proxy.errors.append(exc)
            reply = error_reply(500, "ServiceException", f"fidelity proxy failure: {exc!r}")
        if reply is None:
            return  # the socket closes without a single byte of response
        self.send_response(reply.status)
        for key, value in reply.headers:
            self.send_header(key, value)
        bodyless = reply.status in (204, 304) or self.command == "HEAD"
        if not bodyless:
            self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if not bodyless:
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle
