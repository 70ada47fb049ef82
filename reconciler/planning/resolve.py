"""Resolving a manifest's version references to versions (pure).

Content references resolve by one rule, the same for every alias of a
function in one run: an alias that already serves a version with the hash
keeps it (no churn); otherwise the highest published version with the hash;
otherwise $LATEST, when it has the hash, is published (a
:class:`PendingVersion` until then). A weight that resolves to the alias's own
version is rejected here, before anything is called.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.aws.live import FunctionSnapshot
from reconciler.manifest.model import (
    LATEST,
    AliasSpec,
    ContentVersion,
    LatestVersion,
    PinnedVersion,
    VersionRef,
)
from reconciler.plan import (
    AliasState,
    FunctionRef,
    PendingVersion,
    Problem,
    PublishVersion,
    Version,
)
from reconciler.plan.requests import ContentHash, ReadRequest, VersionConfig


@dataclass(frozen=True)
class Resolved:
    version: Version
    label: str
    publish: PublishVersion | None = None


class Unresolved(Exception):
    def __init__(self, problem: Problem | None = None, needs: frozenset[ReadRequest] = frozenset()):
        self.problem = problem
        self.needs = needs


def resolve(
    ref: VersionRef, fn: FunctionRef, snap: FunctionSnapshot, serves: frozenset[str] = frozenset()
) -> Resolved:
    """Turn a manifest version reference into a concrete (or pending) version.

    ``serves``: the versions the alias serves now in that place (its primary,
    or its weighted versions): one of them with the hash is kept."""
    if isinstance(ref, LatestVersion):
        return Resolved(LATEST, LATEST)
    if isinstance(ref, PinnedVersion):
        version = str(ref.number)
        exists = snap.version_exists(version)
        if exists is None:
            raise Unresolved(needs=frozenset({VersionConfig(version)}))
        if not exists:
            raise Unresolved(
                Problem(
                    "pinned_version_missing",
                    f"version {ref.label()} of {fn.name} does not exist "
                    "(deleted, or never published); pin an existing version",
                )
            )
        return Resolved(version, ref.label())
    return resolve_content(ref, fn, snap, serves)


def resolve_content(
    ref: ContentVersion, fn: FunctionRef, snap: FunctionSnapshot, serves: frozenset[str]
) -> Resolved:
    found = snap.content.get(ref.code_sha256)
    if found is None:
        raise Unresolved(needs=frozenset({ContentHash(ref.code_sha256)}))
    kept = sorted(found.serving & serves, key=int)
    if kept:  # already served: no churn
        return Resolved(kept[-1], f"{ref.name} ({kept[-1]})")
    if found.version is None and found.publish_from is None and found.serving:
        # Only the served versions were checked, and this alias serves none of them.
        raise Unresolved(needs=frozenset({ContentHash(ref.code_sha256)}))
    if found.version is not None:
        return Resolved(found.version, f"{ref.name} ({found.version})")
    if found.publish_from is not None:
        publish = PublishVersion(
            fn=fn,
            code_sha256=ref.code_sha256,
            description=ref.description,
            latest_revision_id=found.publish_from.revision_id,
            ref_name=ref.name,
        )
        return Resolved(PendingVersion(ref.code_sha256), f"{ref.name} (new from $LATEST)", publish)
    raise Unresolved(
        Problem(
            "hash_not_found",
            f"no version of {fn.name} has code_sha256 {ref.code_sha256} ({ref.name}), "
            "and $LATEST has other code; deploy that build to $LATEST first",
        )
    )


def desired_state(
    spec: AliasSpec, fn: FunctionRef, snap: FunctionSnapshot
) -> tuple[AliasState, list[PublishVersion]]:
    live = snap.aliases.get(spec.name)
    primary = resolve(spec.version, fn, snap, frozenset({live.version}) if live else frozenset())
    weighted = frozenset(v for v, _ in live.weights) if live else frozenset()
    weights: list[tuple[Version, float]] = []
    labels: list[str] = []
    publishes = [primary.publish] if primary.publish else []
    for ref, weight in spec.weights:
        extra = resolve(ref, fn, snap, weighted)
        if extra.version == primary.version:
            raise Unresolved(
                Problem(
                    "weight_on_primary",
                    f"weights give {extra.label} traffic, but that is the alias's own version "
                    f"({primary.label}); Lambda rejects a weight on the primary version. "
                    "Remove the weight, or point `version` elsewhere",
                    spec.name,
                )
            )
        if extra.publish:
            publishes.append(extra.publish)
        if weight > 0:
            weights.append((extra.version, weight))
            labels.append(extra.label)
    state = AliasState(
        version=primary.version,
        weights=tuple(weights),
        description=spec.description,
        version_label=primary.label,
        weight_labels=tuple(labels),
    )
    return state, publishes
