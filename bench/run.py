"""Benchmark: reconciler at fleet scale against a local moto server.

    make bench                      # 1000 functions x 3 versions x 3 aliases
    .venv/bin/python bench/run.py --functions 5000 --skip-throttled

Seeds N functions (3 published versions, 3 aliases each), writes manifests
for them, then measures, each as a real CLI run in a child process: in-sync
plan and drift; plan with 10% of aliases drifted; apply of that drift. Side by
side, on the same server: one bare ListAliases per function (the floor for a
drift check) and one sequential GetAlias per alias (what a hand-written script
does). Then a drift check through a proxy enforcing AWS's 15 requests/second.
Prints a table and writes bench/results/latest.json. Numbers, not assertions:
nothing here fails a build.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reconciler.aws.gateway import Connection, EmulatorAdmin, Session  # noqa: E402
from reconciler.sandbox.server import CREDENTIALS, REGION, demo_code  # noqa: E402

KEYS = (CREDENTIALS["AWS_ACCESS_KEY_ID"], CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
ALIASES = ("live", "beta", "dev")

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


def seed(url: str, count: int) -> None:
    s = session(url)
    admin = EmulatorAdmin(s, REGION)
    gw = s.gateway(REGION)
    role = admin.ensure_role("bench")

    def one(i: int) -> None:
        name = f"bench-{i:05d}"
        admin.create_function(name, demo_code(name, 1), role)
        admin.publish(name)
        for build in (2, 3):
            admin.deploy(name, demo_code(name, build))
            admin.publish(name)
        gw.create_alias(name, "live", "3", (), None)
        gw.create_alias(name, "beta", "2", (), None)
        gw.create_alias(name, "dev", "$LATEST", (), None)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(count)))


def write_manifests(folder: Path, count: int) -> None:
    chunk = 250  # several documents per file, as teams do
    for start in range(0, count, chunk):
        docs = []
        for i in range(start, min(count, start + chunk)):
            docs.append(
                f"apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: bench-{i:05d}\n"
                f"region: {REGION}\naliases:\n  live:\n    version: 3\n  beta:\n    version: 2\n"
                "  dev:\n    version: $LATEST\n"
            )
        (folder / f"fleet-{start:05d}.yaml").write_text("---\n".join(docs), encoding="utf-8")


def run_cli(url: str, argv: list[str], extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    env = {
        **os.environ,
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": url,
        "AWS_REGION": REGION,
        **(extra_env or {}),
    }
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *argv, "--format", "json", "--quiet"],
            env=env,
            stdout=out,
            stderr=err,
        )
        # wait4 gives this child's own peak RSS (kilobytes on Linux).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    doc = json.loads(text) if text.strip().startswith("{") else {}
    return {
        "wall_s": wall,
        "exit": proc.returncode,
        "doc": doc,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "stderr": errors[-500:],
    }


def timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bare_list_aliases(url: str, count: int, workers: int) -> float:
    gw = session(url, workers).gateway(REGION)
    names = [f"bench-{i:05d}" for i in range(count)]
    if workers == 1:
        return timed(lambda: [gw.list_aliases(n) for n in names])
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return timed(lambda: list(pool.map(gw.list_aliases, names)))


def sequential_get_alias(url: str, count: int) -> float:
    gw = session(url, 1).gateway(REGION)
    return timed(lambda: [gw.get_alias(f"bench-{i:05d}", a) for i in range(count) for a in ALIASES])


def drift_some(url: str, count: int, share: float) -> int:
    gw = session(url).gateway(REGION)
    rng = random.Random(7)
    chosen = rng.sample(range(count), max(1, int(count * share)))
    for i in chosen:
        name = f"bench-{i:05d}"
        current = gw.get_alias(name, "live")
        gw.update_alias(name, "live", "1", (), None, current.revision_id if current else "")
    return len(chosen)


def row(name: str, result: dict[str, Any], count: int) -> dict[str, Any]:
    stats = result["doc"].get("stats", {})
    return {
        "scenario": name,
        "wall_s": round(result["wall_s"], 2),
        "exit": result["exit"],
        "calls_per_function": round(stats.get("api_calls_total", 0) / count, 2),
        "peak_rss_mb": round(result["peak_rss_mb"], 1),
    }


def throttled(url: str, count: int, rps: float) -> dict[str, Any]:
    from tests.support.fidelity_proxy import FidelityProxy

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_manifests(folder, count)
        with FidelityProxy(url) as proxy:
            proxy.rate_limit(rps)
            result = run_cli(proxy.url, ["drift", str(folder), "--max-rps", str(rps)])
            stamps = sorted(proxy.accepted_times())
    doc = result["doc"]
    # Sustained: from the first to the last request the quota let through, so
    # process start-up (imports, reading manifests) does not count.
    sustained = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    return {
        "scenario": f"drift via proxy enforcing {rps:g} rps ({count} functions)",
        "wall_s": round(result["wall_s"], 2),
        "exit": result["exit"],
        "throughput_rps": round(sustained, 2),
        "share_of_quota": round(sustained / rps, 3),
        "retries": sum(doc.get("stats", {}).get("retries", {}).values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--throttled-functions", type=int, default=300)
    parser.add_argument("--skip-throttled", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "latest.json"))
    args = parser.parse_args()
    n = args.functions
    server, url = start_server()
    rows: list[dict[str, Any]] = []
    try:
        print(f"seeding {n} functions x 3 versions x 3 aliases ...", file=sys.stderr)
        seed_s = timed(lambda: seed(url, n))
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_manifests(folder, n)
            common = [str(folder), "--max-rps", "10000", "--concurrency", str(args.concurrency)]
            rows.append(
                {
                    "scenario": f"baseline: bare ListAliases x {n}, {args.concurrency} threads",
                    "wall_s": round(bare_list_aliases(url, n, args.concurrency), 2),
                    "calls_per_function": 1.0,
                }
            )
            rows.append(
                {
                    "scenario": f"baseline: bare ListAliases x {n}, sequential",
                    "wall_s": round(bare_list_aliases(url, n, 1), 2),
                    "calls_per_function": 1.0,
                }
            )
            rows.append(
                {
                    "scenario": f"baseline: sequential GetAlias x {3 * n}",
                    "wall_s": round(sequential_get_alias(url, n), 2),
                    "calls_per_function": 3.0,
                }
            )
            rows.append(row("plan, in sync", run_cli(url, ["plan", *common]), n))
            rows.append(row("drift, in sync", run_cli(url, ["drift", *common]), n))
            drifted = drift_some(url, n, 0.10)
            rows.append(
                row(f"plan, {drifted} aliases drifted (10%)", run_cli(url, ["plan", *common]), n)
            )
            rows.append(
                row("apply of that drift", run_cli(url, ["apply", "--auto-approve", *common]), n)
            )
            rows.append(row("drift after apply", run_cli(url, ["drift", *common]), n))
        if not args.skip_throttled:
            rows.append(throttled(url, args.throttled_functions, 15.0))
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    bare = rows[0]["wall_s"]
    drift_row = next(r for r in rows if r["scenario"] == "drift, in sync")
    summary = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "functions": n,
        "seed_s": round(seed_s, 1),
        "drift_vs_bare_list_aliases": round(drift_row["wall_s"] / bare, 2) if bare else None,
        "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"\n{summary['machine']}; {n} functions; seeding took {summary['seed_s']} s\n")
    print("| scenario | wall (s) | exit | calls/function | peak RSS (MB) | notes |")
    print("|---|---:|---:|---:|---:|---|")
    for r in rows:
        notes = ""
        if "throughput_rps" in r:
            notes = f"{r['throughput_rps']} req/s = {r['share_of_quota'] * 100:.0f}% of quota, {r['retries']} retries"
        print(
            f"| {r['scenario']} | {r['wall_s']} | {r.get('exit', '')} | {r.get('calls_per_function', '')} "
            f"| {r.get('peak_rss_mb', '')} | {notes} |"
        )
    print(
        f"\nin-sync drift / bare ListAliases ({args.concurrency} threads): {summary['drift_vs_bare_list_aliases']}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
