"""JSON Schema validation of one document, turned into located, readable errors.

The schema (schemas/manifest.schema.json) is the contract editors see too. Its
non-standard ``errorMessage`` keywords (which VS Code's YAML/JSON support shows
as well) say what is allowed; this module adds what is wrong and where.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from reconciler.errors import Diagnostic
from reconciler.manifest.annotations import show
from reconciler.manifest.compiled import Check, Unsure, compile_schema
from reconciler.manifest.loader import Document, JsonPath
from reconciler.manifest.resources import load_schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

_JSON_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "null": "null",
}
_RANGE = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}


def _inline_refs(node: Any, defs: Mapping[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """The schema with each local ``#/$defs/x`` reference replaced by its target.

    jsonschema resolves a ``$ref`` on every use, which made validation five
    times slower on large manifests; the schema file keeps its ``$defs`` for
    editors. A reference cycle (none today) is left as a ``$ref``.
    """
    if isinstance(node, list):
        return [_inline_refs(item, defs, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    name = ref.removeprefix("#/$defs/") if isinstance(ref, str) else ""
    if name in defs and name not in seen:
        target = _inline_refs(defs[name], defs, (*seen, name))
        siblings = {key: _inline_refs(value, defs, seen) for key, value in node.items()}
        del siblings["$ref"]
        return {**target, **siblings}
    return {key: _inline_refs(value, defs, seen) for key, value in node.items()}


@cache
def _inlined() -> dict[str, Any]:
    schema = load_schema("manifest")
    inlined: dict[str, Any] = _inline_refs(schema, schema.get("$defs", {}))
    return inlined


@cache
def _validator() -> Draft202012Validator:
    # Imported on first use: a run whose documents are all valid never needs it.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_inlined())


@cache
def fast_check() -> tuple[Check, tuple[str, ...]]:
    """The compiled predicate, and where in the schema it defers to jsonschema."""
    check, unsure = compile_schema(_inlined())
    return check, tuple(unsure)


def check_document(doc: Document) -> list[Diagnostic]:
    """Schema errors of ``doc`` (a usable mapping document)."""
    try:
        if fast_check()[0](doc.data):
            return []
    except Unsure:
        pass
    # Invalid (or not decidable by the predicate): jsonschema says what and where.
    diagnostics: list[Diagnostic] = []
    for error in _validator().iter_errors(doc.data):
        diagnostics.extend(_explain(error, doc))
    return diagnostics


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null"


def _dotted(parts: JsonPath) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _noun(path: JsonPath) -> tuple[str, str, bool]:
    """(what the path is, whose it is, whether it names a whole entity)."""
    if not path:
        return "the manifest", "", True
    head = path[0]
    if head in ("aliases", "versions") and len(path) >= 2:
        entity = f"alias {show(path[1])}" if head == "aliases" else f"version {show(path[1])}"
        rest = path[2:]
        if not rest:
            return entity, "", True
        if head == "aliases" and rest[0] == "weights" and len(rest) == 2:
            return "weight", f" for version {rest[1]}", False
        return _dotted(rest), f" of {entity}", False
    return _dotted(path), "", False


def _subject(path: JsonPath, value: Any, *, with_value: bool = True) -> str:
    noun, owner, entity = _noun(path)
    if not with_value or value is None or isinstance(value, dict | list):
        return noun + owner
    if entity:
        return f"{noun} ({show(value)})"
    return f"{noun} {show(value)}{owner}"


def _container(path: JsonPath) -> str:
    noun, owner, _ = _noun(path)
    return noun + owner


def _key_subject(path: JsonPath, key: str) -> str:
    if path == ("aliases",):
        return f"alias name {show(key)}"
    if path == ("versions",):
        return f"version name {show(key)}"
    if len(path) == 3 and path[0] == "aliases" and path[2] == "weights":
        return f"weights key {show(key)} of alias {show(path[1])}"
    return f"key {show(key)} in {_container(path)}"


def _hint(error: ValidationError) -> str:
    """What is allowed: the nearest ``errorMessage``, else the constraint itself."""
    node: Any = error
    while node is not None:
        if isinstance(node.schema, Mapping) and isinstance(node.schema.get("errorMessage"), str):
            return str(node.schema["errorMessage"])
        node = node.parent
    value: Any = error.validator_value
    fallback = {
        "const": f"allowed: {show(value)}",
        "enum": "allowed: " + ", ".join(show(v) for v in value) if isinstance(value, list) else "",
        "minimum": f"the minimum is {value}",
        "maximum": f"the maximum is {value}",
        "exclusiveMinimum": f"it must be greater than {value}",
        "exclusiveMaximum": f"it must be less than {value}",
        "maxLength": f"at most {value} characters",
        "minLength": f"at least {value} character(s)",
        "minItems": f"give at least {value} entry",
        "uniqueItems": "each entry may appear once",
    }
    return str(fallback.get(str(error.validator), ""))


def _problem(error: ValidationError) -> str:
    validator, value, instance = str(error.validator), error.validator_value, _instance(error)
    if validator == "type" and instance is None:
        return "is empty"
    if validator == "type":
        expected = _JSON_TYPES.get(str(value), str(value))
        return f"is {_kind_of(instance)}, not {expected}"
    if validator == "const":
        return "is not supported"
    if validator == "enum":
        return "is not one of the allowed values"
    if validator in _RANGE:
        return "is out of range"
    if validator == "maxLength":
        return f"is too long ({len(instance)} characters)"
    if validator == "minLength":
        return "is empty" if value == 1 else "is too short"
    if validator == "minItems":
        return "is empty"
    if validator == "maxProperties" and isinstance(instance, dict):
        return f"has {len(instance)} entries"
    if validator == "uniqueItems":
        return "has duplicate entries"
    return "is not valid"


def _instance(error: ValidationError) -> Any:
    instance: Any = error.instance
    return instance


def _is_container(value: Any) -> bool:
    # A block mapping or list "starts" at its first entry, a line below its key:
    # an error about the whole of it points at the key instead.
    return isinstance(value, dict | list)


def _join(first: str, hint: str) -> str:
    return f"{first}; {hint}" if hint else first


def _branch_errors(error: ValidationError) -> list[ValidationError] | None:
    """For anyOf/oneOf: the errors of the one branch whose type fits the value.

    jsonschema reports "not valid under any of the given schemas"; when only one
    alternative accepts the value's type, its errors say what is really wrong.
    """
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [
        subs
        for subs in branches.values()
        if not any(sub.validator == "type" and not sub.relative_path for sub in subs)
    ]
    return fitting[0] if len(fitting) == 1 else None


def _explain(error: ValidationError, doc: Document) -> Iterator[Diagnostic]:
    path: JsonPath = tuple(error.absolute_path)
    validator, instance, schema = str(error.validator), _instance(error), error.schema
    if validator in ("anyOf", "oneOf"):
        branch = _branch_errors(error)
        if branch is not None:
            for sub in branch:
                yield from _explain(sub, doc)
            return
        problem = "is empty" if instance is None else f"is {_kind_of(instance)}, which is not valid"
        message = _join(f"{_subject(path, instance)} {problem}", _hint(error))
        yield doc.error(path, message, key=_is_container(instance))
        return
    if list(error.absolute_schema_path)[-2:-1] == ["propertyNames"]:
        key = str(instance)
        first = f"{_key_subject(path, key)} {_problem(error)}"
        yield doc.error((*path, key), _join(first, _hint(error)), key=True)
        return
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = list(schema.get("properties", {})) if isinstance(schema, Mapping) else []
        for key in instance:
            if key not in allowed:
                message = (
                    f"unknown key {show(key)} in {_container(path)}; allowed: {', '.join(allowed)}"
                )
                close = difflib.get_close_matches(key, allowed, n=1)
                if close:
                    message += f"; did you mean {show(close[0])}?"
                yield doc.error((*path, key), message, key=True)
        return
    if validator == "required" and isinstance(instance, dict):
        required: Any = error.validator_value
        for key in required:
            if key not in instance:
                message = f"{_container(path)} is missing the required key {show(key)}"
                yield doc.error(path, message, key=True)
        return
    with_value = validator not in ("maxLength", "maxProperties")
    first = f"{_subject(path, instance, with_value=with_value)} {_problem(error)}"
    yield doc.error(path, _join(first, _hint(error)), key=_is_container(instance))
