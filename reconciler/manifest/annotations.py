"""How diagnostics are shown: plain compiler-style lines; the escaping of GitHub
workflow commands (reconciler.report.github builds the commands themselves).

Also :func:`show`, the one way user-written values are quoted inside messages,
so that every message stays on one line whatever the manifest holds.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.errors import Diagnostic

# Long values (descriptions, pasted ARNs) would drown the message itself.
_SHOW_LIMIT = 60


def show(value: Any) -> str:
    """A user value as YAML-ish text for a message: quoted, escaped, one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # json escapes control characters and newlines; keep non-ASCII readable.
        inner = json.dumps(value, ensure_ascii=False)[1:-1].replace('\\"', '"')
        if len(inner) > _SHOW_LIMIT:
            inner = inner[: _SHOW_LIMIT - 1] + "…"
        return f"'{inner}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 file``, ``2 files``; ``plural_form`` for irregular words (aliases)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def format_plain(diagnostic: Diagnostic) -> str:
    """``FILE:LINE:COL: error: MESSAGE``, the form editors and CI log parsers know."""
    return str(diagnostic)


def escape_data(text: str) -> str:
    """Escape the message part of a workflow command (the runner's own rules)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a ``key=value`` property: ``:`` and ``,`` would end the value early."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
