"""The compiled schema predicate (validation's fast path) agrees with jsonschema.

Documents the predicate calls valid skip jsonschema entirely, so a predicate
more lenient than jsonschema would let an invalid manifest through: every
case here compares its verdict with jsonschema's on the same schema.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from reconciler.manifest import check_manifests, schema
from reconciler.manifest.compiled import Unsure, compile_schema
from reconciler.manifest.resources import load_schema

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHA = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
ROOT = Path(__file__).resolve().parent.parent


def verdicts(schema_doc: Any, instance: Any) -> tuple[bool | None, bool]:
    """(the predicate's verdict or None when unsure, jsonschema's)."""
    check, _ = compile_schema(schema_doc)
    try:
        fast: bool | None = check(instance)
    except Unsure:
        fast = None
    return fast, Draft202012Validator(schema_doc).is_valid(instance)


def test_the_manifest_schema_compiles_whole() -> None:
    # Nothing deferred: every document of a run takes the fast path.
    _, deferred = schema.fast_check()
    assert deferred == (), (
        "these schema keywords make every document that reaches them take jsonschema's slow "
        "path: teach reconciler/manifest/compiled.py to check them (annotations: add them "
        "to its _ANNOTATIONS)"
    )


KEYWORD_CASES: list[tuple[dict[str, Any], list[Any]]] = [
    ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None]),
    ({"type": "number"}, [0, 0.5, float("inf"), False, "0"]),
    ({"type": ["string", "null"]}, ["", None, 0, []]),
    ({"type": "boolean"}, [True, False, 0, 1]),
    ({"type": "array"}, [[], {}, ""]),
    ({"const": "reconciler/v1"}, ["reconciler/v1", "reconciler/v2", 1, None]),
    ({"enum": ["a", "b"]}, ["a", "c", 0, ["a"]]),
    ({"minimum": 1}, [0, 1, 0.99, True, "0"]),
    ({"maximum": 1}, [1, 1.01, False]),
    ({"exclusiveMinimum": 0}, [0, 1e-9, -1]),
    ({"exclusiveMaximum": 1}, [1, 0.999, 2]),
    ({"minLength": 2, "maxLength": 3}, ["a", "ab", "abcd", 5]),
    ({"pattern": "^[0-9]{3}$(?!\\n)"}, ["123", "123\n", "12", 123]),
    ({"minItems": 1, "maxItems": 2}, [[], [1], [1, 2, 3], "x"]),
    ({"minProperties": 1, "maxProperties": 1}, [{}, {"a": 1}, {"a": 1, "b": 2}, []]),
    ({"uniqueItems": True}, [["a", "b"], ["a", "a"], [], "aa"]),
    ({"uniqueItems": False}, [["a", "a"]]),
    ({"items": {"type": "string"}}, [["a"], ["a", 1], [], {"x": 1}]),
    (
        {
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "additionalProperties": False,
        },
        [{"a": 1}, {"a": 1, "b": "x"}, {"b": "x"}, {"a": "1"}, {"a": 1, "c": 0}, [], "x"],
    ),
    (
        {"propertyNames": {"pattern": "^[a-z]+$"}, "additionalProperties": {"type": "number"}},
        [{"ab": 1}, {"Ab": 1}, {"ab": "1"}, {}],
    ),
    ({"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]}, [0, 1, "", None]),
    ({"allOf": [{"minimum": 1}, {"maximum": 2}]}, [0, 1, 3]),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, [-1, 1, 0.5, "x"]),
    ({"not": {"type": "string"}}, ["x", 1]),
    ({"description": "annotations only", "errorMessage": "x", "title": "t"}, [1, "x", None]),
]


@pytest.mark.parametrize(("schema_doc", "instances"), KEYWORD_CASES)
def test_each_keyword_judges_as_jsonschema_does(
    schema_doc: dict[str, Any], instances: list[Any]
) -> None:
    for instance in instances:
        fast, slow = verdicts(schema_doc, instance)
        assert fast == slow, (schema_doc, instance)


@pytest.mark.parametrize(
    ("schema_doc", "deferred"),
    [
        ({"format": "uri"}, "#/format"),
        ({"properties": {"a": {"multipleOf": 2}}}, "#/properties/a/multipleOf"),
        ({"patternProperties": {"^x": {}}}, "#/patternProperties"),
        ({"$ref": "#/$defs/a", "$defs": {"a": {}}}, "#/$ref"),
        ({"const": 1}, "#/const"),
    ],
)
def test_what_it_does_not_know_it_leaves_to_jsonschema(
    schema_doc: dict[str, Any], deferred: str
) -> None:
    check, unsure = compile_schema(schema_doc)
    assert deferred in unsure
    with pytest.raises(Unsure):
        check({"a": 3} if "properties" in schema_doc else 3)


def test_unique_items_over_non_strings_is_left_to_jsonschema() -> None:
    # jsonschema's equality tells True from 1 but not 1 from 1.0.
    check, unsure = compile_schema({"uniqueItems": True})
    assert unsure == []
    for instance in ([1, True], [1, 1.0]):
        with pytest.raises(Unsure):
            check(instance)


# Valid manifests (every field from valid choices), then one part of one
# replaced, removed or added: near every boundary the schema draws.
WEIGHT = st.floats(0, 1, exclude_max=True)
STEP = st.floats(0, 1, exclude_min=True, exclude_max=True)
ALARMS = st.lists(st.sampled_from(["errors", "latency", "p99 > 1s"]), max_size=2, unique=True)
ROLLOUT = st.one_of(
    st.sampled_from(["Canary10Percent5Minutes", "Linear10PercentEvery1Minute", "AllAtOnce"]),
    st.fixed_dictionaries(
        {"strategy": st.sampled_from(["canary", "linear", "all-at-once"])},
        optional={
            "steps": st.lists(STEP, min_size=1, max_size=3),
            "linear": st.fixed_dictionaries({"increment": st.floats(0.01, 0.99)}),
            "interval": st.sampled_from(["90s", "5m", "2h"]),
            "alarms": ALARMS,
        },
    ),
)
EVENT_SOURCE = st.fixed_dictionaries(
    {"source": st.just("arn:aws:sqs:eu-west-1:123456789012:orders")},
    optional={
        "batch_size": st.integers(1, 10000),
        "enabled": st.booleans(),
        "maximum_batching_window": st.integers(0, 300),
        "starting_position": st.sampled_from(["TRIM_HORIZON", "LATEST"]),
    },
)
NAMES = st.lists(st.sampled_from(["a", "b.example", "X-Y"]), max_size=2, unique=True)
FUNCTION_URL = st.fixed_dictionaries(
    {"auth_type": st.sampled_from(["AWS_IAM", "NONE"])},
    optional={
        "invoke_mode": st.sampled_from(["BUFFERED", "RESPONSE_STREAM"]),
        "cors": st.fixed_dictionaries(
            {},
            optional={
                "allow_origins": NAMES,
                "allow_methods": st.lists(st.sampled_from(["GET", "*"]), max_size=2, unique=True),
                "allow_headers": NAMES,
                "expose_headers": NAMES,
                "allow_credentials": st.booleans(),
                "max_age": st.integers(0, 86400),
            },
        ),
    },
)
PERMISSION = st.fixed_dictionaries(
    {"sid": st.sampled_from(["s1", "api_gw-2"]), "principal": st.just("apigateway.amazonaws.com")},
    optional={
        "action": st.sampled_from(["lambda:InvokeFunction", "*"]),
        "source_arn": st.just("arn:aws:execute-api:eu-west-1:123456789012:api/*"),
        "source_account": st.just("123456789012"),
        "function_url_auth_type": st.sampled_from(["AWS_IAM", "NONE"]),
    },
)
ALIAS = st.fixed_dictionaries(
    {"version": st.one_of(st.integers(1, 9), st.sampled_from(["$LATEST", "stable", "7"]))},
    optional={
        "weights": st.dictionaries(st.sampled_from(["2", "stable"]), WEIGHT, max_size=1),
        "description": st.text(max_size=5),
        "provisioned_concurrency": st.integers(1, 5),
        "rollout": ROLLOUT,
        "alarms": ALARMS,
        "event_sources": st.lists(EVENT_SOURCE, max_size=2),
        "function_url": FUNCTION_URL,
        "permissions": st.lists(PERMISSION, max_size=2),
    },
)
VALID = st.fixed_dictionaries(
    {
        "apiVersion": st.just("reconciler/v1"),
        "kind": st.just("LambdaFunction"),
        "function": st.sampled_from(
            ["payments", "arn:aws:lambda:eu-west-1:123456789012:function:p", "1:function:x"]
        ),
        "aliases": st.dictionaries(st.sampled_from(["live", "beta", "v-1_"]), ALIAS, max_size=3),
    },
    optional={
        "region": st.sampled_from(["eu-west-1", "us-gov-west-1"]),
        "account": st.just("123456789012"),
        "prune": st.booleans(),
        "versions": st.dictionaries(
            st.sampled_from(["stable", "v1.2", "c_3"]),
            st.one_of(
                st.integers(1, 9),
                st.fixed_dictionaries(
                    {"code_sha256": st.just(SHA)}, optional={"description": st.text(max_size=3)}
                ),
            ),
            max_size=2,
        ),
        "retain_versions": st.fixed_dictionaries({"keep_last": st.integers(1, 5)}),
    },
)
BAD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 300),
    st.sampled_from([0.0, 1.0, 0.5, 1.5, -0.1, float("inf"), 1e-9]),
    st.sampled_from(["", "x", "$LATEST", "7", "0", "a*", "a\x01", "5m\n", SHA[:-1], "d" * 257]),
    st.sampled_from(["arn:aws:sqs:eu-west-1:1:q", "GET", "a b", "lambda:*", "s" * 101]),
    st.sampled_from([[], [1], ["a", "a"], {}, {"x": 1}, {"keep_last": 0}]),
)
BAD_KEYS = st.sampled_from(["x", "7", "0123", "$LATEST", "a.b", "", "v" * 129, "version"])


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


@st.composite
def near_manifests(draw: st.DrawFn) -> Any:
    document = draw(VALID)
    path = draw(st.sampled_from(_paths(document)))
    change = draw(st.sampled_from(["keep", "replace", "remove", "add key"]))
    if change == "keep" or not path:
        return document
    parent: Any = document
    for part in path[:-1]:
        parent = parent[part]
    if change == "replace":
        parent[path[-1]] = draw(BAD_VALUES)
    elif change == "remove":
        del parent[path[-1]]
    elif isinstance(parent[path[-1]], dict):
        parent[path[-1]][draw(BAD_KEYS)] = draw(st.one_of(BAD_VALUES, ALIAS))
    return document


ANYTHING = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=15,
)


# The schema file as editors read it ($refs unresolved): the compiled
# predicate works on the references inlined, which must not change a verdict.
JSONSCHEMA = Draft202012Validator(load_schema("manifest"))


@FUZZ
@given(st.one_of(near_manifests(), ANYTHING))
def test_manifest_verdicts_agree_with_jsonschema(document: Any) -> None:
    check, _ = schema.fast_check()
    expected = JSONSCHEMA.is_valid(document)
    with contextlib.suppress(Unsure):  # unsure: jsonschema decides, nothing to compare
        assert check(document) == expected


def test_valid_manifests_are_checked_without_importing_jsonschema() -> None:
    code = (
        "import sys\n"
        "from reconciler.manifest import check_manifests\n"
        f"manifests, problems = check_manifests([{str(ROOT / 'manifests')!r}])\n"
        "assert manifests is not None and not problems, problems\n"
        "assert 'jsonschema' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_an_invalid_manifest_still_gets_located_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: reconciler/v1\nkind: LambdaFunction\nfunction: payments\n"
        "aliases:\n  live:\n    version: 0\n",
        encoding="utf-8",
    )
    manifests, diagnostics = check_manifests([str(path)])
    assert manifests is None
    assert [(d.line, d.col) for d in diagnostics] == [(6, 14)]
    assert "version" in diagnostics[0].message
