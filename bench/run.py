"""Benchmark: reconciler on manifests as users write them, each beside its floor.

    make bench                                       # the full matrix (about 15 minutes)
    .venv/bin/python bench/run.py --functions 100 --scale 0 --skip-throttled   # a quick look

Seeds a moto server (in its own process) with N functions (3 published versions; `live`
on 3, `beta` on 2, `dev` on $LATEST). For each manifest style in bench/styles.py it runs
an in-sync `drift` as a real CLI process and, in the same run, its floor: a hand-written
boto3 script making only the calls that style needs (bench/floor.py), also its own
process. Per row: wall time (best of --repeat), ratio to the floor, calls per function
(the report's `stats`; the proxy's count where the row runs through the proxy) and the
child's peak RSS (wait4). Then a 10% drift planned and applied, scale rows (5,000 and
10,000 functions), a drift through a proxy enforcing 15 req/s, and cold start.
Prints the matrix and writes OUT.json and OUT.md. Numbers, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import coldstart, styles  # noqa: E402
from bench.report import markdown  # noqa: E402
from reconciler.aws.gateway import Connection, EmulatorAdmin, Session  # noqa: E402
from reconciler.sandbox.server import CREDENTIALS, REGION, demo_code  # noqa: E402

KEYS = (CREDENTIALS["AWS_ACCESS_KEY_ID"], CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

_SERVER = """
import logging, sys
from moto.server import ThreadedMotoServer
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""


def start_server() -> tuple[subprocess.Popen[str], str]:
    """moto in its own process, so its CPU is not the benchmark's."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}"


def session(url: str, concurrency: int = 16) -> Session:
    return Session(
        Connection(
            region=REGION,
            endpoint_url=url,
            credentials=KEYS,
            max_rps=10_000,
            concurrency=concurrency,
        )
    )


def seed(url: str, start: int, stop: int) -> None:
    s = session(url)
    admin = EmulatorAdmin(s, REGION)
    gw = s.gateway(REGION)
    role = admin.ensure_role("bench")

    def one(i: int) -> None:
        name = styles.name(i)
        admin.create_function(name, demo_code(name, 1), role)
        admin.publish(name)
        for build in (2, 3):
            admin.deploy(name, demo_code(name, build))
            admin.publish(name)
        gw.create_alias(name, "live", "3", (), None)
        gw.create_alias(name, "beta", "2", (), None)
        gw.create_alias(name, "dev", "$LATEST", (), None)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(start, stop)))


def restore(url: str, count: int, alias: str, version: str) -> None:
    """Put one alias back as seeded (no weights, no description)."""
    gw = session(url).gateway(REGION)

    def one(i: int) -> None:
        current = gw.get_alias(styles.name(i), alias)
        assert current is not None
        gw.update_alias(styles.name(i), alias, version, (), "", current.revision_id)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(count)))


# The child is started by this small interpreter and timed there: a process's peak RSS
# (ru_maxrss) counts the memory of the process it was forked from, and this benchmark's
# own process is larger than some of the children it measures.
_MEASURE = (
    "import os, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[1:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "t = time.perf_counter() - t\n"
    "cpu = usage.ru_utime + usage.ru_stime\n"
    "sys.stderr.write(f'\\n@measured {t} {usage.ru_maxrss} {cpu}\\n')\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def _child(
    argv: list[str], env: dict[str, str], cwd: str | None = None
) -> tuple[float, int, float, float, str, str]:
    """Run a child; its wall time, exit code, own peak RSS (MB), CPU time (user +
    system: steadier than wall time on a shared machine), stdout and stderr."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *argv], env=env, capture_output=True, text=True, cwd=cwd
    )
    errors, _, last = proc.stderr.rpartition("\n@measured ")
    wall, rss_kb, cpu = last.split()  # ru_maxrss: kilobytes on Linux
    return float(wall), proc.returncode, int(rss_kb) / 1024, float(cpu), proc.stdout, errors


def _env(url: str) -> dict[str, str]:
    return {**os.environ, **CREDENTIALS, "AWS_ENDPOINT_URL": url, "AWS_REGION": REGION}


def run_cli(url: str, argv: list[str], checkout: str | None = None) -> dict[str, Any]:
    """The CLI as a child; ``checkout``: another source tree to run it from (`python -m`
    imports the package from the working directory first)."""
    cmd = [sys.executable, "-m", "reconciler", *argv, "--format", "json", "--quiet"]
    wall, code, rss, cpu, text, errors = _child(cmd, _env(url), checkout)
    doc = json.loads(text) if text.strip().startswith("{") else {}
    calls = doc.get("stats", {}).get("api_calls_total", 0)
    return {
        "wall_s": wall,
        "exit": code,
        "calls": calls,
        "rss_mb": rss,
        "cpu_s": cpu,
        "stderr": errors[-500:],
    }


def run_floor(url: str, count: int, reads: str, workers: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "floor.py"),
        url,
        REGION,
        str(count),
        str(workers),
        reads,
    ]
    wall, code, rss, cpu, text, errors = _child(cmd, _env(url))
    if code != 0:
        raise RuntimeError(f"floor {reads} failed: {errors[-500:]}")
    return {"wall_s": wall, "calls": json.loads(text)["calls"], "rss_mb": rss, "cpu_s": cpu}


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda r: r["wall_s"])


def compare(
    title: str, url: str, argv: list[str], count: int, floor: str, floor_title: str, args: Any
) -> dict[str, Any]:
    """The CLI and its floor (and the baseline checkout's CLI, if given), interleaved
    --repeat times; the best of each."""
    cli_runs, floor_runs, base_runs = [], [], []
    baseline = getattr(args, "baseline", None)
    for _ in range(args.repeat):
        floor_runs.append(run_floor(url, count, floor, args.concurrency))
        cli_runs.append(run_cli(url, argv))
        if baseline:
            base_runs.append(run_cli(url, argv, baseline))
    cli, low = best(cli_runs), best(floor_runs)
    extra: dict[str, Any] = {}
    if base_runs:
        base = best(base_runs)
        extra = {
            "baseline_s": round(base["wall_s"], 2),
            "baseline_ratio": round(base["wall_s"] / low["wall_s"], 2),
            "baseline_cpu_s": round(min(r["cpu_s"] for r in base_runs), 2),
            "all_baseline_s": [round(r["wall_s"], 2) for r in base_runs],
        }
    return {
        "scenario": title,
        "functions": count,
        "wall_s": round(cli["wall_s"], 2),
        "exit": cli["exit"],
        "calls_per_function": round(cli["calls"] / count, 2),
        "peak_rss_mb": round(cli["rss_mb"], 1),
        "floor": floor_title,
        "floor_s": round(low["wall_s"], 2),
        "floor_calls_per_function": round(low["calls"] / count, 2),
        "floor_rss_mb": round(low["rss_mb"], 1),
        "ratio": round(cli["wall_s"] / low["wall_s"], 2),
        "cpu_s": round(min(r["cpu_s"] for r in cli_runs), 2),
        "floor_cpu_s": round(min(r["cpu_s"] for r in floor_runs), 2),
        "all_wall_s": [round(r["wall_s"], 2) for r in cli_runs],
        "all_floor_s": [round(r["wall_s"], 2) for r in floor_runs],
        **extra,
        "stderr": cli["stderr"] if cli["exit"] not in (0, 2) else "",
    }


def style_row(style: styles.Style, url: str, folder: Path, n: int, args: Any) -> dict[str, Any]:
    where = folder / style.key
    styles.write(where, style.body, 0, n)
    common = [str(where), "--max-rps", "10000", "--concurrency", str(args.concurrency)]
    if style.key == "rollout":
        started = run_cli(url, ["apply", "--auto-approve", *common])
        assert started["exit"] == 0, started["stderr"]
    if not style.via_proxy:
        row = compare(style.title, url, ["drift", *common], n, style.floor, style.floor_title, args)
    else:
        from tests.support.fidelity_proxy import FidelityProxy

        with FidelityProxy(url, pc_ready_seconds=0.0) as proxy:
            applied = run_cli(proxy.url, ["apply", "--auto-approve", *common])
            assert applied["exit"] == 0, applied["stderr"]
            proxy.reset_counts()
            row = compare(
                style.title, proxy.url, ["drift", *common], n, style.floor, style.floor_title, args
            )
            # Cross-check the run's own count with the proxy's (floor runs included).
            row["proxy_calls"] = sum(proxy.calls.values())
        restore(url, n, "live", "3")  # drop the [reconciler:provisioned] marker
    if style.key == "rollout":
        restore(url, n, "beta", "2")
    row["style"] = style.key
    return row


def drift_some(url: str, count: int, share: float) -> int:
    gw = session(url).gateway(REGION)
    chosen = random.Random(7).sample(range(count), max(1, int(count * share)))
    for i in chosen:
        current = gw.get_alias(styles.name(i), "live")
        gw.update_alias(
            styles.name(i), "live", "1", (), None, current.revision_id if current else ""
        )
    return len(chosen)


def single(title: str, result: dict[str, Any], count: int) -> dict[str, Any]:
    return {
        "scenario": title,
        "functions": count,
        "wall_s": round(result["wall_s"], 2),
        "exit": result["exit"],
        "calls_per_function": round(result["calls"] / count, 2),
        "peak_rss_mb": round(result["rss_mb"], 1),
    }


def throttled(url: str, count: int, rps: float) -> dict[str, Any]:
    from tests.support.fidelity_proxy import FidelityProxy

    with tempfile.TemporaryDirectory() as tmp:
        styles.write(Path(tmp), styles.region_in_manifest, 0, count)
        with FidelityProxy(url) as proxy:
            proxy.rate_limit(rps)
            result = run_cli(proxy.url, ["drift", tmp, "--max-rps", str(rps)])
            stamps = sorted(proxy.accepted_times())
    # Sustained: first to last request let through, so start-up does not count.
    sustained = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    return {
        **single(f"drift via a proxy enforcing {rps:g} req/s (`--max-rps {rps:g}`)", result, count),
        "throughput_rps": round(sustained, 2),
        "share_of_quota": round(sustained / rps, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--styles",
        default=",".join(s.key for s in styles.STYLES),
        help="comma-separated keys from bench/styles.py; `none`: only the rows every run makes",
    )
    parser.add_argument("--scale", default="5000,10000", help="fleet sizes for scale rows; 0: none")
    parser.add_argument("--throttled-functions", type=int, default=300)
    parser.add_argument("--skip-throttled", action="store_true")
    parser.add_argument(
        "--baseline",
        metavar="CHECKOUT",
        help="also run each style's drift from this source tree (e.g. a `git worktree` of "
        "main), interleaved with the others: before/after in the same run",
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "latest"))
    args = parser.parse_args()
    n = args.functions
    base = f"bench/run.py --functions {n}" if n != 1000 else "bench/run.py"
    # Rows that every run makes (a 10% drift, cold start) need no style at all.
    bare = f"{base} --styles none --scale 0 --skip-throttled"
    chosen = [s for s in styles.STYLES if s.key in args.styles.split(",")]
    scale = [int(x) for x in args.scale.split(",") if int(x) > n]
    load_at_start = os.getloadavg()
    server, url = start_server()
    started = time.time()
    matrix: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    seeded = n
    try:
        print(f"seeding {n} functions x 3 versions x 3 aliases ...", file=sys.stderr)
        seed_s = time.perf_counter()
        seed(url, 0, n)
        seed_s = time.perf_counter() - seed_s
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for style in chosen:
                print(f"style: {style.title} ...", file=sys.stderr)
                row = style_row(style, url, folder, n, args)
                row["reproduce"] = f"{base} --styles {style.key} --scale 0 --skip-throttled"
                matrix.append(row)
            plain = folder / "region"
            styles.write(plain, styles.region_in_manifest, 0, n)
            common = [str(plain), "--max-rps", "10000", "--concurrency", str(args.concurrency)]
            drifted = drift_some(url, n, 0.10)
            for title, argv in (
                (f"`plan`, {drifted} aliases drifted (10%)", ["plan", *common]),
                ("`apply` of that drift", ["apply", "--auto-approve", *common]),
            ):
                other.append({**single(title, run_cli(url, argv), n), "reproduce": bare})
            for size in scale:
                print(f"seeding up to {size} functions ...", file=sys.stderr)
                seed(url, seeded, size)
                seeded = size
                where = folder / f"scale-{size}"
                styles.write(where, styles.region_in_manifest, 0, size)
                argv = [str(where), "--max-rps", "10000", "--concurrency", str(args.concurrency)]
                scale_args = argparse.Namespace(repeat=1, concurrency=args.concurrency)
                again = f"{base} --styles none --scale {size} --skip-throttled"
                other.append(
                    compare(
                        "`drift`, in sync",
                        url,
                        ["drift", *argv],
                        size,
                        "aliases",
                        "ListAliases",
                        scale_args,
                    )
                    | {"reproduce": again}
                )
                if size <= 5000:
                    planned = single("`plan`, in sync", run_cli(url, ["plan", *argv]), size)
                    other.append({**planned, "reproduce": again})
                    drifted = drift_some(url, size, 0.10)
                    applied = run_cli(url, ["apply", "--auto-approve", *argv])
                    title = f"`apply` of {drifted} drifted aliases (10%)"
                    other.append({**single(title, applied, size), "reproduce": again})
            if not args.skip_throttled:
                limited = min(args.throttled_functions, n)
                other.append(
                    throttled(url, limited, 15.0)
                    | {
                        "reproduce": f"{base} --styles none --scale 0 --throttled-functions {limited}"
                    }
                )
            cold = [{**row, "reproduce": bare} for row in coldstart.measure(folder)]
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=60)
    load = os.getloadavg()
    summary = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "emulator": f"moto {metadata.version('moto')} on loopback (server in its own process)",
        "load_average_at_start": [round(x, 2) for x in load_at_start],
        "load_average_at_end": [round(x, 2) for x in load],
        "functions": n,
        "concurrency": args.concurrency,
        "repeat": args.repeat,
        "baseline": args.baseline,
        "seed_s": round(seed_s, 1),
        "matrix": matrix,
        "other": other,
        "cold_start": cold,
    }
    text = markdown(summary)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    Path(f"{args.out}.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
