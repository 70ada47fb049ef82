"""Saved plans: ``plan --out FILE`` then ``apply --plan FILE``.

A saved plan is a promise, never a program. ``apply --plan`` runs the whole
pipeline again from the manifests on disk (validation, the account guard,
every read, alarms, lifecycle reference checks) and applies only when the
fresh plan's changes equal the saved ones in their canonical form (labels,
summaries and rollout-marker times aside); otherwise it refuses as a whole,
listing every difference. Nothing in the file is trusted beyond that
comparison: its function names, regions, actions and digest only have to
match what the fresh plan says, and what is applied is the fresh plan.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reconciler.errors import UsageError
from reconciler.manifest.resources import load_schema
from reconciler.plan import FunctionPlan, FunctionRef
from reconciler.plan.description import timeless
from reconciler.plan.registry import decode_change
from reconciler.report.documents import FORMAT_VERSION, Doc

# A plan file is read whole; past this it is not a plan this tool wrote.
MAX_PLAN_BYTES = 64 * 1024 * 1024
# Fields that describe a change for people, not what it does.
_LABELS = frozenset(
    {"summary", "version_label", "weights_label", "target_label", "status", "message"}
)


def read_plan_file(path: str) -> Doc:
    """The saved plan's document, schema-valid, or a UsageError saying why not."""
    try:
        file = Path(path)
        if file.stat().st_size > MAX_PLAN_BYTES:
            raise UsageError(f"{path} is larger than {MAX_PLAN_BYTES} bytes; not a saved plan")
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read saved plan {path}: {exc}") from exc
    if (
        not isinstance(doc, dict)
        or doc.get("kind") != "plan"
        or doc.get("format_version") != FORMAT_VERSION
    ):
        raise UsageError(f"{path} is not a saved plan of format_version {FORMAT_VERSION}")
    # Imported here: ~0.2 s of start-up that an apply without --plan never needs.
    import jsonschema

    try:
        jsonschema.validate(doc, load_schema("plan"))
    except jsonschema.ValidationError as exc:
        raise UsageError(f"{path} is not a valid saved plan: {exc.message}") from exc
    if doc.get("errors"):
        raise UsageError(f"{path} records planning errors; a plan with errors cannot be applied")
    return doc


def recorded_paths(doc: Doc) -> list[str]:
    """The manifest paths the plan names (used only when none are given)."""
    paths = doc.get("manifests", {}).get("paths")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths) or not paths:
        raise UsageError("the saved plan names no manifest paths; give them on the command line")
    return list(paths)


def function_plans(doc: Doc) -> list[FunctionPlan]:
    """The saved plan's actions, grouped by function in their order (for
    inspection; ``apply --plan`` applies the fresh plan, not these)."""
    grouped: dict[FunctionRef, list[Any]] = {}
    for change in doc["changes"]:
        action = decode_change(change)
        grouped.setdefault(action.fn, []).append(action)
    return [FunctionPlan(fn=fn, actions=tuple(actions)) for fn, actions in grouped.items()]


def canonical(value: Any) -> Any:
    """A change document as compared: no labels, rollout-marker times zeroed."""
    if isinstance(value, dict):
        out = {k: canonical(v) for k, v in value.items() if k not in _LABELS}
        if isinstance(out.get("description"), str):
            out["description"] = timeless(out["description"])
        return out
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def _key(change: Doc) -> tuple[str, ...]:
    return (
        str(change.get("region")),
        str(change.get("function")),
        str(change.get("action")),
        str(change.get("alias")),
        str(change.get("code_sha256") or change.get("version") or ""),
        str((change.get("binding") or {}).get("key") or ""),
    )


def differences(saved: Doc, fresh: Doc, retained: Sequence[Doc] = ()) -> list[str]:
    """Everything in which the saved plan differs from the fresh one; [] to apply."""
    found: list[str] = []
    digest = saved.get("manifests", {}).get("digest")
    if digest != fresh["manifests"]["digest"]:
        found.append(
            "the manifests changed since the plan was made "
            f"(digest {digest}, now {fresh['manifests']['digest']})"
        )
    if canonical(saved.get("target")) != canonical(fresh.get("target")):
        found.append(
            f"the plan was made for target {saved.get('target')}, this run is for "
            f"{fresh.get('target')}"
        )
    old = [canonical(c) for c in saved.get("changes", [])]
    new = [canonical(c) for c in fresh["changes"]]
    if old == new:
        return found
    fresh_by_key = {_key(c): c for c in new}
    saved_keys = {_key(c) for c in old}
    kept = {(r["region"], r["function"], r["version"]): r["reason"] for r in retained}
    for change in old:
        match = fresh_by_key.get(_key(change))
        label = _where(change)
        if match is None:
            found.append(_gone(change, kept))
        elif match != change:
            for field in sorted(set(change) | set(match)):
                if change.get(field) != match.get(field):
                    found.append(
                        f"{label}: {field} is now {_short(match.get(field))}, "
                        f"the plan recorded {_short(change.get(field))}"
                    )
    for change in new:
        if _key(change) not in saved_keys:
            found.append(f"{_where(change)}: a fresh plan also does {change['action']}")
    if not found:
        found.append("the changes are the same but in another order")
    return found


def _where(change: Doc) -> str:
    alias = f":{change['alias']}" if change.get("alias") else ""
    version = f" version {change['version']}" if change.get("version") else ""
    key = (change.get("binding") or {}).get("key")
    version += f" {key}" if key and key != change.get("alias") else ""
    return f"{change.get('function')}{alias} ({change.get('action')}{version})"


def _gone(change: Doc, kept: dict[tuple[str, str, str], str]) -> str:
    if change.get("action") == "delete_version":
        reason = kept.get((change["region"], change["function"], change["version"]))
        if reason:
            what = f"served by {reason}" if reason.startswith("alias ") else f"kept: {reason}"
            return (
                f"{change['function']}: version {change['version']} is now {what}; "
                "the plan would delete it"
            )
    return f"{_where(change)}: the plan does it, a fresh plan would not"


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 200 else text[:197] + "..."
