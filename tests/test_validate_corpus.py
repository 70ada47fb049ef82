"""Every file in tests/bad_manifests holds one mistake and says, on its first line,
where the error must point and what the message must say:

    # expect: LINE:COL substance of the message

``{file}`` in the substance stands for the file's path as given. Each file must
give exactly that one error: a second one would be noise for the user.

The corpus runs with both YAML event parsers (libyaml when PyYAML has it, and
the pure-Python one), since which one is used depends on how PyYAML was built.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from reconciler.manifest import check_manifests, loader
from reconciler.report.documents import diagnostic_entry

BAD = Path(__file__).parent / "bad_manifests"
EXPECT = re.compile(r"# expect: (\d+):(\d+) (.+)")
PARSERS = ["python"] + (["libyaml"] if hasattr(yaml, "CSafeLoader") else [])


def _corpus() -> list[Path]:
    return sorted(BAD.glob("*.yaml"))


@pytest.fixture(params=PARSERS)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    source = yaml.SafeLoader if request.param == "python" else yaml.CSafeLoader
    monkeypatch.setattr(loader, "_EVENT_SOURCE", source)
    yield str(request.param)


def test_corpus_is_large_enough() -> None:
    assert len(_corpus()) >= 35


@pytest.mark.parametrize("path", _corpus(), ids=lambda path: path.stem)
def test_bad_manifest_gives_its_one_error(path: Path, parser: str) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    expected = EXPECT.fullmatch(first_line)
    assert expected, f"{path.name}: first line must be '# expect: LINE:COL substance'"
    line, col = int(expected.group(1)), int(expected.group(2))
    substance = expected.group(3).replace("{file}", str(path))

    manifests, diagnostics = check_manifests([str(path)])

    assert manifests is None
    assert [(d.line, d.col) for d in diagnostics] == [(line, col)], diagnostics
    (diagnostic,) = diagnostics
    assert diagnostic.file == str(path)
    assert substance in diagnostic.message
    assert "\n" not in diagnostic.message
    # The JSON entry carries the same position as data, never null for a corpus file.
    entry = diagnostic_entry(diagnostic)
    assert (entry["file"], entry["line"], entry["col"]) == (str(path), line, col)
    assert entry["message"] == diagnostic.message


def _write(tmp_path: Path, name: str, content: bytes) -> str:
    target = tmp_path / name
    target.write_bytes(content)
    return str(target)


def _only(paths: list[str]) -> tuple[int | None, int | None, str]:
    manifests, diagnostics = check_manifests(paths)
    assert manifests is None
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0].line, diagnostics[0].col, diagnostics[0].message


VALID = b"apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: f\naliases:\n  live:\n"


def test_file_over_one_mib_is_refused_before_parsing(tmp_path: Path) -> None:
    # Not YAML at all: were it parsed, the error would be a syntax error instead.
    path = _write(tmp_path, "big.yaml", b"{" * (1024 * 1024 + 1))
    line, col, message = _only([path])
    assert (line, col) == (None, None)  # the file as a whole: no line is known
    assert "1048577 bytes" in message and "at most 1 MiB" in message


def test_file_of_exactly_one_mib_is_parsed(tmp_path: Path) -> None:
    padding = b"#" * (1024 * 1024 - len(VALID) - len(b"    version: 1\n") - 1) + b"\n"
    path = _write(tmp_path, "full.yaml", VALID + b"    version: 1\n" + padding)
    assert len(Path(path).read_bytes()) == 1024 * 1024
    manifests, diagnostics = check_manifests([path])
    assert diagnostics == [] and manifests is not None


def test_invalid_utf8_is_located(tmp_path: Path) -> None:
    path = _write(tmp_path, "latin1.yaml", VALID + b"    version: 1\n    description: caf\xe9\n")
    assert _only([path])[:2] == (7, 21)


def test_control_character_is_located(tmp_path: Path, parser: str) -> None:
    path = _write(tmp_path, "bell.yaml", VALID + b'    version: 1\n    description: "a\x07"\n')
    line, col, message = _only([path])
    assert (line, col) == (7, 20)
    assert "U+0007" in message


def test_unicode_line_separator_is_refused(tmp_path: Path, parser: str) -> None:
    # YAML 1.1 would count a line here that editors do not show.
    content = VALID + "    version: 1\n    description: a\u2028b\n".encode()
    line, col, message = _only([_write(tmp_path, "ls.yaml", content)])
    assert (line, col) == (7, 19)
    assert "U+2028" in message


def test_lines_ending_in_carriage_returns_count_as_lines(tmp_path: Path, parser: str) -> None:
    content = (VALID + b"    version: 0\n").replace(b"\n", b"\r")
    line, col, message = _only([_write(tmp_path, "mac.yaml", content)])
    assert (line, col) == (6, 14)
    assert "out of range" in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    line, col, message = _only([str(fifo)])
    assert (line, col) == (None, None)
    assert "not a regular file" in message


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, "bom.yaml", b"\xef\xbb\xbf" + VALID + b"    version: 1\n")
    assert check_manifests([path])[1] == []


def test_alias_bomb_is_refused_once_and_fast(tmp_path: Path, parser: str) -> None:
    lines = [VALID.decode() + "    version: 1", 'a: &a ["lol", "lol", "lol", "lol", "lol"]']
    for name, previous in zip("bcdefghij", "abcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    path = _write(tmp_path, "bomb.yaml", "\n".join(lines).encode() + b"\n")
    line, col, message = _only([path])
    assert (line, col) == (8, 8)
    assert "YAML aliases" in message and "80 more" in message
