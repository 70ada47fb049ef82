"""Event source mappings bound to an alias: create, update, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from reconciler.manifest.model import EventSourceSpec
from reconciler.plan.kinds.base import ActionBase, ApplyContext, Doc, Kind, drift_item, where
from reconciler.plan.kinds.bindings import (
    ALIAS_DELETED,
    REMOVAL_TEXT,
    binding,
    binding_doc,
    event_source_doc,
    event_source_of,
    field_text,
)
from reconciler.plan.model import ActionResult
from reconciler.plan.state import FunctionRef

TYPE = "event_source"
# The fields of a mapping the manifest manages (starting_position only at create).
FIELDS = ("batch_size", "enabled", "maximum_batching_window")


def details(spec: EventSourceSpec) -> str:
    parts = [] if spec.enabled else ["disabled"]
    if spec.batch_size is not None:
        parts.append(f"batch size {spec.batch_size}")
    if spec.maximum_batching_window is not None:
        parts.append(f"window {spec.maximum_batching_window}s")
    if spec.starting_position:
        parts.append(f"from {spec.starting_position}")
    return f" ({', '.join(parts)})" if parts else ""


@dataclass(frozen=True)
class CreateEventSource(ActionBase):
    fn: FunctionRef
    alias: str
    spec: EventSourceSpec
    binds_to: str
    action: Literal["create_event_source"] = "create_event_source"
    order: ClassVar[int] = 2
    summary_key: ClassVar[str] = "bindings"

    def describe(self) -> str:
        return (
            f"+ event source {where(self)}  {self.spec.source}{details(self.spec)}"
            f"  -> {self.binds_to}"
        )


@dataclass(frozen=True)
class UpdateEventSource(ActionBase):
    fn: FunctionRef
    alias: str
    uuid: str
    before: EventSourceSpec
    after: EventSourceSpec
    fields: tuple[str, ...]
    binds_to: str
    action: Literal["update_event_source"] = "update_event_source"
    order: ClassVar[int] = 2
    summary_key: ClassVar[str] = "bindings"

    def describe(self) -> str:
        changes = ", ".join(
            field_text(f, getattr(self.before, f), getattr(self.after, f)) for f in self.fields
        )
        return f"~ event source {where(self)}  {self.after.source}  {changes}  ({self.uuid})"


@dataclass(frozen=True)
class DeleteEventSource(ActionBase):
    fn: FunctionRef
    alias: str
    uuid: str
    before: EventSourceSpec
    why: str
    binds_to: str
    action: Literal["delete_event_source"] = "delete_event_source"
    order: ClassVar[int] = 4
    summary_key: ClassVar[str] = "bindings"

    def describe(self) -> str:
        return (
            f"- event source {where(self)}  {self.before.source}  ({self.uuid}; "
            f"{REMOVAL_TEXT.get(self.why, self.why)})"
        )


class CreateEventSourceKind(Kind[CreateEventSource]):
    name = "create_event_source"
    cls = CreateEventSource

    def encode(self, action: CreateEventSource) -> Doc:
        return binding_doc(
            TYPE, action.spec.source, action.binds_to, after=event_source_doc(action.spec)
        )

    def decode(self, change: Doc, fn: FunctionRef) -> CreateEventSource:
        b = binding(change)
        return CreateEventSource(fn, change["alias"], event_source_of(b["after"]), b["binds_to"])

    def ident(self, action: CreateEventSource) -> str:
        return action.spec.source

    def drift(self, action: CreateEventSource) -> list[Doc]:
        return [
            drift_item(
                action,
                "event_source_missing",
                event_source_doc(action.spec),
                None,
                f"{where(action)}: no event source mapping from {action.spec.source}",
            )
        ]

    def apply(self, action: CreateEventSource, ctx: ApplyContext) -> ActionResult:
        made = ctx.gw.create_event_source_mapping(action.fn.function, action.alias, action.spec)
        return ActionResult(action, "applied", f"mapping {made.uuid} ({made.state})")

    def comparable(self, action: CreateEventSource, ctx: ApplyContext) -> object:
        return (self.name, action.alias, action.spec)


class UpdateEventSourceKind(Kind[UpdateEventSource]):
    name = "update_event_source"
    cls = UpdateEventSource

    def encode(self, action: UpdateEventSource) -> Doc:
        return binding_doc(
            TYPE,
            action.after.source,
            action.binds_to,
            before=event_source_doc(action.before),
            after=event_source_doc(action.after),
            ident=action.uuid,
            changed=action.fields,
        )

    def decode(self, change: Doc, fn: FunctionRef) -> UpdateEventSource:
        b = binding(change)
        return UpdateEventSource(
            fn,
            change["alias"],
            str(b["id"]),
            event_source_of(b["before"]),
            event_source_of(b["after"]),
            tuple(b["changed"]),
            b["binds_to"],
        )

    def ident(self, action: UpdateEventSource) -> str:
        return action.after.source

    def drift(self, action: UpdateEventSource) -> list[Doc]:
        changes = ", ".join(
            field_text(f, getattr(action.before, f), getattr(action.after, f))
            for f in action.fields
        )
        return [
            drift_item(
                action,
                "event_source_differs",
                {f: getattr(action.after, f) for f in action.fields},
                {f: getattr(action.before, f) for f in action.fields},
                f"{where(action)}: event source mapping from {action.after.source} differs "
                f"(AWS -> manifest: {changes})",
            )
        ]

    def apply(self, action: UpdateEventSource, ctx: ApplyContext) -> ActionResult:
        ctx.gw.update_event_source_mapping(
            action.fn.function, action.alias, action.uuid, action.after
        )
        return ActionResult(action, "applied")

    def comparable(self, action: UpdateEventSource, ctx: ApplyContext) -> object:
        return (self.name, action.alias, action.uuid, action.after)


class DeleteEventSourceKind(Kind[DeleteEventSource]):
    name = "delete_event_source"
    cls = DeleteEventSource

    def encode(self, action: DeleteEventSource) -> Doc:
        return binding_doc(
            TYPE,
            action.before.source,
            action.binds_to,
            before=event_source_doc(action.before),
            ident=action.uuid,
            why=action.why,
        )

    def decode(self, change: Doc, fn: FunctionRef) -> DeleteEventSource:
        b = binding(change)
        return DeleteEventSource(
            fn,
            change["alias"],
            str(b["id"]),
            event_source_of(b["before"]),
            str(b["why"]),
            b["binds_to"],
        )

    def ident(self, action: DeleteEventSource) -> str:
        return action.before.source

    def drift(self, action: DeleteEventSource) -> list[Doc]:
        if action.why == ALIAS_DELETED:
            return []  # the alias's own deletion is the difference
        return [
            drift_item(
                action,
                "attachment_unmanaged",
                None,
                event_source_doc(action.before),
                f"{where(action)}: event source mapping {action.uuid} from "
                f"{action.before.source} is not in the manifest (prune: true deletes it)",
            )
        ]

    def apply(self, action: DeleteEventSource, ctx: ApplyContext) -> ActionResult:
        if ctx.gw.delete_event_source_mapping(action.fn.function, action.alias, action.uuid):
            return ActionResult(action, "applied")
        return ActionResult(action, "skipped", "already deleted")

    def comparable(self, action: DeleteEventSource, ctx: ApplyContext) -> object:
        return (self.name, action.alias, action.uuid)
