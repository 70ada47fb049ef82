"""Whatever a manifest file holds, validation answers with diagnostics, never a crash."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler.errors import Diagnostic
from reconciler.manifest import check_manifests
from reconciler.manifest.attachments import is_fifo_queue, source_service
from reconciler.manifest.model import (
    AliasSpec,
    ContentVersion,
    LatestVersion,
    PinnedVersion,
    VersionRef,
)

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SHA = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "manifest.yaml"


def check_bytes(target: Path, content: bytes) -> list[Diagnostic]:
    target.write_bytes(content)
    manifests, diagnostics = check_manifests([str(target)])
    assert (manifests is None) == bool(diagnostics)
    # CR LF, a lone CR and LF all end a line, in YAML as in editors.
    line_count = len(re.split(rb"\r\n|\r|\n", content))
    for diagnostic in diagnostics:
        assert isinstance(diagnostic, Diagnostic)
        assert diagnostic.file == str(target)
        assert 1 <= diagnostic.line <= line_count
        assert diagnostic.col >= 1
        assert diagnostic.message and "\n" not in diagnostic.message
    return diagnostics


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text(target: Path, text: str) -> None:
    check_bytes(target, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes(target: Path, content: bytes) -> None:
    check_bytes(target, content)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["$LATEST", "reconciler/v1", "LambdaFunction", "0.5", "7", SHA]),
)
KEYS = st.one_of(
    st.text(max_size=10),
    st.integers(),
    st.sampled_from(
        ["apiVersion", "kind", "function", "aliases", "versions", "version", "weights"]
    ),
)
STRUCTURES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)


@FUZZ
@given(st.lists(STRUCTURES, min_size=1, max_size=3))
def test_arbitrary_yaml_structures(target: Path, documents: list[Any]) -> None:
    text = yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True)
    check_bytes(target, text.encode("utf-8", "surrogatepass"))


# Near-manifests: right keys, values from a mix of valid and invalid choices,
# so the semantic rules and the model building see every combination.
REFS = st.one_of(
    st.integers(-1, 9),
    st.sampled_from(["$LATEST", "stable", "candidate", "missing", "0", "7", "", "0123"]),
    st.booleans(),
    st.none(),
    st.floats(-1, 10),
)
WEIGHT_KEYS = st.one_of(
    st.integers(0, 9), st.sampled_from(["$LATEST", "stable", "candidate", "missing", "07"])
)
WEIGHTS = st.one_of(
    st.floats(-0.5, 1.5),
    st.sampled_from([float("nan"), float("inf"), 0, 1]),
    st.integers(-1, 2),
    st.text(max_size=3),
)
VERSION_DEFINITIONS = st.one_of(
    st.integers(-1, 9),
    st.fixed_dictionaries(
        {"code_sha256": st.sampled_from([SHA, "short", 5])},
        optional={"description": st.text(max_size=5)},
    ),
)
ALARMS = st.lists(st.sampled_from(["errors", "latency", ""]), max_size=3)
ROLLOUTS = st.one_of(
    st.sampled_from(["Canary10Percent5Minutes", "Linear10PercentEvery3Minutes", "AllAtOnce", "x"]),
    st.fixed_dictionaries(
        {},
        optional={
            "strategy": st.sampled_from(["canary", "linear", "all-at-once", "blue-green"]),
            "steps": st.lists(WEIGHTS, max_size=3),
            "linear": st.fixed_dictionaries({}, optional={"increment": WEIGHTS}),
            "interval": st.sampled_from(["0s", "90s", "5m", "2h", "soon", "9999999999m"]),
            "alarms": ALARMS,
        },
    ),
)
SOURCES = st.sampled_from(
    [
        "arn:aws:sqs:eu-west-1:123456789012:orders",
        "arn:aws:sqs:eu-west-1:123456789012:orders.fifo",
        "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-05-01T00:00:00.000",
        "arn:aws:mq:eu-west-1:123456789012:broker:b:1",
        "orders",
    ]
)
EVENT_SOURCES = st.one_of(
    st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {"source": SOURCES},
                optional={
                    "batch_size": st.sampled_from([0, 1, 10, 11, 10001, "10"]),
                    "enabled": st.sampled_from([True, False, "yes"]),
                    "maximum_batching_window": st.sampled_from([0, 1, 301, None]),
                    "starting_position": st.sampled_from(["LATEST", "AT_TIMESTAMP", 5]),
                },
            ),
            st.integers(),
        ),
        max_size=3,
    ),
    st.sampled_from([{}, "x", None]),
)
FUNCTION_URLS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "auth_type": st.sampled_from(["AWS_IAM", "NONE", "none"]),
            "invoke_mode": st.sampled_from(["BUFFERED", "RESPONSE_STREAM", 1]),
            "cors": st.one_of(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "allow_methods": st.lists(st.sampled_from(["GET", "get", "*"])),
                        "max_age": st.sampled_from([0, 86401, "1"]),
                    },
                ),
                st.none(),
            ),
        },
    ),
    st.sampled_from([None, [], "url"]),
)
PERMISSIONS = st.one_of(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "sid": st.sampled_from(["a", "a", "b c", "", 7]),
                "principal": st.sampled_from(["*", "s3.amazonaws.com", "a b", ""]),
                "action": st.sampled_from(
                    ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction", "Invoke", "*"]
                ),
                "function_url_auth_type": st.sampled_from(["NONE", "AWS_IAM", "x"]),
                "source_account": st.sampled_from(["123456789012", 123456789012]),
            },
        ),
        max_size=3,
    ),
    st.sampled_from([{}, None]),
)
ALIASES = st.fixed_dictionaries(
    {},
    optional={
        "version": REFS,
        "weights": st.dictionaries(WEIGHT_KEYS, WEIGHTS, max_size=2),
        "description": st.text(max_size=4),
        "provisioned_concurrency": st.integers(-1, 3),
        "rollout": ROLLOUTS,
        "alarms": ALARMS,
        "event_sources": EVENT_SOURCES,
        "function_url": FUNCTION_URLS,
        "permissions": PERMISSIONS,
    },
)
MANIFESTS = st.fixed_dictionaries(
    {
        "apiVersion": st.sampled_from(["reconciler/v1", "reconciler/v1", "v2"]),
        "kind": st.sampled_from(["LambdaFunction", "LambdaFunction", "Function"]),
        "function": st.sampled_from(
            [
                "payments",
                "orders",
                "arn:aws:lambda:eu-west-1:123456789012:function:payments",
                "123456789012:function:orders",
                "payments:live",
                "bad name",
                "f" * 65,
            ]
        ),
        "aliases": st.dictionaries(
            st.sampled_from(["live", "beta", "7", "a.b"]),
            st.one_of(ALIASES, st.integers()),
            max_size=3,
        ),
    },
    optional={
        "region": st.sampled_from(["eu-west-1", "us-east-1", "Ireland", 5]),
        "account": st.sampled_from(["123456789012", "111111111111", 123456789012]),
        "prune": st.sampled_from([True, False, "yes"]),
        "versions": st.one_of(
            st.dictionaries(
                st.sampled_from(["stable", "candidate", "12", "$LATEST"]),
                VERSION_DEFINITIONS,
                max_size=3,
            ),
            st.lists(st.integers(), max_size=2),
        ),
        "retain_versions": st.sampled_from([{"keep_last": 3}, {"keep_last": 0}, {"keep": 3}, 3]),
    },
)


def same_version(first: VersionRef, second: VersionRef) -> bool:
    if isinstance(first, PinnedVersion) and isinstance(second, PinnedVersion):
        return first.number == second.number
    if isinstance(first, ContentVersion) and isinstance(second, ContentVersion):
        return first.code_sha256 == second.code_sha256
    return first == second


def assert_promises_kept(target: Path, documents: list[dict[str, Any]]) -> None:
    """Check the documents; when they are valid, what was built keeps the rules."""
    diagnostics = check_bytes(target, yaml.safe_dump_all(documents, sort_keys=False).encode())
    if diagnostics:
        return
    manifests, _ = check_manifests([str(target)])
    assert manifests is not None
    assert len(manifests.functions) == len(documents)
    # What validation promises the planner, whatever the input was.
    for function in manifests.functions:
        assert function.aliases or function.prune
        for alias in function.aliases:
            assert len(alias.weights) <= 1
            for ref, weight in alias.weights:
                assert 0 <= weight < 1
                assert not isinstance(ref, LatestVersion)
                assert not isinstance(alias.version, LatestVersion)
                assert not same_version(ref, alias.version)
            if alias.rollout is not None:
                steps = alias.rollout.steps
                assert all(0 < step < 1 for step in steps)
                assert list(steps) == sorted(set(steps))
                assert not alias.weights
            assert_attachments_kept(alias)
        sources = [s.source for a in function.aliases for s in a.event_sources or ()]
        assert len(sources) == len(set(sources))


def assert_attachments_kept(alias: AliasSpec) -> None:
    """What validation promises about what is bound to an alias."""
    for source in alias.event_sources or ():
        service = source_service(source.source)
        assert service is not None
        if service == "dynamodb":
            assert "/stream/" in source.source
        if service in ("sqs", "mq"):
            assert source.starting_position is None
        if service in ("kinesis", "dynamodb"):
            assert source.starting_position is not None
        if service == "sqs" and source.batch_size is not None and source.batch_size > 10:
            assert not is_fifo_queue(source.source)
            assert (source.maximum_batching_window or 0) >= 1
    sids = [p.sid for p in alias.permissions or ()]
    assert len(sids) == len(set(sids))
    for permission in alias.permissions or ():
        if permission.function_url_auth_type is not None:
            assert permission.action == "lambda:InvokeFunctionUrl"
    url = alias.function_url
    if url is not None and url.auth_type == "NONE" and alias.permissions is not None:
        assert any(
            p.principal == "*"
            and p.action == "lambda:InvokeFunctionUrl"
            and p.function_url_auth_type == "NONE"
            for p in alias.permissions
        )


def boundary(weight: float, rollout: bool = False) -> list[dict[str, Any]]:
    """One otherwise valid manifest with `weight` as its weight (or only rollout step)."""
    alias: dict[str, Any] = {"version": 3}
    if rollout:
        alias["rollout"] = {"strategy": "canary", "steps": [weight], "interval": "1m"}
    else:
        alias["weights"] = {4: weight}
    doc = {"apiVersion": "reconciler/v1", "kind": "LambdaFunction", "function": "svc"}
    return [{**doc, "aliases": {"live": alias}}]


# The edges of "0 <= weight < 1" (and of "0 < step < 1"), which random floats rarely draw.
@FUZZ
@example(documents=boundary(0))
@example(documents=boundary(0.0))
@example(documents=boundary(1.0))
@example(documents=boundary(1))
@example(documents=boundary(1 - 1e-12))
@example(documents=boundary(0.0, rollout=True))
@example(documents=boundary(1.0, rollout=True))
@example(documents=boundary(1 - 1e-12, rollout=True))
@given(st.lists(MANIFESTS, min_size=1, max_size=3))
def test_near_manifests(target: Path, documents: list[dict[str, Any]]) -> None:
    assert_promises_kept(target, documents)


# Mostly valid choices, so that many examples pass and get built.
VALID_ALIASES = st.fixed_dictionaries(
    {"version": st.sampled_from([3, "7", "stable", "candidate", "$LATEST"])},
    optional={
        "weights": st.dictionaries(
            st.sampled_from([4, "5", "stable", "candidate"]), st.floats(0, 0.99), max_size=1
        ),
        "description": st.text(max_size=10),
        "rollout": st.one_of(
            st.sampled_from(["Canary10Percent5Minutes", "AllAtOnce"]),
            st.fixed_dictionaries(
                {
                    "strategy": st.just("canary"),
                    "steps": st.lists(st.floats(0.01, 0.99), min_size=1, max_size=3),
                    "interval": st.just("1m"),
                }
            ),
            st.fixed_dictionaries(
                {
                    "strategy": st.just("linear"),
                    "linear": st.fixed_dictionaries({"increment": st.floats(0.01, 0.99)}),
                    "interval": st.just("30s"),
                }
            ),
        ),
    },
)
VALID_ATTACHMENTS = st.fixed_dictionaries(
    {},
    optional={
        "event_sources": st.lists(
            st.fixed_dictionaries(
                {
                    "source": st.sampled_from(
                        [
                            "arn:aws:sqs:eu-west-1:123456789012:orders",
                            "arn:aws:sqs:eu-west-1:123456789012:orders.fifo",
                        ]
                    )
                },
                optional={"batch_size": st.integers(1, 10), "enabled": st.booleans()},
            ),
            max_size=2,
            unique_by=lambda item: str(item["source"]),
        ),
        "function_url": st.fixed_dictionaries({"auth_type": st.sampled_from(["AWS_IAM", "NONE"])}),
        "permissions": st.lists(
            st.fixed_dictionaries(
                {"sid": st.sampled_from(["a", "b", "c"]), "principal": st.just("*")},
                optional={
                    "action": st.just("lambda:InvokeFunctionUrl"),
                    "function_url_auth_type": st.just("NONE"),
                },
            ),
            max_size=2,
            unique_by=lambda item: str(item["sid"]),
        ),
    },
)
VALID_MANIFESTS = st.fixed_dictionaries(
    {
        "apiVersion": st.just("reconciler/v1"),
        "kind": st.just("LambdaFunction"),
        "function": st.sampled_from(["payments", "orders", "checkout", "search"]),
        "versions": st.just({"stable": 3, "candidate": {"code_sha256": SHA}}),
        "aliases": st.dictionaries(
            st.sampled_from(["live", "beta", "dev"]),
            st.builds(lambda alias, bound: {**alias, **bound}, VALID_ALIASES, VALID_ATTACHMENTS),
            min_size=1,
            max_size=3,
        ),
    },
    optional={"prune": st.booleans(), "retain_versions": st.just({"keep_last": 2})},
)


@FUZZ
@given(st.lists(VALID_MANIFESTS, min_size=1, max_size=3, unique_by=lambda doc: doc["function"]))
def test_mostly_valid_manifests(target: Path, documents: list[dict[str, Any]]) -> None:
    assert_promises_kept(target, documents)


@pytest.mark.parametrize(
    ("weight", "valid"), [(0, True), (1 - 1e-12, True), (1.0, False), (1, False), (-1e-12, False)]
)
def test_weight_boundaries(target: Path, weight: float, valid: bool) -> None:
    diagnostics = check_bytes(target, yaml.safe_dump_all(boundary(weight)).encode())
    assert (not diagnostics) == valid, diagnostics
