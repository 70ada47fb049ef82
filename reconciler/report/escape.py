"""Escaping for GitHub-flavoured markdown: text that renders as written."""

from __future__ import annotations

import re
from typing import Any


def longest_run(text: str, char: str) -> int:
    return max((len(m) for m in re.findall(f"{re.escape(char)}+", text)), default=0)


def html(value: Any) -> str:
    # "<" alone starts tags; ">" and "&" stay readable in the raw markdown.
    return str(value).replace("<", "&lt;")


def plain(value: Any) -> str:
    # "$" pairs would render as math; backticks would open code spans.
    return html(value).replace("`", "\\`").replace("$", "\\$")


def text(value: Any) -> str:
    """Prose from the document: one line, no HTML, no accidental code or math."""
    return " ".join(plain(value).splitlines())


def cell(value: Any) -> str:
    """Table cell content: lines joined with <br>, pipes escaped."""
    return "<br>".join(plain(line) for line in str(value).splitlines()).replace("|", "\\|")


def code(value: Any, table: bool = False) -> str:
    """A code span that survives backticks in the value (and pipes inside tables)."""
    text = " ".join(str(value).splitlines())
    ticks = "`" * (longest_run(text, "`") + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    span = f"{ticks}{pad}{text}{pad}{ticks}"
    return span.replace("|", "\\|") if table else span
