#!/usr/bin/env python3
"""Entry point of the ``reconcile`` composite action. Standard library only.

The action passes its inputs as INPUT_* environment variables (never through
``${{ }}`` in a script). This runs the reconciler CLI once, keeps its JSON
report, renders it as markdown into the job summary and sets the step
outputs. The step fails with the CLI's exit code, except that plan's and
drift's 2 ("changes pending" / "drift found") is a success unless
``fail-on-drift`` asks otherwise for drift.

RECONCILER_BIN names the CLI executable (default: ``reconciler`` on PATH).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

COMMANDS = ("validate", "targets", "plan", "apply", "drift")
# GitHub rejects a step summary over 1 MiB.
SUMMARY_LIMIT = 1024 * 1024
TRUE = ("1", "true", "yes", "on")


def command_data(text: str) -> str:
    """Escape text for a workflow command (::error::...) so it stays one command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def report_dir() -> Path:
    chosen = env("INPUT_REPORT_DIR")
    if chosen:
        path = Path(chosen)
    elif env("RUNNER_TEMP"):
        path = Path(env("RUNNER_TEMP")) / "reconciler"
    else:
        path = Path(tempfile.mkdtemp(prefix="reconciler-"))
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def file_stem(command: str, target: str) -> str:
    # Matrix jobs' artifacts are downloaded into one folder: names must differ.
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", target.replace("*", "any")).strip("-")
    return f"{command}-{slug}" if slug else command


def build_command(command: str, files: dict[str, str]) -> list[str]:
    """The CLI's argv for one action run (files: plan, report paths)."""
    argv = [env("RECONCILER_BIN", "reconciler"), command]
    paths = env("INPUT_PATHS", "manifests").split()
    for path in paths:
        if path.startswith("-"):
            raise ValueError(f"path {path!r} starts with '-': write ./{path}")
    if command == "apply" and env("INPUT_PLAN_FILE"):
        argv.append(f"--plan={env('INPUT_PLAN_FILE')}")
    else:
        argv += paths
    if command == "apply" and not env("INPUT_PLAN_FILE"):
        argv.append("--auto-approve")
    if command == "plan":
        # Exit 2 for "changes pending", so the outputs can tell.
        argv += [f"--out={files['plan']}", "--detailed-exitcode"]
    if command == "targets":
        argv.append("--format=github-matrix")
        if env("INPUT_SETTINGS"):
            argv.append(f"--settings={env('INPUT_SETTINGS')}")
    elif command == "validate":
        argv.append("--format=github")
    else:
        argv.append("--format=json")
    if env("INPUT_TARGET") and command in ("plan", "apply", "drift"):
        argv.append(f"--target={env('INPUT_TARGET')}")
    if env("INPUT_REGION"):
        argv.append(f"--region={env('INPUT_REGION')}")
    return argv


def read_report(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and "kind" in doc else None


def outputs_for(command: str, code: int, doc: dict[str, Any] | None) -> dict[str, str]:
    """Step outputs from the report document (zeros when there is none)."""
    doc = doc or {}
    summary = doc.get("summary") or {}
    drift = doc.get("drift") or []
    failed = [f for f in doc.get("functions") or [] if f.get("status") in ("failed", "error")]
    reason = doc.get("failure_reason") or ""
    if not reason and command == "validate" and code == 1:
        reason = "invalid-manifest"
    return {
        "exit-code": str(code),
        "has-changes": str(bool(doc.get("has_changes"))).lower(),
        "drift-detected": str(command == "drift" and (code == 2 or bool(drift))).lower(),
        "to-publish": str(summary.get("publish", 0)),
        "to-create": str(summary.get("create", 0)),
        "to-update": str(summary.get("update", 0)),
        "to-delete": str(summary.get("delete", 0)),
        "drift-count": str(len(drift)),
        "failed-count": str(len(failed)),
        "failure-reason": str(reason),
    }


def write_outputs(outputs: dict[str, str]) -> None:
    target = env("GITHUB_OUTPUT")
    lines = []
    for name, value in outputs.items():
        # Heredoc syntax with a fresh delimiter: values may span lines.
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.writelines(lines)
    else:
        for name, value in outputs.items():
            print(f"{name}={value}")


def append_summary(markdown: str) -> None:
    target = env("GITHUB_STEP_SUMMARY")
    if not target:
        return
    path = Path(target)
    used = path.stat().st_size if path.exists() else 0
    room = SUMMARY_LIMIT - used - 1024
    data = markdown.encode("utf-8")
    if len(data) > room:
        cut = data[: max(room, 0)].decode("utf-8", "ignore")
        cut = cut[: cut.rfind("\n") + 1]
        markdown = cut + "\n> [!NOTE]\n> The job summary limit was reached; see the artifact.\n"
    with path.open("a", encoding="utf-8") as out:
        out.write(markdown + "\n")


def render_markdown(report: Path, markdown: Path) -> str:
    """Markdown of the report via the CLI, or a short fallback when it fails."""
    argv = [env("RECONCILER_BIN", "reconciler"), "report", "render", str(report)]
    argv += ["--format=markdown", f"--out={markdown}"]
    argv.append(f"--artifact-hint={env('INPUT_ARTIFACT_NAME', 'reconciler-report')}")
    if subprocess.run(argv, check=False).returncode == 0 and markdown.is_file():
        return markdown.read_text(encoding="utf-8")
    text = "### ❌ reconciler: the report could not be rendered\n\nSee the job log.\n"
    markdown.write_text(text, encoding="utf-8")
    return text


def run(command: str) -> int:
    folder = report_dir()
    stem = file_stem(command, env("INPUT_TARGET"))
    files = {
        "plan": env("INPUT_PLAN_FILE") or str(folder / f"{stem}.plan.json"),
        "report": str(folder / f"{stem}.json"),
        "markdown": str(folder / f"{stem}.md"),
    }
    argv = build_command(command, files)
    print("+ " + " ".join(argv), file=sys.stderr, flush=True)
    extra: dict[str, str] = {}
    doc: dict[str, Any] | None = None
    if command == "validate":
        # Annotations must reach the log, so stdout is not captured.
        code = subprocess.run(argv, check=False).returncode
        ok = "✅ reconciler validate: the manifests are valid"
        bad = "❌ reconciler validate: invalid manifests (see the annotations)"
        markdown = f"### {ok if code == 0 else bad}\n"
        Path(files["markdown"]).write_text(markdown, encoding="utf-8")
    elif command == "targets":
        done = subprocess.run(argv, check=False, stdout=subprocess.PIPE, text=True)
        code, matrix = done.returncode, done.stdout.strip()
        Path(files["report"]).write_text(matrix + "\n", encoding="utf-8")
        try:
            count = len(json.loads(matrix)["include"]) if code == 0 else 0
        except (ValueError, KeyError, TypeError):
            code, count = 1, 0
        extra = {"matrix": matrix if code == 0 else "", "target-count": str(count)}
        markdown = f"### 🎯 reconciler targets: {count}\n"
        Path(files["markdown"]).write_text(markdown, encoding="utf-8")
    else:
        with open(files["report"], "wb") as out:
            code = subprocess.run(argv, check=False, stdout=out).returncode
        doc = read_report(Path(files["report"]))
        if doc is None:
            print(f"::warning::reconciler {command} left no JSON report (exit {code})")
            markdown = f"### ❌ reconciler {command} failed (exit {code}); see the job log\n"
            Path(files["markdown"]).write_text(markdown, encoding="utf-8")
        else:
            markdown = render_markdown(Path(files["report"]), Path(files["markdown"]))
            # The readable rendering in the log, too.
            log = [env("RECONCILER_BIN", "reconciler"), "report", "render", files["report"]]
            subprocess.run([*log, "--format=text"], check=False)
    append_summary(markdown)
    outputs = outputs_for(command, code, doc)
    outputs.update(extra)
    # plan saves no plan when it found errors.
    saved = command == "plan" and Path(files["plan"]).is_file()
    applied = env("INPUT_PLAN_FILE") if command == "apply" else ""
    outputs["plan-file"] = files["plan"] if saved else applied
    # Only a real document: workflows upload and merge it.
    has_report = command == "targets" or (command != "validate" and doc is not None)
    outputs["report-file"] = files["report"] if has_report else ""
    outputs["markdown-file"] = files["markdown"]
    return finish(command, code, outputs)


def finish(command: str, code: int, outputs: dict[str, str]) -> int:
    status = {0: "ok", 2: "drift" if command == "drift" else "changes"}.get(code, "failed")
    outputs["status"] = status
    write_outputs(outputs)
    if code == 2 and command == "drift" and env("INPUT_FAIL_ON_DRIFT").lower() in TRUE:
        print("::error::drift detected, and fail-on-drift is set")
        return 2
    if code == 2 and command in ("plan", "drift"):
        what = "changes are pending" if command == "plan" else "drift was found"
        print(f"::notice::reconciler {command} exited 2: {what}; the step succeeds")
        return 0
    return code


def main() -> int:
    command = env("INPUT_COMMAND")
    if command not in COMMANDS:
        wanted = ", ".join(COMMANDS)
        print(f"::error::input command must be one of {wanted}, not {command_data(repr(command))}")
        return 1
    try:
        return run(command)
    except (OSError, ValueError) as err:
        print(f"::error::{command_data(str(err))}")
        write_outputs({"exit-code": "1", "status": "failed", "failure-reason": ""})
        return 1


if __name__ == "__main__":
    sys.exit(main())
