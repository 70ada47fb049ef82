"""Reader call budgets and executor race handling, on the in-memory fake."""

from __future__ import annotations

from reconciler.applying.executor import execute
from reconciler.manifest.model import AliasSpec, ContentVersion, FunctionSpec, PinnedVersion
from reconciler.plan import FunctionRef
from reconciler.planning.reader import read_and_plan
from tests.fakes import FakeGateway

FN = FunctionRef("pay", "pay", "eu-west-1")
OLD, NEW = "A" * 43 + "=", "B" * 43 + "="


def fn_spec(*aliases: AliasSpec, prune: bool = False) -> FunctionSpec:
    return FunctionSpec("pay", "pay", "eu-west-1", None, prune, aliases)


def apply(gw: FakeGateway, spec: FunctionSpec):
    plan = read_and_plan(gw, spec, FN)
    assert not plan.problems, plan.problems
    (outcome,) = execute(
        [plan], lambda _fn: gw, replan=lambda fn: read_and_plan(gw, spec, fn), concurrency=1
    )
    return plan, outcome


def test_in_sync_pin_costs_one_call_whatever_the_versions():
    gw = FakeGateway()
    gw.add_function("pay", [f"{i:043d}=" for i in range(120)])
    gw.set_alias("pay", "live", "120")
    plan = read_and_plan(gw, fn_spec(AliasSpec("live", PinnedVersion(120))), FN)
    assert not plan.actions and sum(gw.calls.values()) == 1


def test_in_sync_content_reference_costs_two_calls():
    gw = FakeGateway()
    gw.add_function("pay", [f"{i:043d}=" for i in range(119)] + [NEW])
    gw.set_alias("pay", "live", "120")
    plan = read_and_plan(gw, fn_spec(AliasSpec("live", ContentVersion("c", NEW))), FN)
    assert not plan.actions
    assert gw.calls == {"ListAliases": 1, "GetFunctionConfiguration": 1}


def test_content_reference_prefers_existing_version_over_publishing():
    gw = FakeGateway()
    gw.add_function("pay", [OLD, NEW, OLD], latest_sha=NEW)
    gw.set_alias("pay", "live", "1")
    plan, outcome = apply(gw, fn_spec(AliasSpec("live", ContentVersion("c", NEW))))
    assert [a.action for a in plan.actions] == ["update_alias"]
    assert gw.aliases["pay"]["live"].version == "2"
    assert gw.calls["PublishVersion"] == 0 and outcome.status == "changed"


def test_content_reference_publishes_once_then_never_again():
    gw = FakeGateway()
    gw.add_function("pay", [OLD], latest_sha=NEW)
    gw.set_alias("pay", "live", "1")
    spec = fn_spec(AliasSpec("live", ContentVersion("c", NEW, "build 2")))
    _, outcome = apply(gw, spec)
    assert outcome.status == "changed" and gw.aliases["pay"]["live"].version == "2"
    assert gw.versions["pay"]["2"].description == "build 2"
    plan = read_and_plan(gw, spec, FN)
    assert not plan.actions and gw.calls["PublishVersion"] == 1


def test_lost_reply_on_create_is_recognised_as_own_success():
    gw = FakeGateway()
    gw.add_function("pay", [OLD])
    spec = fn_spec(AliasSpec("live", PinnedVersion(1)))
    plan = read_and_plan(gw, spec, FN)
    # The first CreateAlias "succeeded but the reply was lost": it already exists.
    gw.before["CreateAlias"] = lambda: gw.set_alias("pay", "live", "1")
    (outcome,) = execute([plan], lambda _fn: gw, replan=None, concurrency=1)
    assert outcome.status == "changed"
    assert "already in place" in (outcome.results[0].message or "")


def test_out_of_band_change_between_plan_and_apply_is_not_overwritten():
    gw = FakeGateway()
    gw.add_function("pay", [OLD, NEW, OLD])
    gw.set_alias("pay", "live", "1")
    spec = fn_spec(AliasSpec("live", PinnedVersion(2)))
    plan = read_and_plan(gw, spec, FN)
    gw.before["UpdateAlias"] = lambda: gw.set_alias("pay", "live", "3")  # a human, in the console
    (outcome,) = execute(
        [plan], lambda _fn: gw, replan=lambda fn: read_and_plan(gw, spec, fn), concurrency=1
    )
    assert outcome.status == "failed"
    assert "not overwritten" in (outcome.reason or "")
    assert gw.aliases["pay"]["live"].version == "3"


def test_harmless_concurrent_change_is_replanned_and_applied():
    gw = FakeGateway()
    gw.add_function("pay", [OLD, NEW])
    gw.set_alias("pay", "live", "1", description="x")
    spec = fn_spec(AliasSpec("live", PinnedVersion(2)))
    plan = read_and_plan(gw, spec, FN)
    # Someone changed only the (unmanaged) description: same change still promised.
    gw.before["UpdateAlias"] = lambda: gw.set_alias("pay", "live", "1", description="y")
    (outcome,) = execute(
        [plan], lambda _fn: gw, replan=lambda fn: read_and_plan(gw, spec, fn), concurrency=1
    )
    assert outcome.status == "changed" and gw.aliases["pay"]["live"].version == "2"
    assert gw.aliases["pay"]["live"].description == "y"


def test_delete_skips_alias_changed_since_plan():
    gw = FakeGateway()
    gw.add_function("pay", [OLD, NEW])
    gw.set_alias("pay", "old", "1")
    plan = read_and_plan(gw, fn_spec(prune=True), FN)
    gw.set_alias("pay", "old", "2")
    (outcome,) = execute([plan], lambda _fn: gw, replan=None, concurrency=1)
    assert outcome.results[0].status == "skipped"
    assert "old" in gw.aliases["pay"]


def test_publish_retry_after_lost_reply_does_not_publish_twice():
    gw = FakeGateway()
    gw.add_function("pay", [OLD], latest_sha=NEW)
    spec = fn_spec(AliasSpec("live", ContentVersion("c", NEW)))
    plan = read_and_plan(gw, spec, FN)
    real_publish = gw.publish_version

    def lost_reply_then_retry(function, sha, revision, description):
        real_publish(function, sha, revision, description)  # succeeded upstream...
        return real_publish(function, sha, revision, description)  # ...the retry is stale

    gw.publish_version = lost_reply_then_retry  # type: ignore[method-assign]
    (outcome,) = execute([plan], lambda _fn: gw, replan=None, concurrency=1)
    assert outcome.status == "changed"
    assert sorted(gw.versions["pay"]) == ["$LATEST", "1", "2"]
    assert gw.aliases["pay"]["live"].version == "2"
