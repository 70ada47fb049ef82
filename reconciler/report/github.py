"""GitHub Actions annotations for a report document (``--format github``).

Each error becomes an ``::error`` workflow command, each drift finding a
``::warning``, pointing at the manifest line when the item has a position
(run-wide errors have none and are annotations on the run). GitHub shows them
on the file in pull requests and in the run's summary. Every value comes from
outside (messages from AWS, file names from the manifests' paths), so each is
escaped by the runner's rules: a value cannot end its command or start another.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from reconciler.manifest.annotations import escape_data, escape_property
from reconciler.report.text import render_text

Doc = dict[str, Any]


def annotating(fmt: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether annotations follow the text: ``--format github``, or text in a
    GitHub Actions job (which sets GITHUB_ACTIONS=true)."""
    return fmt == "github" or (fmt == "text" and environ.get("GITHUB_ACTIONS") == "true")


def render_github(doc: Doc) -> str:
    """The text report, then one workflow command per error and drift finding."""
    return render_text(doc) + "".join(line + "\n" for line in workflow_commands(doc))


def workflow_commands(doc: Doc) -> list[str]:
    kind = doc.get("kind") or "run"
    lines = [command("error", err, kind) for err in _items(doc, "errors")]
    if kind == "drift":
        lines += [command("warning", item, kind) for item in _items(doc, "drift")]
    return lines


def _items(doc: Doc, key: str) -> list[Doc]:
    items = doc.get(key)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def command(level: str, item: Doc, kind: str) -> str:
    """``::LEVEL file=F,line=L,col=C,title=T::MESSAGE`` (file, line and column when
    known: a validation error has a column, a planning error only a line)."""
    props = []
    file, line, col = item.get("file"), item.get("line"), item.get("col")
    if isinstance(file, str) and file:
        props.append(f"file={escape_property(repository_path(file))}")
        if _positive(line):
            props.append(f"line={line}")
            if _positive(col):
                props.append(f"col={col}")
    props.append(f"title={escape_property(_title(item, kind))}")
    message = str(item.get("message") or item.get("kind") or "error")
    return f"::{level} {','.join(props)}::{escape_data(message)}"


def _positive(value: Any) -> bool:
    # Documents may be read back from files: only a real 1-based number counts.
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def repository_path(file: str) -> str:
    """GitHub places an annotation by its path from the repository root, the
    job's working directory by default: a path under it is made relative."""
    path = os.path.normpath(file)
    if os.path.isabs(path):
        try:
            relative = os.path.relpath(path)
        except ValueError:  # another drive (Windows)
            return path
        return path if relative.startswith("..") else relative
    return path


def _title(item: Doc, kind: str) -> str:
    where = str(item.get("function") or "")
    if where and item.get("alias"):
        where += f":{item['alias']}"
    what = f" ({item['kind']})" if item.get("kind") else ""
    return f"reconciler {kind}: {where}{what}" if where else f"reconciler {kind}{what}"
