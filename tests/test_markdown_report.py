"""Markdown rendering of report documents (PR comments, step summaries, issues).

The snapshots in tests/snapshots/ are reviewed renderings of the fixtures in
tests/fixtures/reports/. After an intended change, regenerate them with
``UPDATE_SNAPSHOTS=1 pytest tests/test_markdown_report.py`` and review the diff.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.report.markdown import MAX_CHARS, marker, render

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "reports"
SNAPSHOTS = HERE / "snapshots"


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return doc


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.md"
    if os.environ.get("UPDATE_SNAPSHOTS") and (
        not path.exists() or path.read_text(encoding="utf-8") != text
    ):
        # Never pass by construction: a rewritten snapshot fails this run; review the
        # diff, then run again without UPDATE_SNAPSHOTS.
        path.write_text(text, encoding="utf-8")
        pytest.fail(f"snapshot {path.name} rewritten: review the diff and run again")
    assert path.exists(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert text == path.read_text(encoding="utf-8")


def table_rows(text: str) -> list[list[str]]:
    """Cells of every table row, split at unescaped pipes like GitHub does."""
    rows = []
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def balanced(text: str) -> bool:
    """Every code fence and <details> that opens also closes."""
    fences = [line.strip() for line in text.splitlines() if line.strip().startswith("```")]
    opens = sum(1 for line in text.splitlines() if line.startswith("<details"))
    return len(fences) % 2 == 0 and opens == text.count("</details>")


@pytest.mark.parametrize(
    "name", ["plan_changes", "plan_no_changes", "drift", "apply_failed", "apply_stale"]
)
def test_snapshot(name: str) -> None:
    check_snapshot(name, render(load(name)))


def test_snapshot_truncated() -> None:
    text = render(load("plan_changes"), max_chars=1500, artifact_hint="reconciler-plan-x")
    check_snapshot("plan_changes_truncated", text)


def test_plan_heading_counts_and_marker_with_target() -> None:
    text = render(load("plan_changes"))
    first, heading = text.splitlines()[:2]
    assert first == "<!-- reconciler:plan:123456789012/eu-west-1 -->"
    assert heading.startswith("### 📋 reconciler plan: 1 to publish, 1 to create, 2 to update")
    assert "1 to delete" in heading


def test_marker_is_kind_specific_and_plain_without_target() -> None:
    assert marker(load("plan_no_changes")) == "<!-- reconciler:plan -->"
    doc = load("drift")
    assert marker(doc) == "<!-- reconciler:drift:123456789012/eu-west-1 -->"
    doc["target"] = {"account": None, "region": "eu-west-1"}
    assert marker(doc) == "<!-- reconciler:drift:*/eu-west-1 -->"
    # A label must not be able to close the HTML comment early.
    doc["target"] = "x-->y"
    assert "-->" not in marker(doc)[:-3]


def test_no_changes_has_no_banner_table_or_diagram() -> None:
    text = render(load("plan_no_changes"))
    assert "### ✅ reconciler plan: no changes" in text
    assert "[!WARNING]" not in text
    assert "| Function |" not in text
    assert "```mermaid" not in text
    assert "2 functions unchanged" in text


def test_banner_names_traffic_shifts_and_deletes() -> None:
    text = render(load("plan_changes"))
    banner = text.split("> [!WARNING]\n", 1)[1].split("\n\n", 1)[0]
    assert "**Traffic shifts** on 2 aliases: `checkout:live`, `payments-api:live`" in banner
    assert "**Deletes** 1 alias: `orders-worker:old-canary`" in banner
    # A description-only update moves no traffic.
    assert "payments-api:beta" not in banner


def test_banner_for_a_delete_alone() -> None:
    doc = load("plan_changes")
    doc["changes"] = [c for c in doc["changes"] if c["action"] == "delete_alias"]
    text = render(doc)
    assert "> [!WARNING]\n> **Deletes** 1 alias" in text
    assert "Traffic shifts" not in text


def test_summary_table_rows() -> None:
    rows = table_rows(render(load("plan_changes")))
    assert rows[0] == ["Function", "Alias", "Version", "Weights", "Action"]
    live = next(r for r in rows if r[1] == "`live`" and "payments-api" in r[0])
    assert live[2] == "2 → stable (3)"
    assert live[3] == "— → 4: 10%"
    assert live[4] == "🔄 update"
    assert any(r[4] == "🗑️ delete" and r[2] == "1 → —" for r in rows)


def test_mermaid_pie_shows_the_split_after_the_change() -> None:
    text = render(load("plan_changes"))
    pies = re.findall(r"```mermaid\n(.*?)```", text, re.S)
    live = next(p for p in pies if "payments-api / live" in p)
    assert '"stable (3)" : 90' in live
    assert '"version 4" : 10' in live
    # Only aliases whose traffic changes get one: checkout:live and payments-api:live.
    assert len(pies) == 2


def test_pipes_are_escaped_in_tables() -> None:
    text = render(load("drift"))
    rows = table_rows(text)
    assert all(len(row) == 5 for row in rows)
    beta = next(r for r in rows if r[1] == "`beta`")
    assert beta[3] == "beta \\| pre-release"
    assert beta[4] == "hotfix \\`4\\` \\| manual"


def test_newlines_and_html_in_table_cells() -> None:
    doc = load("drift")
    doc["drift"][1]["actual"] = "line one\nline <two>"
    rows = table_rows(render(doc))
    beta = next(r for r in rows if r[1] == "`beta`")
    assert beta[4] == "line one<br>line \\<two\\>"


def test_code_spans_survive_backticks() -> None:
    doc = load("drift")
    doc["drift"][0]["alias"] = "we`ird"
    assert "``we`ird``" in render(doc)


def test_dollar_signs_cannot_start_math() -> None:
    text = render(load("apply_failed"))
    row = next(r for r in table_rows(text) if r[1] == "`dev`")
    assert row[2] == "— → \\$LATEST"


def test_drift_heading_and_details() -> None:
    text = render(load("drift"))
    assert "### ⚠️ reconciler drift: drift detected (3 findings in 1 function)" in text
    assert (
        "<details open>\n<summary><code>payments-api</code> (eu-west-1) — drifted</summary>" in text
    )
    assert "1 function in sync: `checkout` (eu-west-1)" in text
    assert "1 informational finding" in text


def test_drift_in_sync() -> None:
    doc = load("drift")
    doc.update(in_sync=True, drift=[], info=[])
    text = render(doc)
    assert "### ✅ reconciler drift: in sync" in text
    assert "| Function |" not in text


def test_apply_failure_shows_results_and_errors() -> None:
    text = render(load("apply_failed"))
    assert "### ❌ reconciler apply failed: 1 of 2 changes failed" in text
    rows = table_rows(text)
    assert rows[0][-1] == "Result"
    assert [r[-1] for r in rows[1:]] == ["✅ applied", "❌ failed"]
    # The multi-line error goes in a code block, hint included.
    assert "  hint: grant the permission" in text
    assert balanced(text)


def test_apply_success_heading_counts_applied_changes() -> None:
    doc = load("apply_failed")
    doc.update(failure_reason=None, success=True, errors=[])
    for change in doc["changes"]:
        change.update(status="applied", message=None)
    heading = render(doc).splitlines()[1]
    assert heading.startswith(
        "### ✅ reconciler apply: 0 published, 1 created, 1 updated, 0 deleted"
    )


def test_stale_and_invalid_headings() -> None:
    assert "### ❌ reconciler apply failed: the saved plan is stale" in render(load("apply_stale"))
    text = render(load("plan_invalid_manifest"))
    assert "### ❌ reconciler plan failed: invalid manifests" in text
    assert "manifests/payments-api.yaml:12:14" in text


def test_details_open_only_when_short() -> None:
    doc = load("plan_changes")
    template = doc["changes"][4]
    doc["changes"] = doc["changes"][:4] + [
        dict(copy.deepcopy(template), alias=f"old-{n}") for n in range(25)
    ]
    text = render(doc)
    assert "<details>\n<summary><code>orders-worker</code>" in text
    assert "<details open>\n<summary><code>payments-api</code>" in text


def test_truncation_keeps_marker_and_says_where_the_rest_is() -> None:
    full = render(load("apply_failed"))
    text = render(load("apply_failed"), max_chars=900, artifact_hint="reconciler-apply-x")
    assert len(text) <= 900
    assert text.splitlines()[0] == "<!-- reconciler:apply:123456789012/eu-west-1 -->"
    match = re.search(
        r"… (\d+) more characters cut; the full report is in the workflow artifact "
        r"`reconciler-apply-x`",
        text,
    )
    assert match
    # What is shown is the full report up to a line boundary, N characters short.
    shown = full[: len(full) - int(match.group(1))]
    assert shown.endswith("\n")
    assert text.startswith(shown)
    assert balanced(text)


def test_truncation_at_every_size_stays_balanced_and_under_the_limit() -> None:
    doc = load("apply_failed")
    full = render(doc)
    for limit in range(300, len(full), 37):
        text = render(doc, max_chars=limit)
        assert len(text) <= limit, limit
        assert balanced(text), limit
        assert text.startswith(marker(doc))


def big_plan(changes: int) -> dict[str, Any]:
    doc = load("plan_changes")
    template = doc["changes"][2]
    doc["changes"] = []
    for n in range(changes):
        change = copy.deepcopy(template)
        change["function"] = f"service-{n:04d}"
        change["summary"] = f"move live of service-{n:04d} " + "with a long explanation " * 4
        doc["changes"].append(change)
    doc["summary"] = {"publish": 0, "create": 0, "update": changes, "delete": 0}
    return doc


def test_a_huge_report_stays_under_github_limit() -> None:
    doc = big_plan(400)
    assert len(render(doc, max_chars=10**9)) > 100_000
    text = render(doc)
    assert len(text) <= MAX_CHARS < 65_536
    assert text.startswith("<!-- reconciler:plan:123456789012/eu-west-1 -->\n")
    assert "more characters cut" in text
    assert balanced(text)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report kind"):
        render({"kind": "status"})


def test_lifecycle_and_provisioned_concurrency_are_rendered():
    doc = {
        "format_version": 1,
        "kind": "plan",
        "target": None,
        "failure_reason": None,
        "has_changes": True,
        "summary": {
            "publish": 0,
            "create": 0,
            "update": 0,
            "delete": 0,
            "delete_version": 2,
            "provisioned_concurrency": 1,
        },
        "changes": [
            {
                "action": "delete_version",
                "function": "pay",
                "region": "eu-west-1",
                "alias": None,
                "before": None,
                "after": None,
                "summary": "- version pay:1",
            },
            {
                "action": "delete_version",
                "function": "pay",
                "region": "eu-west-1",
                "alias": None,
                "before": None,
                "after": None,
                "summary": "- version pay:2",
            },
            {
                "action": "put_provisioned_concurrency",
                "function": "pay",
                "region": "eu-west-1",
                "alias": "live",
                "before": None,
                "after": None,
                "summary": "~ provisioned concurrency pay:live 3 -> 5",
            },
        ],
        "functions": [{"function": "pay", "region": "eu-west-1", "status": "changes"}],
        "notes": [],
        "retained": [
            {"function": "pay", "region": "eu-west-1", "version": "3", "reason": "alias beta"}
        ],
        "errors": [],
    }
    text = render(doc)
    assert "0 to delete, 2 versions to delete, 1 provisioned concurrency change" in text
    assert "🧹 delete version" in text and "⚙️ set provisioned concurrency" in text
    assert "version 3 kept: alias beta" in text
