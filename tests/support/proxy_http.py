"""The fidelity proxy's HTTP plumbing: server, request parsing, replies, upstream client.

Everything here is about the wire: which Lambda operation a request is (the route table),
how AWS shapes an error, how a reply is written back and how a request reaches moto. The
AWS behaviour the proxy emulates lives in the other proxy_* modules.

Standard library only: the proxy must not depend on boto3.
"""

from __future__ import annotations

import http.client
import json
import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

# Not forwarded either way; http.client and http.server write their own framing headers.
# fmt: off
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "te", "trailer", "transfer-encoding", "upgrade", "expect", "host", "content-length",
})
# fmt: on
_DROP_FROM_UPSTREAM = _HOP_BY_HOP | {"server", "date", "status"}  # "status": a moto stray
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")
# Method, path ({fn}: function name or URL-encoded ARN; {alias}: alias name; {item}: a
# mapping's UUID or a statement id), operation.
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
POST   /2015-03-31/event-source-mappings               CreateEventSourceMapping
GET    /2015-03-31/event-source-mappings/{item}        GetEventSourceMapping
PUT    /2015-03-31/event-source-mappings/{item}        UpdateEventSourceMapping
DELETE /2015-03-31/event-source-mappings/{item}        DeleteEventSourceMapping
GET    /2021-10-31/functions/{fn}/urls                 ListFunctionUrlConfigs
GET    /2021-10-31/functions/{fn}/url                  GetFunctionUrlConfig
POST   /2021-10-31/functions/{fn}/url                  CreateFunctionUrlConfig
PUT    /2021-10-31/functions/{fn}/url                  UpdateFunctionUrlConfig
DELETE /2021-10-31/functions/{fn}/url                  DeleteFunctionUrlConfig
GET    /2015-03-31/functions/{fn}/policy               GetPolicy
POST   /2015-03-31/functions/{fn}/policy               AddPermission
DELETE /2015-03-31/functions/{fn}/policy/{item}        RemovePermission
"""
_ROUTES = [
    (
        method,
        re.compile(
            path.format(fn="(?P<fn>[^/]+)", alias="(?P<alias>[^/]+)", item="(?P<item>[^/]+)") + "/?"
        ),
        op,
    )
    for method, path, op in (line.split() for line in _ROUTE_TABLE.strip().splitlines())
]
_LAMBDA_PATH = re.compile(r"/\d{4}-\d{2}-\d{2}/")


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


class Abort(Exception):
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


def fail(status: int, code: str, message: str) -> Abort:
    return Abort(error_reply(status, code, message))


def invalid(message: str) -> Abort:
    return fail(400, "InvalidParameterValueException", message)


def not_found(message: str) -> Abort:
    return fail(404, "ResourceNotFoundException", message)


def conflict(message: str) -> Abort:
    return fail(409, "ResourceConflictException", message)


@dataclass
class Upstream:
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
class Request:
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
    item: str | None = None  # an event source mapping's UUID or a statement id
    region: str = "us-east-1"
    # IAM condition keys of the request (lower-cased), filled in before it is authorised.
    conditions: dict[str, str] = field(default_factory=dict)
    upstream_path: str = ""

    def json(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.body or b"{}")
        except ValueError:
            message = "Could not parse request body into json"
            raise fail(400, "InvalidRequestContentException", message) from None
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


def split_function_ref(ref: str) -> tuple[str, str | None]:
    """(name, qualifier) from a name, `name:qualifier`, a partial ARN or a full ARN."""
    ref = unquote(ref)
    if ":function:" in ref:
        ref = ref.split(":function:", 1)[1]
    name, _, qualifier = ref.partition(":")
    return name, qualifier or None


def parse_request(method: str, target: str, headers: Message, body: bytes) -> Request:
    """A request with its Lambda operation, function, qualifier, alias and region."""
    parts = urlsplit(target)
    kept = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
    req = Request(method, parts.path, dict(parse_qsl(parts.query, True)), kept, body)
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
        if match.groupdict().get("item"):
            req.item = unquote(match["item"])
        break
    if req.op == "GetProvisionedConcurrencyConfig" and req.query.get("List") == "ALL":
        req.op = "ListProvisionedConcurrencyConfigs"
    if req.query.get("Qualifier"):
        req.qualifier = req.query["Qualifier"]
    if req.op == "ListEventSourceMappings" and req.query.get("FunctionName"):
        req.function = split_function_ref(req.query["FunctionName"])[0]
    if req.op in ("CreateFunction", "CreateAlias", *_NAMED_IN_BODY):
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = None
        named = str(doc.get("FunctionName") or "") if isinstance(doc, dict) else ""
        if named and req.op in _NAMED_IN_BODY:
            req.function, req.qualifier = split_function_ref(named)
        elif named and req.op == "CreateFunction":
            req.function = split_function_ref(named)[0]
        elif isinstance(doc, dict) and doc.get("Name"):
            req.alias = str(doc["Name"])
    return req


# Operations that name their function (possibly qualified) in the JSON body.
_NAMED_IN_BODY = ("CreateEventSourceMapping", "UpdateEventSourceMapping")


class UpstreamClient:
    """The moto server behind the proxy, one connection per call."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)

    def call(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> Upstream:
        conn = http.client.HTTPConnection(*self.address, timeout=60)
        try:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            return Upstream(response.status, response.getheaders(), response.read())
        finally:
            conn.close()


class RequestProcessor(Protocol):
    """What the server hands each request to (the FidelityProxy)."""

    errors: list[BaseException]

    def process(self, method: str, target: str, headers: Message, body: bytes) -> Reply | None: ...


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True
    proxy: RequestProcessor


class ProxyHandler(BaseHTTPRequestHandler):
    # Every reply closes its connection: no idle keep-alive threads to reap on stop(), and
    # a dropped connection can never be mistaken for a reusable one by the client.
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: ProxyServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
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
