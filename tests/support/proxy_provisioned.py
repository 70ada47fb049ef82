"""Emulation of provisioned concurrency, which moto lacks entirely.

Kept in the proxy's state, READY after pc_ready_seconds. Each `_op_<Operation>` method
handles one Lambda API operation for FidelityProxy, under the function's lock. What is
bound to aliases (URLs, event source mappings, permissions) is in proxy_attachments.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import quote

from tests.support.proxy_http import (
    Reply,
    Request,
    fail,
    invalid,
    json_reply,
    not_found,
)
from tests.support.proxy_state import (
    EmulationBase,
    FunctionState,
    Provisioned,
    aws_timestamp,
    routing_weights,
)


class ProvisionedOperations(EmulationBase):
    """Provisioned concurrency."""

    # -- provisioned concurrency (moto has none) -----------------------------------------

    def _pc_target(self, req: Request, state: FunctionState, putting: bool) -> str:
        # API reference, PutProvisionedConcurrencyConfig: Qualifier (a version or an alias)
        # required; developer guide, "Configuring provisioned concurrency": not on $LATEST
        # (an unpublished version); a putting on an alias with weights is refused ("Alias
        # with weights can not be used with Provisioned Concurrency"), while an alias that
        # has a configuration may take weights later (see proxy_lambda's UpdateAlias).
        qualifier = req.qualifier
        if not qualifier:
            raise invalid("Qualifier is required for provisioned concurrency")
        if qualifier == "$LATEST":
            raise invalid(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
            )
        if qualifier.isdigit():
            if qualifier not in {str(v.get("Version")) for v in self._versions(req, state)}:
                raise not_found(f"Function not found: {self._arn(req, qualifier)}")
            return qualifier
        self._latest_config(req)  # a missing function is reported before a missing alias
        path = self._fn_path(req, f"/aliases/{quote(qualifier, safe='')}")
        alias = self._fetch(req, path, ok_missing=True)
        if alias is None:
            raise not_found(f"Cannot find alias arn: {self._arn(req, qualifier)}")
        if putting and routing_weights(alias.get("RoutingConfig")):
            raise invalid("Alias with weights can not be used with Provisioned Concurrency")
        return qualifier

    @staticmethod
    def _pc_view(pc: Provisioned) -> dict[str, Any]:
        ready = time.monotonic() >= pc.ready_at
        allocated = pc.requested if ready else 0
        return {
            "RequestedProvisionedConcurrentExecutions": pc.requested,
            "AvailableProvisionedConcurrentExecutions": allocated,
            "AllocatedProvisionedConcurrentExecutions": allocated,
            "Status": "READY" if ready else "IN_PROGRESS",
            "LastModified": pc.last_modified,
        }

    def _op_PutProvisionedConcurrencyConfig(self, req: Request, state: FunctionState) -> Reply:
        qualifier = self._pc_target(req, state, putting=True)
        # API reference, PutProvisionedConcurrencyConfig: minimum 1; answered 202.
        amount = req.json().get("ProvisionedConcurrentExecutions")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise invalid("ProvisionedConcurrentExecutions must be a positive integer")
        pc = Provisioned(
            amount, time.monotonic() + self.pc_ready_seconds, aws_timestamp(time.time())
        )
        state.provisioned[qualifier] = pc
        return json_reply(202, self._pc_view(pc))

    def _op_GetProvisionedConcurrencyConfig(self, req: Request, state: FunctionState) -> Reply:
        pc = state.provisioned.get(self._pc_target(req, state, putting=False))
        # API reference, GetProvisionedConcurrencyConfig: ProvisionedConcurrencyConfigNotFound.
        if pc is None:
            raise fail(
                404,
                "ProvisionedConcurrencyConfigNotFoundException",
                "No Provisioned Concurrency Config found for this function",
            )
        return json_reply(200, self._pc_view(pc))

    def _op_DeleteProvisionedConcurrencyConfig(self, req: Request, state: FunctionState) -> Reply:
        state.provisioned.pop(self._pc_target(req, state, putting=False), None)
        return Reply(204, [("x-amzn-RequestId", str(uuid.uuid4()))])

    def _op_ListProvisionedConcurrencyConfigs(self, req: Request, state: FunctionState) -> Reply:
        self._latest_config(req)
        items = [
            {"FunctionArn": self._arn(req, q), **self._pc_view(pc)}
            for q, pc in state.provisioned.items()
        ]
        return self._page(req, "ProvisionedConcurrencyConfigs", items, lambda i: i["FunctionArn"])
