"""Helpers for end-to-end tests: run the real CLI in a child process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema

from reconciler.manifest.resources import load_schema
from tests.support.moto_server import aws_env

HEADER = "apiVersion: reconciler/v1\nkind: LambdaFunction\n"


class Cli:
    """The `reconciler` command pointed at one endpoint."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.env = aws_env(url)

    def write(self, name: str, body: str) -> Path:
        path = self.folder / name
        path.write_text(HEADER + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
        return path

    def run(self, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", *argv],
            env=self.env,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def json(self, *argv: str) -> tuple[int, dict[str, Any]]:
        proc = self.run(*argv, "--format", "json")
        try:
            doc = json.loads(proc.stdout)
        except ValueError as exc:
            raise AssertionError(f"not one JSON document:\n{proc.stdout}\n{proc.stderr}") from exc
        schema = "drift" if doc.get("kind") == "drift" else "plan"
        jsonschema.validate(doc, load_schema(schema))
        return proc.returncode, doc

    def plan(self, *extra: str) -> tuple[int, dict[str, Any]]:
        return self.json("plan", str(self.folder), "--detailed-exitcode", *extra)

    def apply(self, *extra: str) -> tuple[int, dict[str, Any]]:
        return self.json("apply", str(self.folder), "--auto-approve", *extra)

    def drift(self, *extra: str) -> tuple[int, dict[str, Any]]:
        return self.json("drift", str(self.folder), *extra)


def live_state(client: Any, *functions: str) -> dict[str, Any]:
    """Everything plan/apply could change, for before/after comparisons."""
    state: dict[str, Any] = {}
    for name in functions:
        aliases = client.list_aliases(FunctionName=name)["Aliases"]
        versions = client.list_versions_by_function(FunctionName=name)["Versions"]
        state[name] = {
            "aliases": {
                a["Name"]: (
                    a["FunctionVersion"],
                    {
                        k: v
                        for k, v in (a.get("RoutingConfig") or {})
                        .get("AdditionalVersionWeights", {})
                        .items()
                        if v
                    },
                    a.get("Description", ""),
                )
                for a in aliases
            },
            "versions": {v["Version"]: v["CodeSha256"] for v in versions},
        }
    return state


def quartet(
    cli: Cli, client: Any, *functions: str, extra: Callable[[], Any] | None = None
) -> dict[str, Any]:
    """plan shows the change and changes nothing; apply changes it; plan then
    shows nothing; apply again changes nothing. Returns the plan document.
    The first apply is of a saved plan (``plan --out`` then ``apply --plan``):
    a plan saved in any scenario applies cleanly right after it was made.
    ``extra``: more live state to compare (e.g. provisioned concurrency)."""

    def observe() -> Any:
        return live_state(client, *functions), extra() if extra else None

    before = observe()
    code, plan = cli.plan()
    assert code == 2, plan
    assert plan["changes"], plan
    assert observe() == before, "plan must not change anything"

    saved = cli.folder.parent / f"{cli.folder.name}.quartet.plan.json"
    made = cli.run("plan", str(cli.folder), "--out", str(saved))
    assert made.returncode == 0, made.stderr
    code, applied = cli.json("apply", "--plan", str(saved), str(cli.folder))
    assert code == 0, applied
    assert applied["success"] is True
    assert all(c["status"] == "applied" for c in applied["changes"]), applied["changes"]
    after = observe()
    assert after != before

    code, again = cli.plan()
    assert code == 0, again
    assert again["changes"] == [] and again["has_changes"] is False

    code, reapplied = cli.apply()
    assert code == 0 and reapplied["applied"] == 0
    assert observe() == after
    return plan
