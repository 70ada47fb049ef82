"""Validation errors carry their position as data: the loader's marks become a
Diagnostic's file/line/col, one function turns a Diagnostic into a report entry
(JSON ``file``/``line``/``col``, the message alone), and every renderer takes
the position from there: text once, GitHub annotations as properties."""

from __future__ import annotations

import os
from pathlib import Path

import jsonschema
import pytest

from reconciler.errors import Diagnostic
from reconciler.manifest import check_manifests
from reconciler.manifest.resources import load_schema
from reconciler.report.documents import diagnostic_entry, manifest_failure_doc, validate_doc
from reconciler.report.github import command, workflow_commands
from reconciler.report.markdown import render as render_markdown
from reconciler.report.text import render_text
from tests.validation_cases import CASES, HEADER, at


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, int, int, str]:
    text, (needle, nth), substance = CASES[request.param]
    path = tmp_path / f"{request.param}.yaml"
    path.write_text(text, encoding="utf-8")
    return (str(path), *at(text, needle, nth), substance)


def test_the_loader_attaches_the_position(case: tuple[str, int, int, str]) -> None:
    path, line, col, substance = case
    manifests, diagnostics = check_manifests([path])
    assert manifests is None
    assert [(d.file, d.line, d.col) for d in diagnostics] == [(path, line, col)]
    assert substance in diagnostics[0].message
    # The position is data, never repeated inside the message.
    assert f":{line}:" not in diagnostics[0].message


def test_the_second_document_is_located_in_the_whole_file(tmp_path: Path) -> None:
    text, (needle, nth), _ = CASES["second-document"]
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    (diagnostic,) = check_manifests([str(path)])[1]
    first_document_lines = text.split("---\n")[0].count("\n") + 1
    assert diagnostic.line == at(text, needle, nth)[0] > first_document_lines


def test_the_entry_carries_the_position_and_the_bare_message(
    case: tuple[str, int, int, str],
) -> None:
    path, line, col, _ = case
    (diagnostic,) = check_manifests([path])[1]
    entry = diagnostic_entry(diagnostic)
    assert (entry["file"], entry["line"], entry["col"]) == (path, line, col)
    assert entry["message"] == diagnostic.message
    assert entry["kind"] == "invalid-manifest"
    assert entry["function"] is entry["region"] is entry["alias"] is None


def whole_file_problem(kind: str, tmp_path: Path) -> str:
    """A path whose problem is the file as a whole."""
    path = tmp_path / kind
    if kind == "empty-folder":
        path.mkdir()
    elif kind == "too-large.yaml":
        path.write_bytes(b"#" * (1024 * 1024 + 1))
    return str(path)


@pytest.mark.parametrize(
    ("kind", "substance"),
    [
        ("missing.yaml", "no such file or folder"),
        ("empty-folder", "folder holds no"),
        ("too-large.yaml", "at most 1 MiB"),
    ],
)
def test_a_whole_file_problem_has_no_line(kind: str, substance: str, tmp_path: Path) -> None:
    path = whole_file_problem(kind, tmp_path)
    (diagnostic,) = check_manifests([path])[1]
    assert (diagnostic.file, diagnostic.line, diagnostic.col) == (path, None, None)
    assert substance in diagnostic.message
    entry = diagnostic_entry(diagnostic)
    assert entry["file"] == path and entry["line"] is None and entry["col"] is None
    # Compiler-style text keeps a position, for log parsers and editors.
    assert str(diagnostic) == f"{path}:1:1: error: {diagnostic.message}"
    # An annotation on the file, not on a made-up line.
    annotation = command("error", entry, "validate")
    assert "line=" not in annotation and "col=" not in annotation


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
def test_an_unreadable_file_has_no_line(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    (diagnostic,) = check_manifests([str(fifo)])[1]
    assert (diagnostic.line, diagnostic.col) == (None, None)


# -- documents ---------------------------------------------------------------------------------

DIAGNOSTICS = (
    Diagnostic("manifests/a.yaml", 7, 5, "unknown key 'x' in alias 'live'"),
    Diagnostic("manifests/b.yaml", None, None, "cannot read the file: Permission denied"),
)


@pytest.mark.parametrize(
    ("kind", "schema"),
    [("plan", "plan"), ("apply", "plan"), ("drift", "drift"), ("status", "status")],
)
def test_failure_documents_fill_file_and_line(kind: str, schema: str) -> None:
    doc = manifest_failure_doc(kind, DIAGNOSTICS, ["manifests"])
    jsonschema.validate(doc, load_schema(schema))
    assert doc["failure_reason"] == "invalid-manifest"
    assert [(e["file"], e["line"], e["col"], e["message"]) for e in doc["errors"]] == [
        (d.file, d.line, d.col, d.message) for d in DIAGNOSTICS
    ]


def test_validate_document_of_invalid_manifests() -> None:
    doc = validate_doc(None, DIAGNOSTICS, ["manifests"])
    jsonschema.validate(doc, load_schema("validate"))
    assert doc["valid"] is False and doc["failure_reason"] == "invalid-manifest"
    assert doc["summary"] is None
    assert doc["errors"] == [diagnostic_entry(d) for d in DIAGNOSTICS]


def test_validate_document_of_valid_manifests(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(HEADER + "function: f\naliases:\n  live:\n    version: 1\n", encoding="utf-8")
    manifests, diagnostics = check_manifests([str(path)])
    doc = validate_doc(manifests, diagnostics, [str(path)])
    jsonschema.validate(doc, load_schema("validate"))
    assert doc["valid"] is True and doc["errors"] == [] and doc["failure_reason"] is None
    assert doc["summary"] == {"files": 1, "functions": 1, "aliases": 1}
    assert doc["manifests"]["files"] == [str(path)]


def test_validate_schema_refuses_a_valid_document_with_errors() -> None:
    doc = validate_doc(None, DIAGNOSTICS, ["manifests"])
    doc["valid"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, load_schema("validate"))


# -- rendering ---------------------------------------------------------------------------------


def test_text_and_markdown_show_the_position_once() -> None:
    doc = manifest_failure_doc("plan", DIAGNOSTICS[:1], ["manifests"])
    text = render_text(doc)
    assert "  error: manifests/a.yaml:7: unknown key 'x' in alias 'live'" in text.splitlines()
    assert text.count("manifests/a.yaml") == 1
    markdown = render_markdown(doc)
    assert "`manifests/a.yaml:7`" in markdown and markdown.count("manifests/a.yaml") == 1


def test_each_validation_error_is_one_annotation() -> None:
    doc = manifest_failure_doc("drift", DIAGNOSTICS, ["manifests"])
    assert workflow_commands(doc) == [
        "::error file=manifests/a.yaml,line=7,col=5,title=reconciler drift (invalid-manifest)"
        "::unknown key 'x' in alias 'live'",
        "::error file=manifests/b.yaml,title=reconciler drift (invalid-manifest)"
        "::cannot read the file: Permission denied",
    ]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param({"file": "a.yaml", "line": 3, "col": 2}, "file=a.yaml,line=3,col=2", id="all"),
        pytest.param({"file": "a.yaml", "line": 3}, "file=a.yaml,line=3", id="planning-error"),
        pytest.param({"file": "a.yaml", "line": None, "col": 2}, "file=a.yaml", id="no-line"),
        pytest.param({"file": "a.yaml", "line": 3, "col": True}, "file=a.yaml,line=3", id="bool"),
        pytest.param({"file": "a.yaml", "line": 3, "col": 0}, "file=a.yaml,line=3", id="zero"),
        pytest.param({"file": "a.yaml", "line": 3, "col": "2"}, "file=a.yaml,line=3", id="text"),
    ],
)
def test_annotation_position_properties(item: dict[str, object], expected: str) -> None:
    annotation = command("error", {**item, "message": "m"}, "plan")
    assert annotation == f"::error {expected},title=reconciler plan::m"


def test_an_absolute_path_under_the_working_directory_is_made_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    entry = diagnostic_entry(Diagnostic(str(tmp_path / "m" / "a,b.yaml"), 2, 1, "bad"))
    assert command("error", entry, "validate").startswith("::error file=m/a%2Cb.yaml,line=2,col=1,")
