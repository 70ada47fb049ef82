"""The in-memory gateway, plus version deletes, provisioned concurrency, event source
mappings and function URLs (for unit tests of lifecycle and provisioned concurrency)."""

from __future__ import annotations

from dataclasses import replace

from reconciler.aws.live import Attachment, LiveAlias, ProvisionedConfig
from reconciler.errors import ConflictError
from tests.fakes import FakeGateway


class LifecycleFake(FakeGateway):
    def __init__(self) -> None:
        super().__init__()
        self.provisioned: dict[str, dict[str, ProvisionedConfig]] = {}
        self.attachments: dict[str, list[Attachment]] = {}
        # Polls of GetProvisionedConcurrencyConfig before a config turns READY
        # (or FAILED with `failure`, when set).
        self.polls_to_ready = 2
        self.failure: str | None = None
        self._polls: dict[str, int] = {}
        self.log: list[str] = []  # every call, in order: "Op" or "Op qualifier"

    def _hook(self, op: str) -> None:
        self.log.append(op)
        super()._hook(op)

    def _note(self, detail: str) -> None:
        self.log[-1] = f"{self.log[-1]} {detail}"

    # -- reads ---------------------------------------------------------------
    def list_provisioned_concurrency(self, function: str) -> list[ProvisionedConfig] | None:
        self._hook("ListProvisionedConcurrencyConfigs")
        if function not in self.versions:
            return None
        return list(self.provisioned.get(function, {}).values())

    # Seeded references, plus what the attachment calls made (tests.fakes_attachments).
    def list_event_source_mappings(self, function: str) -> list[Attachment]:
        self._hook("ListEventSourceMappings")
        seeded = [a for a in self.attachments.get(function, []) if a.kind != "function URL"]
        return seeded + [m.reference() for m in self.mappings.get(function, {}).values()]

    def list_function_urls(self, function: str) -> list[Attachment]:
        self._hook("ListFunctionUrlConfigs")
        seeded = [a for a in self.attachments.get(function, []) if a.kind == "function URL"]
        return seeded + [u.reference() for u in self.urls.get(function, {}).values()]

    def get_provisioned_concurrency(
        self, function: str, qualifier: str
    ) -> ProvisionedConfig | None:
        self._hook("GetProvisionedConcurrencyConfig")
        config = self.provisioned.get(function, {}).get(qualifier)
        if config is None or config.status != "IN_PROGRESS":
            return config
        key = f"{function}:{qualifier}"
        self._polls[key] = self._polls.get(key, 0) + 1
        if self._polls[key] >= self.polls_to_ready:
            if self.failure:
                config = replace(config, status="FAILED", reason=self.failure)
            else:
                config = replace(config, status="READY", allocated=config.requested)
            self.provisioned[function][qualifier] = config
        return config

    # -- mutations -------------------------------------------------------------
    def set_provisioned(self, function: str, qualifier: str, amount: int, status: str = "READY"):
        allocated = amount if status == "READY" else 0
        config = ProvisionedConfig(qualifier, amount, allocated, status)
        self.provisioned.setdefault(function, {})[qualifier] = config

    def put_provisioned_concurrency(
        self, function: str, qualifier: str, amount: int
    ) -> ProvisionedConfig:
        self._hook("PutProvisionedConcurrencyConfig")
        self._note(f"{qualifier}={amount}")
        self._polls.pop(f"{function}:{qualifier}", None)
        self.set_provisioned(function, qualifier, amount, "IN_PROGRESS")
        return self.provisioned[function][qualifier]

    def delete_provisioned_concurrency(self, function: str, qualifier: str) -> bool:
        self._hook("DeleteProvisionedConcurrencyConfig")
        self._note(qualifier)
        return self.provisioned.get(function, {}).pop(qualifier, None) is not None

    def update_alias(
        self, function, alias, version, weights, description, revision_id
    ) -> LiveAlias:
        before = self.aliases[function][alias].version
        updated = super().update_alias(function, alias, version, weights, description, revision_id)
        self._note(alias)
        config = self.provisioned.get(function, {}).get(alias)
        if config is not None and version != before:
            # Lambda re-provisions an alias's concurrency on its new version.
            self._polls.pop(f"{function}:{alias}", None)
            self.set_provisioned(function, alias, config.requested, "IN_PROGRESS")
        return updated

    def delete_version(self, function: str, version: str) -> bool:
        self._hook("DeleteFunction")
        self._note(version)
        users = [a.name for a in self.aliases[function].values() if version in a.versions()]
        if users:
            raise ConflictError(
                "DeleteFunction",
                function,
                f"Unable to delete version because the following aliases reference it: {users}",
                alias=version,
                code="ResourceConflictException",
                status=409,
            )
        return self.versions[function].pop(version, None) is not None
