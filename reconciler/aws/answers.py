"""Can an AWS answer be read? Pure checks for the call path (:mod:`reconciler.aws.calls`).

A 2xx answer is untrusted like any outside data: a proxy, an emulator or a cut
connection can turn it into an HTML page, half a document or the wrong shape.
botocore's JSON parsers read a body that is not JSON as an *empty* answer
(``ListAliases`` would say "no aliases"), hand a value of the wrong kind through
or crash on it (``AttributeError``, ``TypeError``, ``ValueError``) from inside
``botocore.parsers``. So the body of every successful answer of a JSON protocol
is checked before botocore parses it (:func:`answer_problem`: JSON, an object,
every object/list/map of the operation's documented output where the output
has one), and what botocore still raises while parsing (a timestamp or number
it cannot convert; the XML and CBOR protocols) is recognised by where it was
raised (:func:`raised_while_parsing`). Scalars are left to botocore's
conversions and the total parsers of :mod:`reconciler.aws.shapes`: being
stricter than the SDK about them would fail runs that work today.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Mapping
from typing import Any

import botocore.parsers

# Protocols whose bodies are JSON documents (Lambda is rest-json).
JSON_PROTOCOLS = frozenset({"rest-json", "json"})
# The module whose frames mark an exception as raised while parsing an answer.
PARSER_MODULE = botocore.parsers.__name__
# What parsing wrong data raises (besides botocore's own ResponseParserError).
PARSE_FAILURES: tuple[type[Exception], ...] = (
    botocore.parsers.ResponseParserError,
    AttributeError,
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
    RecursionError,
)
_MEDIA_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+")
# Operations that only read: a retried one changes nothing.
_READ_PREFIXES = ("Get", "List", "Describe")


class UnreadableAnswer(Exception):
    """Internal: a 2xx answer whose body is not what the operation returns.

    ``str()`` says why, in the user's words; ``start`` is the body's first
    bytes, for --verbose only (never in reports: it is untrusted text)."""

    def __init__(self, why: str, status: int, start: bytes = b"") -> None:
        super().__init__(why)
        self.why = why
        self.status = status
        self.start = start


def is_read(operation: str) -> bool:
    return operation.startswith(_READ_PREFIXES)


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    return "a number" if isinstance(value, int | float) else "null"


def _at(path: str) -> str:
    return f"{path} is" if path else "the answer is"


def _key(key: Any) -> str:
    """A map key inside a path: short, since it is AWS's text, not ours."""
    text = str(key)
    return text if len(text) <= 40 and text.isprintable() else f"{text[:37]!r}..."


_CONTAINERS = frozenset({"structure", "list", "map"})
# Per botocore shape (hashed by identity; a client's shapes live as long as it
# does): its body members that hold objects, lists or maps, by the name they have
# in the JSON. Scalars are not checked, so a version listing's ~40 members per
# item cost a dict lookup for the few that are there.
_NESTED: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _nested_members(shape: Any) -> dict[str, Any]:
    members = _NESTED.get(shape)
    if members is None:
        members = {
            member.serialization.get("name", name): member
            for name, member in shape.members.items()
            if member.type_name in _CONTAINERS and not member.serialization.get("location")
        }
        _NESTED[shape] = members
    return members


def shape_problem(value: Any, shape: Any, path: str = "") -> str | None:
    """Where ``value`` (parsed JSON) is not the object/list/map that ``shape`` (a
    botocore shape) documents, or None. null is "absent", as botocore reads it,
    except as a list's item; scalars are not checked (see the module docstring)."""
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure" and not getattr(shape, "is_document_type", False):
        if not isinstance(value, Mapping):
            return f"{_at(path)} {_kind(value)}, not an object"
        nested = _nested_members(shape)
        if not nested:
            return None
        for key, item in value.items():
            member = nested.get(key)
            if member is not None and item is not None:
                found = shape_problem(item, member, f"{path}.{key}" if path else key)
                if found:
                    return found
    elif kind == "list":
        if not isinstance(value, list):
            return f"{_at(path)} {_kind(value)}, not a list"
        inner = shape.member
        for index, item in enumerate(value):
            # botocore keeps a null item (sparse lists); Lambda documents none.
            if item is None:
                return f"{path}[{index}] is null"
            if inner.type_name in _CONTAINERS:
                found = shape_problem(item, inner, f"{path}[{index}]")
                if found:
                    return found
    elif kind == "map":
        if not isinstance(value, Mapping):
            return f"{_at(path)} {_kind(value)}, not an object"
        if shape.value.type_name in _CONTAINERS:
            for key, item in value.items():
                found = shape_problem(item, shape.value, f"{path}[{_key(key)}]")
                if found:
                    return found
    return None


def _has_body(operation_model: Any) -> bool:
    """Whether the operation's documented answer is a JSON document in the body."""
    output = operation_model.output_shape
    if output is None or operation_model.has_streaming_output:
        return False
    if getattr(operation_model, "has_event_stream_output", False):
        return False
    if output.serialization.get("payload"):
        return False  # a raw payload (Invoke): not a JSON document
    return any(not m.serialization.get("location") for m in output.members.values())


def _body_text(body: bytes, content_type: str) -> tuple[Any, str | None]:
    """(the parsed JSON, None) or (None, why the body is not a JSON document)."""
    size = f"{len(body)} bytes"
    if not body:
        return None, "the body is empty"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, f"the body is not UTF-8 text ({content_type or 'no content type'}, {size})"
    try:
        return json.loads(text), None
    except RecursionError:
        return None, f"the JSON is nested too deeply ({size})"
    except json.JSONDecodeError as exc:
        stripped = text.rstrip()
        if stripped[:1] in ("{", "[") and (
            exc.pos >= len(stripped) or exc.msg.startswith("Unterminated")
        ):
            return None, f"the JSON ends before the document does (cut off after {size})"
        kind = content_type or "no content type"
        return None, f"the body is not JSON ({kind}, {size}; {exc.msg} at byte {exc.pos})"


def answer_problem(
    operation_model: Any, status: int, headers: Mapping[str, str], body: Any
) -> str | None:
    """Why this answer (what botocore hands its parser) cannot be the operation's
    documented one, or None when it can (or is not ours to judge: an error
    answer, a protocol that is not JSON, an operation that returns no body)."""
    if status >= 300 or status == 204 or not isinstance(body, bytes | bytearray):
        return None
    protocol = getattr(operation_model.service_model, "resolved_protocol", None)
    protocol = protocol or operation_model.service_model.protocol
    if protocol not in JSON_PROTOCOLS or not _has_body(operation_model):
        return None
    match = _MEDIA_TYPE.match(str(headers.get("content-type") or ""))
    document, why = _body_text(bytes(body), match.group(0) if match else "")
    if why:
        return why
    if document is None:  # null is "absent" inside the answer, not as the answer
        return "the answer is null, not an object"
    return shape_problem(document, operation_model.output_shape)


def raised_while_parsing(exc: BaseException) -> bool:
    """Whether ``exc`` was raised inside botocore's response parsers (so by the
    answer's content), not by the request's making or by code of ours."""
    if isinstance(exc, botocore.parsers.ResponseParserError):
        return True
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") == PARSER_MODULE:
            return True
        tb = tb.tb_next
    return False
