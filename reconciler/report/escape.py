"""Inert GitHub-flavoured markdown for text from AWS or manifests.

Names, descriptions and messages come from outside (anyone with console access
can write an alias description), so nothing in them may become a link, an
autolink, an image, a mention, HTML, emphasis, a heading, a table-cell break or
the end of a fence. Two ways keep a value inert:

* :func:`code` puts it in a code span (no markdown, no mentions, no autolinks
  inside one) whose backtick fence is longer than any run in the value;
* :func:`text` and :func:`cell` backslash-escape every markdown-active
  character (the backslash first) and put each word GitHub would turn into a
  reference (``@team``, ``#12``, ``GH-12``, URLs, ``www.``, e-mail addresses,
  anything shaped like a host name) in a code span of its own.

Text inside raw HTML (``<summary>``) is never parsed as markdown, but GitHub
still links mentions in it: :func:`html` entity-escapes it and puts those
words in ``<code>``.
"""

from __future__ import annotations

import re
from typing import Any

# The ASCII punctuation that means something inline in CommonMark or GFM:
# code, emphasis, links and images ("[" suffices: "](" and "![" need it), HTML
# and autolinks, entities, table cells, strikethrough, math, headings. The
# substitution escapes "\\" too, so the escapes added are not escaped again;
# CommonMark renders "\\" + ASCII punctuation as the character itself.
_ACTIVE = re.compile(r"([\\`*_\[\]<>|~$&#])")
# What starts a block at the beginning of a line: block quotes, bullet and
# ordered list items ("- x", "1. x", "1) x"), thematic breaks and setext
# underlines ("---", "==="). The marker's last character gets the backslash.
_LINE_START = re.compile(r"^(>|[-+](?=\s|$)|\d{1,9}[.)](?=\s|$)|[-=]+$)")
_WORD = re.compile(r"(\s+)")
# Words GitHub links after rendering (mentions, issue references) or while
# parsing (URLs, www., e-mail autolinks), and anything shaped like a host name
# ("s3.amazonaws.com", a policy's principal; "awww.ba"), which renderers with
# fuzzy linking turn into links.
_REFERENCE = re.compile(r"@|#\d|\bGH-\d|://|www\.|[a-z0-9]\.[a-z]{2,}", re.IGNORECASE)
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def longest_run(text: str, char: str) -> int:
    return max((len(m) for m in re.findall(f"{re.escape(char)}+", text)), default=0)


def one_line(value: Any) -> str:
    """The value's lines joined by spaces (any line break markdown knows, and more)."""
    return " ".join(str(value).splitlines())


def code(value: Any, table: bool = False) -> str:
    """A code span showing the value as written (one line); ``table``: inside a GFM
    table cell, where a pipe needs its backslash even in code."""
    content = one_line(value)
    if not content:
        return "` `"
    ticks = "`" * (longest_run(content, "`") + 1)
    # A space each side is stripped again; it keeps edge backticks/spaces apart.
    pad = " " if content[0] in "` " or content[-1] in "` " else ""
    span = f"{ticks}{pad}{content}{pad}{ticks}"
    return span.replace("|", "\\|") if table else span


def _escape_word(word: str, table: bool) -> str:
    if _REFERENCE.search(word):
        return code(word, table=table)
    return _ACTIVE.sub(r"\\\1", word)


def text(value: Any, table: bool = False) -> str:
    """Inline prose (one line) that renders as written and links nothing."""
    parts = _WORD.split(one_line(value).strip())
    out = "".join(p if _WORD.fullmatch(p) else _escape_word(p, table) for p in parts if p)
    # Escaped so that the text is inert at the start of a line too.
    return _LINE_START.sub(lambda m: m[0][:-1] + "\\" + m[0][-1], out)


def cell(value: Any) -> str:
    """A GFM table cell: the value's lines as inline prose, joined with <br>."""
    return "<br>".join(text(line, table=True) for line in str(value).splitlines())


def html_text(value: Any) -> str:
    """Characters of the value as text inside raw HTML (entities for <, >, &, quotes)."""
    return "".join(_HTML.get(ch, ch) for ch in one_line(value))


def html(value: Any) -> str:
    """Text inside raw HTML: entity-escaped, references defanged in <code>."""
    parts = _WORD.split(one_line(value))
    return "".join(
        f"<code>{html_text(p)}</code>" if _REFERENCE.search(p) else html_text(p) for p in parts if p
    )


def position(item: Any) -> str | None:
    """``FILE:LINE`` of a report item (where the manifest declares it), or None.
    Documents may be read back from files: anything not a name and a line is none."""
    file, line = item.get("file"), item.get("line")
    if not isinstance(file, str) or not file:
        return None
    return f"{file}:{line}" if isinstance(line, int) and not isinstance(line, bool) else file


def html_code(value: Any) -> str:
    """The value in an HTML <code> element: entity-escaped, nothing links."""
    return f"<code>{html_text(value)}</code>"
