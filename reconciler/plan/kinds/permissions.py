"""Resource-based policy statements on an alias: add, remove (a change is both).

Lambda has no call that updates a statement, so a changed statement is a
remove followed at once by an add of the same statement id; the plan lists
both, adjacent, and the remove says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from reconciler.manifest.model import PermissionSpec
from reconciler.plan.kinds.base import ActionBase, ApplyContext, Doc, Kind, drift_item, where
from reconciler.plan.kinds.bindings import (
    CHANGED,
    REMOVAL_TEXT,
    UNLISTED,
    binding,
    binding_doc,
    field_text,
    permission_doc,
    permission_of,
)
from reconciler.plan.model import ActionResult
from reconciler.plan.state import FunctionRef

TYPE = "permission"
FIELDS = ("principal", "action", "source_arn", "source_account", "function_url_auth_type")


def statement_text(spec: PermissionSpec) -> str:
    text = f"{spec.sid}: {spec.principal} may {spec.action}"
    if spec.source_arn:
        text += f" from {spec.source_arn}"
    if spec.source_account:
        text += f" (account {spec.source_account})"
    if spec.function_url_auth_type:
        text += f" (URL auth {spec.function_url_auth_type})"
    return text


def changed_fields(before: PermissionSpec, after: PermissionSpec) -> tuple[str, ...]:
    return tuple(f for f in FIELDS if getattr(before, f) != getattr(after, f))


@dataclass(frozen=True)
class AddPermission(ActionBase):
    fn: FunctionRef
    alias: str
    spec: PermissionSpec
    binds_to: str
    # The statement it replaces (this add follows its remove), if any.
    replaces: PermissionSpec | None = None
    action: Literal["add_permission"] = "add_permission"
    order: ClassVar[int] = 2
    summary_key: ClassVar[str] = "bindings"

    def describe(self) -> str:
        again = " (again, changed)" if self.replaces is not None else ""
        return f"+ permission {where(self)}  {statement_text(self.spec)}{again}  -> {self.binds_to}"


@dataclass(frozen=True)
class RemovePermission(ActionBase):
    fn: FunctionRef
    alias: str
    before: PermissionSpec
    why: str
    binds_to: str
    # For a change: the statement added right after.
    after: PermissionSpec | None = None
    action: Literal["remove_permission"] = "remove_permission"
    # A change's remove is adjacent to its add: never cut between them.
    order: ClassVar[int] = 2
    summary_key: ClassVar[str] = "bindings"

    def describe(self) -> str:
        why = REMOVAL_TEXT.get(self.why, self.why)
        if self.after is not None:
            changes = ", ".join(
                field_text(f, getattr(self.before, f), getattr(self.after, f))
                for f in changed_fields(self.before, self.after)
            )
            why = f"{why}: {changes}"
        return f"- permission {where(self)}  {statement_text(self.before)}  ({why})"


class AddPermissionKind(Kind[AddPermission]):
    name = "add_permission"
    cls = AddPermission

    def encode(self, action: AddPermission) -> Doc:
        before = None if action.replaces is None else permission_doc(action.replaces)
        changed = () if action.replaces is None else changed_fields(action.replaces, action.spec)
        return binding_doc(
            TYPE,
            action.spec.sid,
            action.binds_to,
            before=before,
            after=permission_doc(action.spec),
            changed=changed,
        )

    def decode(self, change: Doc, fn: FunctionRef) -> AddPermission:
        b = binding(change)
        replaces = None if b.get("before") is None else permission_of(b["before"])
        return AddPermission(
            fn, change["alias"], permission_of(b["after"]), b["binds_to"], replaces
        )

    def ident(self, action: AddPermission) -> str:
        return action.spec.sid

    def drift(self, action: AddPermission) -> list[Doc]:
        if action.replaces is not None:
            return []  # its remove reports the difference
        return [
            drift_item(
                action,
                "permission_missing",
                permission_doc(action.spec),
                None,
                f"{where(action)}: no policy statement {action.spec.sid}",
            )
        ]

    def apply(self, action: AddPermission, ctx: ApplyContext) -> ActionResult:
        ctx.gw.add_permission(action.fn.function, action.alias, action.spec)
        return ActionResult(action, "applied")

    def comparable(self, action: AddPermission, ctx: ApplyContext) -> object:
        return (self.name, action.alias, action.spec)


class RemovePermissionKind(Kind[RemovePermission]):
    name = "remove_permission"
    cls = RemovePermission

    def encode(self, action: RemovePermission) -> Doc:
        after = None if action.after is None else permission_doc(action.after)
        changed = () if action.after is None else changed_fields(action.before, action.after)
        return binding_doc(
            TYPE,
            action.before.sid,
            action.binds_to,
            before=permission_doc(action.before),
            after=after,
            changed=changed,
            why=action.why,
        )

    def decode(self, change: Doc, fn: FunctionRef) -> RemovePermission:
        b = binding(change)
        after = None if b.get("after") is None else permission_of(b["after"])
        return RemovePermission(
            fn, change["alias"], permission_of(b["before"]), str(b["why"]), b["binds_to"], after
        )

    def ident(self, action: RemovePermission) -> str:
        return action.before.sid

    def drift(self, action: RemovePermission) -> list[Doc]:
        if action.why == CHANGED and action.after is not None:
            fields = changed_fields(action.before, action.after)
            changes = ", ".join(
                field_text(f, getattr(action.before, f), getattr(action.after, f)) for f in fields
            )
            return [
                drift_item(
                    action,
                    "permission_differs",
                    {f: getattr(action.after, f) for f in fields},
                    {f: getattr(action.before, f) for f in fields},
                    f"{where(action)}: policy statement {action.before.sid} differs "
                    f"(AWS -> manifest: {changes})",
                )
            ]
        if action.why == UNLISTED:
            return [
                drift_item(
                    action,
                    "attachment_unmanaged",
                    None,
                    permission_doc(action.before),
                    f"{where(action)}: policy statement {action.before.sid} is not in the "
                    "manifest (prune: true removes it)",
                )
            ]
        return []

    def apply(self, action: RemovePermission, ctx: ApplyContext) -> ActionResult:
        if ctx.gw.remove_permission(action.fn.function, action.alias, action.before.sid):
            return ActionResult(action, "applied")
        return ActionResult(action, "skipped", "already removed")

    def comparable(self, action: RemovePermission, ctx: ApplyContext) -> object:
        return (self.name, action.alias, action.before.sid, action.after)
