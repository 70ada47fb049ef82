"""Provisioned concurrency on aliases: ownership, planning (pure), waiting for READY.

Ownership: removing ``provisioned_concurrency`` from an alias must remove the
configuration, yet listing every function's configurations would cost a call
per function even in sync. So when the tool sets provisioned concurrency on an
alias it ends the alias description with a short marker, ``[reconciler:
provisioned]``, which arrives free with ListAliases. Configurations are listed
(one paged ListProvisionedConcurrencyConfigs) only for a function whose
manifest has the key or whose managed alias carries the marker (or when
version collection needs them). A configuration set by hand on an alias whose
manifest never had the key carries no marker and is left alone (should the
manifest then give that alias weights, AWS refuses the update and says why;
the tool does not delete what it does not own). An alias never
carries both this marker and a rollout marker: validation forbids a rollout
together with provisioned concurrency.

Order of calls per function (see the planner): removals first, then publishes,
alias creates and updates, then new or changed settings, then alias deletes
and version deletes. Lambda itself re-provisions an alias whose version
changes, so apply waits for READY right after that UpdateAlias.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from reconciler.aws.live import LiveAlias, ProvisionedConfig
from reconciler.errors import ReconcilerError
from reconciler.manifest.model import AliasSpec
from reconciler.plan import (
    Action,
    AliasState,
    DeleteProvisionedConcurrency,
    FunctionRef,
    Note,
    PutProvisionedConcurrency,
)
from reconciler.plan.description import PROVISIONED_MARKER, render, split_provisioned
from reconciler.plan.requests import ProvisionedConfigs, ReadRequest

MARKER = PROVISIONED_MARKER
split_marker = split_provisioned
# What the planner asks the reader for when it must see the configurations.
NEED_CONFIGS = ProvisionedConfigs()


def join_marker(user_text: str, owned: bool) -> str:
    """The description to write; the user text is cut so that it fits 256 characters."""
    return render(user_text, provisioned=owned)


def without_marker(live: LiveAlias) -> LiveAlias:
    """The live alias as rollout logic must see it: without the ownership marker."""
    text, owned = split_marker(live.description)
    return replace(live, description=text) if owned else live


def with_ownership(desired: AliasState, live: LiveAlias | None, want: bool) -> AliasState:
    """``desired`` with the marker present exactly when ``want``.

    A managed description gets it appended; an unmanaged one is rewritten only
    when the marker must come or go (the user text is kept as it is live).
    """
    if desired.description is not None:
        text = split_marker(desired.description)[0]
        return replace(desired, description=join_marker(text, want))
    if live is None:
        return replace(desired, description=MARKER) if want else desired
    text, owned = split_marker(live.description)
    if owned == want:
        return desired
    return replace(desired, description=join_marker(text, want))


@dataclass(frozen=True)
class AliasProvisioning:
    """What one alias needs: actions before and after the alias changes, the
    alias action itself (maybe told to wait for READY), notes, reads."""

    first: tuple[Action, ...] = ()
    action: Action | None = None
    last: tuple[Action, ...] = ()
    notes: tuple[Note, ...] = ()
    needs: frozenset[ReadRequest] = frozenset()


def _gets_weights(action: Action | None) -> bool:
    return action is not None and action.gains_weights()


def plan_alias(
    fn: FunctionRef,
    spec: AliasSpec,
    live: LiveAlias | None,
    action: Action | None,
    configs: Mapping[str, ProvisionedConfig] | None,
) -> AliasProvisioning:
    """Provisioned-concurrency actions for one managed alias."""
    want = spec.provisioned_concurrency
    owned = live is not None and split_marker(live.description)[1]
    if want is None and not owned and configs is None:
        return AliasProvisioning(action=action)  # nothing to know: the in-sync budget holds
    if configs is None:
        return AliasProvisioning(action=action, needs=frozenset({ProvisionedConfigs(spec.name)}))
    current = configs.get(spec.name)
    if want is not None:
        if current is None or current.requested != want or current.status == "FAILED":
            failed = None
            if current is not None and current.status == "FAILED":
                failed = current.reason or "AWS gave no reason"
            before = None if current is None else current.requested
            put = PutProvisionedConcurrency(fn, spec.name, want, before, failed)
            return AliasProvisioning(action=action, last=(put,))
        if action is not None and action.followed_by_provisioned(want) is not action:
            # Lambda re-provisions on the new version: apply waits for READY.
            return AliasProvisioning(action=action.followed_by_provisioned(want))
        return AliasProvisioning(action=action)
    if current is None:
        return AliasProvisioning(action=action)
    if owned:
        # Before the alias changes: Lambda refuses weights on an alias that has it.
        why = "weights" if _gets_weights(action) else "removed"
        delete = DeleteProvisionedConcurrency(fn, spec.name, current.requested, why)
        return AliasProvisioning(first=(delete,), action=action)
    note = Note(
        f"alias {spec.name} has provisioned concurrency {current.requested} set outside the "
        "manifest; left alone (add provisioned_concurrency to the alias to manage it)",
        alias=spec.name,
        kind="unmanaged_provisioned_concurrency",
    )
    return AliasProvisioning(action=action, notes=(note,))


# -- waiting for READY (apply) -----------------------------------------------------


class ProvisioningError(ReconcilerError):
    """Provisioned concurrency did not become READY (FAILED, gone, or too slow)."""

    hint = (
        "see AWS's reason above; fix it (e.g. the account's concurrency quota) and run apply again"
    )


class ReadyNotConfirmed(Exception):
    """The run was told to stop (SIGINT/SIGTERM) while waiting for READY: the
    setting was made, whether AWS finishes provisioning was not seen."""

    def __init__(self, what: str, config: ProvisionedConfig | None, waited: float) -> None:
        state = (
            f"still {config.status}, {config.allocated} of {config.requested} allocated"
            if config is not None
            else "its status not read"
        )
        super().__init__(
            f"{what}: provisioned concurrency READY not confirmed: the run was interrupted "
            f"after {waited:.0f}s ({state})"
        )
        self.config = config
        self.waited = waited


# Once the run is stopping, a wait notices it within this many seconds.
STOP_CHECK = 0.25


@dataclass(frozen=True)
class Waiter:
    """Polls until READY: bounded in time, the interval growing from 0.25 s to 5 s.

    With ``stop`` (the run's stop event, set on SIGINT/SIGTERM) the wait ends as
    soon as it is set (within :data:`STOP_CHECK` seconds, and without another
    call), raising :class:`ReadyNotConfirmed`: a signal must not leave the run
    waiting for up to ``timeout``."""

    timeout: float = 900.0
    first_poll: float = 0.25
    max_poll: float = 5.0
    clock: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], None] = field(default=time.sleep)

    def until_ready(
        self,
        read: Callable[[], ProvisionedConfig | None],
        what: str,
        first: ProvisionedConfig | None = None,
        stop: threading.Event | None = None,
    ) -> tuple[ProvisionedConfig, float]:
        """(the READY configuration, seconds waited); ``first``: a status already known."""
        started = self.clock()
        delay = self.first_poll
        if first is None and stop is not None and stop.is_set():
            raise ReadyNotConfirmed(what, None, 0.0)
        config = first if first is not None else read()
        while True:
            if config is None:
                raise ProvisioningError(
                    f"{what}: the provisioned-concurrency configuration disappeared while "
                    "waiting for READY"
                )
            if config.status == "READY":
                return config, self.clock() - started
            if config.status == "FAILED":
                raise ProvisioningError(
                    f"{what}: provisioned concurrency {config.requested} FAILED: "
                    f"{config.reason or 'AWS gave no reason'}"
                )
            waited = self.clock() - started
            if waited + delay > self.timeout:
                raise ProvisioningError(
                    f"{what}: provisioned concurrency still {config.status} after {waited:.0f}s "
                    f"({config.allocated} of {config.requested} allocated); AWS may still "
                    "finish: see `reconciler status`"
                )
            if not self._pause(delay, stop):
                raise ReadyNotConfirmed(what, config, self.clock() - started)
            delay = min(delay * 1.5, self.max_poll)
            config = read()

    def _pause(self, delay: float, stop: threading.Event | None) -> bool:
        """Sleep ``delay`` seconds; False as soon as ``stop`` is seen set."""
        if stop is None:
            self.sleep(delay)
            return True
        end = self.clock() + delay
        while not stop.is_set():
            left = end - self.clock()
            if left <= 0:
                return True
            self.sleep(min(left, STOP_CHECK))
        return False
