"""A function URL on an alias (Qualifier = the alias): create, update, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from reconciler.manifest.model import FunctionUrlSpec
from reconciler.plan.kinds.base import ActionBase, ApplyContext, Doc, Kind, drift_item, where
from reconciler.plan.kinds.bindings import (
    ALIAS_DELETED,
    REMOVAL_TEXT,
    binding,
    binding_doc,
    field_text,
    url_doc,
    url_of,
)
from reconciler.plan.model import ActionResult
from reconciler.plan.state import FunctionRef

TYPE = "function_url"
FIELDS = ("auth_type", "invoke_mode", "cors")


def _cors_text(spec: FunctionUrlSpec) -> str:
    if spec.cors is None:
        return "none"
    origins = ", ".join(spec.cors.allow_origins) or "no origins"
    return f"origins {origins}"


def _field(spec: FunctionUrlSpec, name: str) -> object:
    return _cors_text(spec) if name == "cors" else getattr(spec, name)


@dataclass(frozen=True)
class CreateFunctionUrl(ActionBase):
    fn: FunctionRef
    alias: str
    spec: FunctionUrlSpec
    binds_to: str
    action: Literal["create_function_url"] = "create_function_url"
    order: ClassVar[int] = 2
    summary_key: ClassVar[str] = "bindings"

    def describe(self) -> str:
        cors = f", CORS {_cors_text(self.spec)}" if self.spec.cors else ""
        return (
            f"+ function URL {where(self)}  auth {self.spec.auth_type}, "
            f"{self.spec.invoke_mode}{cors}  -> {self.binds_to}"
        )


@dataclass(frozen=True)
class UpdateFunctionUrl(ActionBase):
    fn: FunctionRef
    alias: str
    url: str
    before: FunctionUrlSpec
    after: FunctionUrlSpec
    fields: tuple[str, ...]
    binds_to: str
    action: Literal["update_function_url"] = "update_function_url"
    order: ClassVar[int] = 2
    summary_key: ClassVar[str] = "bindings"

    def describe(self) -> str:
        changes = ", ".join(
            field_text(f, _field(self.before, f), _field(self.after, f)) for f in self.fields
        )
        return f"~ function URL {where(self)}  {changes}  ({self.url})"


@dataclass(frozen=True)
class DeleteFunctionUrl(ActionBase):
    fn: FunctionRef
    alias: str
    url: str
    before: FunctionUrlSpec
    why: str
    binds_to: str
    action: Literal["delete_function_url"] = "delete_function_url"
    order: ClassVar[int] = 4
    summary_key: ClassVar[str] = "bindings"

    def describe(self) -> str:
        return f"- function URL {where(self)}  {self.url}  ({REMOVAL_TEXT.get(self.why, self.why)})"


class CreateFunctionUrlKind(Kind[CreateFunctionUrl]):
    name = "create_function_url"
    cls = CreateFunctionUrl

    def encode(self, action: CreateFunctionUrl) -> Doc:
        return binding_doc(TYPE, action.alias, action.binds_to, after=url_doc(action.spec))

    def ident(self, action: CreateFunctionUrl) -> str:
        return action.alias

    def decode(self, change: Doc, fn: FunctionRef) -> CreateFunctionUrl:
        b = binding(change)
        return CreateFunctionUrl(fn, change["alias"], url_of(b["after"]), b["binds_to"])

    def drift(self, action: CreateFunctionUrl) -> list[Doc]:
        return [
            drift_item(
                action,
                "function_url_missing",
                url_doc(action.spec),
                None,
                f"{where(action)}: no function URL on the alias",
            )
        ]

    def apply(self, action: CreateFunctionUrl, ctx: ApplyContext) -> ActionResult:
        made = ctx.gw.create_function_url(action.fn.function, action.alias, action.spec)
        return ActionResult(action, "applied", made.url)

    def comparable(self, action: CreateFunctionUrl, ctx: ApplyContext) -> object:
        return (self.name, action.alias, action.spec)


class UpdateFunctionUrlKind(Kind[UpdateFunctionUrl]):
    name = "update_function_url"
    cls = UpdateFunctionUrl

    def encode(self, action: UpdateFunctionUrl) -> Doc:
        return binding_doc(
            TYPE,
            action.alias,
            action.binds_to,
            before=url_doc(action.before),
            after=url_doc(action.after),
            ident=action.url,
            changed=action.fields,
        )

    def ident(self, action: UpdateFunctionUrl) -> str:
        return action.alias

    def decode(self, change: Doc, fn: FunctionRef) -> UpdateFunctionUrl:
        b = binding(change)
        return UpdateFunctionUrl(
            fn,
            change["alias"],
            str(b["id"]),
            url_of(b["before"]),
            url_of(b["after"]),
            tuple(b["changed"]),
            b["binds_to"],
        )

    def drift(self, action: UpdateFunctionUrl) -> list[Doc]:
        before, after = url_doc(action.before), url_doc(action.after)
        changes = ", ".join(
            field_text(f, _field(action.before, f), _field(action.after, f)) for f in action.fields
        )
        return [
            drift_item(
                action,
                "function_url_differs",
                {f: after[f] for f in action.fields},
                {f: before[f] for f in action.fields},
                f"{where(action)}: function URL {action.url} differs (AWS -> manifest: {changes})",
            )
        ]

    def apply(self, action: UpdateFunctionUrl, ctx: ApplyContext) -> ActionResult:
        ctx.gw.update_function_url(action.fn.function, action.alias, action.after)
        return ActionResult(action, "applied")

    def comparable(self, action: UpdateFunctionUrl, ctx: ApplyContext) -> object:
        return (self.name, action.alias, action.after)


class DeleteFunctionUrlKind(Kind[DeleteFunctionUrl]):
    name = "delete_function_url"
    cls = DeleteFunctionUrl

    def encode(self, action: DeleteFunctionUrl) -> Doc:
        return binding_doc(
            TYPE,
            action.alias,
            action.binds_to,
            before=url_doc(action.before),
            ident=action.url,
            why=action.why,
        )

    def ident(self, action: DeleteFunctionUrl) -> str:
        return action.alias

    def decode(self, change: Doc, fn: FunctionRef) -> DeleteFunctionUrl:
        b = binding(change)
        return DeleteFunctionUrl(
            fn, change["alias"], str(b["id"]), url_of(b["before"]), str(b["why"]), b["binds_to"]
        )

    def drift(self, action: DeleteFunctionUrl) -> list[Doc]:
        if action.why == ALIAS_DELETED:
            return []
        return [
            drift_item(
                action,
                "attachment_unmanaged",
                None,
                url_doc(action.before),
                f"{where(action)}: function URL {action.url} is not in the manifest",
            )
        ]

    def apply(self, action: DeleteFunctionUrl, ctx: ApplyContext) -> ActionResult:
        if ctx.gw.delete_function_url(action.fn.function, action.alias):
            return ActionResult(action, "applied")
        return ActionResult(action, "skipped", "already deleted")

    def comparable(self, action: DeleteFunctionUrl, ctx: ApplyContext) -> object:
        return (self.name, action.alias)
