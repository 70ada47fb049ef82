"""An HTTP proxy in front of a moto server that makes its Lambda API behave like AWS's.

moto is lax where AWS is strict (revision ids, CodeSha256, paging, validation, update
windows, throttling, provisioned concurrency, what is bound to aliases). Tests point the
code under test at this proxy, which enforces AWS's rules itself and forwards everything
else untouched. The proxy's own bookkeeping (revision ids, update windows, deleted
versions, provisioned concurrency, URL configs, policies) only knows about changes made
*through the proxy*.

This module is the public entry point: FidelityProxy with its test controls, call
accounting and request pipeline. The rest lives beside it: proxy_http (server, parsing,
replies, upstream client), proxy_faults (fault injection, rate limiting), proxy_state
(per-function state, revision ids, paging), proxy_lambda (functions, versions, aliases),
proxy_provisioned (provisioned concurrency), proxy_mappings (event source mappings) and
proxy_attachments (function URLs, resource-based policies).

Standard library only: the proxy must not depend on boto3.
"""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from types import TracebackType

from tests.support.proxy_attachments import MAPPING_OPS, AttachmentOperations
from tests.support.proxy_faults import (
    FaultInjector,
    FaultPlan,
    Garbled,
    Rule,
    TokenBucket,
    Verdict,
)
from tests.support.proxy_http import (
    Abort,
    ProxyHandler,
    ProxyServer,
    Reply,
    Request,
    error_reply,
    json_reply,
    parse_request,
    split_function_ref,
)
from tests.support.proxy_iam import IamPolicy
from tests.support.proxy_lambda import LambdaOperations
from tests.support.proxy_provisioned import ProvisionedOperations
from tests.support.proxy_state import DEFAULT_ACCOUNT, PAGE_LIMIT

# Names that callers import from this module, whichever proxy_* module defines them.
__all__ = [
    "DEFAULT_ACCOUNT",
    "PAGE_LIMIT",
    "FaultPlan",
    "FidelityProxy",
    "Hook",
    "Reply",
    "RequestRecord",
    "error_reply",
    "json_reply",
    "split_function_ref",
]

Hook = Callable[[str, str | None, str | None], None]


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


# The operation mixins share EmulationBase (proxy_state); _dispatch finds each operation's
# `_op_<Operation>` method on whichever of them defines it.
class FidelityProxy(AttachmentOperations, ProvisionedOperations, LambdaOperations):
    """Loopback proxy that makes a moto server's Lambda API behave like AWS Lambda."""

    def __init__(
        self,
        upstream_url: str,
        *,
        seed: int = 0,
        in_progress_seconds: float = 0.5,
        pc_ready_seconds: float = 0.3,
        tombstone_deleted_versions: bool = True,
        mapping_settle_seconds: float = 0.0,
    ) -> None:
        super().__init__(
            upstream_url,
            in_progress_seconds=in_progress_seconds,
            pc_ready_seconds=pc_ready_seconds,
            tombstone_deleted_versions=tombstone_deleted_versions,
            # 0: mappings settle at once (Creating/Updating not reported; hold_mapping can).
            mapping_settle_seconds=mapping_settle_seconds,
        )
        self.faults = FaultPlan()
        # Exceptions raised by the on_request hook or by the proxy itself (answered 500).
        self.errors: list[BaseException] = []
        self.hook_errors = self.errors  # the same list, under its older name
        self._injector = FaultInjector(seed)  # guarded by self._lock, like the counters
        self._calls: Counter[str] = Counter()
        self._calls_by_function: dict[str, Counter[str]] = {}
        self._log: list[RequestRecord] = []
        self._accepted: list[tuple[float, str]] = []
        self._hook: Hook | None = None
        # An IAM policy the requests are checked against (None: moto's allow-all).
        self.iam_policy: IamPolicy | None = None
        # When set, STS GetCallerIdentity answers this account (other credentials).
        self.caller_account: str | None = None
        self._server = ProxyServer(("127.0.0.1", 0), ProxyHandler)
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
                self._injector.bucket = None
            else:
                bucket = TokenBucket(rps, burst if burst is not None else max(1.0, rps))
                self._injector.bucket = bucket

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
        rule = Rule(op, self._fn_key(function), count, "error", error_reply(status, code, message))
        with self._lock:
            self._injector.rules.append(rule)

    def answer_next(
        self,
        op: str,
        body: bytes,
        count: int = 1,
        function: str | None = None,
        *,
        status: int = 200,
        content_type: str = "application/json",
        forward: bool = False,
    ) -> None:
        """Answer the next `count` calls of `op` (on `function`) with this raw reply: a
        body cut off, not JSON or of the wrong shape, as a broken proxy or connection
        can deliver. forward=False answers unprocessed; forward=True processes the
        request first (the change is made, its answer garbled)."""
        headers = [("Content-Type", content_type), ("x-amzn-RequestId", str(uuid.uuid4()))]
        reply = Reply(status, headers, body)
        rule = Rule(op, self._fn_key(function), count, "garble" if forward else "error", reply)
        with self._lock:
            self._injector.rules.append(rule)

    def drop_next(
        self, op: str, count: int = 1, function: str | None = None, *, forward: bool = False
    ) -> None:
        """Close the connection on the next `count` calls of `op` without replying.

        forward=False drops the request unprocessed; forward=True processes it first
        (a lost reply).
        """
        kind = "lost_reply" if forward else "drop"
        with self._lock:
            self._injector.rules.append(Rule(op, self._fn_key(function), count, kind))

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

    def publish_other_code_next(self, function: str, code: bytes) -> None:
        """Fault: deploy `code` to $LATEST inside the next PublishVersion, after its
        CodeSha256 check, so that the version comes back with an unexpected hash."""
        state = self._state(self._fn_key(function) or function)
        with state.lock:
            state.swap_code = code

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
        req = parse_request(method, target, headers, body)
        record = RequestRecord(method, req.path, req.op, req.function, time.monotonic())
        with self._lock:
            self._calls[req.op] += 1
            # A mapping's Get/Update/Delete names only its UUID: counted for its function.
            function = req.function or self._mapping_owner(req)
            if function:
                self._calls_by_function.setdefault(function, Counter())[req.op] += 1
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
        if self.iam_policy is not None:
            req.conditions = self.iam_conditions(req)
        denied = self.iam_policy.check(req) if self.iam_policy is not None else None
        reply = denied or self._dispatch(req)
        if self.iam_policy is not None and denied is None:
            reply = self.iam_policy.filter(req, reply)
        if isinstance(verdict, Garbled):
            reply = verdict.reply
        record.status = reply.status
        return None if verdict == "lost_reply" else reply

    def _admit(self, req: Request) -> Verdict:
        """Injected faults: (a Reply, "drop", "lost_reply" or None to process; a label)."""
        limited = req.is_lambda and req.op != "GetFunction"
        with self._lock:
            verdict, label = self._injector.pick(req, limited, self.faults)
            if limited and (verdict in (None, "lost_reply") or isinstance(verdict, Garbled)):
                self._accepted.append((time.monotonic(), req.op))
        return verdict, label

    def _dispatch(self, req: Request) -> Reply:
        if self.caller_account and b"Action=GetCallerIdentity" in req.body:
            return _caller_identity(self.caller_account)
        handler = getattr(self, f"_op_{req.op}", None) if req.is_lambda else None
        try:
            if handler is None or (req.function is None and req.op not in MAPPING_OPS):
                return self._send(req).relay()
            # A mapping named by its UUID alone: its operations share one lock.
            state = self._state(req.function or "")
            with state.lock:
                reply: Reply = handler(req, state)
                return reply
        except Abort as abort:
            return abort.reply
        except (OSError, http.client.HTTPException) as exc:
            return error_reply(500, "ServiceException", f"upstream failure: {exc!r}")


def _caller_identity(account: str) -> Reply:
    """STS GetCallerIdentity as AWS answers it (Query protocol, XML)."""
    body = (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<GetCallerIdentityResult><Arn>arn:aws:sts::{account}:assumed-role/ci/run</Arn>"
        f"<UserId>AROAEXAMPLE:run</UserId><Account>{account}</Account>"
        "</GetCallerIdentityResult><ResponseMetadata><RequestId>"
        f"{uuid.uuid4()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    ).encode()
    return Reply(200, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body)
