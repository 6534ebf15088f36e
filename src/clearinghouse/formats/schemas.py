r"""Bundled JSON Schemas, schema validation, and bounded reading of untrusted documents.

Shared by the format codecs (OSV, CVE 5.x; others may use it too).

Why the schemas are bundled: the platform validates uploads and its own renditions at run
time, so it cannot depend on ``../shared/data`` or on the network. The copies under
``formats/schemas/`` are unmodified; ``schemas/SOURCE.txt`` records origin and licence.

Why validators are built once: building a validator (and checking the schema itself) costs
far more than validating a small record; :func:`validator` caches one per schema.

Why no format checker: with ``rfc3987-syntax`` installed, jsonschema's ``uri`` and
``iri-reference`` checks cost seconds per large document (STANDARDS.md measured ~100 s for a
CycloneDX SBOM). ``format`` stays an annotation here; the codecs check the few formats
that matter (timestamps) themselves.

Why patterns are read as ECMA-262 reads them (:func:`ecma_pattern`, :func:`ecma_validator`):
a schema's ``pattern`` is an ECMA-262 regular expression, where ``$`` is the end of the
text and ``\d`` is 0-9; jsonschema hands it to Python's ``re``, where ``$`` also matches
before a final newline and ``\d`` is any script's digit, so ``"CVE-2021-44228\n"`` passed
``^CVE-[0-9]{4}-[0-9]{4,}$``. The Rust validator (``jsonschema_rs``) and the BSI CSAF
validator read them as ECMA-262 does, and so do the validators built here.

Why bounded loading: documents arrive from other organisations. :func:`load_document`
refuses oversized input, YAML aliases (the "billion laughs" expansion and self-referencing
nodes), duplicate YAML keys, values JSON cannot carry (YAML integers beyond 64 bits among
them: reading a long one is quadratic, and Python refuses more than 4,300 digits), and
nesting beyond a depth limit, each as the caller's typed error with the path of the
offending value (a YAML integer, refused as it is read, by its line and column).
"""

from __future__ import annotations

import enum
import functools
import importlib.resources
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Protocol

import orjson
import yaml
from jsonschema import validators
from jsonschema.exceptions import ValidationError, best_match, relevance
from jsonschema.protocols import Validator

from clearinghouse.formats.model import FormatError

try:  # libyaml's parser: ~10x faster, and it caps nesting depth itself
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class BundledSchema(enum.StrEnum):
    """The schemas shipped in ``formats/schemas/`` (value: the file name)."""

    OSV = "osv.schema.json"  # ossf/osv-schema 1.7, draft 2020-12
    CVE5 = "cve5.schema.json"  # CVE Record Format 5.1 bundled, draft-07


@functools.cache
def load_schema(schema: BundledSchema) -> Mapping[str, Any]:
    """The parsed schema document (shared and cached: do not mutate it)."""
    resource = importlib.resources.files("clearinghouse.formats") / "schemas" / schema.value
    loaded: Mapping[str, Any] = orjson.loads(resource.read_bytes())
    return loaded


@functools.cache
def validator(schema: BundledSchema) -> Validator:
    """A ready validator for ``schema``, built once; the draft follows the schema's ``$schema``.

    No ``format_checker`` is attached on purpose (see the module docstring).
    """
    document = load_schema(schema)
    base = validators.validator_for(document)
    base.check_schema(document)
    built: Validator = ecma_validator(base)(document)
    return built


# ECMA-262's white space and line terminators (Python's \s adds U+001C-U+001F and U+0085
# and leaves out U+FEFF).
_ECMA_SPACE: Final = (
    "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
# The class escapes Python's re reads otherwise: (what a class holds, whether negated).
_ECMA_ESCAPES: Final = {
    "d": ("0-9", False),
    "D": ("0-9", True),
    "w": ("A-Za-z0-9_", False),
    "W": ("A-Za-z0-9_", True),
    "s": (_ECMA_SPACE, False),
    "S": (_ECMA_SPACE, True),
}


@functools.lru_cache(maxsize=1024)
def ecma_pattern(pattern: str) -> re.Pattern[str]:
    r"""A JSON Schema ``pattern`` (ECMA-262, no flags) compiled to match what ECMA-262
    matches: ``$`` outside a class is the end of the text (``\Z``), ``\d`` and ``\w`` are
    ASCII, ``\s`` is ECMA-262's white space (in a class too), ``[]`` matches nothing and
    ``[^]`` any character. Other escapes are copied as they are."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escape = _ECMA_ESCAPES.get(pattern[i + 1])
            if escape is None:
                out.append(pattern[i : i + 2])
            else:
                out.append(f"[{'^' if escape[1] else ''}{escape[0]}]")
            i += 2
        elif char == "[":
            translated, i = _ecma_class(pattern, i)
            out.append(translated)
        else:
            out.append("\\Z" if char == "$" else char)
            i += 1
    return re.compile("".join(out))


def _ecma_class(pattern: str, start: int) -> tuple[str, int]:
    """The class opening at ``start``, and where the pattern goes on after it."""
    i = start + 1
    negated = pattern.startswith("^", i)
    i += negated
    items: list[str] = []  # what the class holds, as Python writes it
    outside: list[str] = []  # \D, \W, \S: each adds whatever is outside its body
    while i < len(pattern) and pattern[i] != "]":
        if pattern[i] == "\\" and i + 1 < len(pattern):
            escape = _ECMA_ESCAPES.get(pattern[i + 1])
            if escape is None:
                items.append(pattern[i : i + 2])
            elif escape[1]:
                outside.append(escape[0])
            else:
                items.append(escape[0])
            i += 2
            continue
        items.append("\\[" if pattern[i] == "[" else pattern[i])
        i += 1
    end = i + 1
    body = "".join(items)
    if not outside:
        if not body:  # ECMA-262: [] matches nothing, [^] any character
            return ("[\\s\\S]" if negated else "(?!)"), end
        return f"[{'^' if negated else ''}{body}]", end
    if not negated:  # one of the items, or outside one of the bodies
        return "(?:" + "|".join(
            ([f"[{body}]"] if body else []) + [f"[^{b}]" for b in outside]
        ) + ")", end
    # none of the items, and inside every body
    ahead = "".join(f"(?=[{b}])" for b in outside[1:])
    return (f"(?![{body}])" if body else "") + ahead + f"[{outside[0]}]", end


def _pattern(
    validator: Any, pattern: str, instance: Any, _schema: Any
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: Mapping[str, Any], instance: Any, _schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if ecma_pattern(pattern).search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """jsonschema's ``additionalProperties`` with the patterns of ``patternProperties``
    read by :func:`ecma_pattern`."""
    if not validator.is_type(instance, "object"):
        return
    declared = schema.get("properties", {})
    patterns = [ecma_pattern(p) for p in schema.get("patternProperties", {})]
    extras = [
        key for key in instance if key not in declared and not any(p.search(key) for p in patterns)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:
        listed = ", ".join(repr(e) for e in sorted(extras))
        if patterns:
            regexes = ", ".join(repr(p) for p in sorted(schema["patternProperties"]))
            yield ValidationError(f"{listed} do(es) not match any of the regexes: {regexes}")
        else:
            yield ValidationError(f"Additional properties are not allowed ({listed} unexpected)")


def ecma_validator(cls: type[Validator]) -> type[Validator]:
    """``cls`` with ``pattern``, ``patternProperties`` and ``additionalProperties`` reading
    patterns as ECMA-262 does (see the module docstring)."""
    extended: type[Validator] = validators.extend(
        cls,
        {
            "pattern": _pattern,
            "patternProperties": _pattern_properties,
            "additionalProperties": _additional_properties,
        },
    )
    return extended


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """One way a document breaks its schema."""

    path: str  # where in the document, as a JSON path: $.affected[0].ranges[1].type
    message: str  # jsonschema's explanation
    keyword: str  # the schema keyword that failed: required, pattern, enum, oneOf...

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def schema_violations(
    schema: BundledSchema, instance: object, *, limit: int = 20
) -> tuple[SchemaViolation, ...]:
    """Up to ``limit`` violations of ``schema`` by ``instance``, most relevant first.

    An empty tuple means the instance is valid. For ``oneOf``/``anyOf`` failures the first
    entry descends to the branch that came closest, which reads better than "is not valid
    under any of the given schemas".
    """
    errors = list(itertools.islice(validator(schema).iter_errors(instance), max(limit, 1) * 5))
    if not errors:
        return ()
    best = best_match(errors)
    rest = sorted((e for e in errors if e is not best), key=relevance)
    return tuple(_violation(e) for e in [best, *rest][:limit])


def _violation(error: ValidationError) -> SchemaViolation:
    return SchemaViolation(
        path=json_path(error.absolute_path),
        message=_shorten(error.message),
        keyword=str(error.validator),
    )


def _shorten(message: str, limit: int = 300) -> str:
    # jsonschema quotes whole sub-documents in messages; an upload must not echo megabytes.
    return message if len(message) <= limit else message[: limit - 1] + "…"


class PathError(Protocol):
    """What :func:`require_valid` and :func:`load_document` raise: a FormatError class
    that accepts the path of the offending value."""

    def __call__(self, detail: str, *, path: str = ...) -> FormatError: ...


def require_valid(schema: BundledSchema, instance: object, *, error: PathError) -> None:
    """Raise ``error`` naming the first violation (and carrying all of them) if invalid."""
    found = schema_violations(schema, instance)
    if not found:
        return
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    exc = error(f"not valid against the {schema.name} schema: {first}{more}", path=first.path)
    exc.extensions["violations"] = [
        {"path": v.path, "message": v.message, "keyword": v.keyword} for v in found
    ]
    raise exc


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def json_path(parts: Iterable[str | int]) -> str:
    """``["affected", 0, "package"]`` -> ``$.affected[0].package`` (odd keys are quoted)."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            out.append(f".{part}")
        else:
            out.append(f"[{orjson.dumps(part).decode()}]")
    return "".join(out)


# --- read-only JSON values ---------------------------------------------------------------

JsonValue = None | bool | int | float | str | tuple["JsonValue", ...] | Mapping[str, "JsonValue"]
JsonObject = Mapping[str, JsonValue]
EMPTY_OBJECT: JsonObject = MappingProxyType({})


def describe_json(value: object) -> str:
    """What kind of JSON value this is, for error messages ("an array", "null"...)."""
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case Mapping():
            return "an object"
        case list() | tuple():
            return "an array"
    return f"a {type(value).__name__}"


# The integers JSON storage (orjson, PostgreSQL jsonb) keeps exactly.
_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1


def freeze_json(
    value: object, path: tuple[str | int, ...], max_depth: int, *, error: PathError
) -> JsonValue:
    """A read-only deep copy of plain JSON (objects -> mappingproxy, arrays -> tuple).

    Why: format records are frozen values, yet carry opaque JSON (OSV's
    ``database_specific``); copying also re-checks types and depth when the input did not
    come through :func:`load_document`.
    """
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise error(
                f"integer {_int_text(value)} is beyond 64 bits; stored JSON cannot keep it exactly",
                path=json_path(path),
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise error(f"{value!r} cannot be represented in JSON", path=json_path(path))
        return value
    if len(path) >= max_depth:
        raise error(f"nested deeper than {max_depth} levels", path=json_path(path))
    if isinstance(value, Mapping):
        out: dict[str, JsonValue] = {}
        for key, child in value.items():
            if not isinstance(key, str):
                raise error(f"object key {key!r} is not a string", path=json_path(path))
            out[key] = freeze_json(child, (*path, key), max_depth, error=error)
        return MappingProxyType(out)
    if isinstance(value, list | tuple):
        return tuple(
            freeze_json(child, (*path, i), max_depth, error=error) for i, child in enumerate(value)
        )
    raise error(f"{describe_json(value)} cannot be represented in JSON", path=json_path(path))


def _int_text(value: int) -> str:
    """The integer for a message; a huge one by its size (``str()`` of more than 4,300
    digits raises, and a message must not echo a megabyte anyway)."""
    if value.bit_length() <= 256:
        return str(value)
    return f"of {value.bit_length()} bits"


def freeze_json_object(
    value: Mapping[str, Any], path: tuple[str | int, ...], max_depth: int, *, error: PathError
) -> JsonObject:
    frozen = freeze_json(value, path, max_depth, error=error)
    return frozen if isinstance(frozen, Mapping) else EMPTY_OBJECT


def thaw_json(value: JsonValue) -> Any:
    """Plain, fresh ``dict``/``list`` JSON from a frozen value."""
    if isinstance(value, Mapping):
        return {key: thaw_json(child) for key, child in value.items()}
    if isinstance(value, tuple):
        return [thaw_json(child) for child in value]
    return value


# --- bounded loading -------------------------------------------------------------------


class DocumentFormat(enum.StrEnum):
    JSON = "json"
    YAML = "yaml"


def document_format(filename: str, data: bytes | str) -> DocumentFormat:
    """JSON for ``*.json``, YAML for ``*.yaml``/``*.yml``; otherwise sniff the first byte."""
    lower = filename.lower()
    if lower.endswith(".json"):
        return DocumentFormat.JSON
    if lower.endswith((".yaml", ".yml")):
        return DocumentFormat.YAML
    if isinstance(data, bytes):
        head = data[:64].removeprefix(b"\xef\xbb\xbf").lstrip().decode("latin-1")
    else:
        head = data[:64].lstrip("\ufeff \t\r\n")
    return DocumentFormat.JSON if head.startswith(("{", "[")) else DocumentFormat.YAML


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """Bounds for reading one untrusted document (defaults fit every real OSV/CVE record
    with a wide margin: the largest PyPA record is 17 kB and 9 levels deep)."""

    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 32  # nesting of objects and arrays, the root being depth 1
    max_nodes: int = 500_000  # values of any kind, containers included

    def __post_init__(self) -> None:
        if min(self.max_bytes, self.max_depth, self.max_nodes) < 1:
            raise ValueError("document limits must be positive")


DEFAULT_LIMITS = DocumentLimits()


def load_document(
    data: bytes | str,
    *,
    filename: str,
    error: PathError,
    limits: DocumentLimits = DEFAULT_LIMITS,
) -> Any:
    """Parse JSON or YAML (safe subset) from untrusted input into plain JSON values.

    YAML scalars that look like timestamps stay strings (the codecs keep the original
    text); aliases, duplicate keys, tags beyond the safe set and non-JSON values
    (binary, sets, NaN) are refused. Every failure is ``error`` with ``path`` set.
    """
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise error(
            f"{filename}: the document is {size} bytes; the limit is {limits.max_bytes}", path="$"
        )
    fmt = document_format(filename, data)
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(
                f"{filename}: not UTF-8 text ({exc.reason} at byte {exc.start})", path="$"
            ) from None
    else:
        text = data
    text = text.removeprefix("\ufeff")
    if fmt is DocumentFormat.JSON:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise error(f"{filename}: not valid JSON: {exc}", path="$") from None
    else:
        value = _load_yaml(text, filename=filename, error=error)
    check_json_value(value, limits=limits, error=error)
    return value


class _StrictYamlLoader(_SafeLoader):
    """Safe loader that keeps timestamps as text and refuses aliases and duplicate keys."""

    # PyYAML looks resolvers up on the class; a copy without the timestamp rule.
    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class-level table
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # Each node of a tree is constructed once; a second visit means an alias (*name).
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases (*name) are not allowed", node.start_mark
            )
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


# The longest integer scalar read: 64 bits take at most 66 characters (0b and 64 digits);
# the margin is for underscores and leading zeros. Longer ones are refused unconverted,
# since converting them is quadratic (decimal, sexagesimal) or limited to 4,300 digits.
_MAX_INT_TEXT = 256


def _construct_bounded_int(loader: _SafeLoader, node: yaml.ScalarNode) -> int:
    """PyYAML's integer, refused (with its line and column) beyond what stored JSON keeps."""
    text = str(node.value)
    if len(text) > _MAX_INT_TEXT:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"an integer written in {len(text)} characters is beyond 64 bits",
            node.start_mark,
        )
    try:
        value: int = _SafeLoader.construct_yaml_int(loader, node)
    except ValueError as exc:  # Python's limit on decimal digits, whatever it is set to
        raise yaml.constructor.ConstructorError(
            None, None, f"the integer cannot be read: {exc}", node.start_mark
        ) from None
    if not _INT_MIN <= value <= _INT_MAX:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"integer {_int_text(value)} is beyond 64 bits; stored JSON cannot keep it exactly",
            node.start_mark,
        )
    return value


_StrictYamlLoader.add_constructor("tag:yaml.org,2002:int", _construct_bounded_int)


def _load_yaml(text: str, *, filename: str, error: PathError) -> Any:
    loader = _StrictYamlLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise error(f"{filename}: not valid YAML: {_shorten(str(exc))}", path="$") from None
    except RecursionError:  # the pure-Python parser recurses per nesting level
        raise error(f"{filename}: YAML nested too deeply", path="$") from None
    finally:
        loader.dispose()


def check_json_value(
    value: object, *, limits: DocumentLimits = DEFAULT_LIMITS, error: PathError
) -> None:
    """Refuse values that are not plain JSON or exceed ``limits`` (depth, node count).

    Iterative, so hostile nesting cannot exhaust the interpreter's stack.
    """
    nodes = 0
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            raise error(f"the document has more than {limits.max_nodes} values", path="$")
        if isinstance(item, dict):
            if len(path) >= limits.max_depth:
                raise error(f"nested deeper than {limits.max_depth} levels", path=json_path(path))
            for key, child in item.items():
                if not isinstance(key, str):
                    raise error(f"object key {key!r} is not a string", path=json_path(path))
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            if len(path) >= limits.max_depth:
                raise error(f"nested deeper than {limits.max_depth} levels", path=json_path(path))
            stack.extend((child, (*path, i)) for i, child in enumerate(item))
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise error(f"{item!r} cannot be represented in JSON", path=json_path(path))
        elif item is not None and not isinstance(item, str | int):  # bool is an int
            raise error(
                f"a {type(item).__name__} value cannot be represented in JSON",
                path=json_path(path),
            )
