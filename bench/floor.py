"""The floor for a benchmark row: the calls a hand-written boto3 script needs, nothing more.

    python bench/floor.py URL REGION COUNT WORKERS CALLS

CALLS is what the script reads per function, joined by "+": `aliases` (ListAliases),
`version` (GetFunctionConfiguration of the version `live` points at: what checking a
content hash needs), `versions` (ListVersionsByFunction), `provisioned`
(ListProvisionedConcurrencyConfigs). It runs as its own process, like the CLI it is
compared with, so both pay interpreter start-up and `import boto3`; it prints one JSON
line with the calls made and the time spent in the call loop alone.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config


def main(argv: list[str]) -> int:
    url, region, count, workers, wanted = argv[0], argv[1], int(argv[2]), int(argv[3]), argv[4]
    reads = wanted.split("+")
    client = boto3.session.Session().client(
        "lambda",
        region_name=region,
        endpoint_url=url,
        config=Config(max_pool_connections=max(10, workers * 2)),
    )

    def one(i: int) -> int:
        name = f"bench-{i:05d}"
        calls = 0
        aliases: list[dict[str, Any]] = []
        if "aliases" in reads:
            aliases = client.list_aliases(FunctionName=name)["Aliases"]
            calls += 1
        if "version" in reads:
            live = next(a["FunctionVersion"] for a in aliases if a["Name"] == "live")
            client.get_function_configuration(FunctionName=name, Qualifier=live)
            calls += 1
        if "versions" in reads:
            client.list_versions_by_function(FunctionName=name)
            calls += 1
        if "provisioned" in reads:
            client.list_provisioned_concurrency_configs(FunctionName=name)
            calls += 1
        return calls

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        calls = sum(pool.map(one, range(count)))
    loop = time.perf_counter() - started
    print(json.dumps({"calls": calls, "loop_s": round(loop, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
