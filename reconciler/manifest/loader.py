"""Safe YAML reading that remembers where every key and value was written.

PyYAML's own loaders lose positions, keep the last of two duplicated keys
without a word, and expand aliases. Here the SafeLoader's parser only yields
events (which carry marks); they are composed into plain JSON-like data while
recording, for every JSON-pointer-like path, the line and column of the key
and of the value. Everything that is not plain data is reported, located.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.error import MarkedYAMLError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from reconciler.errors import Diagnostic
from reconciler.manifest.annotations import show

# Manifests are a few KiB; the limit keeps a stray dump or binary from
# being parsed at all (it is checked before the file is read).
MAX_FILE_BYTES = 1024 * 1024
# The format nests five levels deep; the limit keeps the recursive composer
# and validator far from Python's recursion limit on hostile input.
MAX_DEPTH = 32

JsonPath = tuple[str | int, ...]
Pos = tuple[int, int]

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_STD + name for name in ("str", "int", "float", "bool", "null"))
_STR = _STD + "str"
# YAML 1.1 would turn `description: 2024-05-01` into a date and `=` into a
# "value" object; JSON data has neither, so both stay plain strings.
_DROPPED_RESOLVERS = frozenset({_STD + "timestamp", _STD + "value"})
# 64-bit is far above any version number or count; bigger integers are
# mistakes, and huge ones cannot even be printed (int/str digit limit).
_INT_LIMIT = 2**63

# libyaml's event parser when PyYAML was built with it: about ten times faster
# than the pure-Python one, which matters near the size limit. Only events are
# taken from it; the composition below is ours either way.
_EVENT_SOURCE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVERS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_RESOLVERS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# Checked by us up front, so both parsers report the same, char-exact position.
_NON_PRINTABLE = re.compile(yaml.reader.Reader.NON_PRINTABLE.pattern + "|\ufeff")
# YAML 1.1 breaks lines at these too, editors and GitHub do not: line numbers
# would disagree, and a manifest has no use for them.
_ODD_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass
class Document:
    """One YAML document of a file, as data plus the positions of its parts."""

    file: str
    data: Any
    start: Pos
    key_pos: dict[JsonPath, Pos] = field(default_factory=dict)
    value_pos: dict[JsonPath, Pos] = field(default_factory=dict)
    # False when a YAML-level error (alias, tag, ...) left the data incomplete:
    # checking it further would only report consequences of that error.
    usable: bool = True

    def value_at(self, path: JsonPath) -> Pos:
        """Position of the value at ``path`` (or of its nearest written parent)."""
        for end in range(len(path), -1, -1):
            pos = self.value_pos.get(path[:end])
            if pos is not None:
                return pos
        return self.start

    def key_at(self, path: JsonPath) -> Pos:
        """Position of the key that names ``path``; the value's for list items."""
        return self.key_pos.get(path) or self.value_at(path)

    def error(self, path: JsonPath, message: str, *, key: bool = False) -> Diagnostic:
        line, col = self.key_at(path) if key else self.value_at(path)
        return Diagnostic(self.file, line, col, message)


@dataclass
class LoadedFile:
    path: str
    content: bytes | None
    documents: list[Document]
    diagnostics: list[Diagnostic]


def _pos(mark: Any) -> Pos:
    return int(mark.line) + 1, int(mark.column) + 1


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag


class _TooDeep(MarkedYAMLError):
    pass


class _Composer:
    """Builds data and position maps straight from parser events.

    Aliases are rejected outright rather than given an expansion budget: a
    manifest is short, reviewers should see every value in the diff, and with
    no alias nothing is ever expanded ("billion laughs").
    """

    def __init__(self, events: Any, file: str) -> None:
        self.events = events
        self.file = file
        self.doc = Document(file, None, (1, 1))
        self.diagnostics: list[Diagnostic] = []
        self.aliases: list[Any] = []
        self._resolved: dict[tuple[Any, Any], str] = {}

    def fail(self, mark: Any, message: str, *, breaks_data: bool = True) -> None:
        line, col = _pos(mark)
        self.diagnostics.append(Diagnostic(self.file, line, col, message))
        if breaks_data:
            self.doc.usable = False

    def document(self) -> Document | None:
        """The next document (None when it is empty); the events of one document."""
        self.events.get_event()  # DocumentStartEvent
        first = self.events.peek_event()
        self.doc = Document(self.file, None, _pos(first.start_mark))
        self.aliases = []
        # Plain style is None from the Python parser and "" from libyaml.
        plain = isinstance(first, ScalarEvent) and not first.style and first.tag is None
        if plain and first.value == "":
            # A bare `---` (e.g. after the last document) is skipped, as kubectl does.
            self.events.get_event()
            self.events.get_event()  # DocumentEndEvent
            return None
        if not isinstance(first, MappingStartEvent):
            kind = "a list" if isinstance(first, SequenceStartEvent) else "a scalar"
            self.fail(
                first.start_mark,
                "a manifest document must be a mapping (apiVersion, kind, function, "
                f"aliases, ...), not {kind}",
            )
            self._skip()
        else:
            self.doc.data = self._node((), 1, self.events.get_event())
        self.events.get_event()  # DocumentEndEvent
        if self.aliases:
            # The first alias only: an expansion bomb holds thousands.
            more = len(self.aliases) - 1
            self.fail(
                self.aliases[0],
                "YAML aliases (*name) are not allowed; write the value out (aliases hide "
                "values from review and allow expansion bombs)"
                + (f"; {more} more alias(es) in this document" if more else ""),
            )
        return self.doc

    def _skip(self, event: Any = None) -> None:
        """Consume one node's events (from ``event`` if already taken), unread."""
        open_collections = 0
        while True:
            if event is None:
                event = self.events.get_event()
            if isinstance(event, SequenceStartEvent | MappingStartEvent):
                open_collections += 1
            elif isinstance(event, SequenceEndEvent | MappingEndEvent):
                open_collections -= 1
            if open_collections == 0:
                return
            event = None

    def _node(self, path: JsonPath, depth: int, event: Any) -> Any:
        """The value of the node whose first event, ``event``, was just taken."""
        if isinstance(event, AliasEvent):
            self.aliases.append(event.start_mark)
            return None
        if depth > MAX_DEPTH:
            raise _TooDeep(None, None, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        self.doc.value_pos[path] = _pos(event.start_mark)
        if isinstance(event, ScalarEvent):
            return self._scalar(event)
        kind = SequenceNode if isinstance(event, SequenceStartEvent) else MappingNode
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.events.resolve(kind, None, event.implicit)
        if tag != (_STD + "seq" if kind is SequenceNode else _STD + "map"):
            self._bad_tag(event, tag)
            self._skip(event)
            return None
        if kind is MappingNode:
            return self._mapping(path, depth)
        items: list[Any] = []
        while True:
            item = self.events.get_event()
            if isinstance(item, SequenceEndEvent):
                return items
            items.append(self._node((*path, len(items)), depth + 1, item))

    def _bad_tag(self, event: Any, tag: str) -> None:
        self.fail(
            event.start_mark,
            f"tag {_tag_name(tag)} is not allowed; a manifest holds plain data "
            "only: mappings, lists, strings, numbers, booleans and null",
        )

    def _scalar_tag(self, event: Any) -> str:
        tag = event.tag
        if tag is None or tag == "!":
            # Keys and most values repeat across documents: each resolved once.
            key = (event.value, event.implicit)
            tag = self._resolved.get(key)
            if tag is None:
                tag = self.events.resolve(ScalarNode, event.value, event.implicit)
                self._resolved[key] = tag
        return str(tag)

    def _scalar(self, event: Any) -> Any:
        tag = self._scalar_tag(event)
        if tag == _STR:
            return event.value
        if tag not in _SCALAR_TAGS:
            self._bad_tag(event, tag)
            return None
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = self.events.construct_object(node)
        except (ValueError, KeyError, OverflowError, yaml.YAMLError):
            # Only reachable with an explicit tag, e.g. `!!int abc` or `!!bool maybe`.
            self.fail(event.start_mark, f"cannot read {show(event.value)} as {_tag_name(tag)}")
            return None
        if isinstance(value, float) and math.isnan(value):
            # NaN compares false with everything, so range checks would let it through.
            self.fail(event.start_mark, "not-a-number (.nan) is not allowed; write a number")
            return None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _INT_LIMIT:
            self.fail(event.start_mark, "integer out of range; the largest allowed is 2^63-1")
            return None
        return value

    def _mapping(self, path: JsonPath, depth: int) -> dict[str, Any]:
        events, key_pos = self.events, self.doc.key_pos
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        while True:
            event = events.get_event()
            if isinstance(event, MappingEndEvent):
                return result
            tag = self._scalar_tag(event) if isinstance(event, ScalarEvent) else ""
            if tag not in _SCALAR_TAGS:
                if tag == _STD + "merge":
                    message = "merge keys (<<) are not supported; write the keys out"
                elif isinstance(event, AliasEvent):
                    message = "a mapping key cannot be a YAML alias (*name); write it out"
                else:
                    message = "a mapping key must be plain text, not a list, mapping or tag"
                self.fail(event.start_mark, message)
                self._skip(event)
                self._skip()
                continue
            # Keys are kept as written: `8:` and `"8":` are the same key, and
            # `on:` stays the text 'on' instead of becoming a boolean.
            key, mark = str(event.value), event.start_mark
            line = mark.line + 1
            if key in first_line:
                self.fail(
                    mark,
                    f"duplicate key {show(key)}: already set at line {first_line[key]}; "
                    "a key may appear once (YAML readers silently keep only the last value)",
                    breaks_data=False,
                )
                self._skip()
                continue
            first_line[key], key_path = line, (*path, key)
            key_pos[key_path] = (line, mark.column + 1)
            result[key] = self._node(key_path, depth + 1, events.get_event())


def _position_in(text: str, index: int) -> Pos:
    """Line and column of ``text[index]``, counting lines as YAML does."""
    breaks = list(_LINE_BREAK.finditer(text, 0, index))
    return len(breaks) + 1, index - (breaks[-1].end() if breaks else 0) + 1


def _within(text: str, line: int, col: int) -> Pos:
    """The position, moved back onto the text: parsers report end-of-file
    problems on the line after the last one, which editors cannot show."""
    lines = _LINE_BREAK.split(text)
    if lines[-1] == "" and len(lines) > 1:
        lines.pop()
    if line > len(lines):
        return len(lines), len(lines[-1]) + 1
    return line, min(col, len(lines[line - 1]) + 1)


def _yaml_error(path: str, text: str, exc: MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = _within(text, *_pos(mark)) if mark else (1, 1)
    problem = exc.problem or exc.context or "unreadable YAML"
    if exc.context and exc.problem and exc.context_mark:
        cl, cc = _pos(exc.context_mark)
        problem = f"{exc.problem} ({exc.context} at line {cl}, column {cc})"
    return Diagnostic(path, line, col, "invalid YAML: " + " ".join(problem.split()))


def parse_text(path: str, text: str) -> tuple[list[Document], list[Diagnostic]]:
    """Every non-empty document of ``text``, with problems found on the way."""
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line, col = _position_in(text, bad.start())
        message = f"character U+{ord(bad.group()):04X} is not allowed in YAML; remove it"
        return [], [Diagnostic(path, line, col, message)]
    odd = _ODD_LINE_BREAKS.search(text)
    if odd:
        line, col = _position_in(text, odd.start())
        message = (
            f"character U+{ord(odd.group()):04X} is not allowed: YAML reads it as a line "
            "break where editors do not; remove it"
        )
        return [], [Diagnostic(path, line, col, message)]
    documents: list[Document] = []
    events = _EVENT_SOURCE(text)
    events.yaml_implicit_resolvers = _RESOLVERS
    composer = _Composer(events, path)
    try:
        events.get_event()  # StreamStartEvent
        while not events.check_event(StreamEndEvent):
            doc = composer.document()
            if doc is not None:
                documents.append(doc)
    except MarkedYAMLError as exc:
        composer.diagnostics.append(_yaml_error(path, text, exc))
    except yaml.YAMLError as exc:
        message = "invalid YAML: " + " ".join(str(exc).split())
        composer.diagnostics.append(Diagnostic(path, 1, 1, message))
    finally:
        events.dispose()
    return documents, composer.diagnostics


def load_file(path: str) -> LoadedFile:
    """Read and parse one manifest file; never raises for a bad file."""

    def failed(message: str) -> LoadedFile:
        return LoadedFile(path, None, [], [Diagnostic(path, None, None, message)])

    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            # A FIFO or device would block or never end; manifests are plain files.
            return failed("not a regular file")
        if status.st_size > MAX_FILE_BYTES:
            return failed(f"file is {status.st_size} bytes; a manifest file may hold at most 1 MiB")
        with open(path, "rb") as handle:
            # Read one byte past the limit: the file may have grown since stat.
            content = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return failed(f"cannot read the file: {exc.strerror or exc}")
    if len(content) > MAX_FILE_BYTES:
        return failed("file is larger than 1 MiB, the most a manifest file may hold")
    try:
        # utf-8-sig: a BOM some editors write is not part of the first key.
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = content[: exc.start].decode("utf-8-sig", "replace")
        line, col = _position_in(before, len(before))
        return LoadedFile(
            path, content, [], [Diagnostic(path, line, col, "file is not valid UTF-8 text")]
        )
    documents, diagnostics = parse_text(path, text)
    if not documents and not diagnostics:
        diagnostics.append(
            Diagnostic(
                path,
                1,
                1,
                "file holds no manifest document; expected a mapping with "
                "apiVersion, kind, function and aliases",
            )
        )
    return LoadedFile(path, content, documents, diagnostics)
