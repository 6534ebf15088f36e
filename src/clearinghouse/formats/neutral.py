"""JSON codec for the neutral advisory (:mod:`clearinghouse.formats.model`): how the
platform stores an advisory revision. ``from_json(to_json(a)) == a``.

Generic over the model's frozen dataclasses: enums as their values, instants as RFC 3339,
tuples as lists, ``None`` fields omitted.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from datetime import datetime
from typing import Any

from clearinghouse.formats import model
from clearinghouse.formats.model import Advisory, FormatError
from clearinghouse.timeutil import format_instant, parse_instant

MAX_DEPTH = 12


def to_json(advisory: Advisory) -> dict[str, Any]:
    result = _dump(advisory)
    if not isinstance(result, dict):  # pragma: no cover (an Advisory dumps to an object)
        raise TypeError("an advisory must dump to a JSON object")
    return result


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if v is None or v == () or (f.name == "extra" and not v):
                continue
            out[f.name] = _dump(v)
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return format_instant(value, micro=True)
    if isinstance(value, (tuple, list)):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    return value


def from_json(data: Any) -> Advisory:
    result = _load(Advisory, data, "advisory", 0)
    if not isinstance(result, Advisory):  # pragma: no cover (loaded as an Advisory)
        raise TypeError("the document did not load as an advisory")
    return result


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(model))


def _load(tp: Any, data: Any, where: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise FormatError(f"{where}: nested too deeply")
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return _load(args[0], data, where, depth)
    if origin is tuple:
        if not isinstance(data, list):
            raise FormatError(f"{where}: expected a list")
        (item,) = typing.get_args(tp)[:1]
        return tuple(_load(item, v, f"{where}[{i}]", depth + 1) for i, v in enumerate(data))
    if origin is dict or tp is dict:
        if not isinstance(data, dict):
            raise FormatError(f"{where}: expected an object")
        return dict(data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise FormatError(f"{where}: expected an object")
        hints = _hints(tp)
        kwargs: dict[str, Any] = {}
        known = {f.name for f in dataclasses.fields(tp)}
        unknown = set(data) - known
        if unknown:
            raise FormatError(f"{where}: unknown field(s) {sorted(unknown)}")
        for name, value in data.items():
            kwargs[name] = _load(hints[name], value, f"{where}.{name}", depth + 1)
        try:
            return tp(**kwargs)
        except TypeError as exc:
            raise FormatError(f"{where}: {exc}") from exc
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError as exc:
            raise FormatError(f"{where}: {data!r} is not one of {[m.value for m in tp]}") from exc
    if tp is datetime:
        if not isinstance(data, str):
            raise FormatError(f"{where}: expected an RFC 3339 instant")
        try:
            return parse_instant(data)
        except ValueError as exc:
            raise FormatError(f"{where}: {exc}") from exc
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise FormatError(f"{where}: expected a number")
        return float(data)
    if tp in (str, int, bool):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise FormatError(f"{where}: expected {tp.__name__}")
        return data
    if tp is object:
        return data
    raise FormatError(f"{where}: unsupported type {tp!r}")  # pragma: no cover
