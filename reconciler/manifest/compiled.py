"""The manifest schema compiled once into a plain predicate: the fast path of validation.

jsonschema walks the schema for every document and builds a validator object
for every subschema it descends into: most of the cost of loading a large
fleet of manifests. Nearly every document is valid, so :func:`compile_schema`
turns the schema into nested closures answering only "valid or not";
:mod:`reconciler.manifest.schema` asks jsonschema for the located errors only
when the answer is no.

The predicate gives jsonschema's exact verdict (Draft 2020-12, no format
checker) or raises :class:`Unsure`: for any keyword it does not know, a
remaining ``$ref``, or a value it cannot judge the same way (``uniqueItems``
over non-strings). The caller then asks jsonschema, so an unknown keyword
costs time, never correctness.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]


class Unsure(Exception):
    """The predicate cannot answer exactly as jsonschema would: ask jsonschema."""


# Keywords that never affect validity (errorMessage is the editors' extension).
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "errorMessage",
    }
)


def _is_integer(x: Any) -> bool:
    # Draft 6 and later: 1.0 is an integer too; a boolean never is.
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


def _is_number(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, numbers.Number)


_TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
}


def _unsure(_: Any) -> bool:
    raise Unsure()


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False


def compile_schema(schema: Any) -> tuple[Check, list[str]]:
    """The predicate, and the schema locations it hands back to jsonschema
    (raising :class:`Unsure` when a document reaches them)."""
    unsure: list[str] = []
    return _compile(schema, "#", unsure), unsure


def _compile(schema: Any, where: str, unsure: list[str]) -> Check:
    if schema is True:
        return _always
    if schema is False:
        return _never
    if not isinstance(schema, Mapping):
        unsure.append(where)
        return _unsure
    checks: list[Check] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        check = _keyword(keyword, value, schema, f"{where}/{keyword}", unsure)
        if check is None:
            unsure.append(f"{where}/{keyword}")
            return _unsure
        if check is not _always:
            checks.append(check)
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    return _all_of(checks)


def _all_of(checks: list[Check]) -> Check:
    def check(x: Any) -> bool:
        for each in checks:  # noqa: SIM110 (a loop: a third cheaper than all() over a generator)
            if not each(x):
                return False
        return True

    return check


def _keyword(
    keyword: str, value: Any, schema: Mapping[str, Any], where: str, unsure: list[str]
) -> Check | None:
    """One keyword's check; None when it is not one this module knows."""
    if keyword == "type":
        return _type(value)
    if keyword in ("const", "enum"):
        return _constants([value] if keyword == "const" else value)
    if keyword in ("properties", "additionalProperties", "required", "propertyNames"):
        # Evaluated together, once per mapping, by the "properties" entry.
        return _object(schema, where, unsure) if _owner(keyword, schema) else _always
    if keyword in ("minProperties", "maxProperties", "minItems", "maxItems"):
        return _size(keyword, value)
    if keyword in ("minLength", "maxLength"):
        return _length(keyword, value)
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _bound(keyword, value)
    if keyword == "pattern" and isinstance(value, str):
        search = re.compile(value).search
        return lambda x: not isinstance(x, str) or search(x) is not None
    if keyword == "items" and "prefixItems" not in schema:
        item = _compile(value, where, unsure)
        return lambda x: not isinstance(x, list) or all(item(each) for each in x)
    if keyword == "uniqueItems":
        return _unique if value else _always
    if keyword in ("anyOf", "allOf", "oneOf") and isinstance(value, list) and value:
        branches = [_compile(sub, f"{where}/{i}", unsure) for i, sub in enumerate(value)]
        if keyword == "anyOf":
            return lambda x: any(branch(x) for branch in branches)
        if keyword == "allOf":
            return _all_of(branches)
        return lambda x: sum(1 for branch in branches if branch(x)) == 1
    if keyword == "not":
        negated = _compile(value, where, unsure)
        return lambda x: not negated(x)
    return None


_OBJECT_KEYWORDS = ("properties", "additionalProperties", "required", "propertyNames")


def _owner(keyword: str, schema: Mapping[str, Any]) -> bool:
    """Whether ``keyword`` is the first of the object keywords present in ``schema``."""
    return next(k for k in _OBJECT_KEYWORDS if k in schema) == keyword


def _type(value: Any) -> Check | None:
    names = value if isinstance(value, list) else [value]
    if not names or not all(isinstance(n, str) and n in _TYPES for n in names):
        return None
    if len(names) == 1:
        return _TYPES[names[0]]
    tests = [_TYPES[n] for n in names]
    return lambda x: any(test(x) for test in tests)


def _constants(values: Any) -> Check | None:
    # jsonschema compares a string only with an equal string; other constants
    # (numbers, where True and 1 differ, lists, mappings) are left to it.
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return None
    allowed = frozenset(values)
    return lambda x: isinstance(x, str) and x in allowed


def _object(schema: Mapping[str, Any], where: str, unsure: list[str]) -> Check | None:
    if "patternProperties" in schema:
        return None
    raw = schema.get("properties", {})
    if not isinstance(raw, Mapping):
        return None
    properties = {k: _compile(v, f"{where}/{k}", unsure) for k, v in raw.items()}
    extra_schema = schema.get("additionalProperties", True)
    extra = _compile(extra_schema, f"{where}/additionalProperties", unsure)
    names = _compile(schema.get("propertyNames", True), f"{where}/propertyNames", unsure)
    required = schema.get("required", [])
    if not isinstance(required, list):
        return None
    check_names = names is not _always

    def check(x: Any) -> bool:
        if not isinstance(x, dict):
            return True
        for key in required:
            if key not in x:
                return False
        for key, item in x.items():
            if check_names and not names(key):
                return False
            known = properties.get(key)
            if not (known(item) if known is not None else extra(item)):
                return False
        return True

    return check


def _size(keyword: str, value: Any) -> Check | None:
    if not _is_number(value):
        return None
    kind = dict if keyword.endswith("Properties") else list
    if keyword.startswith("min"):
        return lambda x: not isinstance(x, kind) or len(x) >= value
    return lambda x: not isinstance(x, kind) or len(x) <= value


def _length(keyword: str, value: Any) -> Check | None:
    if not _is_number(value):
        return None
    if keyword == "minLength":
        return lambda x: not isinstance(x, str) or len(x) >= value
    return lambda x: not isinstance(x, str) or len(x) <= value


def _bound(keyword: str, value: Any) -> Check | None:
    if not _is_number(value):
        return None
    tests: dict[str, Check] = {
        "minimum": lambda x: not x < value,
        "maximum": lambda x: not x > value,
        "exclusiveMinimum": lambda x: not x <= value,
        "exclusiveMaximum": lambda x: not x >= value,
    }
    test = tests[keyword]
    return lambda x: not _is_number(x) or test(x)


def _unique(x: Any) -> bool:
    if not isinstance(x, list):
        return True
    if not all(isinstance(each, str) for each in x):
        raise Unsure()  # jsonschema's equality (True is not 1, 1 is 1.0): let it judge
    return len(set(x)) == len(x)
