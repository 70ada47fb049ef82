"""What is bound to an alias: event source mappings, a function URL, policy
statements. Planning only (pure); the actions live in :mod:`reconciler.plan.kinds`.

A key absent from an alias manages nothing. A key present is the whole
desired set for that alias: listed items are created or updated to match;
items found bound to the alias and not listed are ``attachment_unmanaged``
notes, removed only with ``prune: true``. Everything is matched by its key:
a mapping by its event source ARN, the URL by its alias, a statement by its
id. Bindings are made after their alias exists and before traffic moves to
it (the planner places them); a repoint changes none of them, since they are
bound to the alias ARN. Pruning an alias removes what is bound to it first.

Reads (the reader makes them up front, or when asked): one paged
ListEventSourceMappings per function that declares ``event_sources``, one
paged ListFunctionUrlConfigs per function that declares ``function_url``,
one GetPolicy per live alias that declares ``permissions``; a pruned alias
needs all three. Whatever was read is also checked for things bound to a
version number or to the unqualified function (``bound_to_version``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.aws.live import EventSourceMapping, FunctionSnapshot, FunctionUrl, PolicyStatement
from reconciler.manifest.model import (
    LATEST,
    AliasSpec,
    EventSourceSpec,
    FunctionSpec,
    FunctionUrlSpec,
    PermissionSpec,
)
from reconciler.plan import (
    Action,
    AddPermission,
    Bound,
    CreateEventSource,
    CreateFunctionUrl,
    DeleteEventSource,
    DeleteFunctionUrl,
    FunctionRef,
    Note,
    RemovePermission,
    UpdateEventSource,
    UpdateFunctionUrl,
)
from reconciler.plan.kinds.bindings import ALIAS_DELETED, CHANGED, UNLISTED
from reconciler.plan.kinds.event_sources import FIELDS as EVENT_SOURCE_FIELDS
from reconciler.plan.kinds.permissions import changed_fields as statement_changes
from reconciler.plan.kinds.urls import FIELDS as URL_FIELDS
from reconciler.plan.requests import EventSources, FunctionUrls, Policy, ReadRequest

_HINT = "bind it to an alias (event_sources, function_url or permissions under the alias)"


@dataclass(frozen=True)
class AliasBindings:
    """One alias's binding changes: ``actions`` go beside the alias's own
    change (after a create, before an update); ``cleanup`` runs with the
    deletes at the end (mappings and URLs no longer listed)."""

    actions: tuple[Action, ...] = ()
    cleanup: tuple[Action, ...] = ()
    notes: tuple[Note, ...] = ()
    needs: frozenset[ReadRequest] = frozenset()


def reads_for(spec: FunctionSpec) -> tuple[bool, bool, tuple[str, ...]]:
    """(list mappings, list URLs, aliases whose policy to read) that ``spec`` needs."""
    mappings = any(a.event_sources is not None for a in spec.aliases)
    urls = any(a.function_url is not None for a in spec.aliases)
    policies = tuple(a.name for a in spec.aliases if a.permissions is not None)
    return mappings, urls, policies


def binds_to(fn: FunctionRef, alias: str, snap: FunctionSnapshot) -> str:
    """The alias ARN, as far as what was read tells it; else ``name:alias``."""
    for live in snap.aliases.values():
        if live.arn.count(":") >= 7:
            return live.arn.rsplit(":", 1)[0] + ":" + alias
    for mapping in snap.event_sources or ():
        if mapping.function_arn.count(":") >= 6:
            return ":".join(mapping.function_arn.split(":")[:7]) + ":" + alias
    return f"{fn.name}:{alias}"


def plan_bindings(
    fn: FunctionRef, spec: AliasSpec, snap: FunctionSnapshot, exists: bool, prune: bool
) -> AliasBindings:
    """What must change for what is bound to ``spec``'s alias to match it.
    ``exists``: the alias is live now (else nothing is bound to it yet)."""
    if not spec.binds:
        return AliasBindings()
    needs: set[ReadRequest] = set()
    if spec.event_sources is not None and snap.event_sources is None:
        needs.add(EventSources(spec.name))
    if spec.function_url is not None and snap.urls is None:
        needs.add(FunctionUrls(spec.name))
    if spec.permissions is not None and exists and spec.name not in snap.policies:
        needs.add(Policy(spec.name, spec.name))
    if needs:
        return AliasBindings(needs=frozenset(needs))
    target = binds_to(fn, spec.name, snap)
    actions: list[Action] = []
    cleanup: list[Action] = []
    notes: list[Note] = []
    if spec.event_sources is not None:
        live = [m for m in _mappings(snap) if m.qualifier == spec.name] if exists else []
        _event_sources(fn, spec, live, target, prune, actions, cleanup, notes)
    if spec.function_url is not None:
        url = next((u for u in snap.urls or () if u.qualifier == spec.name), None)
        _url(fn, spec.name, spec.function_url, url if exists else None, target, actions)
    if spec.permissions is not None:
        statements = snap.policies.get(spec.name, ()) if exists else ()
        _permissions(fn, spec, statements, target, prune, actions, notes)
    return AliasBindings(tuple(actions), tuple(cleanup), tuple(notes))


def _mappings(snap: FunctionSnapshot) -> list[EventSourceMapping]:
    # AWS lists a deleted mapping as Deleting for a while: it is gone already.
    return [m for m in snap.event_sources or () if m.state != "Deleting"]


def _unmanaged(alias: str, what: str) -> Note:
    return Note(
        f"alias {alias}: {what} is bound to it but not in the manifest; kept "
        "(list it, or set prune: true to remove it)",
        alias=alias,
        kind="attachment_unmanaged",
    )


def live_event_source(mapping: EventSourceMapping) -> EventSourceSpec:
    return EventSourceSpec(
        source=mapping.source,
        batch_size=mapping.batch_size,
        enabled=mapping.enabled,
        maximum_batching_window=mapping.maximum_batching_window,
        starting_position=mapping.starting_position,
    )


def _event_sources(
    fn: FunctionRef,
    spec: AliasSpec,
    live: Sequence[EventSourceMapping],
    target: str,
    prune: bool,
    actions: list[Action],
    cleanup: list[Action],
    notes: list[Note],
) -> None:
    by_source = {m.source: m for m in live}
    for want in spec.event_sources or ():
        found = by_source.get(want.source)
        if found is None:
            actions.append(CreateEventSource(fn, spec.name, want, target))
            continue
        have = live_event_source(found)
        fields = tuple(
            f
            for f in EVENT_SOURCE_FIELDS
            # An optional field left out of the manifest is not managed.
            if getattr(want, f) is not None and getattr(want, f) != getattr(have, f)
        )
        if fields:
            after = EventSourceSpec(
                want.source,
                want.batch_size if want.batch_size is not None else have.batch_size,
                want.enabled,
                want.maximum_batching_window
                if want.maximum_batching_window is not None
                else have.maximum_batching_window,
                have.starting_position,
            )
            actions.append(
                UpdateEventSource(fn, spec.name, found.uuid, have, after, fields, target)
            )
        if want.starting_position and have.starting_position not in (None, want.starting_position):
            notes.append(
                Note(
                    f"alias {spec.name}: the mapping from {want.source} starts at "
                    f"{have.starting_position}, the manifest says {want.starting_position}; "
                    "AWS cannot change it on an existing mapping (delete the mapping to "
                    "have it created again)",
                    alias=spec.name,
                    kind="event_source_immutable",
                )
            )
    wanted = {w.source for w in spec.event_sources or ()}
    for mapping in live:
        if mapping.source in wanted:
            continue
        if prune:
            cleanup.append(
                DeleteEventSource(
                    fn, spec.name, mapping.uuid, live_event_source(mapping), UNLISTED, target
                )
            )
        else:
            notes.append(
                _unmanaged(spec.name, f"event source mapping {mapping.uuid} ({mapping.source})")
            )


def live_url(url: FunctionUrl) -> FunctionUrlSpec:
    return FunctionUrlSpec(url.auth_type, url.invoke_mode, url.cors)


def _url(
    fn: FunctionRef,
    alias: str,
    want: FunctionUrlSpec,
    live: FunctionUrl | None,
    target: str,
    actions: list[Action],
) -> None:
    if live is None:
        actions.append(CreateFunctionUrl(fn, alias, want, target))
        return
    have = live_url(live)
    fields = tuple(f for f in URL_FIELDS if getattr(want, f) != getattr(have, f))
    if fields:
        actions.append(UpdateFunctionUrl(fn, alias, live.url, have, want, fields, target))


def live_statement(statement: PolicyStatement) -> PermissionSpec:
    return PermissionSpec(
        sid=statement.sid,
        principal=statement.principal,
        action=statement.action,
        source_arn=statement.source_arn,
        source_account=statement.source_account,
        function_url_auth_type=statement.function_url_auth_type,
    )


def _permissions(
    fn: FunctionRef,
    spec: AliasSpec,
    statements: Iterable[PolicyStatement],
    target: str,
    prune: bool,
    actions: list[Action],
    notes: list[Note],
) -> None:
    by_sid = {s.sid: live_statement(s) for s in statements}
    for want in spec.permissions or ():
        have = by_sid.get(want.sid)
        if have is None:
            actions.append(AddPermission(fn, spec.name, want, target))
        elif statement_changes(have, want):
            # No update call: remove, then add at once (adjacent in the plan).
            actions.append(RemovePermission(fn, spec.name, have, CHANGED, target, want))
            actions.append(AddPermission(fn, spec.name, want, target, replaces=have))
    wanted = {w.sid for w in spec.permissions or ()}
    for sid, have in by_sid.items():
        if sid in wanted:
            continue
        if prune:
            actions.append(RemovePermission(fn, spec.name, have, UNLISTED, target))
        else:
            notes.append(_unmanaged(spec.name, f"policy statement {sid}"))


def plan_pruned(
    fn: FunctionRef, alias: str, snap: FunctionSnapshot
) -> tuple[tuple[Action, ...], frozenset[ReadRequest]]:
    """What is bound to an alias about to be deleted: removed first, each listed."""
    needs: set[ReadRequest] = set()
    if snap.event_sources is None:
        needs.add(EventSources(alias))
    if snap.urls is None:
        needs.add(FunctionUrls(alias))
    if alias not in snap.policies:
        needs.add(Policy(alias, alias))
    if needs:
        return (), frozenset(needs)
    target = binds_to(fn, alias, snap)
    actions: list[Action] = [
        DeleteEventSource(fn, alias, m.uuid, live_event_source(m), ALIAS_DELETED, target)
        for m in _mappings(snap)
        if m.qualifier == alias
    ]
    actions.extend(
        DeleteFunctionUrl(fn, alias, u.url, live_url(u), ALIAS_DELETED, target)
        for u in snap.urls or ()
        if u.qualifier == alias
    )
    actions.extend(
        RemovePermission(fn, alias, live_statement(s), ALIAS_DELETED, target)
        for s in snap.policies.get(alias, ())
    )
    return tuple(actions), frozenset()


def bound_to_version(fn: FunctionRef, snap: FunctionSnapshot) -> tuple[Note, ...]:
    """Information: what was read and is bound to a version number or to the
    unqualified function, where a repoint or a rollback does not reach it."""
    found: list[tuple[str | None, str]] = []
    for m in snap.event_sources or ():
        found.append((m.qualifier, f"event source mapping {m.uuid} ({m.source})"))
    for u in snap.urls or ():
        found.append((u.qualifier, f"function URL {u.url}"))
    for read, statements in sorted(snap.policies.items()):
        found.extend((s.qualifier or read, f"policy statement {s.sid}") for s in statements)
    notes = []
    for qualifier, what in found:
        if qualifier is None or qualifier == LATEST:
            where = "the unqualified function ($LATEST)"
        elif qualifier.isdigit():
            where = f"version {qualifier}"
        else:
            continue
        notes.append(
            Note(
                f"{fn.name}: {what} is bound to {where}, not to an alias, so promoting or "
                f"rolling back does not move it; {_HINT}",
                kind="bound_to_version",
            )
        )
    return tuple(notes)


def bound_items(snap: FunctionSnapshot) -> tuple[Bound, ...]:
    """Everything read as bound to the function, by qualifier (for ``status``)."""
    items = [
        Bound(m.qualifier, "event_source", m.source or m.uuid, _mapping_detail(m))
        for m in snap.event_sources or ()
    ]
    items.extend(
        Bound(u.qualifier, "function_url", u.url, f"auth {u.auth_type}, {u.invoke_mode}")
        for u in snap.urls or ()
    )
    for read, statements in sorted(snap.policies.items()):
        items.extend(
            Bound(s.qualifier or read, "permission", s.sid, f"{s.principal} may {s.action}")
            for s in statements
        )
    return tuple(items)


def _mapping_detail(m: EventSourceMapping) -> str:
    size = f", batch size {m.batch_size}" if m.batch_size is not None else ""
    return f"{m.state}{size}"
