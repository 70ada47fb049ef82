"""The action registry: every action kind the tool knows, in one list.

Adding an action kind: write its frozen dataclass (an :class:`ActionBase`)
and its :class:`Kind` in a module of :mod:`reconciler.plan.kinds`, add both
here (the ``Action`` union and ``KINDS``), and have a planning feature emit
it. The executor, the JSON documents (and so saved plans, text and markdown),
drift reports and re-plan comparisons then handle it through its kind.
"""

from __future__ import annotations

from typing import Any

from reconciler.plan.kinds.alias import (
    CreateAlias,
    CreateAliasKind,
    DeleteAlias,
    DeleteAliasKind,
    UpdateAlias,
    UpdateAliasKind,
)
from reconciler.plan.kinds.base import Doc, Kind
from reconciler.plan.kinds.event_sources import (
    CreateEventSource,
    CreateEventSourceKind,
    DeleteEventSource,
    DeleteEventSourceKind,
    UpdateEventSource,
    UpdateEventSourceKind,
)
from reconciler.plan.kinds.permissions import (
    AddPermission,
    AddPermissionKind,
    RemovePermission,
    RemovePermissionKind,
)
from reconciler.plan.kinds.provisioned import (
    DeleteProvisionedConcurrency,
    DeleteProvisionedConcurrencyKind,
    PutProvisionedConcurrency,
    PutProvisionedConcurrencyKind,
)
from reconciler.plan.kinds.urls import (
    CreateFunctionUrl,
    CreateFunctionUrlKind,
    DeleteFunctionUrl,
    DeleteFunctionUrlKind,
    UpdateFunctionUrl,
    UpdateFunctionUrlKind,
)
from reconciler.plan.kinds.version import (
    DeleteVersion,
    DeleteVersionKind,
    PublishVersion,
    PublishVersionKind,
)
from reconciler.plan.state import FunctionRef

Action = (
    PublishVersion
    | CreateAlias
    | UpdateAlias
    | DeleteAlias
    | PutProvisionedConcurrency
    | DeleteProvisionedConcurrency
    | DeleteVersion
    | CreateEventSource
    | UpdateEventSource
    | DeleteEventSource
    | CreateFunctionUrl
    | UpdateFunctionUrl
    | DeleteFunctionUrl
    | AddPermission
    | RemovePermission
)

KINDS: tuple[Kind[Any], ...] = (
    PublishVersionKind(),
    CreateAliasKind(),
    UpdateAliasKind(),
    DeleteAliasKind(),
    PutProvisionedConcurrencyKind(),
    DeleteProvisionedConcurrencyKind(),
    DeleteVersionKind(),
    CreateEventSourceKind(),
    UpdateEventSourceKind(),
    DeleteEventSourceKind(),
    CreateFunctionUrlKind(),
    UpdateFunctionUrlKind(),
    DeleteFunctionUrlKind(),
    AddPermissionKind(),
    RemovePermissionKind(),
)
_BY_CLASS: dict[type, Kind[Any]] = {k.cls: k for k in KINDS}
_BY_NAME: dict[str, Kind[Any]] = {k.name: k for k in KINDS}
ACTION_NAMES = tuple(k.name for k in KINDS)
# Execution order within a function (the planner emits actions in it).
ACTION_ORDER = {k.name: k.cls.order for k in KINDS}


def kind_of(action: Action) -> Kind[Any]:
    return _BY_CLASS[type(action)]


def change_doc(action: Action) -> Doc:
    """An action's JSON form: the common fields, then its kind's own."""
    kind = kind_of(action)
    doc: Doc = {
        "action": kind.name,
        **action.fn.fields(),
        "alias": action.alias,
        "before": None,
        "after": None,
        "fields": [],
        "traffic_shift": kind.traffic_shift(action),
        "summary": action.describe(),
    }
    doc.update(kind.encode(action))
    return doc


def decode_change(change: Doc) -> Action:
    """The inverse of :func:`change_doc`, for a schema-valid change document."""
    kind = _BY_NAME[change["action"]]
    action: Action = kind.decode(change, FunctionRef.from_doc(change))
    return action
