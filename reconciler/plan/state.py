"""Value types every action and report shares: which function, an alias's state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.aws.live import LiveAlias
from reconciler.plan.pending import Version, decode, encode, is_pending, label


def format_weight(weight: float) -> str:
    return f"{weight * 100:g}%"


@dataclass(frozen=True)
class FunctionRef:
    """Which function an action is for. ``function`` is passed to AWS as is."""

    function: str
    name: str
    region: str
    account: str | None = None

    @property
    def key(self) -> str:
        return f"{self.region}/{self.name}"

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> FunctionRef:
        return cls(doc["function_id"], doc["function"], doc["region"], doc.get("account"))

    def fields(self) -> dict[str, Any]:
        """The function's fields of every JSON document."""
        return {
            "function": self.name,
            "function_id": self.function,
            "region": self.region,
            "account": self.account,
        }


@dataclass(frozen=True)
class AliasState:
    """An alias's managed fields. ``description`` None means "not managed"."""

    version: Version
    weights: tuple[tuple[Version, float], ...] = ()
    description: str | None = None
    # Human labels ("stable (3)") for reports; not compared.
    version_label: str = field(default="", compare=False)
    weight_labels: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def of_live(cls, alias: LiveAlias) -> AliasState:
        return cls(alias.version, alias.weights, alias.description)

    def versions(self) -> tuple[Version, ...]:
        return (self.version, *(v for v, _ in self.weights))

    def label(self) -> str:
        return self.version_label or label(self.version)

    def weights_text(self) -> str:
        if not self.weights:
            return "{}"
        parts = []
        for i, (version, weight) in enumerate(self.weights):
            text = self.weight_labels[i] if i < len(self.weight_labels) else label(version)
            parts.append(f"{text}: {format_weight(weight)}")
        return "{" + ", ".join(parts) + "}"

    def doc(self) -> dict[str, Any]:
        """The JSON form (plan documents); a pending version is "new"."""
        pending = is_pending(self.version)
        return {
            "version": None if pending else self.version,
            "weights": {("new" if is_pending(v) else v): w for v, w in self.weights},
            "description": self.description,
            "version_label": self.label(),
            "weights_label": self.weights_text(),
            "pending_version": encode(self.version) if pending else None,
            "pending_weights": [encode(v) for v, _ in self.weights if is_pending(v)],
        }

    @classmethod
    def from_doc(cls, data: dict[str, Any]) -> AliasState:
        """The inverse of :meth:`doc` (labels of weights are not kept)."""
        pending = [decode(v) for v in data.get("pending_weights") or []]
        weights: list[tuple[Version, float]] = []
        for version, weight in (data.get("weights") or {}).items():
            target: Version = pending.pop(0) if version == "new" and pending else version
            weights.append((target, float(weight)))
        primary = data.get("pending_version")
        return cls(
            version=decode(primary) if primary else data["version"],
            weights=tuple(weights),
            description=data.get("description"),
            version_label=data.get("version_label", ""),
        )


def state_doc(state: AliasState | None) -> dict[str, Any] | None:
    return None if state is None else state.doc()


def live_state(alias: LiveAlias) -> AliasState:
    return AliasState.of_live(alias)


@dataclass(frozen=True)
class RolloutInfo:
    """What an alias update does for a rollout (reports, ``--rollouts-only``).

    ``phase``: start (first step, or all at once when ``steps`` is 0), step,
    promote (the target takes all traffic), rollback (an alarm fired: back to
    ``source``), reset (the manifest changed target mid-rollout: back to
    ``source``), clear (only the description's rollout marker is removed).
    """

    phase: str
    source: str
    target: Version
    step: int = 0
    steps: int = 0
    weight: float = 0.0  # the target's share after a start or step
    reason: str = ""
    target_label: str = field(default="", compare=False)

    def text(self) -> str:
        """What the update does, e.g. "rollout step 2/3: 4 at 50% (3 keeps 50%)"."""
        target = self.target_label or label(self.target)
        if self.phase in ("start", "step") and self.steps:
            word = "rollout start, step" if self.phase == "start" else "rollout step"
            return (
                f"{word} {self.step}/{self.steps}: {target} at {format_weight(self.weight)} "
                f"({self.source} keeps {format_weight(1 - self.weight)})"
            )
        if self.phase == "start":
            return f"rollout all at once: version {self.source} -> {target}"
        if self.phase == "promote":
            return f"rollout promote: {target} at 100% (was {self.source} primary)"
        if self.phase == "rollback":
            return f"rollback: {self.source} at 100% (rollout to {target} failed: {self.reason})"
        if self.phase == "reset":
            return f"rollout reset: {self.source} at 100% ({self.reason})"
        return "rollout finished: marker removed from the description"

    def doc(self) -> dict[str, Any]:
        pending = is_pending(self.target)
        return {
            "phase": self.phase,
            "step": self.step,
            "steps": self.steps,
            "from": self.source,
            "target": None if pending else self.target,
            "pending_target": encode(self.target) if pending else None,
            "target_label": self.target_label or encode(self.target),
            "weight": self.weight,
            "reason": self.reason or None,
        }

    @classmethod
    def from_doc(cls, data: dict[str, Any]) -> RolloutInfo:
        pending = data.get("pending_target")
        return cls(
            phase=data["phase"],
            source=data["from"],
            target=decode(pending) if pending else data["target"],
            step=int(data.get("step") or 0),
            steps=int(data.get("steps") or 0),
            weight=float(data.get("weight") or 0.0),
            reason=data.get("reason") or "",
            target_label=data.get("target_label") or "",
        )


def display_target(version: Version) -> str:
    return label(version)
