"""The plan as data: action kinds (one module each) and their registry, the
alias-description codec, the pending-version placeholder, typed read requests,
and the containers a plan and its outcomes come in. Nothing here decides what
to do (that is :mod:`reconciler.planning`) or runs it (:mod:`reconciler.applying`).
"""

from reconciler.plan.kinds.alias import CreateAlias, DeleteAlias, UpdateAlias
from reconciler.plan.kinds.event_sources import (
    CreateEventSource,
    DeleteEventSource,
    UpdateEventSource,
)
from reconciler.plan.kinds.permissions import AddPermission, RemovePermission
from reconciler.plan.kinds.provisioned import (
    DeleteProvisionedConcurrency,
    PutProvisionedConcurrency,
)
from reconciler.plan.kinds.urls import CreateFunctionUrl, DeleteFunctionUrl, UpdateFunctionUrl
from reconciler.plan.kinds.version import DeleteVersion, PublishVersion
from reconciler.plan.model import (
    HOLD_KINDS,
    SUMMARY_KEYS,
    ActionResult,
    Bound,
    FunctionOutcome,
    FunctionPlan,
    Note,
    Plan,
    Problem,
    Retained,
    RolloutView,
    located,
    position,
)
from reconciler.plan.pending import PendingVersion, Version, is_pending
from reconciler.plan.registry import ACTION_ORDER, Action, change_doc, kind_of
from reconciler.plan.state import (
    AliasState,
    FunctionRef,
    RolloutInfo,
    display_target,
    format_weight,
    live_state,
    state_doc,
)

__all__ = [
    "ACTION_ORDER",
    "HOLD_KINDS",
    "SUMMARY_KEYS",
    "Action",
    "ActionResult",
    "AddPermission",
    "AliasState",
    "Bound",
    "CreateAlias",
    "CreateEventSource",
    "CreateFunctionUrl",
    "DeleteAlias",
    "DeleteEventSource",
    "DeleteFunctionUrl",
    "DeleteProvisionedConcurrency",
    "DeleteVersion",
    "FunctionOutcome",
    "FunctionPlan",
    "FunctionRef",
    "Note",
    "PendingVersion",
    "Plan",
    "Problem",
    "PublishVersion",
    "PutProvisionedConcurrency",
    "RemovePermission",
    "Retained",
    "RolloutInfo",
    "RolloutView",
    "UpdateAlias",
    "UpdateEventSource",
    "UpdateFunctionUrl",
    "Version",
    "change_doc",
    "display_target",
    "format_weight",
    "is_pending",
    "kind_of",
    "live_state",
    "located",
    "position",
    "state_doc",
]
