"""Text from AWS or manifests stays inert in every markdown report.

Alias descriptions, function/alias/alarm names, messages and reasons reach the
drift issue, the pull-request comment and the step summary. Each rendering is
parsed with markdown-it-py (CommonMark, GFM tables and strikethrough, and
linkify for GitHub's bare-URL autolinks) and must hold:

* no link, image or HTML from the injected text: the reports contain no link
  or image at all, and their HTML is only the renderer's own tags;
* the same block and emphasis structure as the same report with harmless
  text in place of the hostile text (nothing injected opens a heading, list,
  quote, fence, table, emphasis or strikethrough);
* every table row has the header's cell count (pipes split as GitHub does);
* ``@name``, ``#1`` and ``GH-1`` appear only inside code.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from reconciler.report.escape import cell, code, html, text
from reconciler.report.markdown import render

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
KINDS = [
    "plan_changes",
    "plan_bindings",
    "drift",
    "apply_failed",
    "apply_stale",
    "plan_invalid_manifest",
]

# The security review's alias description, and friends.
HOSTILE = [
    "x\\| injected col | @octo-org/security please [approve here](https://evil.example/login) "
    "![p](https://evil.example/p.png) **URGENT**",
    "<img src=x onerror=alert(1)> </details> --> <!-- <script>alert(1)</script>",
    "see #1 and GH-1, cc @octocat and evil@example.com at www.evil.example",
    "<https://evil.example> [ref]: https://evil.example ~~gone~~ $x$ _em_ __strong__",
    "&#64;octocat &#35;1 &lt;b&gt; \\`code\\` ``` ~~~ ` `` ```` \\",
    "line one\n# heading\n- item\n> quote\n```\n| a | b |\n|---|---|\n[x](https://evil.example)",
    "1. ordered\n---\n===\n    indented code\n<details open><summary>x</summary>",
    "|",
    "`",
    "\\",
    " trailing space `",
]

PARSER = MarkdownIt("commonmark", {"linkify": True, "html": True}).enable(
    ["table", "strikethrough", "linkify"]
)
# The renderer's own HTML: markers, collapsible sections, small print, line breaks.
OWN_TAGS = {"details", "summary", "sub", "br", "code"}
REFERENCE = re.compile(r"@\w|#\d|\bGH-\d", re.IGNORECASE)
# Structure the injected text must not change (code spans may: words become code).
STRUCTURE = {
    "heading_open", "bullet_list_open", "ordered_list_open", "list_item_open",
    "blockquote_open", "fence", "code_block", "hr", "table_open", "tr_open", "th_open",
    "td_open", "em_open", "strong_open", "s_open", "link_open", "image", "html_block",
    "paragraph_open",
}  # fmt: skip


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return doc


# Keys whose values the renderer maps (unknown values still render, as text).
KEEP = {"kind", "format_version"}


def inject(value: Any, make: Any, key: str = "") -> Any:
    """The document with every string (and every weights key) replaced by make(old)."""
    if isinstance(value, dict):
        out = {k: inject(v, make, k) for k, v in value.items()}
        if key == "weights":
            out = {make(k): v for k, v in out.items()}
        return out
    if isinstance(value, list):
        return [inject(v, make, key) for v in value]
    if isinstance(value, str) and key not in KEEP:
        return make(value)
    return value


def walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        out += walk(token.children or [])
    return out


class _HtmlText(HTMLParser):
    """Tags of an HTML fragment, and its text outside <code>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.outside: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.depth += tag == "code"

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "code" and self.depth > 0

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.outside.append(data)


def gfm_cells(line: str) -> int:
    """Cells of a table row split like GitHub: at every pipe without a backslash."""
    return len(re.split(r"(?<!\\)\|", line.strip().strip("|").replace("\\\\|", "\\|")))


def check_inert(markdown: str) -> None:
    tokens = walk(PARSER.parse(markdown))
    kinds = Counter(t.type for t in tokens)
    assert not kinds["link_open"] and not kinds["image"], "a link or image was rendered"
    # HTML: only the renderer's own tags; text in it outside <code> links nothing.
    for token in tokens:
        if token.type in ("html_block", "html_inline"):
            if token.content.startswith("<!-- reconciler:"):
                assert token.content.rstrip().endswith("-->")
                assert token.content.count("-->") == 1
                continue
            parser = _HtmlText()
            parser.feed(token.content)
            for tag, attrs in parser.tags:
                assert tag in OWN_TAGS, f"injected HTML <{tag}> in {token.content!r}"
                assert all(name == "open" for name, _ in attrs), attrs
            assert not REFERENCE.search("".join(parser.outside)), token.content
        if token.type == "text":
            assert not REFERENCE.search(token.content), f"live reference in {token.content!r}"
    # Tables: every row has the header's cell count, in raw lines and parsed.
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("| ---"):
            width = gfm_cells(line)
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                assert gfm_cells(lines[j]) == width, lines[j]
                j += 1
    for start, token in enumerate(tokens):
        if token.type == "thead_open":
            end = next(i for i in range(start, len(tokens)) if tokens[i].type == "table_close")
            rows = [t for t in tokens[start:end] if t.type == "tr_open"]
            body = [t for t in tokens[start:end] if t.type in ("th_open", "td_open")]
            assert len(body) % len(rows) == 0


def structure(markdown: str) -> Counter[str]:
    return Counter(t.type for t in walk(PARSER.parse(markdown)) if t.type in STRUCTURE)


def harmless(value: str) -> str:
    """Plain words with the same line breaks (multi-line messages become blocks)."""
    return "\n".join("plain" for _ in (value.splitlines() or [""])) or "plain"


@pytest.mark.parametrize("payload", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("name", KINDS)
def test_injected_text_is_inert(name: str, payload: str) -> None:
    doc = load(name)
    hostile = render(inject(doc, lambda _: payload))
    check_inert(hostile)
    assert structure(hostile) == structure(render(inject(doc, lambda _: harmless(payload))))


@pytest.mark.parametrize("name", KINDS)
def test_each_field_alone_is_inert(name: str) -> None:
    """One field at a time, so a renderer path that another field hides is caught."""
    doc = load(name)
    paths: list[list[Any]] = []

    def collect(value: Any, path: list[Any]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                collect(v, [*path, k])
        elif isinstance(value, list):
            for i, v in enumerate(value):
                collect(v, [*path, i])
        elif isinstance(value, str) and path[-1] not in KEEP:
            paths.append(path)

    collect(doc, [])
    assert paths
    for path in paths:
        changed = copy.deepcopy(doc)
        node = changed
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = HOSTILE[0]
        check_inert(render(changed))


def test_the_reviewed_description_renders_as_one_cell_of_text() -> None:
    doc = load("drift")
    doc["drift"][1]["actual"] = HOSTILE[0]
    markdown = render(doc)
    check_inert(markdown)
    row = next(
        line
        for line in markdown.splitlines()
        if line.startswith("| `payments-api`") and "beta" in line
    )
    assert gfm_cells(row) == 5
    # The reader sees the text as written, mentions and URLs as code.
    html_out = PARSER.render(markdown)
    assert "<code>@octo-org/security</code>" in html_out
    assert "**URGENT**" in html_out
    assert "x\\| injected col |" in html_out


HOSTILE_CHARS = st.lists(
    st.sampled_from([*"\\`*_[]()<>!|~$&#@:/.-+= \n\tab1", "www.", "://", "GH-", "-->"]),
    max_size=40,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=HOSTILE_CHARS, name=st.sampled_from(KINDS))
# Host names that fuzzy linking links: "www." inside a word, a principal, a bare domain.
@example(payload="awww.ba", name="plan_changes")
@example(payload="s3.amazonaws.com", name="plan_bindings")
@example(payload="see example.com", name="drift")
def test_generated_text_is_inert(payload: str, name: str) -> None:
    check_inert(render(inject(load(name), lambda _: payload)))


@settings(max_examples=300, deadline=None)
@given(value=HOSTILE_CHARS)
def test_escapes_render_as_written(value: str) -> None:
    """text() and code() show the value itself (whitespace aside), not markup."""
    words = " ".join(value.split())
    for rendered in (text(value), code(value)):
        tokens = walk(PARSER.parse("x " + rendered))
        shown = "".join(t.content for t in tokens if t.type in ("text", "code_inline"))
        assert " ".join(shown[2:].split()) == words
    assert not REFERENCE.search("".join(t for t in re.split(r"<code>.*?</code>", html(value))))
    assert "\n" not in cell(value)


@pytest.mark.parametrize("name", KINDS)
def test_text_reports_carry_no_workflow_commands_or_escapes(name: str) -> None:
    """The action prints the text rendering in the job log, where a line starting
    with "::" is a workflow command and escape sequences reach the terminal."""
    from reconciler.report.text import render_text

    payload = "ok\n::add-mask::x\n  ::error file=a::forged\r::warning::cr \x1b[2J\x9b31m end"
    doc = load(name)
    doc.setdefault("summary_line", "Plan: see above")  # the CLI's documents carry one
    out = render_text(inject(doc, lambda _: payload))
    assert ": :add-mask::x" in out  # the hostile text is shown, defused
    for line in out.splitlines():
        assert not line.lstrip().startswith("::"), line
    assert "\x1b" not in out and "\x9b" not in out and "\r" not in out
