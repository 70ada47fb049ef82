"""Manifest files for a promotion: read once, edit in memory, check, write.

The edited texts go through the project's whole validation (YAML reading,
schema, semantic rules) before anything is written; if one file fails,
nothing is written. Writing replaces each file atomically.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.errors import Diagnostic, ManifestError, ReconcilerError
from reconciler.manifest import schema, semantics
from reconciler.manifest.build import build_function, same_version
from reconciler.manifest.loader import Document, load_file, parse_text
from reconciler.manifest.model import ContentVersion, VersionRef
from reconciler.promote.edit import EditError, edit_text
from reconciler.promote.select import Promotion
from reconciler.promote.spans import DocSpans, document_spans

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ManifestText:
    path: str
    raw: bytes
    text: str
    documents: tuple[tuple[Document, DocSpans], ...]

    @property
    def bom(self) -> bool:
        return self.raw.startswith(_BOM)

    def encode(self, text: str) -> bytes:
        return (_BOM if self.bom else b"") + text.encode("utf-8")


def read_manifest(path: str) -> ManifestText:
    """One validated manifest file with the spans of its documents."""
    loaded = load_file(path)
    if loaded.diagnostics or loaded.content is None:
        raise ManifestError(loaded.diagnostics)
    text = loaded.content.decode("utf-8-sig")
    by_root = {spans.root: spans for spans in document_spans(text)}
    pairs = []
    for doc in loaded.documents:
        spans = by_root.get(doc.value_at(()))
        if spans is None:  # pragma: no cover - both read the same events
            raise ReconcilerError(f"{path}: cannot locate a document to edit it")
        pairs.append((doc, spans))
    return ManifestText(path, loaded.content, text, tuple(pairs))


@dataclass(frozen=True)
class EditedFile:
    path: str
    before: bytes
    after: bytes

    def diff(self) -> str:
        old = self.before.decode("utf-8-sig").splitlines(keepends=True)
        new = self.after.decode("utf-8-sig").splitlines(keepends=True)
        absolute = os.path.isabs(self.path)
        before = self.path if absolute else f"a/{self.path}"
        after = self.path if absolute else f"b/{self.path}"
        lines = difflib.unified_diff(old, new, before, after)
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def apply_edits(
    files: dict[str, ManifestText], promotions: Sequence[Promotion]
) -> list[EditedFile]:
    """The edited files, each checked; ManifestError or ReconcilerError if not valid."""
    by_file: dict[str, list[Promotion]] = {}
    for promotion in promotions:
        by_file.setdefault(promotion.candidate.file, []).append(promotion)
    edited: list[EditedFile] = []
    for path, items in by_file.items():
        manifest = files[path]
        try:
            text = edit_text(
                manifest.text,
                [(p.candidate.spans, p.candidate.data, p.edit) for p in items],
            )
        except EditError as err:
            names = ", ".join(p.candidate.spec.name for p in items)
            raise ReconcilerError(
                f"{path}: cannot edit {names}: {err}; nothing was written (edit it by hand)"
            ) from err
        _check(path, text, items)
        edited.append(EditedFile(path, manifest.raw, manifest.encode(text)))
    return edited


def _check(path: str, text: str, items: Sequence[Promotion]) -> None:
    documents, diagnostics = parse_text(path, text)
    for doc in documents:
        if doc.usable:
            diagnostics += schema.check_document(doc) + semantics.check_document(doc)
    if diagnostics:
        raise ManifestError(
            [
                Diagnostic(d.file, d.line, d.col, f"after the promotion edit: {d.message}")
                for d in diagnostics
            ]
        )
    specs = {build_function(doc).name: build_function(doc) for doc in documents}
    for item in items:
        # The edit must mean what it says: the target now serves the source's version.
        spec = specs.get(item.candidate.spec.name)
        alias = spec.alias(item.edit.alias) if spec else None
        if alias is None:
            raise ReconcilerError(f"{path}: the edit lost {item.candidate.spec.name}; not written")
        if item.content is not None:
            intended: VersionRef | None = ContentVersion(*item.content)
        else:
            new = next(iter(item.after_weights)) if item.after_weights else None
            intended = item.candidate.ref(new if item.after_weights else item.after_version)
        served = alias.weights[0][0] if alias.weights else alias.version
        if intended is None or not same_version(served, intended):
            raise ReconcilerError(
                f"{path}: the edit of {item.candidate.spec.name} does not point "
                f"{item.edit.alias} at the promoted version; nothing was written"
            )


def write_files(edited: Sequence[EditedFile]) -> None:
    """Write every file, each by rename over the old one (never half a file)."""
    for item in edited:
        folder = os.path.dirname(os.path.abspath(item.path))
        mode = os.stat(item.path).st_mode & 0o7777
        handle, temporary = tempfile.mkstemp(prefix=".promote-", dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(item.after)
            os.chmod(temporary, mode)
            os.replace(temporary, item.path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
