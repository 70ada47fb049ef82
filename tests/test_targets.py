"""`reconciler targets` and --target filtering: the (account, region) fan-out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.errors import UsageError
from reconciler.manifest import load_manifests
from reconciler.manifest.model import FunctionSpec
from reconciler.manifest.settings import (
    MAX_MATRIX,
    Settings,
    filter_target,
    github_matrix,
    group_targets,
    load_settings,
    parse_settings,
    parse_target,
)

A = "111111111111"
B = "222222222222"

SETTINGS = f"""\
accounts:
  "{A}":
    plan_role: arn:aws:iam::{A}:role/reconciler-plan
    apply_role: arn:aws:iam::{A}:role/reconciler-apply
  "{B}":
    plan_role: arn:aws:iam::{B}:role/reconciler-plan
defaults:
  region: eu-central-1
  plan_role: arn:aws:iam::{A}:role/default-plan
"""


def manifest(function: str, region: str | None = None, account: str | None = None) -> str:
    lines = ["apiVersion: reconciler/v1", "kind: LambdaFunction", f"function: {function}"]
    if region:
        lines.append(f"region: {region}")
    if account:
        lines.append(f'account: "{account}"')
    return "\n".join([*lines, "aliases:", "  live:", "    version: 1", ""])


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with functions in two accounts, three regions, and no account."""
    folder = tmp_path / "manifests"
    folder.mkdir()
    files = {
        "a-eu.yaml": manifest("a-eu", "eu-west-1", A),
        "a-eu-2.yaml": manifest(f"arn:aws:lambda:eu-west-1:{A}:function:a-eu-arn"),
        "a-us.yaml": manifest("a-us", "us-east-1", A),
        "b-eu.yaml": manifest("b-eu", "eu-west-1", B),
        "plain.yaml": manifest("plain", "eu-west-1"),
        "nowhere.yaml": manifest("nowhere"),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def functions(repo: Path) -> tuple[FunctionSpec, ...]:
    return load_manifests([str(repo / "manifests")]).functions


def names(specs: tuple[FunctionSpec, ...]) -> list[str]:
    return sorted(spec.name for spec in specs)


def test_groups_by_account_and_region(repo: Path) -> None:
    targets = group_targets(functions(repo))
    assert [(t.name, t.functions) for t in targets] == [
        (f"{A}/eu-west-1", ("a-eu", "a-eu-arn")),
        (f"{A}/us-east-1", ("a-us",)),
        (f"{B}/eu-west-1", ("b-eu",)),
        ("default/default", ("nowhere",)),
        ("default/eu-west-1", ("plain",)),
    ]


def test_default_region_places_region_less_manifests(repo: Path) -> None:
    targets = group_targets(functions(repo), default_region="eu-west-1")
    assert ("default/eu-west-1", ("nowhere", "plain")) in [(t.name, t.functions) for t in targets]


def test_matrix_carries_the_roles_from_settings(repo: Path) -> None:
    settings = parse_settings(SETTINGS, "settings.yaml")
    targets = group_targets(functions(repo), settings.default_region)
    matrix = github_matrix(targets, settings, settings.default_region)
    by_target = {entry["target"]: entry for entry in matrix["include"]}
    assert by_target[f"{A}/eu-west-1"] == {
        "target": f"{A}/eu-west-1",
        "slug": f"{A}-eu-west-1",
        "account": A,
        "region": "eu-west-1",
        "default-region": "eu-central-1",
        "plan-role": f"arn:aws:iam::{A}:role/reconciler-plan",
        "apply-role": f"arn:aws:iam::{A}:role/reconciler-apply",
    }
    # An account with no apply role, and functions with no account at all.
    assert by_target[f"{B}/eu-west-1"]["apply-role"] == ""
    unowned = by_target["default/eu-central-1"]
    assert unowned["account"] is None
    assert unowned["plan-role"] == f"arn:aws:iam::{A}:role/default-plan"


def test_missing_settings_means_empty_roles(repo: Path) -> None:
    settings = load_settings()
    assert settings == Settings()
    matrix = github_matrix(group_targets(functions(repo)), settings)
    assert all(e["plan-role"] == "" and e["apply-role"] == "" for e in matrix["include"])


def test_default_settings_file_is_found(repo: Path) -> None:
    (repo / ".reconciler").mkdir()
    (repo / ".reconciler" / "settings.yaml").write_text(SETTINGS, encoding="utf-8")
    assert load_settings().default_region == "eu-central-1"


def test_the_example_settings_file_is_valid() -> None:
    example = Path(__file__).parent.parent / ".reconciler" / "settings.example.yaml"
    settings = load_settings(example)
    assert settings.accounts
    assert all(roles.plan_role and roles.apply_role for roles in settings.accounts.values())


def test_settings_errors_are_located() -> None:
    text = f"""\
accounts:
  "12345":
    plan_role: arn:aws:iam::{A}:role/x
  "{A}":
    plan_role: not-an-arn
    apply_rol: arn:aws:iam::{A}:role/y
defaults:
  region: Europe
colour: blue
"""
    with pytest.raises(UsageError) as caught:
        parse_settings(text, "s.yaml")
    lines = str(caught.value).splitlines()
    assert lines[0] == "invalid settings file s.yaml:"
    assert lines[1:] == [
        "  s.yaml:2:3: accounts: '12345' is not a 12-digit account id",
        f"  s.yaml:5:16: accounts.{A}.plan_role: 'not-an-arn' is not an IAM role ARN",
        f"  s.yaml:6:5: accounts.{A}: unknown key 'apply_rol' (expected plan_role, apply_role)",
        "  s.yaml:8:11: defaults.region: 'Europe' is not a region",
        "  s.yaml:9:1: settings: unknown key 'colour' (expected accounts, defaults)",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("accounts: [1, 2]\n", "s.yaml:1:11: accounts must be a mapping"),
        ("- a\n", "s.yaml:1:1: settings must be a mapping"),
        ("accounts: {\n", "s.yaml:2:1: invalid YAML"),
        (
            f'accounts:\n  "{A}": {{}}\n  "{A}": {{}}\n',
            f"s.yaml:3:3: accounts: duplicate key '{A}'",
        ),
    ],
)
def test_settings_shape_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_settings(text, "s.yaml")


def test_empty_settings_file_is_fine() -> None:
    assert parse_settings("# nothing yet\n", "s.yaml") == Settings(source="s.yaml")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (f"{A}/eu-west-1", ["a-eu", "a-eu-arn"]),
        (f"{A}/*", ["a-eu", "a-eu-arn", "a-us"]),
        ("*/eu-west-1", ["a-eu", "a-eu-arn", "b-eu", "plain"]),
        ("default/eu-west-1", ["plain"]),
        ("default/*", ["nowhere", "plain"]),
        ("*/default", ["nowhere"]),
        ("*/*", ["a-eu", "a-eu-arn", "a-us", "b-eu", "nowhere", "plain"]),
        (f"{B}/us-east-1", []),
    ],
)
def test_filter_target(repo: Path, target: str, expected: list[str]) -> None:
    assert names(filter_target(functions(repo), target)) == expected


def test_filter_agrees_with_the_matrix(repo: Path) -> None:
    """Every function lands in exactly one matrix job, with the same --region."""
    specs = functions(repo)
    for region in (None, "eu-west-1"):
        targets = group_targets(specs, region)
        for target in targets:
            chosen = filter_target(specs, target.name, default_region=region)
            assert tuple(names(chosen)) == target.functions
        assert sum(len(t.functions) for t in targets) == len(specs)


@pytest.mark.parametrize(
    "text", ["eu-west-1", f"{A}", "12/eu-west-1", f"{A}/Europe", f"{A}/eu-west-1/x", "/"]
)
def test_bad_targets_are_refused(text: str) -> None:
    with pytest.raises(UsageError, match="bad --target"):
        parse_target(text)


def test_selector_json_for_reports() -> None:
    assert parse_target("*/eu-west-1").as_json() == {
        "name": "*/eu-west-1",
        "account": None,
        "region": "eu-west-1",
    }


def test_matrix_size_guard() -> None:
    def spec(n: int) -> FunctionSpec:
        account = f"{n:012d}"
        return FunctionSpec(f"f{n}", f"f{n}", "eu-west-1", account, False, ())

    specs = [spec(n) for n in range(MAX_MATRIX)]
    assert len(github_matrix(group_targets(specs), Settings())["include"]) == MAX_MATRIX
    with pytest.raises(UsageError, match="at most 256"):
        github_matrix(group_targets([*specs, spec(MAX_MATRIX)]), Settings())


def test_cli_github_matrix(repo: Path, capsys: Any) -> None:
    (repo / "settings.yaml").write_text(SETTINGS, encoding="utf-8")
    argv = ["targets", "manifests", "--settings", "settings.yaml", "--format", "github-matrix"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one line, ready for $GITHUB_OUTPUT
    include = json.loads(out)["include"]
    assert [e["target"] for e in include] == [
        f"{A}/eu-west-1",
        f"{A}/us-east-1",
        f"{B}/eu-west-1",
        "default/eu-central-1",
        "default/eu-west-1",
    ]


def test_cli_region_option_and_text(repo: Path, capsys: Any) -> None:
    assert main(["targets", "--region", "us-east-1"]) == 0
    out = capsys.readouterr().out
    assert "default/us-east-1  (1 function(s))" in out
    assert "plan role:  (none in settings)" in out


def test_cli_json_lists_functions(repo: Path, capsys: Any) -> None:
    assert main(["targets", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["settings"] is None
    assert doc["targets"][0]["functions"] == ["a-eu", "a-eu-arn"]


def test_cli_errors(repo: Path, capsys: Any) -> None:
    assert main(["targets", "--settings", "missing.yaml"]) == 1
    assert "cannot read settings file missing.yaml" in capsys.readouterr().err
    (repo / "bad.yaml").write_text("accounts: 3\n", encoding="utf-8")
    assert main(["targets", "--settings", "bad.yaml"]) == 1
    assert "bad.yaml:1:11: accounts must be a mapping" in capsys.readouterr().err
