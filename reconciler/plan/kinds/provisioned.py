"""Provisioned-concurrency actions on an alias: set (and wait for READY), delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from reconciler.plan.kinds.base import ActionBase, ApplyContext, Doc, Kind, drift_item, where
from reconciler.plan.model import ActionResult
from reconciler.plan.state import FunctionRef


@dataclass(frozen=True)
class PutProvisionedConcurrency(ActionBase):
    fn: FunctionRef
    alias: str
    after: int
    before: int | None = None
    # AWS's reason when the live configuration FAILED: it is set again.
    failed: str | None = None
    action: Literal["put_provisioned_concurrency"] = "put_provisioned_concurrency"
    order: ClassVar[int] = 3
    summary_key: ClassVar[str] = "provisioned_concurrency"

    def describe(self) -> str:
        where = f"{self.fn.name}:{self.alias}"
        if self.before is None:
            return f"+ provisioned concurrency {where}  {self.after}"
        text = f"~ provisioned concurrency {where}  {self.before} -> {self.after}"
        return text + (f" (it FAILED: {self.failed}; set again)" if self.failed else "")


@dataclass(frozen=True)
class DeleteProvisionedConcurrency(ActionBase):
    fn: FunctionRef
    alias: str
    before: int
    # "removed": the manifest no longer has it; "weights": the alias gets weights.
    why: str = "removed"
    action: Literal["delete_provisioned_concurrency"] = "delete_provisioned_concurrency"
    order: ClassVar[int] = 0
    summary_key: ClassVar[str] = "provisioned_concurrency"

    def describe(self) -> str:
        reason = (
            "Lambda allows none on an alias with weights"
            if self.why == "weights"
            else "no longer in the manifest"
        )
        return (
            f"- provisioned concurrency {self.fn.name}:{self.alias}  (was {self.before}; {reason})"
        )


class PutProvisionedConcurrencyKind(Kind[PutProvisionedConcurrency]):
    name = "put_provisioned_concurrency"
    cls = PutProvisionedConcurrency

    def encode(self, action: PutProvisionedConcurrency) -> Doc:
        return {
            "provisioned_concurrency": {
                "before": action.before,
                "after": action.after,
                "failed": action.failed,
            }
        }

    def decode(self, change: Doc, fn: FunctionRef) -> PutProvisionedConcurrency:
        pc = change["provisioned_concurrency"]
        return PutProvisionedConcurrency(
            fn, change["alias"], int(pc["after"]), pc.get("before"), pc.get("failed")
        )

    def drift(self, action: PutProvisionedConcurrency) -> list[Doc]:
        if action.before is None:
            text = f"no provisioned concurrency, manifest says {action.after}"
        elif action.failed:
            text = f"provisioned concurrency {action.before} FAILED ({action.failed})"
        else:
            text = f"provisioned concurrency is {action.before}, manifest says {action.after}"
        actual: Any = f"FAILED: {action.failed}" if action.failed else action.before
        return [
            drift_item(
                action,
                "provisioned_concurrency_differs",
                action.after,
                actual,
                f"{where(action)}: {text}",
            )
        ]

    def apply(self, action: PutProvisionedConcurrency, ctx: ApplyContext) -> ActionResult:
        first = ctx.gw.put_provisioned_concurrency(action.fn.function, action.alias, action.after)
        return ActionResult(action, "applied", ctx.ready(action.fn, action.alias, first))

    def comparable(self, action: PutProvisionedConcurrency, ctx: ApplyContext) -> object:
        return ("put_provisioned", action.alias, action.after)


class DeleteProvisionedConcurrencyKind(Kind[DeleteProvisionedConcurrency]):
    name = "delete_provisioned_concurrency"
    cls = DeleteProvisionedConcurrency

    def encode(self, action: DeleteProvisionedConcurrency) -> Doc:
        return {
            "provisioned_concurrency": {"before": action.before, "after": None, "why": action.why}
        }

    def decode(self, change: Doc, fn: FunctionRef) -> DeleteProvisionedConcurrency:
        pc = change["provisioned_concurrency"]
        return DeleteProvisionedConcurrency(
            fn, change["alias"], int(pc["before"]), pc.get("why") or "removed"
        )

    def drift(self, action: DeleteProvisionedConcurrency) -> list[Doc]:
        why = (
            "the manifest gives the alias weights, which Lambda forbids with it"
            if action.why == "weights"
            else "the manifest no longer sets it"
        )
        return [
            drift_item(
                action,
                "provisioned_concurrency_differs",
                None,
                action.before,
                f"{where(action)}: provisioned concurrency is {action.before}, {why}",
            )
        ]

    def apply(self, action: DeleteProvisionedConcurrency, ctx: ApplyContext) -> ActionResult:
        if ctx.gw.delete_provisioned_concurrency(action.fn.function, action.alias):
            return ActionResult(action, "applied")
        return ActionResult(action, "skipped", "already removed")

    def comparable(self, action: DeleteProvisionedConcurrency, ctx: ApplyContext) -> object:
        return ("delete_provisioned", action.alias)
