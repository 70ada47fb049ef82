"""Paths and names from the repository: no reading outside it, no near-miss names.

A symbolic link in manifests/ (or a settings path) that leads out of the
folder given is refused before the file is read, so nothing of, say, a linked
credentials file can appear in an error message. The settings file has the
manifests' size limit. Every name pattern matches the whole value: a trailing
newline ("payments-api\\n") is not a valid name.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.errors import ManifestError, UsageError
from reconciler.manifest import check_manifests, load_manifests
from reconciler.manifest.loader import MAX_FILE_BYTES
from reconciler.manifest.settings import ACCOUNT_RE, REGION_RE, ROLE_ARN_RE, load_settings

SECRET = "aws_secret_access_key = wJalrXUtnFEMI-EXAMPLE-KEY"
MANIFEST = "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: {name}\naliases:\n  live:\n    version: 1\n"
needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "home" / ".aws" / "credentials"
    secret.parent.mkdir(parents=True)
    # YAML-ish on purpose: a reader would report its keys as unknown keys.
    secret.write_text(f"[default]\n{SECRET}\nkey: {SECRET}\n", encoding="utf-8")
    return secret


def messages(paths: list[str]) -> str:
    _, diagnostics = check_manifests(paths)
    return "\n".join(f"{d.file}: {d.message}" for d in diagnostics)


@needs_symlinks
def test_a_linked_file_outside_the_folder_is_refused_unread(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "repo" / "manifests"
    root.mkdir(parents=True)
    (root / "ok.yaml").write_text(MANIFEST.format(name="pay"), encoding="utf-8")
    (root / "creds.yaml").symlink_to(outside)
    text = messages([str(root)])
    assert "creds.yaml" in text and "outside" in text and "symbolic link" in text
    assert "EXAMPLE-KEY" not in text and "aws_secret" not in text
    with pytest.raises(ManifestError):
        load_manifests([str(root)])
    # Named directly, the link is refused too: it leads out of its own folder.
    assert "outside" in messages([str(root / "creds.yaml")])


@needs_symlinks
def test_a_linked_folder_outside_is_refused(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "repo" / "manifests"
    root.mkdir(parents=True)
    (root / "ok.yaml").write_text(MANIFEST.format(name="pay"), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "f.yaml").write_text(MANIFEST.format(name="other"), encoding="utf-8")
    (root / "linked").symlink_to(elsewhere)
    (root / "dotdot.yaml").symlink_to(Path("..") / ".." / "home" / ".aws" / "credentials")
    manifests, diagnostics = check_manifests([str(root)])
    assert manifests is None
    assert [Path(d.file).name for d in diagnostics] == ["dotdot.yaml"]
    # Folders behind links are not walked at all (os.walk does not follow them).
    assert all("other" not in d.message for d in diagnostics)


@needs_symlinks
def test_links_inside_the_folder_are_followed(tmp_path: Path) -> None:
    root = tmp_path / "manifests"
    (root / "shared").mkdir(parents=True)
    (root / "shared" / "pay.yml").write_text(MANIFEST.format(name="pay"), encoding="utf-8")
    (root / "pay.yaml").symlink_to(Path("shared") / "pay.yml")
    manifests = load_manifests([str(root)])
    assert [f.name for f in manifests.functions] == ["pay"]


@needs_symlinks
def test_settings_outside_the_repository_are_refused(
    tmp_path: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".reconciler").mkdir(parents=True)
    (repo / ".reconciler" / "settings.yaml").symlink_to(outside)
    monkeypatch.chdir(repo)
    with pytest.raises(UsageError, match="outside") as err:
        load_settings()
    assert "EXAMPLE-KEY" not in str(err.value)
    with pytest.raises(UsageError, match="outside"):
        load_settings(outside)
    with pytest.raises(UsageError, match="outside"):
        load_settings("../home/.aws/credentials")


def test_settings_file_has_the_manifests_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    big = tmp_path / "settings.yaml"
    big.write_text("# " + "x" * MAX_FILE_BYTES + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match="larger than 1 MiB"):
        load_settings(big)
    big.write_text("defaults:\n  region: eu-west-1\n", encoding="utf-8")
    assert load_settings(big).default_region == "eu-west-1"
    with pytest.raises(UsageError, match="not a regular file"):
        load_settings(tmp_path)


@pytest.mark.parametrize(
    ("pattern", "good"),
    [
        (ACCOUNT_RE, "123456789012"),
        (REGION_RE, "eu-west-1"),
        (ROLE_ARN_RE, "arn:aws:iam::123456789012:role/reconciler-apply"),
    ],
)
def test_settings_patterns_match_the_whole_value(pattern, good) -> None:
    assert pattern.match(good)
    for bad in (good + "\n", good + "\nx", " " + good):
        assert not pattern.match(bad), repr(bad)


@pytest.mark.parametrize("value", ['"payments-api\\n"', '"payments-api\\n\\n"'])
def test_function_names_with_a_trailing_newline_are_invalid(tmp_path: Path, value: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(MANIFEST.format(name=value), encoding="utf-8")
    assert "function" in messages([str(path)])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("region", '"eu-west-1\\n"'),
        ("account", '"123456789012\\n"'),
    ],
)
def test_other_names_with_a_trailing_newline_are_invalid(
    tmp_path: Path, field: str, value: str
) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(MANIFEST.format(name="pay") + f"{field}: {value}\n", encoding="utf-8")
    assert field in messages([str(path)])


@pytest.mark.parametrize("name", ["*", "errors?", "pay-*", "line\\nbreak"])
def test_alarm_names_are_exact_not_patterns(tmp_path: Path, name: str) -> None:
    path = tmp_path / "f.yaml"
    text = MANIFEST.format(name="pay")
    text += f'    rollout: Canary10Percent5Minutes\n    alarms: ["ok", "{name}"]\n'
    path.write_text(text, encoding="utf-8")
    assert "without `*`, `?` or control characters" in messages([str(path)])
    path.write_text(text.replace(f', "{name}"', ""), encoding="utf-8")
    assert messages([str(path)]) == ""
