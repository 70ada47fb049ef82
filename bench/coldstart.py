"""Cold start: what a CI step pays before the first API call, each beside its floor.

Wall times are the median of several runs of a fresh interpreter; import times come
from `python -X importtime` (the sum of the top-level imports' cumulative times).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SMALL = (
    "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: payments-api\n"
    "region: eu-west-1\naliases:\n  live:\n    version: 3\n"
)


def _wall(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, env={**os.environ})
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _import_ms(module: str, repeat: int) -> float:
    """Median over runs of the summed cumulative import time of `module`'s top level."""
    totals = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
        )
        total = 0
        for line in proc.stderr.splitlines():
            # "import time: self [us] | cumulative | imported package"; nesting is
            # shown by indenting the name, so top-level names have one leading space.
            parts = line.split("|")
            if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2][1:2].isspace():
                total += int(parts[1])
        totals.append(total / 1000)
    return statistics.median(totals)


def measure(folder: Path, repeat: int = 5) -> list[dict[str, Any]]:
    python = sys.executable
    small = folder / "small.yaml"
    small.write_text(SMALL, encoding="utf-8")
    bare = _wall([python, "-c", "pass"], repeat)
    boto = _wall([python, "-c", "import boto3"], repeat)
    version = _wall([python, "-m", "reconciler", "--version"], repeat)
    validate = _wall([python, "-m", "reconciler", "validate", str(small)], repeat)
    plan_ms = _import_ms("reconciler.commands.plan", repeat)
    boto_ms = _import_ms("boto3", repeat)
    return [
        _row("`reconciler --version`", version, "`python -c pass`", bare),
        _row("`reconciler validate` of one small file", validate, "`python -c pass`", bare),
        _row(
            "`reconciler validate` of one small file", validate, "`python -c 'import boto3'`", boto
        ),
        _row(
            "import of the `plan` command (-X importtime)",
            plan_ms / 1000,
            "import boto3",
            boto_ms / 1000,
        ),
    ]


def _row(what: str, value: float, floor: str, floor_value: float) -> dict[str, Any]:
    return {
        "scenario": what,
        "wall_s": round(value, 3),
        "floor": floor,
        "floor_s": round(floor_value, 3),
        "ratio": round(value / floor_value, 2) if floor_value else None,
    }
