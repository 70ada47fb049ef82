"""Alias actions: create, update (repoint, reweight, describe, rollout steps), delete."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from reconciler.aws import weights
from reconciler.errors import ConflictError, PreconditionFailedError, ReconcilerError
from reconciler.plan.description import split_provisioned, timeless
from reconciler.plan.kinds.base import (
    ActionBase,
    ApplyContext,
    Doc,
    Kind,
    Replan,
    drift_item,
    where,
)
from reconciler.plan.model import ActionResult
from reconciler.plan.pending import PendingVersion, Version, encode
from reconciler.plan.state import AliasState, FunctionRef, RolloutInfo, state_doc


def _mentions(state: AliasState, pending: PendingVersion) -> bool:
    return pending in state.versions() or encode(pending) in (state.description or "")


@dataclass(frozen=True)
class CreateAlias(ActionBase):
    fn: FunctionRef
    alias: str
    after: AliasState
    action: Literal["create_alias"] = "create_alias"
    order: ClassVar[int] = 2
    summary_key: ClassVar[str] = "create"

    def describe(self) -> str:
        text = f"+ alias {self.fn.name}:{self.alias}  version {self.after.label()}"
        if self.after.weights:
            text += f", weights {self.after.weights_text()}"
        if self.after.description:
            text += f', description "{self.after.description}"'
        return text

    def alias_after(self) -> tuple[str, AliasState | None]:
        return self.alias, self.after

    def refers_to(self, pending: PendingVersion) -> bool:
        return _mentions(self.after, pending)


@dataclass(frozen=True)
class UpdateAlias(ActionBase):
    fn: FunctionRef
    alias: str
    before: AliasState
    after: AliasState
    fields: tuple[str, ...]
    revision_id: str
    action: Literal["update_alias"] = "update_alias"
    rollout: RolloutInfo | None = None
    # The alias's provisioned concurrency, which Lambda moves to the new
    # version by itself: apply waits for READY after the update.
    provisioned: int | None = None
    order: ClassVar[int] = 2
    summary_key: ClassVar[str] = "update"

    def describe(self) -> str:
        if self.rollout is not None:
            return f"~ alias {self.fn.name}:{self.alias}  {self.rollout.text()}"
        parts = []
        if "version" in self.fields:
            parts.append(f"version {self.before.label()} -> {self.after.label()}")
        if "weights" in self.fields:
            parts.append(f"weights {self.before.weights_text()} -> {self.after.weights_text()}")
        if "description" in self.fields:
            parts.append(f'description "{self.before.description}" -> "{self.after.description}"')
        if self.provisioned is not None:
            parts.append(f"provisioned concurrency {self.provisioned} follows (waits for READY)")
        return f"~ alias {self.fn.name}:{self.alias}  " + ", ".join(parts)

    @property
    def traffic_shift(self) -> bool:
        return "version" in self.fields or "weights" in self.fields

    def alias_after(self) -> tuple[str, AliasState | None]:
        return self.alias, self.after

    def rollout_info(self) -> RolloutInfo | None:
        return self.rollout

    def refers_to(self, pending: PendingVersion) -> bool:
        return _mentions(self.after, pending)

    def gains_weights(self) -> bool:
        return bool(self.after.weights and not self.before.weights)

    def moves_version(self) -> bool:
        return "version" in self.fields

    def followed_by_provisioned(self, amount: int) -> UpdateAlias:
        return dataclasses.replace(self, provisioned=amount) if self.moves_version() else self


@dataclass(frozen=True)
class DeleteAlias(ActionBase):
    fn: FunctionRef
    alias: str
    before: AliasState
    revision_id: str
    action: Literal["delete_alias"] = "delete_alias"
    order: ClassVar[int] = 4
    summary_key: ClassVar[str] = "delete"

    def describe(self) -> str:
        return (
            f"- alias {self.fn.name}:{self.alias}  (was version {self.before.label()}; prune: true)"
        )

    def alias_after(self) -> tuple[str, AliasState | None]:
        return self.alias, None


# -- carrying them out --------------------------------------------------------------
def _already(
    action: CreateAlias | UpdateAlias, after: AliasState, err: ReconcilerError, ctx: ApplyContext
) -> ActionResult:
    """After a conflict: is the alias already what we wanted (our own lost reply)?"""
    live = ctx.gw.get_alias(action.fn.function, action.alias)
    if live is not None:
        state = AliasState.of_live(live)
        same = state.version == after.version and weights.same(state.weights, after.weights)
        if same and (after.description is None or state.description == after.description):
            return ActionResult(
                action, "applied", "already in place (an earlier attempt succeeded)"
            )
        if (
            same
            and action.rollout_info() is not None
            and timeless(state.description) == timeless(after.description)
        ):
            # The same step, stamped at another time: another run took it.
            return ActionResult(action, "skipped", "another run already took this step")
    raise Replan(str(err))


class CreateAliasKind(Kind[CreateAlias]):
    name = "create_alias"
    cls = CreateAlias

    def encode(self, action: CreateAlias) -> Doc:
        return {"after": state_doc(action.after)}

    def decode(self, change: Doc, fn: FunctionRef) -> CreateAlias:
        return CreateAlias(fn=fn, alias=change["alias"], after=AliasState.from_doc(change["after"]))

    def traffic_shift(self, action: CreateAlias) -> bool:
        return True

    def drift(self, action: CreateAlias) -> list[Doc]:
        return [
            drift_item(
                action,
                "alias_missing",
                state_doc(action.after),
                None,
                f"{where(action)}: alias is missing",
            )
        ]

    def apply(self, action: CreateAlias, ctx: ApplyContext) -> ActionResult:
        after = ctx.materialise(action.after)
        try:
            ctx.gw.create_alias(
                action.fn.function,
                action.alias,
                ctx.resolve(after.version),
                _concrete(after.weights, ctx),
                after.description,
            )
        except ConflictError as err:
            return _already(action, after, err, ctx)
        return ActionResult(action, "applied")

    def comparable(self, action: CreateAlias, ctx: ApplyContext) -> object:
        return ("create", action.alias, ctx.materialise(action.after))


_FIELD_KINDS = {
    "version": "version_differs",
    "weights": "weights_differ",
    "description": "description_differs",
}


class UpdateAliasKind(Kind[UpdateAlias]):
    name = "update_alias"
    cls = UpdateAlias

    def encode(self, action: UpdateAlias) -> Doc:
        doc: Doc = {
            "before": state_doc(action.before),
            "after": state_doc(action.after),
            "fields": list(action.fields),
            "revision_id": action.revision_id,
        }
        if action.rollout is not None:
            doc["rollout"] = action.rollout.doc()
        if action.provisioned is not None:
            doc["provisioned_concurrency"] = {
                "before": action.provisioned,
                "after": action.provisioned,
            }
        return doc

    def decode(self, change: Doc, fn: FunctionRef) -> UpdateAlias:
        rollout = change.get("rollout")
        return UpdateAlias(
            fn=fn,
            alias=change["alias"],
            before=AliasState.from_doc(change["before"]),
            after=AliasState.from_doc(change["after"]),
            fields=tuple(change["fields"]),
            revision_id=change.get("revision_id") or "",
            rollout=RolloutInfo.from_doc(rollout) if rollout else None,
            provisioned=(change.get("provisioned_concurrency") or {}).get("after"),
        )

    def traffic_shift(self, action: UpdateAlias) -> bool:
        return action.traffic_shift

    def drift(self, action: UpdateAlias) -> list[Doc]:
        if action.rollout is not None:
            return _rollout_drift(action)
        items = []
        for field in action.fields:
            if field == "description" and _marker_only(action):
                continue
            before, after = action.before, action.after
            expected: Any
            actual: Any
            if field == "version":
                expected, actual = after.label(), before.version
                text = f"serves version {before.version}, manifest says {after.label()}"
            elif field == "weights":
                expected, actual = after.doc()["weights"], before.doc()["weights"]
                text = f"weights are {before.weights_text()}, manifest says {after.weights_text()}"
            else:
                expected, actual = after.description, before.description
                text = f'description is "{before.description}", manifest says "{after.description}"'
            items.append(
                drift_item(
                    action, _FIELD_KINDS[field], expected, actual, f"{where(action)}: {text}"
                )
            )
        return items

    def info(self, action: UpdateAlias) -> list[Doc]:
        info = action.rollout
        if info is None or info.phase in ("start", "rollback"):
            return []
        return [
            drift_item(
                action,
                "converging",
                info.target_label or encode(info.target),
                action.before.version,
                f"{where(action)}: rollout in flight; the next apply does: {info.text()}",
            )
        ]

    def apply(self, action: UpdateAlias, ctx: ApplyContext) -> ActionResult:
        after = ctx.materialise(action.after, stamp=action.rollout is not None)
        description = after.description if "description" in action.fields else None
        try:
            ctx.gw.update_alias(
                action.fn.function,
                action.alias,
                ctx.resolve(after.version),
                _concrete(after.weights, ctx),
                description,
                action.revision_id,
            )
            result = ActionResult(action, "applied")
        except PreconditionFailedError as err:
            result = _already(action, after, err, ctx)
        if action.provisioned is not None and result.status == "applied":
            # Lambda re-provisions the alias on its new version: wait for it.
            return ActionResult(action, "applied", ctx.ready(action.fn, action.alias))
        return result

    def comparable(self, action: UpdateAlias, ctx: ApplyContext) -> object:
        before = action.before
        if action.after.description is None:
            # An unmanaged description may change under us; it is not ours.
            before = dataclasses.replace(before, description=None)
        after = ctx.materialise(action.after)
        if action.rollout is not None:
            # Two plans of one rollout step differ only in the marker's time.
            after = dataclasses.replace(after, description=timeless(after.description))
            before = dataclasses.replace(before, description=timeless(before.description))
        return ("update", action.alias, before, after, action.rollout, action.provisioned)


def _marker_only(action: UpdateAlias) -> bool:
    """Whether the description changes only by the provisioned-concurrency marker."""
    before = split_provisioned(action.before.description or "")[0]
    return before == split_provisioned(action.after.description or "")[0]


def _rollout_drift(action: UpdateAlias) -> list[Doc]:
    info = action.rollout
    if info is None or info.phase != "start":
        # In flight: reported as converging; a rollback by its rollout_failed note.
        return []
    label = info.target_label or encode(info.target)
    return [
        drift_item(
            action,
            "version_differs",
            label,
            info.source,
            f"{where(action)}: serves version {info.source}, manifest says {label} "
            f"(apply starts it: {info.text()})",
        )
    ]


class DeleteAliasKind(Kind[DeleteAlias]):
    name = "delete_alias"
    cls = DeleteAlias

    def encode(self, action: DeleteAlias) -> Doc:
        return {"before": state_doc(action.before), "revision_id": action.revision_id}

    def decode(self, change: Doc, fn: FunctionRef) -> DeleteAlias:
        return DeleteAlias(
            fn=fn,
            alias=change["alias"],
            before=AliasState.from_doc(change["before"]),
            revision_id=change.get("revision_id") or "",
        )

    def traffic_shift(self, action: DeleteAlias) -> bool:
        return True

    def drift(self, action: DeleteAlias) -> list[Doc]:
        return [
            drift_item(
                action,
                "unmanaged_alias",
                None,
                state_doc(action.before),
                f"{where(action)}: alias exists but is not in the manifest (prune: true)",
            )
        ]

    def apply(self, action: DeleteAlias, ctx: ApplyContext) -> ActionResult:
        # DeleteAlias takes no RevisionId: re-read just before deleting.
        live = ctx.gw.get_alias(action.fn.function, action.alias)
        if live is None:
            return ActionResult(action, "skipped", "already deleted")
        if AliasState.of_live(live) != action.before or (
            action.revision_id and live.revision_id != action.revision_id
        ):
            return ActionResult(action, "skipped", "changed since the plan was made; not deleted")
        ctx.gw.delete_alias(action.fn.function, action.alias)
        return ActionResult(action, "applied")

    def comparable(self, action: DeleteAlias, ctx: ApplyContext) -> object:
        return ("delete", action.alias, action.before)


def _concrete(
    pairs: tuple[tuple[Version, float], ...], ctx: ApplyContext
) -> tuple[tuple[str, float], ...]:
    return tuple((ctx.resolve(v), w) for v, w in pairs)
