"""Keeping markdown bodies under GitHub's size limit, cut visibly and safely.

GitHub refuses comment and issue bodies over 65,536 characters. A cut is made
at a line boundary, closes the code fence and ``<details>`` it leaves open,
keeps the first line (the hidden marker), and says where the full report is.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_CHARS = 60_000


def fence_step(fence: str | None, line: str) -> str | None:
    """The opener (indent and backticks) of the code fence open after ``line``."""
    line = line.rstrip()
    text = line.lstrip()
    if fence is None:
        return line[: len(line) - len(text.lstrip("`"))] if text.startswith("```") else None
    return None if text and set(text) == {"`"} and len(text) >= len(fence.strip()) else fence


def squeeze(lines: list[str]) -> list[str]:
    """Drop repeated blank lines outside code fences."""
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        if fence is None and not line and (not out or not out[-1]):
            continue
        fence = fence_step(fence, line)
        out.append(line)
    return out


def closers(lines: Iterable[str]) -> str:
    """What closes the code fence and <details> a cut leaves open."""
    fence: str | None = None
    depth = 0
    for line in lines:
        outside = fence is None
        fence = fence_step(fence, line)
        if outside and fence is None:
            depth += line.startswith("<details") - (line.strip() == "</details>")
    return (f"{fence}\n" if fence else "") + "</details>\n" * max(depth, 0)


def fit(text: str, max_chars: int, artifact_hint: str) -> str:
    if len(text) <= max_chars:
        return text
    hint = artifact_hint.replace("`", "")

    def note(cut: int) -> str:
        return (
            f"\n> [!NOTE]\n> … {cut} more characters cut; "
            f"the full report is in the workflow artifact `{hint}`.\n"
        )

    lines = text.splitlines(keepends=True)
    # Reserve room for the longest note this text can need.
    budget = max_chars - len(note(len(text)))
    kept = [lines[0]]  # the marker survives any limit
    size = len(lines[0])
    for line in lines[1:]:
        if size + len(line) > budget:
            break
        kept.append(line)
        size += len(line)
    # Drop what no longer fits with its closers, and openers left with no content.
    while len(kept) > 1 and (
        size + len(closers(kept)) > budget or kept[-1].startswith(("\n", "<details", "<summary"))
    ):
        size -= len(kept.pop())
    return "".join(kept) + closers(kept) + note(len(text) - size)
