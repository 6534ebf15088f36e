"""Load regime definitions: every ``*.yaml`` shipped in ``clocks/regimes/`` plus every
``*.yaml`` in the extra directories an operator passes (their own membership terms, or an
edited copy of a shipped regime).

Precedence: sources are read in order (shipped first, then each extra directory); a
later source may replace a regime of the same id from an earlier source (that is how an
operator edits ``cn-nvdb-partner-terms`` without touching the installed package), and
:attr:`RegimeSet.origins` records which file won. A file must be named ``<id>.yaml``,
which also keeps ids unique within one directory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from clearinghouse.clocks.errors import RegimeError
from clearinghouse.clocks.schema import Regime

BUILTIN_DIR = Path(__file__).resolve().parent / "regimes"


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def parse_regime(data: Any, source: str) -> Regime:
    """Validate one regime mapping (from a file or inline in a what-if document).

    ``source`` names it in errors: a file path, or e.g. ``events.json: regimes[0]``.
    """
    if not isinstance(data, Mapping):
        raise RegimeError(source, "", "a regime definition must be a mapping of keys to values")
    try:
        return Regime.model_validate(dict(data))
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        locs = [tuple(e["loc"]) for e in errors]
        # A failed item also empties its parent list ("at least 1 item"): drop such echoes.
        errors = [
            e
            for e in errors
            if not any(
                len(o) > len(e["loc"]) and o[: len(e["loc"])] == tuple(e["loc"]) for o in locs
            )
        ]
        first = errors[0]
        field = _location(tuple(first["loc"]))
        message = str(first["msg"]).removeprefix("Value error, ")
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise RegimeError(source, field, f"{message}{more}") from exc


def load_regime_file(path: Path) -> Regime:
    """Read and validate one YAML file; its name must be ``<id>.yaml``."""
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegimeError(label, "", f"cannot read the file: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegimeError(label, "", f"not valid YAML: {exc}") from exc
    regime = parse_regime(data, label)
    if path.stem != regime.id:
        raise RegimeError(label, "id", f"id {regime.id!r} must match the file name {path.name!r}")
    return regime


class RegimeSet(Mapping[str, Regime]):
    """Regimes by id, in a stable order, with the file each came from."""

    def __init__(self, regimes: Iterable[tuple[Regime, str]] = ()) -> None:
        self._regimes: dict[str, Regime] = {}
        self.origins: dict[str, str] = {}
        for regime, origin in regimes:
            self.add(regime, origin)

    def add(self, regime: Regime, origin: str) -> None:
        """Add or replace ``regime`` (later sources win; see module docstring)."""
        self._regimes[regime.id] = regime
        self.origins[regime.id] = origin

    def __getitem__(self, key: str) -> Regime:
        return self._regimes[key]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._regimes))

    def __len__(self) -> int:
        return len(self._regimes)


def _read_dir(directory: Path, label: str | None = None) -> list[tuple[Regime, str]]:
    if not directory.is_dir():
        raise RegimeError(str(directory), "", "regime directory does not exist")
    out: list[tuple[Regime, str]] = []
    for path in sorted(directory.glob("*.yaml")):
        regime = load_regime_file(path)  # the name rule keeps ids unique in a directory
        out.append((regime, f"{label}{path.name}" if label else str(path)))
    return out


def load_regimes(
    extra_dirs: Iterable[Path | str] = (), *, include_builtin: bool = True
) -> RegimeSet:
    """All shipped regimes, then those in ``extra_dirs`` (which may replace them)."""
    regimes = RegimeSet()
    sources: list[tuple[Path, str | None]] = [(BUILTIN_DIR, "shipped:")] if include_builtin else []
    sources += [(Path(d), None) for d in extra_dirs]
    for directory, label in sources:
        for regime, origin in _read_dir(directory, label):
            regimes.add(regime, origin)
    return regimes


@lru_cache(maxsize=8)
def configured_regimes(extra_dir: str | None) -> RegimeSet:
    """The shipped regimes plus an operator's own directory (loaded once per directory)."""
    return load_regimes([Path(extra_dir)] if extra_dir else [])
