"""What every action kind provides, and what the executor gives its handlers.

An action is a frozen dataclass (plain data: what to do, and what was seen
when it was planned). Its kind (:class:`Kind`) owns everything specific to
it: how the executor carries it out, its JSON form, its drift items, what
must still hold at apply time, and how two plans of it compare. Code outside
the kinds asks an action about itself through :class:`ActionBase`'s methods,
never by testing its class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, Self, TypeVar

from reconciler.errors import ReconcilerError
from reconciler.plan.model import ActionResult
from reconciler.plan.pending import PendingVersion, Version
from reconciler.plan.state import AliasState, FunctionRef, RolloutInfo

if TYPE_CHECKING:
    from reconciler.aws.gateway import LambdaGateway
    from reconciler.aws.live import ProvisionedConfig

Doc = dict[str, Any]


class ActionBase:
    """Defaults for the questions planning features and reports ask of any action."""

    fn: FunctionRef
    alias: str | None
    action: str
    # Execution order within a function (the planner emits actions in it).
    order: ClassVar[int]
    # The plan summary's counter this action adds to.
    summary_key: ClassVar[str]

    def describe(self) -> str:
        raise NotImplementedError

    def publishes(self) -> str | None:
        """The code hash this action publishes, if it publishes a version."""
        return None

    def alias_after(self) -> tuple[str, AliasState | None] | None:
        """(alias, its state afterwards; None: deleted), if it changes an alias."""
        return None

    def rollout_info(self) -> RolloutInfo | None:
        return None

    def deleted_version(self) -> str | None:
        return None

    def gains_weights(self) -> bool:
        """Whether an alias without weights gets some (provisioned concurrency must go)."""
        return False

    def followed_by_provisioned(self, amount: int) -> Self:
        """This action, told that the alias's provisioned concurrency follows a
        version move (so apply waits for READY); unchanged if it moves none."""
        return self

    def refers_to(self, pending: PendingVersion) -> bool:
        """Whether it needs that publish first (its traffic or its rollout marker)."""
        return False


class ApplyContext(Protocol):
    """One function's run in the executor, as a handler sees it."""

    @property
    def gw(self) -> LambdaGateway: ...

    @property
    def published(self) -> dict[str, str]:
        """Code hash -> the version number AWS gave it, this run."""
        ...

    @property
    def cache(self) -> dict[str, object]:
        """Reads a handler makes once per function run (e.g. what refers to versions)."""
        ...

    def resolve(self, version: Version) -> str: ...

    def materialise(self, state: AliasState, *, stamp: bool = False) -> AliasState:
        """``state`` with pending versions resolved (and a rollout marker stamped now)."""
        ...

    def ready(self, fn: FunctionRef, alias: str, first: ProvisionedConfig | None = None) -> str:
        """Wait until the alias's provisioned concurrency is READY; what to report."""
        ...


class Replan(Exception):
    """The live alias changed under us (412): plan the function again, once."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class Refused(ReconcilerError):
    """The live function changed in a way the plan did not promise."""


A = TypeVar("A", bound=ActionBase)


class Kind(Generic[A]):
    """The handler of one action class: subclasses set ``name`` and ``cls``."""

    name: ClassVar[str]
    cls: type[A]

    def encode(self, action: A) -> Doc:
        """The kind's own fields of its change document (beyond the common ones)."""
        return {}

    def decode(self, change: Doc, fn: FunctionRef) -> A:
        """The inverse of :meth:`encode` (a change document of this kind)."""
        raise NotImplementedError

    def traffic_shift(self, action: A) -> bool:
        return False

    def ident(self, action: A) -> str:
        """What tells apart two changes of this kind on one function and alias."""
        return ""

    def drift(self, action: A) -> list[Doc]:
        """The drift items this planned change stands for (``drift`` reports)."""
        return []

    def info(self, action: A) -> list[Doc]:
        """Information items (not drift) for ``drift`` reports."""
        return []

    def apply(self, action: A, ctx: ApplyContext) -> ActionResult:
        raise NotImplementedError

    def comparable(self, action: A, ctx: ApplyContext) -> object:
        """What must be equal between the promised and a fresh plan (re-plan after a race)."""
        raise NotImplementedError


def drift_item(action: ActionBase, kind: str, expected: Any, actual: Any, message: str) -> Doc:
    return {
        "function": action.fn.name,
        "region": action.fn.region,
        "account": action.fn.account,
        "alias": action.alias,
        "kind": kind,
        "expected": expected,
        "actual": actual,
        "message": message,
    }


def where(action: ActionBase) -> str:
    return f"{action.fn.name}:{action.alias}" if action.alias else action.fn.name
