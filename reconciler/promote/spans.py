"""Where each key and value of a manifest text starts and ends (character offsets).

The manifest loader keeps start positions only; a minimal edit also needs the
end of a value and the order of a mapping's keys. This walks the same YAML
parser events over the same text (the file decoded as the loader decodes it)
and records, per path, the span of the key and of the value. Only files the
loader has already accepted are walked, so the events are plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from reconciler.manifest.loader import JsonPath, Pos


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` is the node as written; ``flow`` for `{...}` / `[...]`."""

    start: int
    end: int
    flow: bool = False
    collection: bool = False


@dataclass
class DocSpans:
    """The spans of one document, keyed by the loader's paths."""

    root: Pos
    values: dict[JsonPath, Span] = field(default_factory=dict)
    keys: dict[JsonPath, Span] = field(default_factory=dict)
    # Keys of each mapping, in the order written.
    order: dict[JsonPath, list[str]] = field(default_factory=dict)


def _index(mark: Any) -> int:
    return int(mark.index)


def _pos(mark: Any) -> Pos:
    return int(mark.line) + 1, int(mark.column) + 1


class _Walker:
    def __init__(self, text: str) -> None:
        # Any: PyYAML's parser methods are untyped.
        self.parser: Any = yaml.SafeLoader(text)

    def documents(self) -> list[DocSpans]:
        found: list[DocSpans] = []
        parser: Any = self.parser
        try:
            parser.get_event()  # StreamStartEvent
            while not parser.check_event(StreamEndEvent):
                start = parser.get_event()
                assert isinstance(start, DocumentStartEvent)
                first = parser.peek_event()
                doc = DocSpans(_pos(first.start_mark))
                self._node(doc, ())
                parser.get_event()  # DocumentEndEvent
                found.append(doc)
        finally:
            parser.dispose()
        return found

    def _node(self, doc: DocSpans, path: JsonPath) -> Span:
        event = self.parser.get_event()
        if isinstance(event, ScalarEvent | AliasEvent):
            span = Span(_index(event.start_mark), _index(event.end_mark))
        elif isinstance(event, MappingStartEvent):
            keys: list[str] = []
            last = Span(_index(event.start_mark), _index(event.end_mark))
            while not self.parser.check_event(MappingEndEvent):
                key = self.parser.get_event()
                if not isinstance(key, ScalarEvent):
                    raise ValueError("a mapping key that is not a scalar")  # loader rejects these
                name = str(key.value)
                keys.append(name)
                doc.keys[(*path, name)] = Span(_index(key.start_mark), _index(key.end_mark))
                last = self._node(doc, (*path, name))
            end = self.parser.get_event()
            doc.order[path] = keys
            span = self._collection(event, end, last)
        elif isinstance(event, SequenceStartEvent):
            last = Span(_index(event.start_mark), _index(event.end_mark))
            index = 0
            while not self.parser.check_event(SequenceEndEvent):
                last = self._node(doc, (*path, index))
                index += 1
            end = self.parser.get_event()
            span = self._collection(event, end, last)
        else:  # pragma: no cover - the parser yields nothing else here
            raise ValueError(f"unexpected YAML event {event}")
        doc.values[path] = span
        return span

    @staticmethod
    def _collection(start: Any, end: Any, last: Span) -> Span:
        flow = bool(getattr(start, "flow_style", False))
        # A block collection "ends" where the next key begins (after blank lines
        # and comments that belong to what follows): its own end is its last child's.
        stop = _index(end.end_mark) if flow else last.end
        return Span(_index(start.start_mark), stop, flow=flow, collection=True)


def document_spans(text: str) -> list[DocSpans]:
    """Spans of every document of ``text`` (empty documents included)."""
    return _Walker(text).documents()
