"""The benchmark's matrix as markdown (printed, saved beside the JSON, pasted in README)."""

from __future__ import annotations

from typing import Any

TARGET_RATIO = 1.3


def _mark(ok: bool) -> str:
    return "" if ok else " (missed)"


def markdown(s: dict[str, Any]) -> str:
    start = ", ".join(str(x) for x in s.get("load_average_at_start", ()))
    load = ", ".join(str(x) for x in s["load_average_at_end"])
    lines = [
        f"Run {s['date']}; {s['machine']}; {s['emulator']}; "
        f"`--concurrency {s['concurrency']}`; best of {s['repeat']}; "
        f"load average at the start {start or 'not recorded'}, at the end {load}; "
        f"seeding {s['functions']} functions took {s['seed_s']} s.",
        "",
        f"In-sync `drift`, {s['functions']:,} functions, each style beside its floor "
        f"(a boto3 script making only the calls listed, 8 threads, its own process):",
        "",
        "| style | wall (s) | floor (s) | ratio | calls/function (floor) | peak RSS MB (floor) "
        "| CPU s (floor) | floor's calls | reproduce |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in s["matrix"]:
        ratio = f"{r['ratio']}x{_mark(r['ratio'] <= TARGET_RATIO)}"
        calls = f"{r['calls_per_function']} ({r['floor_calls_per_function']})"
        lines.append(
            f"| {r['scenario']} | {r['wall_s']} | {r['floor_s']} | {ratio} | {calls} "
            f"| {r['peak_rss_mb']} ({r['floor_rss_mb']}) | {r['cpu_s']} ({r['floor_cpu_s']}) "
            f"| {r['floor']} | {_reproduce(r)} |"
        )
    lines += _against_baseline(s)
    lines += [
        "",
        "| other rows | functions | wall (s) | calls/function | peak RSS (MB) | notes | reproduce |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in s["other"]:
        notes = ""
        if "ratio" in r:
            notes = f"floor (ListAliases) {r['floor_s']} s: {r['ratio']}x"
        if "throughput_rps" in r:
            notes = (
                f"{r['throughput_rps']} req/s sustained = {r['share_of_quota'] * 100:.0f}% of quota"
            )
        lines.append(
            f"| {r['scenario']} | {r['functions']:,} | {r['wall_s']} | {r['calls_per_function']} "
            f"| {r['peak_rss_mb']} | {notes} | {_reproduce(r)} |"
        )
    lines += [
        "",
        "| cold start (median of 5) | time (s) | floor | floor (s) | ratio | reproduce |",
        "|---|---:|---|---:|---:|---|",
    ]
    for r in s["cold_start"]:
        lines.append(
            f"| {r['scenario']} | {r['wall_s']} | {r['floor']} | {r['floor_s']} | {r['ratio']}x "
            f"| {_reproduce(r)} |"
        )
    return "\n".join(lines) + "\n"


def _reproduce(row: dict[str, Any]) -> str:
    return f"`{row['reproduce']}`" if row.get("reproduce") else ""


def _against_baseline(s: dict[str, Any]) -> list[str]:
    """With --baseline: each style's drift from that checkout, run interleaved with
    this tree's and the floor (CPU: user + system of the child, best run)."""
    rows = [r for r in s["matrix"] if "baseline_s" in r]
    if not rows:
        return []
    lines = [
        "",
        f"Against the baseline `{s.get('baseline')}` (same runs, interleaved):",
        "",
        "| style | floor (s) | baseline (s) | ratio | this tree (s) | ratio "
        "| CPU s: floor / baseline / this tree |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['scenario']} | {r['floor_s']} | {r['baseline_s']} | {r['baseline_ratio']}x "
            f"| {r['wall_s']} | {r['ratio']}x "
            f"| {r['floor_cpu_s']} / {r['baseline_cpu_s']} / {r['cpu_s']} |"
        )
    return lines
