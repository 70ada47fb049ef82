"""Version garbage collection: which published versions may go. Pure.

With ``retain_versions: {keep_last: N}``, published versions older than the
newest N are deleted unless something still needs them. Every version that is
kept although old is listed with its reason, so a reviewer sees why. Without
``retain_versions`` nothing is ever deleted (and nothing more is read).

What counts as a reference: the aliases as they will be once this run's alias
changes are applied (version deletes run last, after the aliases moved off), a
rollout marker (in flight or failed: both its versions), the manifest (numbers
and resolved content references, named or used by an alias), a
provisioned-concurrency config on the version, an event source mapping or
function URL on the version or on an alias serving it, and a resource-based
policy statement on the version. ``$LATEST`` is never
deleted. Versions about to be published count among the newest N, so a run
that publishes converges in one apply.

Cost: the version list (one paged ListVersionsByFunction) always; event source
mappings, function URLs and provisioned-concurrency configs only when some old
version is referred to by nothing else (the planner asks for them then), and
one GetPolicy per version still to be deleted after that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.aws.live import Attachment, FunctionSnapshot, ProvisionedConfig
from reconciler.manifest.model import (
    LATEST,
    ContentVersion,
    FunctionSpec,
    PinnedVersion,
    VersionRef,
)
from reconciler.plan import Action, DeleteVersion, FunctionRef, Retained
from reconciler.plan.description import split_rollout as parse
from reconciler.plan.requests import AllVersions, Policy, ReadRequest, VersionReferences

# What the planner asks the reader for.
NEED_VERSIONS = AllVersions()
NEED_REFERENCES = VersionReferences()

__all__ = ["Collection", "Retained", "collect", "plan_collection"]


@dataclass(frozen=True)
class Collection:
    delete: tuple[str, ...]
    retained: tuple[Retained, ...]


def collect(
    published: Iterable[str],
    keep_last: int,
    references: Mapping[str, Iterable[str]],
    pending: int = 0,
) -> Collection:
    """Decide which versions to delete.

    ``published``: version numbers (``$LATEST`` is ignored: it is never
    deleted). ``references``: version -> reasons it is in use. ``pending``:
    versions this run publishes; they take places among the newest
    ``keep_last``. Versions among the newest are kept without being listed;
    older referenced ones are kept and listed.
    """
    numbers = sorted({int(v) for v in published if v != LATEST and v.isdigit()}, reverse=True)
    newest = {str(n) for n in numbers[: max(keep_last - pending, 0)]}
    delete: list[str] = []
    retained: list[Retained] = []
    for number in sorted(numbers):
        version = str(number)
        if version in newest:
            continue
        reasons = sorted(set(references.get(version, ())))
        if reasons:
            retained.append(Retained(version, "; ".join(reasons)))
        else:
            delete.append(version)
    return Collection(tuple(delete), tuple(retained))


# -- references ---------------------------------------------------------------------


def _add(refs: dict[str, set[str]], version: object, reason: str) -> None:
    # Only published numbers count: $LATEST and versions still to publish are never collected.
    if isinstance(version, str) and version.isdigit():
        refs.setdefault(version, set()).add(reason)


def aliases_after(
    snap: FunctionSnapshot, actions: Sequence[Action]
) -> dict[str, tuple[tuple[str, ...], str]]:
    """Alias -> (versions it serves, description) once ``actions`` are applied."""
    after = {name: (a.versions(), a.description) for name, a in snap.aliases.items()}
    for action in actions:
        effect = action.alias_after()
        if effect is None:
            continue
        name, state = effect
        if state is None:
            after.pop(name, None)
            continue
        old = after.get(name, ((), ""))[1]
        after[name] = (
            tuple(v for v in state.versions() if isinstance(v, str)),
            old if state.description is None else state.description,
        )
    return after


def _manifest_version(ref: VersionRef, snap: FunctionSnapshot) -> str | None:
    if isinstance(ref, PinnedVersion):
        return str(ref.number)
    if not isinstance(ref, ContentVersion):
        return None
    found = snap.content.get(ref.code_sha256)
    if found is not None and found.version is not None:
        return found.version
    matching = [
        int(v.version)
        for v in snap.published or ()
        if v.version.isdigit() and v.code_sha256 == ref.code_sha256
    ]
    return str(max(matching)) if matching else None


def core_references(
    spec: FunctionSpec, snap: FunctionSnapshot, actions: Sequence[Action]
) -> dict[str, set[str]]:
    """References known from ListAliases and the manifest alone (no extra reads)."""
    refs: dict[str, set[str]] = {}
    for name, (versions, description) in aliases_after(snap, actions).items():
        for version in versions:
            _add(refs, version, f"alias {name}")
        marker = parse(description)[1]
        if marker is not None:
            what = "failed rollout" if marker.kind == "failed" else "rollout in flight"
            for rolled in (marker.source, marker.target):
                _add(refs, rolled, f"{what} on alias {name}")
    named: list[tuple[VersionRef, str]] = [(ref, name) for name, ref in spec.versions]
    for alias in spec.aliases:
        named.append((alias.version, ""))
        named.extend((ref, "") for ref, _ in alias.weights)
    for ref, label in named:
        found = _manifest_version(ref, snap)
        _add(refs, found, f"in the manifest as {label}" if label else "in the manifest")
    return refs


def outside_references(
    aliases: Mapping[str, tuple[tuple[str, ...], str]],
    provisioned: Iterable[ProvisionedConfig],
    attachments: Iterable[Attachment],
) -> dict[str, set[str]]:
    """References from provisioned concurrency, event source mappings and URLs."""
    refs: dict[str, set[str]] = {}
    for config in provisioned:
        _add(refs, config.qualifier, f"provisioned concurrency {config.requested}")
    for item in attachments:
        if item.qualifier is None or item.qualifier == LATEST:
            continue
        if item.qualifier.isdigit():
            _add(refs, item.qualifier, f"{item.kind} {item.name}")
            continue
        for version in aliases.get(item.qualifier, ((), ""))[0]:
            _add(refs, version, f"{item.kind} {item.name} (via alias {item.qualifier})")
    return refs


def _merge(*maps: Mapping[str, set[str]]) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for refs in maps:
        for version, reasons in refs.items():
            merged.setdefault(version, set()).update(reasons)
    return merged


@dataclass(frozen=True)
class CollectionPlan:
    deletes: tuple[DeleteVersion, ...] = ()
    retained: tuple[Retained, ...] = ()
    needs: frozenset[ReadRequest] = frozenset()


def plan_collection(
    spec: FunctionSpec, fn: FunctionRef, snap: FunctionSnapshot, actions: Sequence[Action]
) -> CollectionPlan:
    """The version deletes ``spec.retain_versions`` asks for, given the plan so far."""
    retain = spec.retain_versions
    if retain is None:
        return CollectionPlan()
    if snap.published is None:
        return CollectionPlan(needs=frozenset({NEED_VERSIONS}))
    published = [v.version for v in snap.published]
    pending = len({a.publishes() for a in actions} - {None})
    core = core_references(spec, snap, actions)
    first = collect(published, retain.keep_last, core, pending)
    if first.delete and (snap.provisioned is None or snap.attachments is None):
        # Old versions nothing in the manifest or the aliases needs: read what
        # else might (a function without such versions never pays these reads).
        return CollectionPlan(needs=frozenset({NEED_REFERENCES}))
    outside = outside_references(
        aliases_after(snap, actions),
        (snap.provisioned or {}).values(),
        snap.attachments or (),
    )
    final = collect(published, retain.keep_last, _merge(core, outside), pending)
    unread = sorted(set(final.delete) - set(snap.policies), key=int)
    if unread:
        # A statement bound to the version (e.g. an S3 trigger's permission) keeps it:
        # one GetPolicy per version that would otherwise go.
        return CollectionPlan(needs=frozenset(Policy(v) for v in unread))
    permitted: dict[str, set[str]] = {}
    for version in final.delete:
        for statement in snap.policies.get(version, ()):
            _add(permitted, version, f"permission {statement.sid} on the version")
    if permitted:
        final = collect(published, retain.keep_last, _merge(core, outside, permitted), pending)
    deletes = tuple(DeleteVersion(fn, v, retain.keep_last) for v in final.delete)
    return CollectionPlan(deletes, final.retained)
