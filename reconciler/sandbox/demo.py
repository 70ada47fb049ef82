"""`make demo`: the whole tour against the embedded emulator, step by step.

validate -> plan -> apply (orders-consumer's SQS event source mapping is
created on its `live` alias) -> plan (no changes) -> out-of-band changes (as
someone in the console would: a repoint, and the mapping's batch size) ->
drift (exit 2) -> apply -> drift (exit 0) ->
promote beta to live (a manifest edit, in a copy of manifests/) -> the plan it
leads to. Every step runs the real CLI in a child process; the emulator stops
at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from reconciler.aws.gateway import Connection, Session
from reconciler.manifest.model import EventSourceSpec
from reconciler.sandbox import server as sandbox

STEPS: list[tuple[str, list[str], int]] = [
    ("Validate the manifests (no AWS calls)", ["validate", "manifests"], 0),
    ("Plan: what would change (reads only)", ["plan", "manifests", "--detailed-exitcode"], 2),
    ("Apply it", ["apply", "manifests", "--auto-approve"], 0),
    ("Plan again: nothing left to do", ["plan", "manifests", "--detailed-exitcode"], 0),
]
AFTER_CHANGE: list[tuple[str, list[str], int]] = [
    (
        "Drift check: both console changes are reported (version_differs, "
        "event_source_differs; exit 2)",
        ["drift", "manifests"],
        2,
    ),
    ("Apply: git wins again", ["apply", "manifests", "--auto-approve"], 0),
    ("Drift check: in sync (exit 0)", ["drift", "manifests"], 0),
]
# Run in a scratch copy of manifests/: promote edits the files it is given.
PROMOTION: list[tuple[str, list[str], int]] = [
    (
        "Promote beta to live: checks beta live, then edits the manifest (dry run first)",
        ["promote", "beta", "live", "manifests", "--diff"],
        0,
    ),
    (
        "Promote it (writes the manifest; AWS is only read)",
        ["promote", "beta", "live", "manifests"],
        0,
    ),
    (
        "Plan: the promotion is one repoint of payments-api:live (exit 2: changes)",
        ["plan", "manifests", "--detailed-exitcode"],
        2,
    ),
    (
        "Promote again: already promoted, nothing written",
        ["promote", "beta", "live", "manifests"],
        0,
    ),
]


def _step(
    env: dict[str, str], title: str, argv: list[str], expected: int, cwd: str | None = None
) -> bool:
    print(f"\n==> {title}\n$ reconciler {' '.join(argv)}", flush=True)
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *argv], env=env, check=False, cwd=cwd
    )
    verdict = "as expected" if proc.returncode == expected else f"UNEXPECTED (wanted {expected})"
    print(f"[exit {proc.returncode}: {verdict}]", flush=True)
    return proc.returncode == expected


def main() -> int:
    emulator = sandbox.start()
    try:
        sandbox.seed(emulator)
        print(f"Emulator at {emulator.url}, seeded; every command below talks to it.")
        env = {**os.environ, **emulator.env()}
        ok = all(_step(env, *step) for step in STEPS)
        print(
            "\n==> In the console, someone repoints payments-api:live to version 1 and "
            "raises the batch size of orders-consumer:live's SQS mapping to 50",
            flush=True,
        )
        keys = (
            sandbox.CREDENTIALS["AWS_ACCESS_KEY_ID"],
            sandbox.CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        session = Session(
            Connection(region=sandbox.REGION, endpoint_url=emulator.url, credentials=keys)
        )
        gw = session.gateway(sandbox.REGION)
        current = gw.get_alias("payments-api", "live")
        gw.update_alias(
            "payments-api", "live", "1", (), None, current.revision_id if current else ""
        )
        for mapping in gw.event_source_mappings("orders-consumer"):
            if mapping.qualifier == "live":
                spec = EventSourceSpec(mapping.source, batch_size=50, enabled=mapping.enabled)
                gw.update_event_source_mapping("orders-consumer", "live", mapping.uuid, spec)
        ok = all(_step(env, *step) for step in AFTER_CHANGE) and ok
        ok = _promotion(env) and ok
    finally:
        emulator.stop()
    print("\nDemo finished; the emulator is stopped." if ok else "\nDemo FAILED: see above.")
    return 0 if ok else 1


def _promotion(env: dict[str, str]) -> bool:
    with tempfile.TemporaryDirectory(prefix="reconciler-demo-") as scratch:
        shutil.copytree("manifests", os.path.join(scratch, "manifests"))
        print("\n==> Promotion through git, in a scratch copy of manifests/", flush=True)
        return all(_step(env, *step, cwd=scratch) for step in PROMOTION)


if __name__ == "__main__":
    raise SystemExit(main())
