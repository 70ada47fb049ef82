"""What every action on something bound to an alias shares: its JSON form.

Event source mappings, function URLs and resource-based policy statements
are bound to an alias's ARN, so a repoint moves them with the alias. Each
action's change document carries one ``binding`` object:
``{"type", "key", "id", "binds_to", "before", "after", "changed", "why"}``
(``type``: event_source | function_url | permission; ``key``: the source ARN,
the alias, or the statement id; ``id``: the mapping's UUID or the URL, when
one exists; ``why`` of a removal: unlisted (found on the alias, not in the
manifest, ``prune: true``), alias_deleted (the alias is pruned) or changed
(a statement is replaced: remove, then add)).
"""

from __future__ import annotations

from typing import Any

from reconciler.manifest.model import CorsSpec, EventSourceSpec, FunctionUrlSpec, PermissionSpec
from reconciler.plan.kinds.base import Doc

# Why a binding is removed.
UNLISTED = "unlisted"
ALIAS_DELETED = "alias_deleted"
CHANGED = "changed"

REMOVAL_TEXT = {
    UNLISTED: "not in the manifest; prune: true",
    ALIAS_DELETED: "its alias is pruned",
    CHANGED: "changed: removed, then added again",
}


def binding_doc(
    type_: str,
    key: str,
    binds_to: str,
    *,
    before: Doc | None = None,
    after: Doc | None = None,
    ident: str | None = None,
    changed: tuple[str, ...] = (),
    why: str | None = None,
) -> Doc:
    return {
        "binding": {
            "type": type_,
            "key": key,
            "id": ident,
            "binds_to": binds_to,
            "before": before,
            "after": after,
            "changed": list(changed),
            "why": why,
        }
    }


def binding(change: Doc) -> Doc:
    found: Doc = change["binding"]
    return found


# -- specs as JSON, and back ------------------------------------------------------------


def event_source_doc(spec: EventSourceSpec) -> Doc:
    return {
        "source": spec.source,
        "batch_size": spec.batch_size,
        "enabled": spec.enabled,
        "maximum_batching_window": spec.maximum_batching_window,
        "starting_position": spec.starting_position,
    }


def event_source_of(doc: Doc) -> EventSourceSpec:
    return EventSourceSpec(
        source=str(doc["source"]),
        batch_size=_int_or_none(doc.get("batch_size")),
        enabled=bool(doc.get("enabled", True)),
        maximum_batching_window=_int_or_none(doc.get("maximum_batching_window")),
        starting_position=doc.get("starting_position"),
    )


def cors_doc(cors: CorsSpec | None) -> Doc | None:
    if cors is None:
        return None
    return {
        "allow_origins": list(cors.allow_origins),
        "allow_methods": list(cors.allow_methods),
        "allow_headers": list(cors.allow_headers),
        "expose_headers": list(cors.expose_headers),
        "allow_credentials": cors.allow_credentials,
        "max_age": cors.max_age,
    }


def cors_of(doc: Doc | None) -> CorsSpec | None:
    if doc is None:
        return None
    return CorsSpec(
        allow_origins=tuple(doc.get("allow_origins") or ()),
        allow_methods=tuple(doc.get("allow_methods") or ()),
        allow_headers=tuple(doc.get("allow_headers") or ()),
        expose_headers=tuple(doc.get("expose_headers") or ()),
        allow_credentials=bool(doc.get("allow_credentials", False)),
        max_age=int(doc.get("max_age") or 0),
    )


def url_doc(spec: FunctionUrlSpec) -> Doc:
    return {
        "auth_type": spec.auth_type,
        "invoke_mode": spec.invoke_mode,
        "cors": cors_doc(spec.cors),
    }


def url_of(doc: Doc) -> FunctionUrlSpec:
    return FunctionUrlSpec(
        auth_type=str(doc["auth_type"]),
        invoke_mode=str(doc.get("invoke_mode") or "BUFFERED"),
        cors=cors_of(doc.get("cors")),
    )


def permission_doc(spec: PermissionSpec) -> Doc:
    return {
        "sid": spec.sid,
        "principal": spec.principal,
        "action": spec.action,
        "source_arn": spec.source_arn,
        "source_account": spec.source_account,
        "function_url_auth_type": spec.function_url_auth_type,
    }


def permission_of(doc: Doc) -> PermissionSpec:
    return PermissionSpec(
        sid=str(doc["sid"]),
        principal=str(doc["principal"]),
        action=str(doc.get("action") or "lambda:InvokeFunction"),
        source_arn=doc.get("source_arn"),
        source_account=doc.get("source_account"),
        function_url_auth_type=doc.get("function_url_auth_type"),
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def field_text(name: str, before: Any, after: Any) -> str:
    """One changed field for a text line, e.g. ``batch_size 10 -> 5``."""
    return f"{name} {_value(before)} -> {_value(after)}"


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)
