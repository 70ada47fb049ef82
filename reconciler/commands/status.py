"""`reconciler status`: what each alias serves now, and where its rollout is.

The same read as plan (nothing is changed): for each alias, the versions it
serves and their weights; for a rollout, the step it is at, when the next
step may come and the states of its alarms. Exit 0, or 1 on errors.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.commands import _common
from reconciler.features.rollout.strategy import when
from reconciler.manifest.model import FunctionSpec, ManifestSet
from reconciler.plan import AliasState, FunctionPlan, Plan, RolloutView
from reconciler.plan.description import parse as parse_description
from reconciler.plan.pending import encode
from reconciler.report.documents import Doc, base_doc, error_doc

NAME = "status"
AWS_OPTIONS = ("region", "endpoint_url")
HELP = "show what each alias serves, rollouts in flight and their alarms (reads only)"

# A function's status: the most pressing of its aliases'.
_ATTENTION = {"rolling_back", "failed", "interrupted", "blocked"}
# A function's status, most pressing first: error, attention, rolling_out,
# differs (apply would change it), ok.


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_run_arguments(parser, formats=("text", "json"))


def run(args: argparse.Namespace) -> int:
    manifests, specs = _common.load(args, "status")
    engine = _common.engine(args)
    plan = engine.make_plan(specs)
    refs = {engine.function_ref(s): s for s in specs}
    doc = status_doc(plan, refs, manifests, args.paths, _common.target_doc(args.target))
    _common.with_stats(doc, engine)
    _common.stop_if_unreachable(engine, doc, args.format)
    if args.format == "json":
        _common.emit(doc, "json")
    else:
        sys.stdout.write(render_text(doc))
    return 1 if doc["errors"] else 0


def _weights(state: AliasState) -> dict[str, float]:
    return {encode(v): w for v, w in state.weights}


def _rollout(view: RolloutView) -> Doc:
    return {
        "state": view.state,
        "from": view.source,
        "target": view.target,
        "step": view.step,
        "steps": view.steps,
        "last_step_at": when(view.last_step_at) if view.last_step_at is not None else None,
        "next_step_at": when(view.next_step_at) if view.next_step_at is not None else None,
        "alarms": [{"name": name, "state": state} for name, state in view.alarms],
        "message": view.message or None,
    }


def _provisioned(fp: FunctionPlan, alias: str) -> Doc | None:
    config = next((c for c in fp.provisioned or () if c.qualifier == alias), None)
    if config is None:
        return None
    return {
        "requested": config.requested,
        "allocated": config.allocated,
        "status": config.status,
        "reason": config.reason or None,
    }


def _aliases(fp: FunctionPlan, spec: FunctionSpec | None) -> list[Doc]:
    live = {name: state for name, state, _ in fp.recorded_aliases}
    views = {v.alias: v for v in fp.rollouts}
    wanted = [a.name for a in spec.aliases] if spec else []
    names = wanted + sorted(n for n in live if n not in wanted)
    differing = _differing(fp)
    found = []
    for name in names:
        state = live.get(name)
        view = views.get(name)
        found.append(
            {
                "alias": name,
                "managed": name in wanted,
                "exists": state is not None,
                "version": state.version if state else None,
                "weights": _weights(state) if state else {},
                "description": parse_description(state.description or "").user if state else None,
                "rollout": _rollout(view) if view else None,
                "provisioned_concurrency": _provisioned(fp, name),
                "bound": [
                    {"type": b.type, "name": b.name, "detail": b.detail or None}
                    for b in fp.bound
                    if b.qualifier == name
                ],
                "differs": name in differing,
            }
        )
    return found


def _status(fp: FunctionPlan, aliases: list[Doc]) -> str:
    if fp.problems:
        return "error"
    states = {a["rollout"]["state"] for a in aliases if a["rollout"]}
    if states & _ATTENTION:
        return "attention"
    if states & {"in_progress", "pending"}:
        return "rolling_out"
    # Anything apply would change: live differs from the manifest.
    return "differs" if fp.actions else "ok"


def _differing(fp: FunctionPlan) -> set[str]:
    """Aliases apply would change (create, repoint, reweigh, delete, ...)."""
    return {str(alias) for a in fp.actions if (alias := getattr(a, "alias", None))}


def status_doc(
    plan: Plan,
    specs: dict[Any, FunctionSpec],
    manifests: ManifestSet,
    paths: list[str],
    target: Doc | None,
) -> Doc:
    doc = base_doc("status", manifests, paths, target)
    functions = []
    for fp in plan.functions:
        aliases = _aliases(fp, specs.get(fp.fn))
        functions.append(
            {
                "function": fp.fn.name,
                "function_id": fp.fn.function,
                "region": fp.fn.region,
                "account": fp.fn.account,
                "status": _status(fp, aliases),
                "aliases": aliases,
            }
        )
    doc["functions"] = functions
    doc["errors"] = [error_doc(fn, p) for fn, p in plan.all_problems]
    doc["failure_reason"] = "plan-error" if doc["errors"] else None
    return doc


# -- text ----------------------------------------------------------------------
def _serving(alias: Doc) -> str:
    if not alias["exists"]:
        return "(missing)"
    weights = alias["weights"]
    primary = 1 - sum(weights.values())
    parts = [f"{alias['version']} {primary * 100:g}%"]
    parts += [f"{version} {weight * 100:g}%" for version, weight in weights.items()]
    return ", ".join(parts)


def _rollout_lines(rollout: Doc) -> list[str]:
    state, target = rollout["state"], rollout["target"]
    if state == "done":
        return []
    if state == "pending":
        lines = [f"rollout to {target}: not started (the next apply starts it)"]
    elif state == "in_progress":
        text = f"rollout {rollout['from']} -> {target}: step {rollout['step']}/{rollout['steps']}"
        if rollout["next_step_at"]:
            text += f", next step not before {rollout['next_step_at']}"
        elif rollout["message"]:
            text += f" ({rollout['message']})"
        lines = [text]
    else:
        lines = [f"rollout to {target}: {state.upper()}: {rollout['message']}"]
    if rollout["alarms"]:
        lines.append("alarms: " + ", ".join(f"{a['name']} {a['state']}" for a in rollout["alarms"]))
    return lines


_BOUND = {"event_source": "event source", "function_url": "URL", "permission": "permission"}


def render_text(doc: Doc) -> str:
    lines: list[str] = []
    for fn in doc["functions"]:
        lines.append(f"{fn['function']} ({fn['region']})  {fn['status']}")
        width = max((len(a["alias"]) for a in fn["aliases"]), default=0)
        for alias in fn["aliases"]:
            mark = "" if alias["managed"] else "  (not in the manifest)"
            if alias.get("differs"):
                mark += "  (differs from the manifest: see `reconciler plan`)"
            pc = alias.get("provisioned_concurrency")
            if pc:
                reason = f": {pc['reason']}" if pc.get("reason") else ""
                mark += f"  provisioned concurrency {pc['requested']} {pc['status']}{reason}"
            lines.append(f"  {alias['alias']:<{width}}  {_serving(alias)}{mark}")
            pad = " " * (width + 4)
            if alias["rollout"]:
                lines.extend(pad + line for line in _rollout_lines(alias["rollout"]))
            lines.extend(
                f"{pad}bound: {_BOUND.get(b['type'], b['type'])} {b['name']}"
                + (f" ({b['detail']})" if b["detail"] else "")
                for b in alias.get("bound") or []
            )
        lines.append("")
    lines.extend(f"error: {e['message']}" for e in doc["errors"])
    return "\n".join(lines).strip("\n") + "\n"
