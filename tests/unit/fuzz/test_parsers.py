"""Hypothesis fuzzing of every parser that reads what outsiders send: CSAF, OSV, CVE 5,
SBOMs (CycloneDX JSON and XML, SPDX JSON and tag-value), regime files, what-if documents
and the neutral model. Each starts from real documents (the project's fixtures, the
shipped regimes and examples, and ``../shared/data`` where it is present) and mutates
them: a node replaced by any JSON value, a key dropped, a list item repeated, deep
nesting, long strings, or, for the byte-level readers, bytes cut, flipped or inserted.

The property: a parser returns its result or raises the typed input error
(:class:`InvalidInput` and its subclasses, which the API turns into a 422 problem and the
CLI into exit 2): never ``KeyError``, ``TypeError``, ``RecursionError``, ... which would
be a 500. ``CLEARINGHOUSE_FUZZ_EXAMPLES_PARSERS`` (default 40) bounds the examples per
parser."""

from __future__ import annotations

import contextlib
import copy
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.clocks.loader import parse_regime
from clearinghouse.clocks.whatif import prepare
from clearinghouse.errors import InvalidInput
from clearinghouse.formats import neutral
from clearinghouse.formats.csaf_parse import parse_csaf, parse_csaf_json
from clearinghouse.formats.csaf_render import model_to_csaf
from clearinghouse.formats.cve5 import parse_cve5
from clearinghouse.formats.model import Tlp
from clearinghouse.formats.osv import load_osv, osv_to_model, parse_osv
from clearinghouse.formats.sbom import read_sbom

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared" / "data"
EXAMPLES = int(os.environ.get("CLEARINGHOUSE_FUZZ_EXAMPLES_PARSERS", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples every run: a failure is reproducible
    suppress_health_check=list(HealthCheck),
)

# --- seeds ------------------------------------------------------------------------------


def _json(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def _shared(pattern: str, limit: int) -> list[Path]:
    return sorted(SHARED.glob(pattern))[:limit] if SHARED.is_dir() else []


def osv_seeds() -> list[Any]:
    files = sorted((FIXTURES / "formats" / "osv" / "valid").glob("*.json"))
    files += [FIXTURES / "formats" / "snapshots" / "log4shell.osv.json"]
    files += _shared("osv/**/*.json", 6)
    return [_json(p) for p in files]


def cve5_seeds() -> list[Any]:
    return [_json(FIXTURES / "formats" / "snapshots" / "log4shell.cve5.json")]


def csaf_seeds() -> list[Any]:
    own = osv_to_model(parse_osv(_json(FIXTURES / "formats" / "snapshots" / "log4shell.osv.json")))
    return [model_to_csaf(own)] + [_json(p) for p in _shared("csaf/examples/**/*.json", 6)]


def sbom_seeds() -> list[bytes]:
    files = sorted((FIXTURES / "exposure" / "sbom").glob("*.json"))
    files += _shared("sbom/**/*.xml", 2) + _shared("sbom/**/*.spdx*", 2)
    return [p.read_bytes() for p in files]


def regime_seeds() -> list[Any]:
    shipped = ROOT / "src" / "clearinghouse" / "clocks" / "regimes"
    return [yaml.safe_load(p.read_text()) for p in sorted(shipped.glob("*.yaml"))]


def whatif_seeds() -> list[Any]:
    examples = sorted((ROOT / "docs" / "examples").glob("clocks-*.json"))
    return [_json(p) for p in examples if not p.name.endswith(".board.json")]


def neutral_seeds() -> list[Any]:
    record = parse_osv(_json(FIXTURES / "formats" / "snapshots" / "log4shell.osv.json"))
    return [neutral.to_json(osv_to_model(record))]


# --- mutations --------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["", "0", "-1", "2021-12-10", "2021-12-10T00:00:00", "x" * 5000, "\x00"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _nodes(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _nodes(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out += _nodes(value, (*path, index))
    return out


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any]) -> Any:
    doc = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _nodes(doc)
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["replace", "drop", "repeat", "deep", "long"]))
        if not path:
            if kind == "replace":
                doc = draw(json_values)
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if kind == "replace":
            parent[last] = draw(json_values)
        elif kind == "drop":
            del parent[last]
        elif kind == "repeat" and isinstance(parent[last], list) and parent[last]:
            parent[last] = parent[last] * draw(st.integers(min_value=2, max_value=50))
        elif kind == "deep":
            parent[last] = _deep(draw(st.sampled_from([50, 240])))  # orjson writes up to 254
        elif kind == "long":
            parent[last] = "A" * draw(st.sampled_from([10_000, 300_000]))
    return doc


@st.composite
def mangled_bytes(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not data:
            break
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        kind = draw(st.sampled_from(["cut", "flip", "insert"]))
        if kind == "cut":
            del data[at:]
        elif kind == "flip":
            data[at] = draw(st.integers(min_value=0, max_value=255))
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


def _text(doc: Any) -> bytes:
    """The document as JSON bytes (the standard library: orjson refuses integers past 64
    bits and nesting past 254, which is the point of some mutations)."""
    return json.dumps(doc).encode()


def _typed_or_fine(parse: Callable[[], object]) -> None:
    with contextlib.suppress(InvalidInput):  # the typed refusal: 422 over HTTP, exit 2 in CLI
        parse()


# --- the properties ---------------------------------------------------------------------

NOW = datetime(2026, 12, 5, tzinfo=UTC)


def test_the_seeds_parse() -> None:
    """The fuzzing starts from documents the parsers accept (so mutations reach deep)."""
    for doc in osv_seeds():
        parse_osv(doc)
    for doc in cve5_seeds():
        parse_cve5(doc, tlp=Tlp.CLEAR)
    for doc in csaf_seeds()[:1]:
        parse_csaf(doc)
    for data in sbom_seeds():
        read_sbom(data)
    for doc in regime_seeds():
        parse_regime(doc, "seed")
    for doc in whatif_seeds():
        prepare(doc, NOW)
    for doc in neutral_seeds():
        neutral.from_json(doc)


@FUZZ
@given(doc=mutated(osv_seeds()))
def test_osv(doc: Any) -> None:
    _typed_or_fine(lambda: osv_to_model(parse_osv(doc)) if isinstance(doc, dict) else None)
    _typed_or_fine(lambda: load_osv(_text(doc), filename="fuzz.json"))


@FUZZ
@given(doc=mutated(cve5_seeds()))
def test_cve5(doc: Any) -> None:
    _typed_or_fine(lambda: parse_cve5(doc, tlp=Tlp.CLEAR))


@FUZZ
@given(doc=mutated(csaf_seeds()))
def test_csaf(doc: Any) -> None:
    _typed_or_fine(lambda: parse_csaf(doc))
    _typed_or_fine(lambda: parse_csaf_json(_text(doc), check_schema=False))


@FUZZ
@given(data=mangled_bytes(sbom_seeds()))
def test_sbom_bytes(data: bytes) -> None:
    _typed_or_fine(lambda: read_sbom(data))


@FUZZ
@given(doc=mutated([orjson.loads(s) for s in sbom_seeds() if s.lstrip().startswith(b"{")]))
def test_sbom_json(doc: Any) -> None:
    _typed_or_fine(lambda: read_sbom(_text(doc)))


@FUZZ
@given(doc=mutated(regime_seeds()))
def test_regime(doc: Any) -> None:
    _typed_or_fine(lambda: parse_regime(doc, "fuzz.yaml"))


@FUZZ
@given(doc=mutated(whatif_seeds()))
def test_whatif(doc: Any) -> None:
    _typed_or_fine(lambda: prepare(doc, NOW))


@FUZZ
@given(doc=mutated(neutral_seeds()))
def test_neutral_model(doc: Any) -> None:
    _typed_or_fine(lambda: neutral.from_json(doc))


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deep_nesting_is_refused_not_a_crash(depth: int) -> None:
    """orjson refuses documents nested past 1,024 levels; the parsers' own depth limits
    hold below that."""
    nested = b"[" * depth + b"]" * depth
    text = b'{"a":' * depth + b"1" + b"}" * depth
    for data in (nested, text):
        _typed_or_fine(lambda d=data: load_osv(d, filename="deep.json"))  # type: ignore[misc]
        _typed_or_fine(lambda d=data: parse_csaf_json(d))  # type: ignore[misc]
        _typed_or_fine(lambda d=data: read_sbom(d))  # type: ignore[misc]
