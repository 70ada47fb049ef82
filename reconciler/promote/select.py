"""Which functions a promotion touches, and what it writes for each (pure).

Reads the loader's data of already validated documents; says per function
either "skip, because ..." or the :class:`AliasEdit` to make. Nothing here
talks to AWS: the code hash of a `$LATEST` source is passed in.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.manifest.build import build_function, defined_versions, resolve_reference
from reconciler.manifest.build import same_version as _same
from reconciler.manifest.loader import Document
from reconciler.manifest.model import LATEST, ContentVersion, FunctionSpec, VersionRef
from reconciler.promote.edit import AliasEdit
from reconciler.promote.spans import DocSpans

# Names made from a hash: "sha256-" and 12 hex digits (48 bits) of the digest.
# Hex, not base64: '+' and '/' are not allowed in version names.
CONTENT_PREFIX = "sha256-"
_HEX_DIGITS = 12
_CODE_SHA256 = re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=")


def content_name(code_sha256: str) -> str:
    """The deterministic `versions` name for a code hash (valid version name)."""
    if not _CODE_SHA256.fullmatch(code_sha256):
        raise ValueError(f"not a CodeSha256: {code_sha256[:60]!r}")
    try:
        digest = base64.b64decode(code_sha256, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not a CodeSha256: {code_sha256[:60]!r}") from exc
    return CONTENT_PREFIX + digest.hex()[:_HEX_DIGITS]


def format_weight(weight: float) -> str:
    """A weight as YAML reads it back as a float ("0.1", never "1e-05")."""
    text = f"{weight:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


@dataclass(frozen=True)
class Candidate:
    """A document that declares both aliases."""

    file: str
    doc: Document
    spans: DocSpans
    text: str
    spec: FunctionSpec
    source: str
    target: str

    @property
    def data(self) -> dict[str, Any]:
        result: dict[str, Any] = self.doc.data
        return result

    def alias_data(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.data["aliases"][name]
        return result

    def written(self, name: str) -> str:
        """The alias's `version` exactly as written (quotes included)."""
        span = self.spans.values[("aliases", name, "version")]
        text = self.text[span.start : span.end]
        if "\n" in text or "\r" in text or span.collection:
            raw = self.alias_data(name)["version"]
            return str(raw) if isinstance(raw, int) else json.dumps(raw)
        return text

    @property
    def source_is_latest(self) -> bool:
        return self.alias_data(self.source).get("version") == LATEST

    def ref(self, raw: Any) -> VersionRef | None:
        return resolve_reference(raw, defined_versions(self.data))[0]


@dataclass(frozen=True)
class Skip:
    function: str
    file: str
    reason: str  # alias_missing | already_promoted | rollout_target | provisioned_target
    message: str


@dataclass(frozen=True)
class Promotion:
    """What one function's promotion writes."""

    candidate: Candidate
    edit: AliasEdit
    before_version: Any
    before_weights: dict[str, Any]
    after_version: Any
    after_weights: dict[str, Any]
    content: tuple[str, str] | None  # (name, code_sha256) of an added content reference
    notes: tuple[str, ...] = ()


def select(
    documents: Sequence[tuple[str, str, Document, DocSpans]],
    source: str,
    target: str,
    functions: Sequence[str] = (),
) -> tuple[list[Candidate], list[Skip]]:
    """Documents that declare both aliases, and a note for each that does not.

    ``documents``: (file, decoded text, loader document, spans). ``functions``
    narrows to those names (bare name or as written); empty means all.
    """
    candidates: list[Candidate] = []
    skipped: list[Skip] = []
    for file, text, doc, spans in documents:
        spec = build_function(doc)
        if functions and spec.name not in functions and spec.function not in functions:
            continue
        missing = [name for name in (source, target) if spec.alias(name) is None]
        if missing:
            names = " and ".join(missing)
            skipped.append(
                Skip(spec.name, file, "alias_missing", f"{spec.name}: no alias {names} in {file}")
            )
            continue
        candidates.append(Candidate(file, doc, spans, text, spec, source, target))
    return candidates, skipped


def _weights_equal(candidate: Candidate, weights: Any, ref: VersionRef, weight: float) -> bool:
    if not isinstance(weights, dict) or len(weights) != 1:
        return False
    ((key, value),) = weights.items()
    other = candidate.ref(key)
    return other is not None and _same(other, ref) and value == weight


def decide(
    candidate: Candidate, weight: float | None, latest_sha256: str | None = None
) -> Promotion | Skip:
    """The edit for one candidate, or why there is none.

    ``latest_sha256``: $LATEST's CodeSha256 when the source serves $LATEST.
    """
    spec, source, target = candidate.spec, candidate.source, candidate.target
    fields = candidate.alias_data(target)
    src_fields = candidate.alias_data(source)
    notes: list[str] = []
    if src_fields.get("weights"):
        notes.append(
            f"{spec.name}: the weights of {source} are not promoted (only its version); "
            f"{target} gets {source}'s version alone"
            + (" plus the weight asked for" if weight is not None else "")
        )
    if weight is not None and "rollout" in fields:
        return Skip(
            spec.name,
            candidate.file,
            "rollout_target",
            f"{spec.name}: {target} has a rollout, which shifts the traffic itself; "
            "promote without --weight",
        )
    if weight is not None and "provisioned_concurrency" in fields:
        return Skip(
            spec.name,
            candidate.file,
            "provisioned_target",
            f"{spec.name}: {target} has provisioned_concurrency, which Lambda does not allow "
            "with weights; promote without --weight",
        )
    content: tuple[str, str] | None = None
    add: tuple[str, str] | None = None
    if candidate.source_is_latest:
        if latest_sha256 is None:
            raise ValueError("a $LATEST source needs its CodeSha256")
        name = content_name(latest_sha256)
        content = (name, latest_sha256)
        existing = defined_versions(candidate.data) or {}
        if name in existing:
            ref = existing[name]
            if not isinstance(ref, ContentVersion) or ref.code_sha256 != latest_sha256:
                raise ValueError(
                    f"{spec.name}: versions already has {name!r} for other code; rename it"
                )
        else:
            entry = f'{{code_sha256: "{latest_sha256}", description: "promoted from {source}"}}'
            add = (name, entry)
        new_text, new_raw = name, name
        new_ref: VersionRef | None = ContentVersion(name, latest_sha256)
    else:
        new_text = candidate.written(source)
        new_raw = src_fields["version"]
        new_ref = candidate.ref(new_raw)
    assert new_ref is not None  # the documents are valid
    old_raw = fields["version"]
    old_ref = candidate.ref(old_raw)
    old_weights = dict(fields.get("weights") or {})
    serves = old_ref is not None and _same(old_ref, new_ref)
    done = serves and not old_weights
    if weight is not None:
        done = serves or _weights_equal(candidate, old_weights, new_ref, weight)
    if done:
        does = (
            f"serves {new_text}"
            if serves
            else f"sends {format_weight(weight or 0)} of its traffic to {new_text}"
        )
        return Skip(
            spec.name,
            candidate.file,
            "already_promoted",
            f"{spec.name}: {target} already promoted (it {does}, the version {source} serves)",
        )
    if weight is not None:
        edit = AliasEdit(
            target, weights_text=f"{{{new_text}: {format_weight(weight)}}}", add_version=add
        )
        after_version, after_weights = old_raw, {str(new_raw): weight}
    else:
        edit = AliasEdit(target, version_text=new_text, drop_weights=True, add_version=add)
        after_version, after_weights = new_raw, {}
    return Promotion(
        candidate,
        edit,
        old_raw,
        {str(k): v for k, v in old_weights.items()},
        after_version,
        after_weights,
        content,
        tuple(notes),
    )
