"""`reconciler report merge|render`: per-target documents into one, saved ones rendered."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.cli import main
from reconciler.commands.report import merge
from reconciler.errors import UsageError

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
SCHEMAS = Path(__file__).parent.parent / "schemas"


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return doc


def retarget(doc: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """The same document as another target's job would have written it."""
    other = copy.deepcopy(doc)
    other["target"] = {"account": account, "region": region}
    for key in ("changes", "functions", "drift", "info", "notes", "errors"):
        for item in other.get(key) or []:
            if "account" in item:
                item["account"] = account
            item["region"] = region
    return other


def write(tmp_path: Path, name: str, doc: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def valid(doc: dict[str, Any]) -> bool:
    name = "drift" if doc["kind"] == "drift" else "plan"
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    return True


def test_merge_plans_concatenates_and_sums() -> None:
    first = load("plan_changes")
    second = retarget(first, "210987654321", "us-east-1")
    second["generated_at"] = "2024-06-03T09:16:00Z"
    merged = merge([first, second])
    assert merged["kind"] == "plan"
    assert merged["target"] is None
    assert merged["merged_from"] == ["123456789012/eu-west-1", "210987654321/us-east-1"]
    assert merged["changes"] == first["changes"] + second["changes"]
    assert merged["functions"] == first["functions"] + second["functions"]
    assert merged["notes"] == first["notes"] + second["notes"]
    assert merged["summary"] == {"publish": 2, "create": 2, "update": 4, "delete": 2}
    assert merged["has_changes"] is True
    assert merged["manifests"] == first["manifests"]
    assert merged["generated_at"] == "2024-06-03T09:16:00Z"
    assert merged["failure_reason"] is None
    assert valid(merged)


def test_has_changes_when_any_target_has_some() -> None:
    quiet = load("plan_no_changes")
    merged = merge([quiet, load("plan_changes")], allow_mixed=True)  # two fixtures, two digests
    assert merged["has_changes"] is True
    assert merge([quiet, copy.deepcopy(quiet)])["has_changes"] is False


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        ([None, None], None),
        ([None, "apply-failed"], "apply-failed"),
        (["apply-failed", "plan-stale"], "plan-stale"),
        (["plan-stale", "plan-error"], "plan-error"),
        (["apply-failed", "invalid-manifest", "plan-error"], "invalid-manifest"),
        ([None, "something-new"], "something-new"),
    ],
)
def test_failure_reason_is_the_most_severe(reasons: list[str | None], expected: str | None) -> None:
    docs = []
    for reason in reasons:
        doc = load("apply_failed")
        doc["failure_reason"] = reason
        docs.append(doc)
    assert merge(docs)["failure_reason"] == expected


def test_apply_success_only_when_every_target_succeeded() -> None:
    failed = load("apply_failed")
    ok = copy.deepcopy(failed)
    ok.update(success=True, failure_reason=None, errors=[])
    assert merge([ok, copy.deepcopy(ok)])["success"] is True
    merged = merge([ok, failed])
    assert merged["success"] is False
    assert merged["errors"] == failed["errors"]
    assert valid(merged)


def test_drift_in_sync_only_when_every_target_is() -> None:
    drifted = load("drift")
    clean = retarget(drifted, "210987654321", "us-east-1")
    clean.update(in_sync=True, drift=[], info=[])
    merged = merge([clean, drifted])
    assert merged["in_sync"] is False
    assert merged["drift"] == drifted["drift"]
    assert merged["info"] == drifted["info"]
    assert merge([clean, copy.deepcopy(clean)])["in_sync"] is True
    assert valid(merged)


def test_kinds_must_match() -> None:
    with pytest.raises(UsageError, match="cannot merge a drift report"):
        merge([load("plan_changes"), load("drift")])


def test_cli_merge_to_markdown_has_one_untargeted_marker(tmp_path: Path, capsys: Any) -> None:
    first = load("plan_changes")
    files = [
        write(tmp_path, "a.json", first),
        write(tmp_path, "b.json", retarget(first, "210987654321", "us-east-1")),
    ]
    assert main(["report", "merge", *files, "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("<!-- reconciler:plan -->\n")
    assert text.count("<!-- reconciler:") == 1
    assert "2 to publish, 2 to create, 4 to update, 2 to delete" in text
    assert "targets `123456789012/eu-west-1`, `210987654321/us-east-1`" in text


def test_cli_merge_json_to_file(tmp_path: Path) -> None:
    drift = load("drift")
    files = [write(tmp_path, "a.json", drift), write(tmp_path, "b.json", drift)]
    out = tmp_path / "merged.json"
    assert main(["report", "merge", *files, "--out", str(out)]) == 0
    merged = json.loads(out.read_text(encoding="utf-8"))
    assert len(merged["drift"]) == 2 * len(drift["drift"])


def test_cli_render_markdown_with_limit(tmp_path: Path, capsys: Any) -> None:
    path = write(tmp_path, "plan.json", load("plan_changes"))
    argv = ["report", "render", path, "--max-chars", "800", "--artifact-hint", "plans-7"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert len(text) <= 801
    assert "the full report is in the workflow artifact `plans-7`" in text


def test_cli_render_text(tmp_path: Path, capsys: Any) -> None:
    path = write(tmp_path, "drift.json", load("drift"))
    assert main(["report", "render", path, "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "payments-api" in out
    assert not out.lstrip().startswith("{")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not a JSON report document"),
        ('{"kind": "status", "format_version": 1}', "is not a report document"),
        ('{"kind": "plan", "format_version": 2}', "format_version 2 is not 1"),
        ("[1, 2]", "is not a report document"),
    ],
)
def test_cli_rejects_bad_input(tmp_path: Path, capsys: Any, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert main(["report", "render", str(path)]) == 1
    assert message in capsys.readouterr().err


def test_cli_missing_file_and_mismatched_kinds(tmp_path: Path, capsys: Any) -> None:
    assert main(["report", "merge", str(tmp_path / "missing.json")]) == 1
    assert "cannot read" in capsys.readouterr().err
    files = [
        write(tmp_path, "p.json", load("plan_changes")),
        write(tmp_path, "d.json", load("drift")),
    ]
    assert main(["report", "merge", *files]) == 1
    assert "cannot merge" in capsys.readouterr().err


def test_cli_render_takes_one_file(tmp_path: Path, capsys: Any) -> None:
    path = write(tmp_path, "plan.json", load("plan_changes"))
    assert main(["report", "render", path, path]) == 1
    assert "exactly one FILE" in capsys.readouterr().err
