"""Rules for what is bound to an alias: `event_sources`, `function_url`, `permissions`.

Like the other semantic checks these run on documents that may have schema
errors, so they skip values of the wrong shape (the schema reports those).
The rules are AWS's (CreateEventSourceMapping, AddPermission, function URLs)
where AWS would only refuse them at apply time, after other changes were made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.errors import Diagnostic
from reconciler.manifest.annotations import show
from reconciler.manifest.build import is_number
from reconciler.manifest.loader import Document, JsonPath

# The schema's pattern for `source`; only values it accepts are looked at further.
_REGION = r"(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-[0-9]"
_SOURCE_ARN = re.compile(
    rf"arn:aws[a-zA-Z0-9-]*:(sqs|kinesis|dynamodb|kafka|mq):{_REGION}:[0-9]{{12}}:(\S+)"
)
_SERVICES = {
    "sqs": "an SQS queue",
    "kinesis": "a Kinesis stream",
    "dynamodb": "a DynamoDB stream",
    "kafka": "an MSK (Kafka) cluster",
    "mq": "an Amazon MQ broker",
}
# The resource part of each service's ARN, and how to write it.
_RESOURCES = {
    "sqs": (
        re.compile(r"[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo"),
        "an SQS queue ARN ends in the queue name: letters, digits, '-' and '_', at most 80 "
        "characters, '.fifo' at the end for a FIFO queue",
    ),
    "kinesis": (
        re.compile(r"stream/[a-zA-Z0-9_.-]{1,128}(/consumer/[a-zA-Z0-9_.-]{1,128}:[0-9]+)?"),
        "a Kinesis source is a stream (...:stream/NAME) or a stream consumer "
        "(...:stream/NAME/consumer/NAME:TIMESTAMP)",
    ),
    "dynamodb": (
        re.compile(r"table/[a-zA-Z0-9_.-]{3,255}/stream/\S+"),
        "a DynamoDB source is the table's stream (...:table/NAME/stream/LABEL, the "
        "LatestStreamArn of `aws dynamodb describe-table`): Lambda reads the stream, not the table",
    ),
    "kafka": (
        re.compile(r"(cluster|vpc-connection)/\S+"),
        "an MSK source is a cluster (...:cluster/NAME/ID)",
    ),
    "mq": (re.compile(r"broker:\S+"), "an Amazon MQ source is a broker (...:broker:NAME:ID)"),
}
# AWS requires a starting position for these streams (CreateEventSourceMapping);
# MSK takes one but does not need it; queues and brokers refuse it.
STARTING_POSITION_REQUIRED = frozenset({"kinesis", "dynamodb"})
STARTING_POSITION_REFUSED = frozenset({"sqs", "mq"})
SQS_UNBATCHED_MAX = 10  # above this, SQS needs a batching window of >= 1 s
FIFO_BATCH_MAX = 10
INVOKE_URL = "lambda:InvokeFunctionUrl"
DEFAULT_ACTION = "lambda:InvokeFunction"


def source_service(arn: Any) -> str | None:
    """sqs | kinesis | dynamodb | kafka | mq for an event source ARN, else None."""
    match = _SOURCE_ARN.fullmatch(arn) if isinstance(arn, str) else None
    return match.group(1) if match else None


def is_fifo_queue(arn: str) -> bool:
    return source_service(arn) == "sqs" and arn.endswith(".fifo")


def _whole_number(value: Any) -> bool:
    return is_number(value) and float(value).is_integer()


def check_aliases(doc: Document, aliases: Mapping[str, Any]) -> list[Diagnostic]:
    """The attachment rules of every alias, and those across the aliases of the function."""
    found: list[Diagnostic] = []
    for name, alias in aliases.items():
        if isinstance(alias, dict):
            found.extend(_AliasAttachments(doc, name, alias).run())
    found.extend(_shared_sources(doc, aliases))
    return found


def _items(alias: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    raw = alias.get(key)
    if not isinstance(raw, list):
        return []
    return [(index, item) for index, item in enumerate(raw) if isinstance(item, dict)]


def _shared_sources(doc: Document, aliases: Mapping[str, Any]) -> list[Diagnostic]:
    """The same source on two aliases: AWS would run both mappings."""
    first: dict[str, tuple[str, int]] = {}
    found: list[Diagnostic] = []
    for name, alias in aliases.items():
        if not isinstance(alias, dict):
            continue
        here: set[str] = set()
        for index, item in _items(alias, "event_sources"):
            source: Any = item.get("source")
            if source_service(source) is None or source in here:
                continue  # the schema reports the shape, the alias check a repeat
            here.add(source)
            path: JsonPath = ("aliases", name, "event_sources", index, "source")
            if source not in first:
                first[source] = (name, doc.value_at(path)[0])
                continue
            other, line = first[source]
            found.append(
                doc.error(
                    path,
                    f"event source {show(source)} is bound to both alias {show(other)} "
                    f"(line {line}) and alias {show(name)}; AWS would run both mappings (a "
                    "queue's messages split between the aliases, a stream's records handled "
                    "twice): bind it to one alias",
                )
            )
    return found


class _AliasAttachments:
    """The rules of one alias's attachments; collects diagnostics."""

    def __init__(self, doc: Document, name: str, alias: dict[str, Any]) -> None:
        self.doc = doc
        self.alias = alias
        self.name = name
        self.base: JsonPath = ("aliases", name)
        self.found: list[Diagnostic] = []

    @property
    def label(self) -> str:
        return f"alias {show(self.name)}"  # only for messages

    def fail(self, path: JsonPath, message: str) -> None:
        self.found.append(self.doc.error((*self.base, *path), message))

    def line_of(self, path: JsonPath) -> int:
        return self.doc.value_at((*self.base, *path))[0]

    def run(self) -> list[Diagnostic]:
        seen: dict[str, int] = {}
        for index, item in _items(self.alias, "event_sources"):
            self._event_source(index, item, seen)
        sids: dict[str, int] = {}
        for index, item in _items(self.alias, "permissions"):
            self._permission(index, item, sids)
        self._public_url()
        return self.found

    def _event_source(self, index: int, item: dict[str, Any], seen: dict[str, int]) -> None:
        source: Any = item.get("source")
        service = source_service(source)
        if service is None or not isinstance(source, str):
            return  # the schema reports a missing source or its pattern
        at: JsonPath = ("event_sources", index)
        pattern, how = _RESOURCES[service]
        resource = source.split(":", 5)[5]
        if not pattern.fullmatch(resource):
            # What else is wrong depends on what the source really is: say this first.
            self.fail((*at, "source"), self._bad_resource(source, service, resource, how))
            return
        if source in seen:
            self.fail(
                (*at, "source"),
                f"event source {show(source)} appears twice in event_sources of {self.label} "
                f"(first at line {seen[source]}); list each source once per alias: merge the "
                "two entries",
            )
        else:
            seen[source] = self.line_of((*at, "source"))
        self._starting_position(at, item, source, service)
        if service == "sqs":
            self._sqs_batching(at, item, source)

    def _bad_resource(self, source: str, service: str, resource: str, how: str) -> str:
        if service == "dynamodb" and resource.startswith("table/") and "/stream/" not in resource:
            return (
                f"event source {show(source)} of {self.label} is a DynamoDB table, not its "
                f"stream; {how}"
            )
        return f"event source {show(source)} of {self.label} is not {_SERVICES[service]}; {how}"

    def _starting_position(
        self, at: JsonPath, item: dict[str, Any], source: str, service: str
    ) -> None:
        kind = _SERVICES[service]
        if service in STARTING_POSITION_REFUSED and "starting_position" in item:
            self.fail(
                (*at, "starting_position"),
                f"starting_position is only for streams (Kinesis, DynamoDB, MSK); event source "
                f"{show(source)} of {self.label} is {kind}, which AWS reads without one: "
                "remove it",
            )
        elif service in STARTING_POSITION_REQUIRED and "starting_position" not in item:
            self.fail(
                (*at, "source"),
                f"event source {show(source)} of {self.label} is {kind}, which needs "
                "starting_position: TRIM_HORIZON (from the oldest record) or LATEST (new "
                "records only); AWS requires it for streams",
            )

    def _sqs_batching(self, at: JsonPath, item: dict[str, Any], source: str) -> None:
        batch: Any = item.get("batch_size")
        window: Any = item.get("maximum_batching_window")
        fifo = source.endswith(".fifo")
        if fifo and "maximum_batching_window" in item:
            self.fail(
                (*at, "maximum_batching_window"),
                f"maximum_batching_window is not supported for the FIFO queue {show(source)} "
                f"({self.label}); AWS batches FIFO queues without a window: remove it",
            )
        if not _whole_number(batch) or batch <= SQS_UNBATCHED_MAX:
            return
        if fifo:
            self.fail(
                (*at, "batch_size"),
                f"batch_size {show(batch)} is too large for the FIFO queue {show(source)} "
                f"({self.label}); a FIFO queue's batch size is at most {FIFO_BATCH_MAX}",
            )
        elif "maximum_batching_window" not in item or (_whole_number(window) and window < 1):
            self.fail(
                (*at, "batch_size"),
                f"batch_size {show(batch)} of event source {show(source)} ({self.label}) needs "
                "maximum_batching_window of at least 1 second; AWS allows an SQS batch above "
                f"{SQS_UNBATCHED_MAX} only with a batching window: add "
                "`maximum_batching_window: 1` (or more)",
            )

    def _permission(self, index: int, item: dict[str, Any], sids: dict[str, int]) -> None:
        at: JsonPath = ("permissions", index)
        sid = item.get("sid")
        if isinstance(sid, str):
            if sid in sids:
                self.fail(
                    (*at, "sid"),
                    f"sid {show(sid)} appears twice in permissions of {self.label} (first at "
                    f"line {sids[sid]}); a statement id is unique within the alias's policy: "
                    "rename one",
                )
            else:
                sids[sid] = self.line_of((*at, "sid"))
        action = item.get("action", DEFAULT_ACTION)
        if "function_url_auth_type" in item and isinstance(action, str) and action != INVOKE_URL:
            self.fail(
                (*at, "function_url_auth_type"),
                f"function_url_auth_type is only for action {INVOKE_URL}; statement "
                f"{show(sid)} of {self.label} has action {show(action)}: set "
                f"`action: {INVOKE_URL}` or remove function_url_auth_type",
            )

    def _public_url(self) -> None:
        url, permissions = self.alias.get("function_url"), self.alias.get("permissions")
        if not isinstance(url, dict) or url.get("auth_type") != "NONE":
            return
        if not isinstance(permissions, list):
            return  # absent: the policy is managed elsewhere (or the schema reports the type)
        if any(_grants_public_url(item) for item in permissions):
            return
        self.fail(
            ("function_url", "auth_type"),
            f"the function URL of {self.label} has auth_type NONE, but its permissions have no "
            "statement letting anyone call it, so AWS would answer every request with 403: "
            f"add {{sid: public-url, principal: '*', action: {INVOKE_URL}, "
            "function_url_auth_type: NONE} to permissions (or remove `permissions` to manage "
            "the policy elsewhere)",
        )


def _grants_public_url(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and item.get("action") == INVOKE_URL
        and item.get("principal") == "*"
        and item.get("function_url_auth_type") == "NONE"
    )
