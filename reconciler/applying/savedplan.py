"""Saved plans: ``plan --out FILE`` then ``apply --plan FILE``.

A saved plan is applied exactly as reviewed, or not at all: before changing
anything, every alias and $LATEST it will touch is read again and compared
with what the plan recorded, and the manifests must still hash the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema

from reconciler.aws.gateway import LambdaGateway
from reconciler.aws.live import normalise_weights
from reconciler.errors import ManifestError, UsageError
from reconciler.manifest import load_manifests
from reconciler.manifest.model import LATEST
from reconciler.manifest.resources import load_schema
from reconciler.planning.actions import (
    Action,
    AliasState,
    CreateAlias,
    DeleteAlias,
    DeleteProvisionedConcurrency,
    DeleteVersion,
    FunctionPlan,
    FunctionRef,
    PublishVersion,
    PutProvisionedConcurrency,
    RolloutInfo,
    UpdateAlias,
)
from reconciler.planning.planner import live_state
from reconciler.report.documents import FORMAT_VERSION, Doc


def read_plan_file(path: str) -> Doc:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read saved plan {path}: {exc}") from exc
    if (
        not isinstance(doc, dict)
        or doc.get("kind") != "plan"
        or doc.get("format_version") != FORMAT_VERSION
    ):
        raise UsageError(f"{path} is not a saved plan of format_version {FORMAT_VERSION}")
    try:
        jsonschema.validate(doc, load_schema("plan"))
    except jsonschema.ValidationError as exc:
        raise UsageError(f"{path} is not a valid saved plan: {exc.message}") from exc
    if doc.get("errors"):
        raise UsageError(f"{path} records planning errors; a plan with errors cannot be applied")
    return doc


def _state(data: dict[str, Any] | None) -> AliasState:
    assert data is not None
    pending = list(data.get("pending_weights") or [])
    weights = []
    for version, weight in (data.get("weights") or {}).items():
        weights.append((pending.pop(0) if version == "new" and pending else version, float(weight)))
    return AliasState(
        version=data.get("pending_version") or data["version"],
        weights=tuple(weights),
        description=data.get("description"),
        version_label=data.get("version_label", ""),
    )


def _action(change: Doc) -> Action:
    fn = FunctionRef(
        change["function_id"], change["function"], change["region"], change.get("account")
    )
    kind = change["action"]
    if kind == "publish_version":
        return PublishVersion(
            fn=fn,
            code_sha256=change["code_sha256"],
            description=change["after"].get("description"),
            latest_revision_id=change.get("latest_revision_id") or "",
            ref_name=change.get("ref_name") or "",
        )
    if kind == "create_alias":
        return CreateAlias(fn=fn, alias=change["alias"], after=_state(change["after"]))
    if kind == "update_alias":
        return UpdateAlias(
            fn=fn,
            alias=change["alias"],
            before=_state(change["before"]),
            after=_state(change["after"]),
            fields=tuple(change["fields"]),
            revision_id=change.get("revision_id") or "",
            rollout=_rollout(change.get("rollout")),
            provisioned=(change.get("provisioned_concurrency") or {}).get("after"),
        )
    if kind == "delete_version":
        return DeleteVersion(fn, change["version"], int(change["keep_last"]))
    provisioned = change.get("provisioned_concurrency") or {}
    if kind == "put_provisioned_concurrency":
        return PutProvisionedConcurrency(
            fn,
            change["alias"],
            int(provisioned["after"]),
            provisioned.get("before"),
            provisioned.get("failed"),
        )
    if kind == "delete_provisioned_concurrency":
        return DeleteProvisionedConcurrency(
            fn, change["alias"], int(provisioned["before"]), provisioned.get("why") or "removed"
        )
    return DeleteAlias(
        fn=fn,
        alias=change["alias"],
        before=_state(change["before"]),
        revision_id=change.get("revision_id") or "",
    )


def _rollout(data: dict[str, Any] | None) -> RolloutInfo | None:
    if not data:
        return None
    return RolloutInfo(
        phase=data["phase"],
        source=data["from"],
        target=data.get("pending_target") or data["target"],
        step=int(data.get("step") or 0),
        steps=int(data.get("steps") or 0),
        weight=float(data.get("weight") or 0.0),
        reason=data.get("reason") or "",
        target_label=data.get("target_label") or "",
    )


def function_plans(doc: Doc) -> list[FunctionPlan]:
    """The saved plan's actions, grouped by function in their order."""
    grouped: dict[FunctionRef, list[Action]] = {}
    for change in doc["changes"]:
        action = _action(change)
        grouped.setdefault(action.fn, []).append(action)
    return [FunctionPlan(fn=fn, actions=tuple(actions)) for fn, actions in grouped.items()]


def stale_differences(
    doc: Doc, plans: list[FunctionPlan], gateway_for: Callable[[FunctionRef], LambdaGateway]
) -> list[str]:
    """Everything that no longer matches what the plan recorded."""
    differences: list[str] = []
    paths = doc["manifests"]["paths"]
    try:
        current = load_manifests(paths)
        if current.digest != doc["manifests"]["digest"]:
            differences.append(
                f"the manifests in {', '.join(paths)} changed since the plan was made"
            )
    except ManifestError as err:
        differences.append(
            f"the manifests no longer load: {err.diagnostics[0] if err.diagnostics else err}"
        )
    for fp in plans:
        gw = gateway_for(fp.fn)
        aliases = gw.list_aliases(fp.fn.function)
        if aliases is None:
            differences.append(f"function {fp.fn.function} no longer exists")
            continue
        live = {a.name: a for a in aliases}
        for action in fp.actions:
            differences.extend(_compare(action, live, gw))
    return differences


def _compare(action: Action, live: dict[str, Any], gw: LambdaGateway) -> list[str]:
    where = f"{action.fn.name}:{action.alias}"
    if isinstance(action, DeleteVersion):
        users = sorted(name for name, a in live.items() if action.version in a.versions())
        if users:
            return [
                f"{action.fn.name}: version {action.version} is now served by alias "
                f"{', '.join(users)}; the plan would delete it"
            ]
        return []
    if isinstance(action, PutProvisionedConcurrency | DeleteProvisionedConcurrency):
        return _compare_provisioned(action, gw)
    if isinstance(action, PublishVersion):
        latest = gw.get_version(action.fn.function, LATEST)
        if latest is None or latest.code_sha256 != action.code_sha256:
            return [f"{action.fn.name}: $LATEST no longer has code_sha256 {action.code_sha256}"]
        if action.latest_revision_id and latest.revision_id != action.latest_revision_id:
            return [
                f"{action.fn.name}: $LATEST changed since the plan (revision {latest.revision_id})"
            ]
        return []
    current = live.get(action.alias)
    if isinstance(action, CreateAlias):
        return (
            []
            if current is None
            else [f"{where}: now exists (version {current.version}); the plan would create it"]
        )
    if current is None:
        return [f"{where}: no longer exists"]
    state = live_state(current)
    recorded = action.before
    same_weights = normalise_weights(dict(state.weights)) == normalise_weights(
        dict(recorded.weights)
    )
    if state.version != recorded.version or not same_weights:
        return [
            f"{where}: is version {state.version} weights {state.weights_text()}, "
            f"the plan recorded version {recorded.version} weights {recorded.weights_text()}"
        ]
    if state.description != (recorded.description or ""):
        return [
            f'{where}: description is "{state.description}", the plan recorded "{recorded.description}"'
        ]
    if action.revision_id and current.revision_id != action.revision_id:
        return [
            f"{where}: revision changed since the plan ({action.revision_id} -> {current.revision_id})"
        ]
    return []


def _compare_provisioned(
    action: PutProvisionedConcurrency | DeleteProvisionedConcurrency, gw: LambdaGateway
) -> list[str]:
    """The alias's provisioned concurrency must still be what the plan read."""
    config = gw.get_provisioned_concurrency(action.fn.function, action.alias)
    now = None if config is None else config.requested
    if now == action.before:
        return []
    was = "none" if action.before is None else action.before
    return [
        f"{action.fn.name}:{action.alias}: provisioned concurrency is "
        f"{'none' if now is None else now}, the plan recorded {was}"
    ]
