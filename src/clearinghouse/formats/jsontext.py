"""JSON text read exactly, for what a client or a peer sends to be stored and shared again.

orjson, fast elsewhere, reads an integer beyond 64 bits as a float without a word
(``18446744073709551616`` becomes ``1.8446744073709552e+19``), so a STIX object's custom
property would be stored changed. The standard library's parser keeps every integer
exact and costs about 0.5 ms more per 1,000 indicators (``tests/unit/formats/
test_jsontext.py`` holds the differential test against orjson). Whatever is then too
large or not Unicode to be kept (an integer beyond 64 bits, a lone surrogate) is refused
per object by the caller's checks, not for the whole request.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn


class JSONTextError(ValueError):
    """The text is not JSON (or nests deeper than the parser can follow)."""


def _not_json(name: str) -> NoReturn:
    raise JSONTextError(f"{name} is not a JSON value")


def loads(raw: bytes | str) -> Any:
    """The value of ``raw``: integers of any size stay integers; ``NaN``, ``Infinity`` and
    ``-Infinity`` (which Python's parser would accept) are refused, as is text that is not
    UTF-8 or nests beyond the interpreter's recursion limit."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw  # never UTF-16 or 32
        return json.loads(text, parse_constant=_not_json)
    except JSONTextError:
        raise
    except RecursionError:
        raise JSONTextError("nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise JSONTextError(str(exc)) from None
