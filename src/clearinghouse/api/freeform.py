"""Free-form JSON from clients (a case event's ``data``, a sanction's ``basis``, the custom
properties of a STIX object): any JSON value the platform can store exactly, within bounds.

The audit chain serialises with orjson and PostgreSQL stores ``jsonb``; neither keeps
everything a JSON parser hands over. Integers beyond 64 bits, text holding a lone UTF-16
surrogate (``"\\ud800"``) and nesting past orjson's ~255 levels made the audit log's
serialiser fail (a 500); ``NaN`` and the infinities, which the standard library's parser
reads, orjson writes as ``null`` (the audit entry and the stored row would disagree) and
``jsonb`` refuses. :func:`problem` says which value breaks which rule, and
:data:`FreeformObject` turns that into a 422 naming the field and the place inside it.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Final

import orjson
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from clearinghouse.formats.schemas import json_path

MAX_DEPTH: Final = 32  # nesting of objects and arrays, the value itself being level 1
MAX_BYTES: Final = 64 * 1024  # the value serialised as JSON
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
_SHOWN_KEY: Final = 64  # characters of a key quoted in a message


def _shown(part: str | int) -> str | int:
    if isinstance(part, int):
        return part
    text = part.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= _SHOWN_KEY else text[: _SHOWN_KEY - 1] + "…"


def _where(path: tuple[str | int, ...]) -> str:
    return json_path(_shown(part) for part in path)


def _is_text(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def problem(value: object, *, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``value`` (parsed JSON) cannot be stored exactly, naming the first place that
    breaks a rule (``$.a[2]: ...``); ``None`` when it can. Iterative: a value nested far
    deeper than ``max_depth`` is refused, not a ``RecursionError``."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, str):
            if not _is_text(item):
                return f"{_where(path)}: text that is not valid Unicode (a lone surrogate)"
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                return f"{_where(path)}: an integer outside the signed 64-bit range"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{_where(path)}: NaN and infinities are not JSON numbers"
        elif isinstance(item, dict | list):
            if len(path) >= max_depth:
                return f"{_where(path)}: nested deeper than {max_depth} levels"
            if isinstance(item, list):
                children = [(child, (*path, i)) for i, child in enumerate(item)]
            else:
                children = []
                for key, child in item.items():
                    if not isinstance(key, str) or not _is_text(key):
                        return f"{_where(path)}: an object key that is not valid Unicode text"
                    children.append((child, (*path, key)))
            stack.extend(reversed(children))  # the first offending place in document order
        else:
            return f"{_where(path)}: {type(item).__name__} is not a JSON value"
    return None


def _storable(value: dict[str, Any]) -> dict[str, Any]:
    try:
        size: int | None = len(orjson.dumps(value))  # the cheap bound first
    except orjson.JSONEncodeError:
        size = None  # a value orjson cannot write: problem() names it
    found: str | None
    if size is not None and size > MAX_BYTES:
        found = f"$: {size:,} bytes as JSON, over the {MAX_BYTES:,} allowed"
    else:
        found = problem(value) or (None if size is not None else "$: not storable as JSON")
    if found is not None:
        raise PydanticCustomError("freeform_json", "{problem}", {"problem": found})
    return value


# Put on a field whose value is free-form JSON (see the module's docstring).
STORABLE: Final = AfterValidator(_storable)

# A JSON object of any shape that the platform stores exactly: at most MAX_DEPTH levels,
# MAX_BYTES serialised, integers of signed 64 bits, finite numbers, valid Unicode text.
FreeformObject = Annotated[dict[str, Any], STORABLE]
