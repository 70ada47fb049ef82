"""Version actions: publish $LATEST as a version, delete an old version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from reconciler.errors import ConflictError, InvalidRequestError, PreconditionFailedError
from reconciler.manifest.model import LATEST
from reconciler.plan.kinds.base import (
    ActionBase,
    ApplyContext,
    Doc,
    Kind,
    Refused,
    Replan,
    drift_item,
    where,
)
from reconciler.plan.model import ActionResult
from reconciler.plan.pending import PendingVersion
from reconciler.plan.state import FunctionRef


@dataclass(frozen=True)
class PublishVersion(ActionBase):
    fn: FunctionRef
    code_sha256: str
    description: str | None
    # $LATEST's RevisionId when planned: publishing fails if it changed since.
    latest_revision_id: str
    ref_name: str
    action: Literal["publish_version"] = "publish_version"
    alias: None = None
    order: ClassVar[int] = 1
    summary_key: ClassVar[str] = "publish"

    def describe(self) -> str:
        desc = f', description "{self.description}"' if self.description else ""
        return (
            f"+ publish {self.fn.name} $LATEST as a new version for {self.ref_name} "
            f"(sha256 {self.code_sha256[:12]}…{desc})"
        )

    def publishes(self) -> str:
        return self.code_sha256

    def pending(self) -> PendingVersion:
        return PendingVersion(self.code_sha256)


class PublishVersionKind(Kind[PublishVersion]):
    name = "publish_version"
    cls = PublishVersion

    def encode(self, action: PublishVersion) -> Doc:
        return {
            "after": {
                "version": None,
                "code_sha256": action.code_sha256,
                "description": action.description,
            },
            "code_sha256": action.code_sha256,
            "latest_revision_id": action.latest_revision_id,
            "ref_name": action.ref_name,
        }

    def decode(self, change: Doc, fn: FunctionRef) -> PublishVersion:
        return PublishVersion(
            fn=fn,
            code_sha256=change["code_sha256"],
            description=(change.get("after") or {}).get("description"),
            latest_revision_id=change.get("latest_revision_id") or "",
            ref_name=change.get("ref_name") or "",
        )

    def ident(self, action: PublishVersion) -> str:
        return action.code_sha256

    def drift(self, action: PublishVersion) -> list[Doc]:
        return [
            drift_item(
                action,
                "version_unpublished",
                action.code_sha256,
                None,
                f"{where(action)}: no published version has code_sha256 "
                f"{action.code_sha256[:12]}… ({action.ref_name}); $LATEST has it, unpublished",
            )
        ]

    def apply(self, action: PublishVersion, ctx: ApplyContext) -> ActionResult:
        fn = action.fn.function
        try:
            info = ctx.gw.publish_version(
                fn, action.code_sha256, action.latest_revision_id, action.description
            )
        except PreconditionFailedError as err:
            # $LATEST changed since the plan, or a lost reply already published
            # it: never publish the same code twice, and say which it was.
            existing = _highest_with_hash(ctx, action)
            if existing is None:
                raise Replan(str(err)) from err
            version, description = existing
            ctx.published[action.code_sha256] = version
            return ActionResult(action, "applied", _found_message(action, version, description))
        except InvalidRequestError as err:
            raise Refused(
                f"$LATEST of {action.fn.name} no longer has code_sha256 {action.code_sha256}; "
                f"nothing published ({err.aws_message})"
            ) from err
        if info.code_sha256 != action.code_sha256:
            raise Refused(
                f"published version {info.version} has unexpected code_sha256 {info.code_sha256}"
            )
        ctx.published[action.code_sha256] = info.version
        return ActionResult(action, "applied", f"published version {info.version}")

    def comparable(self, action: PublishVersion, ctx: ApplyContext) -> object:
        return ("publish", action.code_sha256)


def _highest_with_hash(ctx: ApplyContext, action: PublishVersion) -> tuple[str, str] | None:
    versions = ctx.gw.list_versions(action.fn.function) or []
    matching = [
        (int(v.version), v.description)
        for v in versions
        if v.version != LATEST and v.version.isdigit() and v.code_sha256 == action.code_sha256
    ]
    if not matching:
        return None
    number, description = max(matching)
    return str(number), description


def _found_message(action: PublishVersion, version: str, description: str) -> str:
    wanted = action.description or ""
    if description == wanted:
        # Ours (a retried call whose first reply was lost) or an identical one.
        return f"version {version} (published by a retried call, or by another writer)"
    # A published version is immutable: its description cannot be set afterwards.
    return (
        f"found version {version} with the hash, published by another writer; its "
        f'description stays "{description}" (a published version\'s description cannot be '
        f'changed, so the manifest\'s "{wanted}" is not applied)'
    )


@dataclass(frozen=True)
class DeleteVersion(ActionBase):
    fn: FunctionRef
    version: str
    keep_last: int
    action: Literal["delete_version"] = "delete_version"
    alias: None = None
    order: ClassVar[int] = 5
    summary_key: ClassVar[str] = "delete_version"

    def describe(self) -> str:
        return (
            f"- version {self.fn.name}:{self.version}  (older than the newest {self.keep_last}; "
            "nothing refers to it)"
        )

    def deleted_version(self) -> str:
        return self.version


class DeleteVersionKind(Kind[DeleteVersion]):
    name = "delete_version"
    cls = DeleteVersion

    def encode(self, action: DeleteVersion) -> Doc:
        return {"version": action.version, "keep_last": action.keep_last}

    def decode(self, change: Doc, fn: FunctionRef) -> DeleteVersion:
        return DeleteVersion(fn, change["version"], int(change["keep_last"]))

    def ident(self, action: DeleteVersion) -> str:
        return action.version

    # Drift: reported per function as pending_version_deletion (information).

    def apply(self, action: DeleteVersion, ctx: ApplyContext) -> ActionResult:
        users = _referrers(ctx, action)
        if users:
            return ActionResult(action, "skipped", f"kept: now referred to by {users}")
        try:
            deleted = ctx.gw.delete_version(action.fn.function, action.version)
        except ConflictError as err:
            # AWS refuses while something (an alias) still refers to it: keep it.
            return ActionResult(action, "skipped", f"kept: {err.aws_message}")
        return ActionResult(
            action, "applied" if deleted else "skipped", None if deleted else "already deleted"
        )

    def comparable(self, action: DeleteVersion, ctx: ApplyContext) -> object:
        return ("delete_version", action.version)


def _referrers(ctx: ApplyContext, action: DeleteVersion) -> str:
    """What refers to the version now, read just before deleting it: aliases,
    provisioned concurrency, event source mappings and function URLs may all
    have been added since the plan was made."""
    refs = ctx.cache.get("version_referrers")
    if not isinstance(refs, dict):
        refs = _read_referrers(ctx, action.fn.function)  # once per function, before its deletes
        ctx.cache["version_referrers"] = refs
    return ", ".join(refs.get(action.version, ()))


def _read_referrers(ctx: ApplyContext, fn: str) -> dict[str, list[str]]:
    refs: dict[str, list[str]] = {}
    for alias in ctx.gw.list_aliases(fn) or []:
        for version in alias.versions():
            refs.setdefault(version, []).append(f"alias {alias.name}")
    for config in ctx.gw.list_provisioned_concurrency(fn) or []:
        refs.setdefault(config.qualifier, []).append("provisioned concurrency")
    bound = [m.reference() for m in ctx.gw.event_source_mappings(fn)]
    bound.extend(u.reference() for u in ctx.gw.function_urls(fn))
    for a in bound:
        if a.qualifier is not None:
            refs.setdefault(a.qualifier, []).append(f"{a.kind} {a.name}")
    return refs
