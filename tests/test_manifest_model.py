"""What the manifests turn into: the exact model values, rollouts, discovery, digest."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reconciler.errors import ManifestError
from reconciler.manifest import check_manifests, discover_files, load_manifests
from reconciler.manifest.build import expand_preset, linear_steps
from reconciler.manifest.model import (
    AliasSpec,
    ContentVersion,
    EventSourceSpec,
    FunctionSpec,
    FunctionUrlSpec,
    LatestVersion,
    PermissionSpec,
    PinnedVersion,
    RetainVersions,
    Rollout,
    SourcePos,
)
from reconciler.manifest.resources import load_schema

EXAMPLES = Path(__file__).resolve().parents[1] / "manifests"
HEAD = "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: f\n"


def position(path: Path, written: str) -> SourcePos:
    """Where the first line starting with ``written`` (after indentation) has it, 1-based."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith(written):
            return SourcePos(str(path), number, line.index(written) + 1)
    raise AssertionError(f"{written!r} not in {path}")


def value_position(path: Path, key: str) -> SourcePos:
    """Where the value of ``key: value`` starts (one space after the colon)."""
    key_pos = position(path, f"{key}: ")
    return SourcePos(key_pos.file, key_pos.line, key_pos.col + len(key) + 2)


def item_position(path: Path, first_key: str) -> SourcePos:
    """Where a list item ``- first_key: ...`` starts: at its first key, after the dash."""
    dash = position(path, f"- {first_key}")
    return SourcePos(dash.file, dash.line, dash.col + 2)


def build(tmp_path: Path, text: str) -> FunctionSpec:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    (function,) = load_manifests([str(path)]).functions
    return function


def test_examples_load_into_the_expected_specs() -> None:
    checkout = EXAMPLES / "checkout.yaml"
    consumer = EXAMPLES / "orders-consumer.yaml"
    orders = EXAMPLES / "orders-worker.yaml"
    payments = EXAMPLES / "payments-api.yaml"
    release = ContentVersion(
        "release", "38GDz7dqzsZyYvEvsXjDEqcBGtUNNVFj1V+Ev7aOkE8=", "build 1842"
    )
    expected = (
        FunctionSpec(
            function="arn:aws:lambda:eu-west-1:123456789012:function:checkout",
            name="checkout",
            region="eu-west-1",
            account="123456789012",
            prune=True,
            aliases=(
                AliasSpec(
                    "live", release, description="production", pos=position(checkout, "live:")
                ),
            ),
            versions=(("release", release),),
            pos=value_position(checkout, "function"),
        ),
        FunctionSpec(
            function="orders-consumer",
            name="orders-consumer",
            region="eu-west-1",
            account=None,
            prune=False,
            aliases=(
                AliasSpec(
                    "live",
                    PinnedVersion(1, "stable"),
                    description="production",
                    pos=position(consumer, "live:"),
                    event_sources=(
                        EventSourceSpec(
                            "arn:aws:sqs:eu-west-1:123456789012:orders",
                            batch_size=10,
                            pos=item_position(consumer, "source:"),
                        ),
                    ),
                ),
                AliasSpec(
                    "beta",
                    PinnedVersion(1, "stable"),
                    pos=position(consumer, "beta:"),
                    function_url=FunctionUrlSpec(
                        "AWS_IAM", pos=position(consumer, "function_url:")
                    ),
                    permissions=(
                        PermissionSpec(
                            "partner-url",
                            "111122223333",
                            action="lambda:InvokeFunctionUrl",
                            function_url_auth_type="AWS_IAM",
                            pos=item_position(consumer, "sid:"),
                        ),
                    ),
                ),
            ),
            versions=(("stable", PinnedVersion(1, "stable")),),
            pos=value_position(consumer, "function"),
        ),
        FunctionSpec(
            function="orders-worker",
            name="orders-worker",
            region="eu-west-1",
            account=None,
            prune=False,
            aliases=(
                AliasSpec(
                    "live",
                    PinnedVersion(2),
                    description="production",
                    pos=position(orders, "live:"),
                ),
                AliasSpec("dev", LatestVersion(), pos=position(orders, "dev:")),
            ),
            pos=value_position(orders, "function"),
        ),
        FunctionSpec(
            function="payments-api",
            name="payments-api",
            region="eu-west-1",
            account="123456789012",
            prune=False,
            aliases=(
                AliasSpec(
                    "live",
                    PinnedVersion(3, "stable"),
                    weights=((PinnedVersion(4, "candidate"), 0.1),),
                    description="production (canary: 10% on the candidate)",
                    pos=position(payments, "live:"),
                ),
                AliasSpec("beta", PinnedVersion(4, "candidate"), pos=position(payments, "beta:")),
            ),
            versions=(
                ("stable", PinnedVersion(3, "stable")),
                ("candidate", PinnedVersion(4, "candidate")),
            ),
            pos=value_position(payments, "function"),
        ),
    )

    manifests = load_manifests([str(EXAMPLES)])

    assert manifests.functions == expected
    # pos is part of equality, but say it plainly: positions are where the text is.
    assert [f.pos for f in manifests.functions] == [f.pos for f in expected]
    assert [a.pos for f in manifests.functions for a in f.aliases] == [
        a.pos for f in expected for a in f.aliases
    ]
    # pos is not part of an attachment's equality: compare them on their own.
    consumer_aliases = manifests.functions[1].aliases
    assert [s.pos for s in consumer_aliases[0].event_sources or ()] == [
        item_position(consumer, "source:")
    ]
    url = consumer_aliases[1].function_url
    assert url is not None and url.pos == position(consumer, "function_url:")
    assert [p.pos for p in consumer_aliases[1].permissions or ()] == [
        item_position(consumer, "sid:")
    ]
    assert manifests.files == (str(checkout), str(consumer), str(orders), str(payments))


def test_digest_covers_paths_and_bytes_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(HEAD.replace(": f", ": one") + "aliases:\n  live: {version: 1}\n")
    second.write_text(HEAD.replace(": f", ": two") + "aliases:\n  live: {version: 2}\n")
    expected = hashlib.sha256()
    for path in (first, second):
        expected.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")

    manifests = load_manifests([str(tmp_path)])

    assert manifests.digest == "sha256:" + expected.hexdigest()
    first.write_text(first.read_text() + "# a comment changes the digest\n")
    assert load_manifests([str(tmp_path)]).digest != manifests.digest


PRESETS = [
    ("Canary10Percent5Minutes", "canary", (0.1,), 300),
    ("Canary10Percent10Minutes", "canary", (0.1,), 600),
    ("Canary10Percent15Minutes", "canary", (0.1,), 900),
    ("Canary10Percent30Minutes", "canary", (0.1,), 1800),
    ("Linear10PercentEvery1Minute", "linear", (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), 60),
    ("Linear10PercentEvery2Minutes", "linear", (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), 120),
    ("Linear10PercentEvery3Minutes", "linear", (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), 180),
    ("Linear10PercentEvery10Minutes", "linear", (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), 600),
    ("AllAtOnce", "all-at-once", (), 0),
]


@pytest.mark.parametrize(("preset", "strategy", "steps", "interval"), PRESETS)
def test_presets_expand_in_manifests(
    tmp_path: Path, preset: str, strategy: str, steps: tuple[float, ...], interval: int
) -> None:
    function = build(
        tmp_path,
        HEAD + f"aliases:\n  live:\n    version: 3\n    rollout: {preset}\n"
        "    alarms: [errors-high, latency-p99]\n",
    )
    assert function.aliases[0].rollout == Rollout(
        strategy, steps, interval, ("errors-high", "latency-p99"), preset=preset
    )


def test_every_preset_of_the_schema_is_covered() -> None:
    assert set(load_schema("manifest")["$defs"]["rolloutPreset"]["enum"]) == {
        preset for preset, *_ in PRESETS
    }
    assert expand_preset("AllAtOnce").alarms == ()


@pytest.mark.parametrize(
    ("increment", "steps"),
    [
        (0.1, (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)),
        (0.25, (0.25, 0.5, 0.75)),
        (0.3, (0.3, 0.6, 0.9)),
        (0.33, (0.33, 0.66, 0.99)),
        (0.5, (0.5,)),
        (0.7, (0.7,)),
        (0.2, (0.2, 0.4, 0.6, 0.8)),
    ],
)
def test_linear_expansion(increment: float, steps: tuple[float, ...]) -> None:
    assert linear_steps(increment) == steps


def test_linear_expansion_of_the_smallest_increment_stays_short() -> None:
    steps = linear_steps(0.01)
    assert len(steps) == 99 and steps[0] == 0.01 and steps[-1] == 0.99


def test_rollout_mappings(tmp_path: Path) -> None:
    function = build(
        tmp_path,
        HEAD
        + """aliases:
  canary:
    version: 3
    rollout: {strategy: canary, steps: [0.05, 0.5], interval: 90s, alarms: [errors]}
  linear:
    version: 3
    rollout: {strategy: linear, linear: {increment: 0.25}, interval: 2h}
  at-once:
    version: 3
    rollout: {strategy: all-at-once}
""",
    )
    rollouts = [alias.rollout for alias in function.aliases]
    assert rollouts == [
        Rollout("canary", (0.05, 0.5), 90, ("errors",)),
        Rollout("linear", (0.25, 0.5, 0.75), 7200, ()),
        Rollout("all-at-once", (), 0, ()),
    ]


def test_version_references_resolve(tmp_path: Path) -> None:
    sha = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    function = build(
        tmp_path,
        HEAD
        + f"""versions:
  stable: 7
  next: {{code_sha256: "{sha}"}}
aliases:
  int-key: {{version: 7, weights: {{8: 0.25}}}}
  string-key: {{version: "7", weights: {{"9": 0}}}}
  named: {{version: stable, weights: {{next: 0.5}}, description: ""}}
  latest: {{version: $LATEST}}
""",
    )
    specs = {alias.name: alias for alias in function.aliases}
    assert [alias.name for alias in function.aliases] == [
        "int-key",
        "string-key",
        "named",
        "latest",
    ]
    assert specs["int-key"].version == PinnedVersion(7)
    assert specs["int-key"].weights == ((PinnedVersion(8), 0.25),)
    assert specs["string-key"].version == PinnedVersion(7)
    assert specs["string-key"].weights == ((PinnedVersion(9), 0.0),)
    assert specs["named"].version == PinnedVersion(7, "stable")
    assert specs["named"].weights == ((ContentVersion("next", sha, None), 0.5),)
    assert specs["named"].description == ""
    assert specs["int-key"].description is None
    assert specs["latest"].version == LatestVersion()
    assert function.versions == (
        ("stable", PinnedVersion(7, "stable")),
        ("next", ContentVersion("next", sha, None)),
    )


def test_function_identity_and_options(tmp_path: Path) -> None:
    function = build(
        tmp_path,
        """apiVersion: reconciler/v1
kind: LambdaFunction
function: 123456789012:function:orders
region: us-east-2
prune: true
retain_versions: {keep_last: 5}
aliases:
  live: {version: 4, provisioned_concurrency: 10}
""",
    )
    assert (function.function, function.name) == ("123456789012:function:orders", "orders")
    assert (function.region, function.account) == ("us-east-2", "123456789012")
    assert function.prune is True
    assert function.retain_versions == RetainVersions(5)
    assert function.aliases[0].provisioned_concurrency == 10
    assert function.key == "us-east-2/orders"


def test_empty_aliases_are_allowed_with_prune(tmp_path: Path) -> None:
    function = build(tmp_path, HEAD + "prune: true\naliases: {}\n")
    assert function.aliases == () and function.prune is True


def test_load_manifests_raises_with_every_diagnostic_sorted(tmp_path: Path) -> None:
    other = HEAD.replace("function: f", "function: g")
    (tmp_path / "b.yaml").write_text(other + "aliases:\n  live: {version: 0}\nx: 1\n")
    (tmp_path / "a.yaml").write_text(HEAD + "aliases: {}\n")
    with pytest.raises(ManifestError) as caught:
        load_manifests([str(tmp_path)])
    located = [(Path(d.file).name, d.line, d.col) for d in caught.value.diagnostics]
    assert located == [("a.yaml", 4, 1), ("b.yaml", 5, 19), ("b.yaml", 6, 1)]
    assert check_manifests([str(tmp_path)])[1] == list(caught.value.diagnostics)


def test_discovery_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "notes.txt", "sub/z.yaml", "sub/deeper/c.yaml", ".git/x.yaml"):
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("")
    files = discover_files([str(tmp_path), str(tmp_path / "b.yaml")])
    assert files == [
        str(tmp_path / "a.yml"),
        str(tmp_path / "b.yaml"),
        str(tmp_path / "sub" / "deeper" / "c.yaml"),
        str(tmp_path / "sub" / "z.yaml"),
    ]


def test_discovery_reports_missing_and_empty_paths(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ManifestError) as caught:
        discover_files([str(tmp_path / "nope.yaml"), str(tmp_path / "empty")])
    assert [(d.file, d.line, d.col) for d in caught.value.diagnostics] == [
        (str(tmp_path / "nope.yaml"), None, None),
        (str(tmp_path / "empty"), None, None),
    ]
    # The plain form still names a position, for log parsers and editors.
    assert str(caught.value.diagnostics[0]).startswith(f"{tmp_path / 'nope.yaml'}:1:1: error: ")


def _schema_objects(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _schema_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schema_objects(value, f"{where}/{index}")


def test_schema_is_a_closed_documented_2020_12_schema() -> None:
    schema = load_schema("manifest")
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"] and schema["description"]
    fixed_shapes = [
        (where, node) for where, node in _schema_objects(schema) if "properties" in node
    ]
    assert fixed_shapes
    for where, node in fixed_shapes:
        assert node.get("additionalProperties") is False, where
        for name, prop in node["properties"].items():
            assert prop.get("description"), f"{where}/properties/{name}"
