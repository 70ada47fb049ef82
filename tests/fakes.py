"""An in-memory stand-in for LambdaGateway: same methods, AWS's rules.

Used for unit tests of the reader and executor; end-to-end tests use the
real gateway against a moto server instead. Where the executor depends on AWS's
behaviour the fake has it: PublishVersion returns the existing version when
$LATEST is unchanged since the last publish (API reference, PublishVersion;
developer guide, "Lambda function versions"), and aliases are refused as AWS
refuses them (API reference, CreateAlias / UpdateAlias / AliasRoutingConfiguration:
name pattern, one additional version weighted 0.0-1.0, published versions only).
What is bound to aliases (mappings, URLs, permissions) follows AWS's rules too
(tests.fakes_attachments).
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections import Counter
from collections.abc import Callable

from reconciler.aws.live import LiveAlias, VersionInfo, normalise_weights
from reconciler.errors import ConflictError, InvalidRequestError, PreconditionFailedError
from tests.fakes_attachments import AttachmentsFake

_ALIAS_NAME = re.compile(r"(?!^[0-9]+$)[a-zA-Z0-9_-]{1,128}")


class FakeGateway(AttachmentsFake):
    def __init__(self) -> None:
        super().__init__()
        self.aliases: dict[str, dict[str, LiveAlias]] = {}
        self.versions: dict[str, dict[str, VersionInfo]] = {}
        self.calls: Counter[str] = Counter()
        # op -> callback run before the op (to inject races and faults)
        self.before: dict[str, Callable[[], None]] = {}
        self._ids = itertools.count(1)
        # function -> ($LATEST's RevisionId right after the last publish, that version)
        self.last_publish: dict[str, tuple[str, str]] = {}

    # -- seeding ---------------------------------------------------------
    def add_function(
        self, name: str, shas: list[str], latest_sha: str | None = None, role: str = "r"
    ) -> None:
        versions = {
            "$LATEST": VersionInfo(
                "$LATEST", latest_sha or shas[-1], revision_id=str(uuid.uuid4()), role=role
            )
        }
        for i, sha in enumerate(shas, start=1):
            versions[str(i)] = VersionInfo(str(i), sha, role=role)
        self.versions[name] = versions
        self.aliases[name] = {}
        if shas and (latest_sha is None or latest_sha == shas[-1]):
            # Seeded as if the last version had just been published from $LATEST.
            self.last_publish[name] = (versions["$LATEST"].revision_id, str(len(shas)))

    def deploy(self, name: str, sha: str) -> None:
        """UpdateFunctionCode: $LATEST gets new code and a new RevisionId."""
        latest = self.versions[name]["$LATEST"]
        self.versions[name]["$LATEST"] = VersionInfo(
            "$LATEST", sha, revision_id=str(uuid.uuid4()), role=latest.role
        )

    def set_alias(
        self,
        fn: str,
        name: str,
        version: str,
        weights: dict[str, float] | None = None,
        description: str = "",
    ) -> None:
        self.aliases[fn][name] = LiveAlias(
            name, version, normalise_weights(weights), description, str(uuid.uuid4())
        )

    def _hook(self, op: str) -> None:
        self.calls[op] += 1
        callback = self.before.pop(op, None)
        if callback:
            callback()

    # -- reads -------------------------------------------------------------
    def list_aliases(self, function: str) -> list[LiveAlias] | None:
        self._hook("ListAliases")
        if function not in self.aliases:
            return None
        return list(self.aliases[function].values())

    def list_versions(self, function: str) -> list[VersionInfo] | None:
        self._hook("ListVersionsByFunction")
        if function not in self.versions:
            return None
        return list(self.versions[function].values())

    def get_alias(self, function: str, alias: str) -> LiveAlias | None:
        self._hook("GetAlias")
        return self.aliases.get(function, {}).get(alias)

    def get_version(self, function: str, qualifier: str) -> VersionInfo | None:
        self._hook("GetFunctionConfiguration")
        return self.versions.get(function, {}).get(qualifier)

    def wait_until_updated(self, function: str) -> VersionInfo | None:
        self._hook("GetFunctionConfiguration")
        return self.versions.get(function, {}).get("$LATEST")

    # -- mutations -----------------------------------------------------------
    def publish_version(
        self, function: str, code_sha256: str, revision_id: str, description: str | None
    ) -> VersionInfo:
        self._hook("PublishVersion")
        versions = self.versions[function]
        latest = versions["$LATEST"]
        if revision_id and revision_id != latest.revision_id:
            raise PreconditionFailedError("PublishVersion", function, "stale revision", status=412)
        if code_sha256 != latest.code_sha256:
            raise InvalidRequestError("PublishVersion", function, "CodeSHA256 differs", status=400)
        last = self.last_publish.get(function)
        if last and last[0] == latest.revision_id and last[1] in versions:
            return versions[last[1]]  # unchanged since the last publish: nothing new
        number = str(max((int(v) for v in versions if v != "$LATEST"), default=0) + 1)
        versions[number] = VersionInfo(
            number, latest.code_sha256, role=latest.role, description=description or ""
        )
        versions["$LATEST"] = VersionInfo(
            "$LATEST", latest.code_sha256, revision_id=str(uuid.uuid4()), role=latest.role
        )
        self.last_publish[function] = (versions["$LATEST"].revision_id, number)
        return versions[number]

    def _check_alias(self, function: str, alias: str, version: str, weights) -> None:
        """AWS's alias rules (moto's and a naive fake's leniency hides bugs)."""

        def refuse(op: str, why: str) -> InvalidRequestError:
            return InvalidRequestError(op, function, why, alias=alias, status=400)

        if not _ALIAS_NAME.fullmatch(alias):
            raise refuse("CreateAlias", f"invalid alias name {alias!r}")
        split = dict(weights)
        if len(split) > 1:
            raise refuse("UpdateAlias", "at most one additional version")
        if any(not 0 <= w <= 1 for w in split.values()):
            raise refuse("UpdateAlias", "weights must be 0.0-1.0")
        if split and "$LATEST" in (version, *split):
            raise refuse("UpdateAlias", "$LATEST cannot take part in a split")
        if version in split:
            raise refuse("UpdateAlias", "the primary version cannot also be weighted")
        missing = [v for v in (version, *split) if v not in self.versions[function]]
        if missing:
            raise refuse("UpdateAlias", f"version {missing[0]} does not exist")

    def create_alias(self, function, alias, version, weights, description) -> LiveAlias:
        self._hook("CreateAlias")
        self._check_alias(function, alias, version, weights)
        if alias in self.aliases[function]:
            raise ConflictError(
                "CreateAlias", function, "Alias already exists", alias=alias, status=409
            )
        self.set_alias(function, alias, version, dict(weights), description or "")
        return self.aliases[function][alias]

    def update_alias(
        self, function, alias, version, weights, description, revision_id
    ) -> LiveAlias:
        self._hook("UpdateAlias")
        current = self.aliases[function][alias]
        if revision_id and revision_id != current.revision_id:
            raise PreconditionFailedError(
                "UpdateAlias", function, "stale revision", alias=alias, status=412
            )
        self._check_alias(function, alias, version, weights)
        desc = current.description if description is None else description
        self.set_alias(function, alias, version, dict(weights), desc)
        return self.aliases[function][alias]

    def delete_alias(self, function: str, alias: str) -> bool:
        self._hook("DeleteAlias")
        self.forget_alias(function, alias)
        return self.aliases[function].pop(alias, None) is not None
