"""The promotion edit: positional splices of a manifest text, nothing re-emitted.

Only the target alias's `version` value, its `weights` entry and one added
`versions` entry are touched; every other byte (comments, quoting, key
order, blank lines, other documents, line endings) is kept because it is
never parsed and re-written, only copied. Layouts the splices cannot handle
faithfully raise :class:`EditError` instead of guessing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from reconciler.manifest.loader import JsonPath
from reconciler.promote.spans import DocSpans, Span


class EditError(ValueError):
    """The manifest is laid out in a way the edit does not handle; edit by hand."""


@dataclass(frozen=True)
class AliasEdit:
    """What one document's promotion changes."""

    alias: str
    # New text of the alias's `version` value; None keeps it.
    version_text: str | None = None
    # New text of the `weights` value (a flow mapping); None with drop_weights
    # False keeps the weights as they are.
    weights_text: str | None = None
    drop_weights: bool = False
    # A `versions` entry to add: (name, flow mapping text).
    add_version: tuple[str, str] | None = None


@dataclass(frozen=True)
class _Splice:
    start: int
    end: int
    text: str


def newline_of(text: str) -> str:
    """The file's line ending: CRLF if it uses it, else LF."""
    return "\r\n" if "\r\n" in text else "\n"


def check_line_endings(text: str) -> None:
    if "\r" in text.replace("\r\n", ""):
        raise EditError("the file has lines ending in a bare CR; convert it to LF or CRLF first")


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Offset of the line break (or end of text) of the line holding ``index``."""
    end = text.find("\n", index)
    if end == -1:
        return len(text)
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def _after_line(text: str, index: int) -> int:
    """Offset just past the line break of the line holding ``index``."""
    end = text.find("\n", index)
    return len(text) if end == -1 else end + 1


def _rest_is_comment(text: str, start: int, stop: int) -> bool:
    rest = text[start:stop].strip()
    return rest == "" or rest.startswith("#")


def _starts_line(text: str, index: int) -> bool:
    return text[_line_start(text, index) : index].strip() == ""


class _Editor:
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans = DocSpans((1, 1))
        self.nl = newline_of(text)
        self.splices: list[_Splice] = []

    def value(self, path: JsonPath) -> Span:
        span = self.spans.values.get(path)
        if span is None:
            raise EditError(f"no value at {'/'.join(map(str, path))}")
        return span

    def replace_scalar(self, path: JsonPath, text: str) -> None:
        span = self.value(path)
        if span.collection:
            raise EditError(f"{'/'.join(map(str, path))} is not a single value")
        self.splices.append(_Splice(span.start, span.end, text))

    def replace_entry_value(self, path: JsonPath, text: str) -> None:
        """Replace a key's value, whatever its style, by one flow value on the key's line."""
        key = self.spans.keys[path]
        value = self.value(path)
        if not self.value(path[:-1]).flow and not _rest_is_comment(
            self.text, value.end, _line_end(self.text, value.end)
        ):
            raise EditError(f"unexpected text after {'/'.join(map(str, path))}")
        self.splices.append(_Splice(key.end, value.end, ": " + text))

    def remove_entry(self, path: JsonPath) -> None:
        parent = path[:-1]
        name = path[-1]
        key, value = self.spans.keys[path], self.value(path)
        if self.value(parent).flow:
            order = self.spans.order[parent]
            at = order.index(str(name))
            if at > 0:
                previous = self.value((*parent, order[at - 1]))
                self.splices.append(_Splice(previous.end, value.end, ""))
            elif at + 1 < len(order):
                following = self.spans.keys[(*parent, order[at + 1])]
                self.splices.append(_Splice(key.start, following.start, ""))
            else:
                self.splices.append(_Splice(key.start, value.end, ""))
            return
        if not _starts_line(self.text, key.start) or not _rest_is_comment(
            self.text, value.end, _line_end(self.text, value.end)
        ):
            raise EditError(f"{'/'.join(map(str, path))} shares its lines with other keys")
        start = _line_start(self.text, key.start)
        self.splices.append(_Splice(start, _after_line(self.text, value.end), ""))

    def add_entry(self, parent: JsonPath, name: str, text: str) -> None:
        """Add ``name: text`` as the last entry of the mapping at ``parent``."""
        span = self.value(parent)
        order = self.spans.order.get(parent, [])
        entry = f"{name}: {text}"
        if span.flow:
            if order:
                last = self.value((*parent, order[-1]))
                self.splices.append(_Splice(last.end, last.end, ", " + entry))
            else:
                inner = self.text[span.start + 1 : span.end - 1]
                if inner.strip():
                    raise EditError("unexpected text in an empty mapping")
                self.splices.append(_Splice(span.start, span.end, "{" + entry + "}"))
            return
        first_key = self.spans.keys[(*parent, order[0])]
        if not _starts_line(self.text, first_key.start):
            raise EditError(f"{'/'.join(map(str, parent)) or 'the document'} is laid out oddly")
        indent = self.text[_line_start(self.text, first_key.start) : first_key.start]
        last = self.value((*parent, order[-1]))
        at = _after_line(self.text, last.end)
        if at == len(self.text) and not self.text.endswith("\n"):
            # The file ends without a line break: so does the edited one.
            self.splices.append(_Splice(at, at, self.nl + indent + entry))
        else:
            self.splices.append(_Splice(at, at, indent + entry + self.nl))

    def add_top_key_before(self, before: str, key: str, name: str, text: str) -> None:
        """Add ``key:`` with one entry ``name: text`` on the lines before key ``before``."""
        root = self.value(())
        if root.flow:
            raise EditError("the document is one flow mapping ({...}); edit it by hand")
        anchor = self.spans.keys[(before,)]
        if not _starts_line(self.text, anchor.start):
            raise EditError("the document is laid out oddly")
        start = _line_start(self.text, anchor.start)
        outer = self.text[start : anchor.start]
        inner = "  "
        children = self.spans.order.get((before,), [])
        if children and not self.value((before,)).flow:
            child = self.spans.keys[(before, children[0])]
            found = self.text[_line_start(self.text, child.start) : child.start]
            if found.startswith(outer) and len(found) > len(outer) and not found.strip():
                inner = found[len(outer) :]
        block = f"{outer}{key}:{self.nl}{outer}{inner}{name}: {text}{self.nl}"
        self.splices.append(_Splice(start, start, block))

    def result(self) -> str:
        ordered = sorted(self.splices, key=lambda s: (s.start, s.end))
        for first, second in itertools.pairwise(ordered):
            if second.start < first.end:
                raise EditError("the edits overlap; edit this document by hand")
        text = self.text
        for splice in reversed(ordered):
            text = text[: splice.start] + splice.text + text[splice.end :]
        return text


def edit_text(text: str, edits: list[tuple[DocSpans, dict[str, object], AliasEdit]]) -> str:
    """``text`` with every edit applied; each to the document its spans describe."""
    check_line_endings(text)
    editor = _Editor(text)
    for spans, data, edit in edits:
        editor.spans = spans
        _one(editor, data, edit)
    return editor.result()


def _one(editor: _Editor, data: dict[str, object], edit: AliasEdit) -> None:
    base: JsonPath = ("aliases", edit.alias)
    aliases = data["aliases"]
    assert isinstance(aliases, dict)
    fields = aliases[edit.alias]
    assert isinstance(fields, dict)
    if edit.version_text is not None:
        editor.replace_scalar((*base, "version"), edit.version_text)
    if edit.weights_text is not None:
        if "weights" in fields:
            editor.replace_entry_value((*base, "weights"), edit.weights_text)
        else:
            editor.add_entry(base, "weights", edit.weights_text)
    elif edit.drop_weights and "weights" in fields:
        editor.remove_entry((*base, "weights"))
    if edit.add_version is not None:
        name, entry = edit.add_version
        if "versions" in data:
            editor.add_entry(("versions",), name, entry)
        else:
            editor.add_top_key_before("aliases", "versions", name, entry)
