"""The promotion edit on a corpus of manifests: before/after fixtures, byte for byte.

Each case runs the pure part of `reconciler promote` (read, select, decide,
edit, validate) on a copy of ``<case>.before.yaml`` and compares the bytes with
``<case>.after.yaml``. Every case runs again with CRLF line endings, and a
UTF-8 BOM, which must survive too.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from reconciler.errors import ManifestError, ReconcilerError
from reconciler.manifest import check_manifests
from reconciler.promote.edit import AliasEdit, EditError, edit_text
from reconciler.promote.files import apply_edits, read_manifest, write_files
from reconciler.promote.select import (
    Promotion,
    Skip,
    content_name,
    decide,
    format_weight,
    select,
)

FIXTURES = Path(__file__).parent / "fixtures" / "promote"
# The fixtures' $LATEST hash (the checkout manifest's build 1842).
SHA = "38GDz7dqzsZyYvEvsXjDEqcBGtUNNVFj1V+Ev7aOkE8="

# case -> (source, target, weight, function)
CASES: dict[str, tuple[str, str, float | None, str | None]] = {
    "block-canary": ("beta", "live", None, None),
    "flow-alias": ("beta", "live", None, None),
    "flow-weights-first": ("beta", "live", None, None),
    "multi-document": ("beta", "live", None, "second"),
    "nested-weights": ("beta", "live", None, None),
    "weight-add": ("beta", "live", 0.1, None),
    "weight-replace": ("beta", "live", 0.1, None),
    "latest-new-versions": ("dev", "beta", None, None),
    "latest-block-versions": ("dev", "beta", None, None),
    "latest-flow-versions": ("dev", "beta", None, None),
    "rollout-target": ("beta", "live", None, None),
    "no-final-newline": ("beta", "live", 0.1, None),
}

VARIANTS = {
    "lf": lambda data: data,
    "crlf": lambda data: data.replace(b"\n", b"\r\n"),
    "bom": lambda data: b"\xef\xbb\xbf" + data,
}


def promote_files(
    folder: Path, source: str, target: str, weight: float | None, function: str | None
) -> tuple[list[Promotion], list[Skip]]:
    """The pure pipeline of the command; writes the edited files."""
    texts = {str(p): read_manifest(str(p)) for p in sorted(folder.glob("*.yaml"))}
    documents = [(path, m.text, d, s) for path, m in texts.items() for d, s in m.documents]
    candidates, skipped = select(documents, source, target, [function] if function else [])
    promotions: list[Promotion] = []
    for candidate in candidates:
        outcome = decide(candidate, weight, SHA if candidate.source_is_latest else None)
        if isinstance(outcome, Skip):
            skipped.append(outcome)
        else:
            promotions.append(outcome)
    write_files(apply_edits(texts, promotions))
    return promotions, skipped


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_corpus_before_after_byte_exact(tmp_path: Path, case: str, variant: str) -> None:
    source, target, weight, function = CASES[case]
    convert = VARIANTS[variant]
    before = convert((FIXTURES / f"{case}.before.yaml").read_bytes())
    expected = convert((FIXTURES / f"{case}.after.yaml").read_bytes())
    path = tmp_path / "manifest.yaml"
    path.write_bytes(before)

    promotions, skipped = promote_files(tmp_path, source, target, weight, function)

    assert len(promotions) == 1, skipped
    assert path.read_bytes() == expected
    assert check_manifests([str(path)])[1] == []
    # A second promotion finds nothing to do and writes nothing.
    again, skipped = promote_files(tmp_path, source, target, weight, function)
    assert again == []
    assert [s.reason for s in skipped if s.function == promotions[0].candidate.spec.name] == [
        "already_promoted"
    ]
    assert path.read_bytes() == expected


def test_the_fixtures_hash_gives_the_fixtures_name() -> None:
    digest = base64.b64decode(SHA)
    assert content_name(SHA) == "sha256-" + digest.hex()[:12] == "sha256-dfc183cfb76a"
    other = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    assert content_name(other) != content_name(SHA)
    assert content_name(other) == content_name(other)


@pytest.mark.parametrize("bad", ["", "abc", "x" * 44, SHA[:-1] + "A", SHA + "\n"])
def test_content_name_refuses_what_is_not_a_code_hash(bad: str) -> None:
    with pytest.raises(ValueError, match="not a CodeSha256"):
        content_name(bad)


@pytest.mark.parametrize(
    ("weight", "text"),
    [(0.1, "0.1"), (0.05, "0.05"), (0.5, "0.5"), (0.000001, "0.000001"), (0.123456, "0.123456")],
)
def test_weights_are_written_as_yaml_floats(weight: float, text: str) -> None:
    assert format_weight(weight) == text


def _write(tmp_path: Path, body: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text("apiVersion: reconciler/v1\nkind: LambdaFunction\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("function: a\naliases:\n  live: {version: 1}\n", "alias_missing"),
        ("function: a\naliases:\n  beta: {version: 1}\n", "alias_missing"),
        ("function: a\naliases:\n  live: {version: 2}\n  beta: {version: 2}\n", "already_promoted"),
        (
            "function: a\nversions: {c: 2}\naliases:\n  live: {version: 2}\n  beta: {version: c}\n",
            "already_promoted",
        ),
    ],
)
def test_skips(tmp_path: Path, body: str, reason: str) -> None:
    path = _write(tmp_path, body)
    before = path.read_bytes()
    promotions, skipped = promote_files(tmp_path, "beta", "live", None, None)
    assert promotions == [] and [s.reason for s in skipped] == [reason]
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("alias", "reason"),
    [
        ("live: {version: 2, rollout: Canary10Percent5Minutes}", "rollout_target"),
        ("live: {version: 2, provisioned_concurrency: 5}", "provisioned_target"),
        ("live: {version: 2, weights: {3: 0.1}}", "already_promoted"),
    ],
)
def test_weight_skips(tmp_path: Path, alias: str, reason: str) -> None:
    _write(tmp_path, f"function: a\naliases:\n  {alias}\n  beta: {{version: 3}}\n")
    promotions, skipped = promote_files(tmp_path, "beta", "live", 0.1, None)
    assert promotions == [] and [s.reason for s in skipped] == [reason]


def test_source_weights_are_not_promoted_and_a_note_says_so(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "function: a\naliases:\n  live: {version: 1}\n  beta: {version: 2, weights: {3: 0.2}}\n",
    )
    (promotion,), _ = promote_files(tmp_path, "beta", "live", None, None)
    assert "weights of beta are not promoted" in promotion.notes[0]
    assert b"live: {version: 2}\n" in path.read_bytes()


def test_a_content_name_taken_by_other_code_is_an_error(tmp_path: Path) -> None:
    other = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    _write(
        tmp_path,
        f'function: a\nversions:\n  sha256-dfc183cfb76a: {{code_sha256: "{other}"}}\n'
        "aliases:\n  dev: {version: $LATEST}\n  beta: {version: 1}\n",
    )
    with pytest.raises(ValueError, match="already has 'sha256-dfc183cfb76a' for other code"):
        promote_files(tmp_path, "dev", "beta", None, None)


def test_an_edit_that_breaks_validation_writes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, "function: a\naliases:\n  live: {version: 1}\n  beta: {version: 2}\n")
    before = path.read_bytes()
    manifest = read_manifest(str(path))
    documents = [(str(path), manifest.text, d, s) for d, s in manifest.documents]
    (candidate,), _ = select(documents, "beta", "live")
    outcome = decide(candidate, None)
    assert isinstance(outcome, Promotion)
    broken = Promotion(**{**outcome.__dict__, "edit": AliasEdit("live", version_text="0")})
    with pytest.raises(ManifestError, match="after the promotion edit"):
        apply_edits({str(path): manifest}, [broken])
    assert path.read_bytes() == before


def test_an_edit_that_points_elsewhere_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "function: a\naliases:\n  live: {version: 1}\n  beta: {version: 2}\n")
    manifest = read_manifest(str(path))
    documents = [(str(path), manifest.text, d, s) for d, s in manifest.documents]
    (candidate,), _ = select(documents, "beta", "live")
    outcome = decide(candidate, None)
    assert isinstance(outcome, Promotion)
    wrong = Promotion(**{**outcome.__dict__, "edit": AliasEdit("live", version_text="7")})
    with pytest.raises(ReconcilerError, match="does not point live at the promoted version"):
        apply_edits({str(path): manifest}, [wrong])


def test_layouts_the_edit_cannot_keep_are_refused_not_guessed(tmp_path: Path) -> None:
    # A whole document in flow style has no place for a new `versions` block.
    path = tmp_path / "m.yaml"
    path.write_text(
        "{apiVersion: reconciler/v1, kind: LambdaFunction, function: a,\n"
        " aliases: {dev: {version: $LATEST}, beta: {version: 1}}}\n",
        encoding="utf-8",
    )
    before = path.read_bytes()
    with pytest.raises(
        ReconcilerError, match=r"cannot edit a: .*flow mapping.*nothing was written"
    ):
        promote_files(tmp_path, "dev", "beta", None, None)
    assert path.read_bytes() == before


def test_bare_cr_line_endings_are_refused() -> None:
    with pytest.raises(EditError, match="bare CR"):
        edit_text("a: 1\rb: 2\r", [])


def test_several_documents_of_one_file_are_edited_together(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: a\n"
        "aliases:\n  live: {version: 1}\n  beta: {version: 2}\n---\n"
        "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: b\n"
        "aliases:\n  live:\n    version: 3\n    weights: {4: 0.5}\n  beta:\n    version: 4\n",
        encoding="utf-8",
    )
    promotions, _ = promote_files(tmp_path, "beta", "live", None, None)
    assert [p.candidate.spec.name for p in promotions] == ["a", "b"]
    assert path.read_text(encoding="utf-8") == (
        "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: a\n"
        "aliases:\n  live: {version: 2}\n  beta: {version: 2}\n---\n"
        "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: b\n"
        "aliases:\n  live:\n    version: 4\n  beta:\n    version: 4\n"
    )
