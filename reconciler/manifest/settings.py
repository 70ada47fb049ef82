"""Deployment targets: the (account, region) groups the manifests span.

A CI workflow fans out one job per target so each job assumes one IAM role in
one account. ``reconciler targets`` prints the groups (as a GitHub Actions
matrix); ``plan/apply/drift --target ACCOUNT/REGION`` then keep only the
functions of one group (:func:`filter_target`).

Placement of a function:

* region: the manifest's ``region`` or the ARN's region, else ``--region``
  (or ``defaults.region`` from the settings file), else ``default``;
* account: the manifest's ``account`` or the ARN's account, else none, written
  ``default`` in target names (whatever account the credentials belong to).

Settings file (``.reconciler/settings.yaml`` at the repository root, optional)::

    # Roles the workflows assume, per account (12 digits, quoted).
    accounts:
      "123456789012":
        plan_role: arn:aws:iam::123456789012:role/reconciler-plan    # read-only
        apply_role: arn:aws:iam::123456789012:role/reconciler-apply  # read-write
    # All keys optional.
    defaults:
      region: eu-west-1       # region of manifests that name none
      plan_role: arn:...      # roles for manifests that name no account
      apply_role: arn:...

Unknown keys are errors, reported as ``file:line:col: message``.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import UsageError
from reconciler.manifest.loader import MAX_FILE_BYTES
from reconciler.manifest.model import FunctionSpec

DEFAULT = "default"
ANY = "*"
# GitHub refuses a matrix with more than 256 jobs.
MAX_MATRIX = 256
SETTINGS_PATH = Path(".reconciler/settings.yaml")

# \Z, not $: "$" also matches before a final newline, which would let
# "arn:...:role/x\n" through into the workflows' matrix.
ACCOUNT_RE = re.compile(r"^\d{12}\Z")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+\Z")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}\Z")
_ROLE_KEYS = ("plan_role", "apply_role")


@dataclass(frozen=True)
class Roles:
    plan_role: str | None = None
    apply_role: str | None = None


@dataclass(frozen=True)
class Settings:
    """The repo-level settings file, validated."""

    accounts: dict[str, Roles] = field(default_factory=dict)
    default_region: str | None = None
    default_roles: Roles = Roles()
    source: str | None = None

    def roles_for(self, account: str | None) -> Roles:
        if account is None:
            return self.default_roles
        return self.accounts.get(account, Roles())


@dataclass(frozen=True)
class Target:
    """One (account, region) group and the functions in it."""

    account: str | None
    region: str
    functions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.account or DEFAULT}/{self.region}"

    @property
    def slug(self) -> str:
        """The name, usable in artifact names and concurrency groups."""
        return self.name.replace("/", "-")


@dataclass(frozen=True)
class TargetSelector:
    """A parsed ``ACCOUNT/REGION``; either part may be ``*``."""

    account: str
    region: str

    @property
    def name(self) -> str:
        return f"{self.account}/{self.region}"

    def matches(self, account: str | None, region: str) -> bool:
        account_ok = self.account == ANY or self.account == (account or DEFAULT)
        return account_ok and self.region in (ANY, region)

    def as_json(self) -> dict[str, str | None]:
        """The report documents' ``target``: null parts are wildcards."""
        return {
            "name": self.name,
            "account": None if self.account in (ANY, DEFAULT) else self.account,
            "region": None if self.region == ANY else self.region,
        }


def placement(spec: FunctionSpec, default_region: str | None = None) -> tuple[str | None, str]:
    """(account or None, region) of one function, as the module docstring says.

    ``spec.default_region`` (from the environment) is ignored on purpose: a
    job's AWS_REGION must not move functions between targets.
    """
    # The loader already folds an ARN's region and account into the spec.
    region = spec.region or default_region or DEFAULT
    return spec.account, region


def group_targets(
    functions: Iterable[FunctionSpec], default_region: str | None = None
) -> tuple[Target, ...]:
    """Targets in a stable order: by account (none last), then region."""
    groups: dict[tuple[str | None, str], list[str]] = {}
    for spec in functions:
        groups.setdefault(placement(spec, default_region), []).append(spec.name)
    ordered = sorted(groups, key=lambda key: (key[0] is None, key[0] or "", key[1]))
    return tuple(
        Target(acc, region, tuple(sorted(groups[(acc, region)]))) for acc, region in ordered
    )


def github_matrix(
    targets: Iterable[Target], settings: Settings, default_region: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The ``strategy.matrix`` value; empty roles when the settings name none."""
    include: list[dict[str, Any]] = []
    for target in targets:
        roles = settings.roles_for(target.account)
        include.append(
            {
                "target": target.name,
                "slug": target.slug,
                "account": target.account,
                "region": target.region,
                # Passed back as --region so region-less manifests land here again.
                "default-region": default_region or "",
                "plan-role": roles.plan_role or "",
                "apply-role": roles.apply_role or "",
            }
        )
    if len(include) > MAX_MATRIX:
        raise UsageError(
            f"the manifests span {len(include)} targets; a GitHub matrix holds at most "
            f"{MAX_MATRIX}: split the manifests across workflows (pass PATHs per workflow)"
        )
    return {"include": include}


def parse_target(text: str) -> TargetSelector:
    """Parse ``ACCOUNT/REGION`` (``*`` for any, ``default`` for none given)."""
    account, sep, region = text.strip().partition("/")
    problems = []
    if not sep or "/" in region:
        problems.append("expected ACCOUNT/REGION, e.g. 123456789012/eu-west-1 or */eu-west-1")
    else:
        if account not in (ANY, DEFAULT) and not ACCOUNT_RE.match(account):
            problems.append(f"account {account!r} is not 12 digits, '*' or 'default'")
        if region not in (ANY, DEFAULT) and not REGION_RE.match(region):
            problems.append(f"region {region!r} is not a region name, '*' or 'default'")
    if problems:
        raise UsageError(f"bad --target {text!r}: " + "; ".join(problems))
    return TargetSelector(account, region)


def filter_target(
    functions: Iterable[FunctionSpec], target: str, *, default_region: str | None = None
) -> tuple[FunctionSpec, ...]:
    """The functions placed in ``target``; pass the CLI's ``--region`` as default_region."""
    selector = parse_target(target)
    return tuple(f for f in functions if selector.matches(*placement(f, default_region)))


# --- settings file ---------------------------------------------------------------------


class _Checker:
    """Collects located problems while walking the YAML node tree."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[tuple[int, int, str]] = []

    def error(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append((mark.line + 1, mark.column + 1, message))

    def mapping(
        self, node: yaml.Node, where: str, allowed: tuple[str, ...] | None = None
    ) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """(key, key node, value node) of a mapping; null counts as empty."""
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
            return []
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{where} must be a mapping")
            return []
        seen: set[str] = set()
        items: list[tuple[str, yaml.Node, yaml.Node]] = []
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.error(key, f"{where}: keys must be plain strings")
                continue
            if key.value in seen:
                self.error(key, f"{where}: duplicate key {key.value!r}")
                continue
            seen.add(key.value)
            if allowed is not None and key.value not in allowed:
                expected = ", ".join(allowed)
                self.error(key, f"{where}: unknown key {key.value!r} (expected {expected})")
                continue
            items.append((key.value, key, value))
        return items

    def string(
        self, node: yaml.Node, where: str, pattern: re.Pattern[str], what: str
    ) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or not pattern.match(node.value):
            shown = repr(node.value) if isinstance(node, yaml.ScalarNode) else "a collection"
            self.error(node, f"{where}: {shown} is not {what}")
            return None
        return str(node.value)

    def roles(self, items: list[tuple[str, yaml.Node, yaml.Node]], where: str) -> Roles:
        found = {
            key: self.string(value, f"{where}.{key}", ROLE_ARN_RE, "an IAM role ARN")
            for key, _, value in items
            if key in _ROLE_KEYS
        }
        return Roles(found.get("plan_role"), found.get("apply_role"))


def parse_settings(text: str, source: str) -> Settings:
    """Validate a settings document; UsageError lists every located problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(err, "problem", None) or str(err)
        raise UsageError(f"{where}: invalid YAML: {problem}") from None
    if root is None:
        return Settings(source=source)
    check = _Checker(source)
    accounts: dict[str, Roles] = {}
    default_region: str | None = None
    default_roles = Roles()
    for key, _, value in check.mapping(root, "settings", ("accounts", "defaults")):
        if key == "accounts":
            for account, account_node, entry in check.mapping(value, "accounts"):
                if not ACCOUNT_RE.match(account):
                    check.error(account_node, f"accounts: {account!r} is not a 12-digit account id")
                items = check.mapping(entry, f"accounts.{account}", _ROLE_KEYS)
                accounts[account] = check.roles(items, f"accounts.{account}")
        else:
            items = check.mapping(value, "defaults", ("region", *_ROLE_KEYS))
            default_roles = check.roles(items, "defaults")
            for name, _, node in items:
                if name == "region":
                    default_region = check.string(node, "defaults.region", REGION_RE, "a region")
    if check.problems:
        lines = "\n".join(
            f"  {source}:{ln}:{col}: {msg}" for ln, col, msg in sorted(check.problems)
        )
        raise UsageError(f"invalid settings file {source}:\n{lines}")
    return Settings(accounts, default_region, default_roles, source)


def load_settings(path: str | Path | None = None, root: str | Path | None = None) -> Settings:
    """Load ``path``, or the default file when present; empty settings otherwise.

    The file must lie inside ``root`` (default: the working directory, the
    repository's checkout), symbolic links resolved, and hold at most as much
    as a manifest file may.
    """
    if path is None:
        if not SETTINGS_PATH.is_file():
            return Settings()
        path = SETTINGS_PATH
    path = Path(path)
    base = Path(root if root is not None else Path.cwd()).resolve()
    real = path.resolve()
    if not real.is_relative_to(base):
        raise UsageError(
            f"settings file {path} resolves to {real}, outside {base}: the settings file must "
            "be inside the repository (a symbolic link may not lead out of it)"
        )
    try:
        status = real.stat()
        if not stat.S_ISREG(status.st_mode):
            raise UsageError(f"settings file {path} is not a regular file")
        with real.open("rb") as handle:
            content = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise UsageError(f"cannot read settings file {path}: {err.strerror or err}") from None
    if len(content) > MAX_FILE_BYTES:
        raise UsageError(f"settings file {path} is larger than 1 MiB, the most it may hold")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"settings file {path} is not valid UTF-8 text") from None
    return parse_settings(text, str(path))
