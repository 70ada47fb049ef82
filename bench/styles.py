"""The manifest styles the benchmark measures, each with the floor it is compared to.

Every style describes the same seeded fleet (3 published versions; `live` on 3, `beta`
on 2, `dev` on $LATEST) in the way users write it, so each one is in sync as seeded,
except `rollout`, which the benchmark first starts with one apply, and `provisioned`,
which it first applies through the fidelity proxy (moto has no provisioned concurrency).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.sandbox.server import REGION, code_sha256, demo_code

ACCOUNT = "123456789012"  # moto's default account
CHUNK = 250  # several documents per file, as teams do


def name(i: int) -> str:
    return f"bench-{i:05d}"


def _pins(i: int) -> str:
    return "  live:\n    version: 3\n  beta:\n    version: 2\n  dev:\n    version: $LATEST\n"


def region_in_manifest(i: int) -> str:
    return f"function: {name(i)}\nregion: {REGION}\naliases:\n{_pins(i)}"


def region_from_env(i: int) -> str:
    return f"function: {name(i)}\naliases:\n{_pins(i)}"


def full_arn(i: int) -> str:
    return f"function: arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name(i)}\naliases:\n{_pins(i)}"


def content_reference(i: int) -> str:
    return (
        f"function: {name(i)}\nregion: {REGION}\nversions:\n  current:\n"
        f'    code_sha256: "{code_sha256(demo_code(name(i), 3))}"\n'
        "aliases:\n  live:\n    version: current\n  beta:\n    version: 2\n"
        "  dev:\n    version: $LATEST\n"
    )


def rollout(i: int) -> str:
    # beta moves 2 -> 3 by canary; an hour's interval keeps it waiting at step 1.
    return (
        f"function: {name(i)}\nregion: {REGION}\naliases:\n  live:\n    version: 3\n"
        "  beta:\n    version: 3\n    rollout:\n      strategy: canary\n"
        "      steps: [0.1, 0.5]\n      interval: 1h\n  dev:\n    version: $LATEST\n"
    )


def retain_versions(i: int) -> str:
    # 3 published versions, keep 5: nothing to delete, but it has to be checked.
    return region_in_manifest(i) + "retain_versions: {keep_last: 5}\n"


def provisioned(i: int) -> str:
    return (
        f"function: {name(i)}\nregion: {REGION}\naliases:\n  live:\n    version: 3\n"
        "    provisioned_concurrency: 2\n  beta:\n    version: 2\n  dev:\n    version: $LATEST\n"
    )


@dataclass(frozen=True)
class Style:
    key: str
    title: str
    body: Callable[[int], str]
    floor: str  # bench/floor.py's CALLS
    floor_title: str
    via_proxy: bool = False
    region_in_env_only: bool = False


STYLES = (
    Style("region", "region in the manifest", region_in_manifest, "aliases", "ListAliases"),
    Style(
        "env-region",
        "region from the environment only",
        region_from_env,
        "aliases",
        "ListAliases",
        region_in_env_only=True,
    ),
    Style("arn", "full ARNs", full_arn, "aliases", "ListAliases", region_in_env_only=True),
    Style(
        "content",
        "content references (`code_sha256`)",
        content_reference,
        "aliases+version",
        "ListAliases + GetFunctionConfiguration",
    ),
    Style(
        "retain",
        "`retain_versions` in sync",
        retain_versions,
        "aliases+versions",
        "ListAliases + ListVersionsByFunction",
    ),
    Style(
        "provisioned",
        "provisioned concurrency in sync (through the fidelity proxy)",
        provisioned,
        "aliases+provisioned",
        "ListAliases + ListProvisionedConcurrencyConfigs (same proxy)",
        via_proxy=True,
    ),
    Style(
        "rollout",
        "a rollout in flight (waiting for its interval)",
        rollout,
        "aliases",
        "ListAliases",
    ),
)


def write(folder: Path, body: Callable[[int], str], start: int, stop: int) -> None:
    head = "apiVersion: reconciler/v1\nkind: LambdaFunction\n"
    folder.mkdir(parents=True, exist_ok=True)
    for first in range(start, stop, CHUNK):
        docs = [head + body(i) for i in range(first, min(stop, first + CHUNK))]
        (folder / f"fleet-{first:05d}.yaml").write_text("---\n".join(docs), encoding="utf-8")
