"""Rules a JSON Schema cannot say: references, cross-field and cross-document rules.

The checks run on every usable document, also one with schema errors, so one
run reports everything. They therefore skip values of the wrong shape: the
schema has already reported those, and a second message would be noise.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from reconciler.errors import Diagnostic
from reconciler.manifest.annotations import show
from reconciler.manifest.attachments import check_aliases
from reconciler.manifest.build import (
    STRATEGIES,
    define_version,
    interval_seconds,
    is_number,
    parse_function,
    resolve_reference,
    same_version,
)
from reconciler.manifest.loader import Document, JsonPath
from reconciler.manifest.model import LATEST, LatestVersion, SourcePos, VersionRef

# Lambda's own limits: a bare function name, and the whole ARN.
MAX_NAME_CHARS = 64
MAX_ARN_CHARS = 140
_INTERVAL_FORM = re.compile(r"[0-9]+[smh]")


def check_document(doc: Document) -> list[Diagnostic]:
    """Semantic errors of one usable mapping document."""
    data: dict[str, Any] = doc.data
    diagnostics = _check_function(doc, data)
    versions = data.get("versions", {})
    defined = (
        {name: define_version(name, raw) for name, raw in versions.items()}
        if isinstance(versions, dict)
        else None
    )
    aliases = data.get("aliases")
    if isinstance(aliases, dict):
        if not aliases and data.get("prune") is not True:
            diagnostics.append(
                doc.error(
                    ("aliases",),
                    "aliases is empty but prune is not true; an empty `aliases` means "
                    "'delete every alias', which needs `prune: true` — or list the aliases",
                    key=True,
                )
            )
        for name, alias in aliases.items():
            if isinstance(alias, dict):
                diagnostics.extend(_AliasCheck(doc, name, alias, defined, aliases=aliases).run())
        diagnostics.extend(check_aliases(doc, aliases))
    return diagnostics


def _check_function(doc: Document, data: Mapping[str, Any]) -> list[Diagnostic]:
    text = data.get("function")
    ident = parse_function(text) if isinstance(text, str) and len(text) <= MAX_ARN_CHARS else None
    if ident is None:
        return []  # the schema reports the type, length or pattern
    problems: list[Diagnostic] = []
    if ident.qualifier is not None:
        problems.append(
            doc.error(
                ("function",),
                f"function {show(text)} has the qualifier {show(ident.qualifier)}; name the "
                "function only: aliases are the keys of `aliases`, versions are set per alias",
            )
        )
    if len(ident.name) > MAX_NAME_CHARS:
        problems.append(
            doc.error(
                ("function",),
                f"function name is too long ({len(ident.name)} characters); a function name "
                f"has at most {MAX_NAME_CHARS} characters (a whole ARN at most {MAX_ARN_CHARS})",
            )
        )
    for key, from_arn in (("region", ident.region), ("account", ident.account)):
        written = data.get(key)
        if isinstance(written, str) and from_arn is not None and written != from_arn:
            problems.append(
                doc.error(
                    (key,),
                    f"{key} {show(written)} does not match the {key} in function {show(text)} "
                    f"({from_arn}); remove `{key}` or make the two agree",
                )
            )
    return problems


def check_duplicate(
    doc: Document, seen: dict[tuple[str | None, str], SourcePos]
) -> list[Diagnostic]:
    """Whether the document's function (bare name + region) was declared before.

    ``seen`` collects the first declaration of each function across documents.
    A document without a known region shares the one "unknown region" bucket:
    all of those resolve to the same default region when run.
    """
    data: dict[str, Any] = doc.data
    text = data.get("function")
    ident = parse_function(text) if isinstance(text, str) else None
    if ident is None:
        return []
    region = data.get("region")
    region = region if isinstance(region, str) else ident.region
    line, col = doc.value_at(("function",))
    first = seen.setdefault((region, ident.name), SourcePos(doc.file, line, col))
    if first == SourcePos(doc.file, line, col):
        return []
    where = f"region {region}" if region else "no region set"
    return [
        doc.error(
            ("function",),
            f"function {show(ident.name)} ({where}) is declared twice; one document per "
            f"function; also declared at {first.file}:{first.line}",
        )
    ]


def _misreference(raw: Any, aliases: Collection[str]) -> str | None:
    """A sharper reason for two common slips in `version`, else None."""
    if isinstance(raw, str) and raw.upper() == LATEST.upper() and raw != LATEST:
        return f"version {show(raw)} (did you mean {LATEST}? the name is case-sensitive)"
    if isinstance(raw, str) and raw in aliases:
        return (
            f"alias {show(raw)}, but an alias cannot point to another alias: Lambda aliases "
            "point at versions; give the version number (or a name from `versions`)"
        )
    return None


class _AliasCheck:
    """The rules of one alias; collects diagnostics."""

    def __init__(
        self,
        doc: Document,
        name: str,
        alias: dict[str, Any],
        defined: Mapping[str, VersionRef | None] | None,
        *,
        aliases: Collection[str] = (),
    ) -> None:
        self.doc = doc
        self.name = name
        self.alias = alias
        self.defined = defined
        self.aliases = aliases
        self.base: JsonPath = ("aliases", name)
        self.found: list[Diagnostic] = []

    @property
    def label(self) -> str:
        # Built only for a message: quoting every valid alias cost ~3% of loading.
        return f"alias {show(self.name)}"

    def fail(self, path: JsonPath, message: str, *, key: bool = False) -> None:
        self.found.append(self.doc.error((*self.base, *path), message, key=key))

    def run(self) -> list[Diagnostic]:
        primary = self._primary()
        self._weights(primary)
        self._exclusive_options(primary)
        rollout = self.alias.get("rollout")
        if "alarms" in self.alias:
            if "rollout" not in self.alias:
                self.fail(
                    ("alarms",),
                    f"{self.label} has alarms but no rollout; alarms stop a rollout: add a "
                    "preset `rollout` or remove `alarms`",
                    key=True,
                )
            elif isinstance(rollout, dict):
                self.fail(
                    ("alarms",),
                    f"{self.label} has alarms beside a rollout mapping; move them into "
                    "`rollout.alarms` (alias-level alarms go with a preset name)",
                    key=True,
                )
        if isinstance(rollout, dict):
            self._rollout(rollout)
        return self.found

    def _primary(self) -> VersionRef | None:
        if "version" not in self.alias:
            return None
        raw = self.alias["version"]
        primary, problem = resolve_reference(raw, self.defined)
        if problem:
            self.fail(
                ("version",),
                f"{self.label} refers to {_misreference(raw, self.aliases) or problem}",
            )
        return primary

    def _weights(self, primary: VersionRef | None) -> None:
        weights = self.alias.get("weights")
        if not isinstance(weights, dict):
            return
        for key in weights:
            path: JsonPath = ("weights", key)
            if key == LATEST:
                self.fail(
                    path,
                    f"$LATEST cannot take a weight in {self.label}: Lambda splits traffic "
                    "only between published versions; use a version number or name",
                    key=True,
                )
                continue
            ref, problem = resolve_reference(key, self.defined)
            if problem:
                self.fail(path, f"weights of {self.label} refer to {problem}", key=True)
            elif ref is not None and primary is not None and same_version(ref, primary):
                self.fail(
                    path,
                    f"weights of {self.label} send traffic to {ref.label()}, which is the "
                    f"alias's own version ({primary.label()}); the weighted version must "
                    "differ from `version`",
                    key=True,
                )
        if weights and isinstance(primary, LatestVersion):
            self.fail(
                ("version",),
                f"{self.label} has weights but its version is $LATEST; Lambda splits traffic "
                "only between published versions: point `version` at a published version",
            )

    def _exclusive_options(self, primary: VersionRef | None) -> None:
        if "rollout" in self.alias and "weights" in self.alias:
            self.fail(
                ("rollout",),
                f"{self.label} has both rollout and weights; a rollout sets the weights "
                "itself while it runs: remove one of them",
                key=True,
            )
        if "provisioned_concurrency" not in self.alias:
            return
        path: JsonPath = ("provisioned_concurrency",)
        if isinstance(primary, LatestVersion):
            self.fail(
                path,
                f"provisioned_concurrency cannot be set on {self.label} while its version is "
                "$LATEST; Lambda provisions concurrency only for published versions",
                key=True,
            )
        for other in ("weights", "rollout"):
            if other in self.alias:
                self.fail(
                    path,
                    f"provisioned_concurrency cannot be combined with {other} on {self.label}; "
                    "provisioned concurrency is kept on one version: remove one of them",
                    key=True,
                )

    def _rollout(self, rollout: dict[str, Any]) -> None:
        strategy = rollout.get("strategy")
        if strategy not in STRATEGIES:
            return  # the schema reports a missing or unknown strategy
        where = f"rollout of {self.label}"
        for key, owner in (("steps", "canary"), ("linear", "linear")):
            if key in rollout and strategy != owner:
                self.fail(
                    ("rollout", key),
                    f"{key} is only for strategy {owner}, not {strategy} ({where})",
                    key=True,
                )
            elif key not in rollout and strategy == owner:
                self.fail(("rollout", "strategy"), f"strategy {owner} needs `{key}` ({where})")
        if strategy == "all-at-once":
            if "interval" in rollout:
                self.fail(
                    ("rollout", "interval"),
                    f"interval has no meaning for strategy all-at-once ({where}); remove it",
                    key=True,
                )
        elif "interval" not in rollout:
            self.fail(
                ("rollout", "strategy"),
                f'strategy {strategy} needs `interval`, the time between steps, e.g. "10m" '
                f"({where})",
            )
        else:
            self._interval(rollout["interval"], where)
        steps = rollout.get("steps")
        if strategy == "canary" and isinstance(steps, list):
            self._increasing(steps, where)

    def _interval(self, interval: Any, where: str) -> None:
        if not isinstance(interval, str) or not _INTERVAL_FORM.fullmatch(interval):
            return  # the schema reports the pattern
        seconds = interval_seconds(interval)
        if seconds is None:
            self.fail(("rollout", "interval"), f"interval {show(interval)} is too long ({where})")
        elif seconds == 0:
            self.fail(
                ("rollout", "interval"),
                f"interval {show(interval)} is zero ({where}); steps are at least 1s apart",
            )

    def _increasing(self, steps: list[Any], where: str) -> None:
        highest: float | None = None
        for index, step in enumerate(steps):
            if not is_number(step):
                continue
            if highest is not None and step <= highest:
                self.fail(
                    ("rollout", "steps", index),
                    f"step {show(step)} is not above an earlier step ({show(highest)}); "
                    f"steps are strictly increasing weights ({where})",
                )
            highest = step if highest is None else max(highest, step)
