"""SSVC Coordinator Triage 1.0.0: should the coordinator decline, track or coordinate?

The decision is looked up, never computed: CERT/CC publishes the table
(``ssvc:DT_COORD_TRIAGE`` 1.0.0, 192 rows, one per combination of seven decision
points) and the platform ships a byte-exact copy in ``cases/data/ssvc/``. Encoding the
table as ``if`` statements would drift from the published one silently; loading it, and
refusing a table that does not cover every combination exactly once, cannot.

The enums below are the table's own decision points and values (the CSV spells the
values as the enum values: ``"not credible"``, ``"super effective"``). The loader checks
that the shipped JSON declares exactly these points and values, so a replaced table with
different points fails at load time with :class:`TriageTableError` instead of deciding
wrongly.

An operator may disagree with the table: :class:`Override` records the outcome chosen
instead and the reason, which the case keeps beside the looked-up outcome.
"""

from __future__ import annotations

import enum
import functools
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final

from clearinghouse.cases.rules._text import require_reason
from clearinghouse.errors import ConfigurationError, InvalidInput

DATA_DIR: Final = Path(__file__).resolve().parent.parent / "data" / "ssvc"
TABLE_FILE: Final = DATA_DIR / "coordinator_triage_1_0_0.json"
EXPECTED_ROWS: Final = 192


class InvalidTriage(InvalidInput):
    """A triage input names an unknown decision point or value, or misses one."""

    code = "invalid-triage"
    title = "The triage input is not valid"


class TriageTableError(ConfigurationError):
    """The shipped decision table is unreadable, incomplete or contradicts itself."""

    code = "ssvc-table-invalid"
    title = "The SSVC decision table is not valid"


class ReportPublic(enum.StrEnum):
    """Is a viable report of the vulnerability's details already public?"""

    YES = "yes"
    NO = "no"


class SupplierContacted(enum.StrEnum):
    """Has the reporter made a good-faith effort to contact the supplier?"""

    YES = "yes"
    NO = "no"


class ReportCredibility(enum.StrEnum):
    CREDIBLE = "credible"
    NOT_CREDIBLE = "not credible"


class SupplierCardinality(enum.StrEnum):
    """How many suppliers are responsible for the vulnerable component and its fix?"""

    ONE = "one"
    MULTIPLE = "multiple"


class SupplierEngagement(enum.StrEnum):
    """Is the supplier responding and actively taking part in the coordination?"""

    ACTIVE = "active"
    UNRESPONSIVE = "unresponsive"


class Utility(enum.StrEnum):
    """Usefulness of the exploit to the adversary (Automatable x Value Density)."""

    LABORIOUS = "laborious"
    EFFICIENT = "efficient"
    SUPER_EFFECTIVE = "super effective"


class PublicSafetyImpact(enum.StrEnum):
    MINIMAL = "minimal"
    SIGNIFICANT = "significant"


class TriageOutcome(enum.StrEnum):
    DECLINE = "decline"
    TRACK = "track"
    COORDINATE = "coordinate"


# The table's point ids and the one-letter keys its JSON uses for each value.
_POINTS: Final[tuple[tuple[str, str, type[enum.StrEnum], dict[str, str]], ...]] = (
    ("report_public", "ssvc:RP:1.0.0", ReportPublic, {"Y": "yes", "N": "no"}),
    ("supplier_contacted", "ssvc:SCON:1.0.0", SupplierContacted, {"Y": "yes", "N": "no"}),
    (
        "report_credibility",
        "ssvc:RC:1.0.0",
        ReportCredibility,
        {"C": "credible", "NC": "not credible"},
    ),
    ("supplier_cardinality", "ssvc:SC:1.0.0", SupplierCardinality, {"O": "one", "M": "multiple"}),
    (
        "supplier_engagement",
        "ssvc:SE:1.0.0",
        SupplierEngagement,
        {"A": "active", "U": "unresponsive"},
    ),
    (
        "utility",
        "ssvc:U:1.0.1",
        Utility,
        {"L": "laborious", "E": "efficient", "S": "super effective"},
    ),
    (
        "public_safety_impact",
        "ssvc:PSI:2.0.1",
        PublicSafetyImpact,
        {"M": "minimal", "S": "significant"},
    ),
)
_OUTCOME_ID: Final = "ssvc:COORDINATE:1.0.1"
_OUTCOME_KEYS: Final = {"D": "decline", "T": "track", "C": "coordinate"}


@dataclass(frozen=True, slots=True)
class TriageInput:
    """One value for each of the seven decision points."""

    report_public: ReportPublic
    supplier_contacted: SupplierContacted
    report_credibility: ReportCredibility
    supplier_cardinality: SupplierCardinality
    supplier_engagement: SupplierEngagement
    utility: Utility
    public_safety_impact: PublicSafetyImpact

    def __post_init__(self) -> None:
        for name, _sid, enum_type, _keys in _POINTS:
            if not isinstance(getattr(self, name), enum_type):
                raise InvalidTriage(
                    f"{name} must be a {enum_type.__name__}, got {getattr(self, name)!r}",
                    field=name,
                )

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> TriageInput:
        """Build an input from form or JSON data keyed by field name.

        Values are matched case-insensitively, ``_`` and ``-`` standing for spaces
        (``"super_effective"``), or by the table's one-letter key (``"S"``). Unknown
        fields, missing fields and unknown values each raise :class:`InvalidTriage`.
        """
        known = {name for name, *_ in _POINTS}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidTriage(
                f"unknown decision point(s) {', '.join(unknown)}; "
                f"expected {', '.join(sorted(known))}",
                fields=unknown,
            )
        values: dict[str, Any] = {}
        for name, *_ in _POINTS:
            if name not in data:
                raise InvalidTriage(f"{name} is required", field=name)
            values[name] = parse_value(name, data[name])
        return cls(**values)

    def as_dict(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


def parse_value(point: str, raw: object) -> enum.StrEnum:
    """The enum member for ``raw`` at decision point ``point`` (see ``from_mapping``)."""
    spec = next((p for p in _POINTS if p[0] == point), None)
    if spec is None:
        raise InvalidTriage(f"unknown decision point {point!r}", field=point)
    _name, _sid, enum_type, keys = spec
    allowed = [str(m) for m in enum_type]
    if isinstance(raw, enum_type):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        normal = " ".join(text.replace("_", " ").replace("-", " ").casefold().split())
        if normal in allowed:
            return enum_type(normal)
        if text.upper() in keys:
            return enum_type(keys[text.upper()])
    raise InvalidTriage(
        f"{point}: {raw!r} is not a value of this decision point; allowed: {', '.join(allowed)}",
        field=point,
        allowed=allowed,
    )


@dataclass(frozen=True, slots=True)
class PointValue:
    value: str  # the enum value, as the CSV spells it
    key: str  # the table's one-letter (or two-letter) key
    name: str  # the table's display name
    description: str


@dataclass(frozen=True, slots=True)
class DecisionPoint:
    """A decision point as the published table defines it (for forms and help text)."""

    field: str  # TriageInput attribute and form field name
    ssvc_id: str  # e.g. "ssvc:RP:1.0.0"
    name: str
    question: str
    values: tuple[PointValue, ...]


@dataclass(frozen=True, slots=True)
class TriageDecision:
    """An outcome with where it came from: table, version and row (0-based, as in the CSV)."""

    input: TriageInput
    outcome: TriageOutcome
    row: int
    table: str
    table_version: str


@dataclass(frozen=True, slots=True)
class TriageTable:
    key: str
    version: str
    name: str
    points: tuple[DecisionPoint, ...]
    outcomes: tuple[PointValue, ...]
    rows: Mapping[TriageInput, tuple[int, TriageOutcome]]

    def lookup(self, triage: TriageInput) -> TriageDecision:
        row, outcome = self.rows[triage]
        return TriageDecision(triage, outcome, row, self.key, self.version)


@dataclass(frozen=True, slots=True)
class Override:
    """An operator's decision to depart from the table: the outcome and why (required)."""

    outcome: TriageOutcome
    reason: str

    def __post_init__(self) -> None:
        if not isinstance(self.outcome, TriageOutcome):
            raise InvalidTriage(
                f"override outcome must be one of {', '.join(TriageOutcome)}, got {self.outcome!r}",
                field="outcome",
            )
        object.__setattr__(self, "reason", require_reason(self.reason))


def _point_values(sid: str, raw: Mapping[str, Any], keys: Mapping[str, str]) -> list[PointValue]:
    values = raw.get("values")
    if not isinstance(values, list):
        raise TriageTableError(f"decision point {sid} has no list of values")
    out: list[PointValue] = []
    for item in values:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise TriageTableError(f"decision point {sid} has a value without a key")
        key = item["key"]
        if key not in keys:
            raise TriageTableError(f"decision point {sid} has value key {key!r} this code lacks")
        name = str(item.get("name", ""))
        if name.casefold() != keys[key]:
            raise TriageTableError(
                f"decision point {sid}: key {key!r} is named {name!r}, expected {keys[key]!r}"
            )
        out.append(PointValue(keys[key], key, name, str(item.get("definition", ""))))
    if {v.key for v in out} != set(keys) or len(out) != len(keys):
        raise TriageTableError(
            f"decision point {sid} declares values {[v.key for v in out]}, expected {sorted(keys)}"
        )
    return out


def _parse_table(document: object, source: str) -> TriageTable:
    if not isinstance(document, dict):
        raise TriageTableError(f"{source}: the table is not a JSON object")
    points_raw = document.get("decision_points")
    mapping = document.get("mapping")
    if not isinstance(points_raw, dict) or not isinstance(mapping, list):
        raise TriageTableError(f"{source}: 'decision_points' and 'mapping' are required")
    if document.get("outcome") != _OUTCOME_ID:
        raise TriageTableError(
            f"{source}: outcome is {document.get('outcome')!r}, expected {_OUTCOME_ID}"
        )
    expected_ids = {sid for _n, sid, _e, _k in _POINTS} | {_OUTCOME_ID}
    if set(points_raw) != expected_ids:
        raise TriageTableError(
            f"{source}: decision points {sorted(points_raw)} differ from {sorted(expected_ids)}"
        )
    points = tuple(
        DecisionPoint(
            field=name,
            ssvc_id=sid,
            name=str(points_raw[sid].get("name", sid)),
            question=str(points_raw[sid].get("definition", "")),
            values=tuple(_point_values(sid, points_raw[sid], keys)),
        )
        for name, sid, _enum, keys in _POINTS
    )
    outcomes = tuple(_point_values(_OUTCOME_ID, points_raw[_OUTCOME_ID], _OUTCOME_KEYS))

    rows: dict[TriageInput, tuple[int, TriageOutcome]] = {}
    for index, entry in enumerate(mapping):
        if not isinstance(entry, dict) or set(entry) != expected_ids:
            raise TriageTableError(f"{source}: row {index} does not name every decision point")
        values: dict[str, Any] = {}
        for name, sid, enum_type, keys in _POINTS:
            key = entry[sid]
            if key not in keys:
                raise TriageTableError(f"{source}: row {index}: {sid} has unknown value {key!r}")
            values[name] = enum_type(keys[key])
        outcome_key = entry[_OUTCOME_ID]
        if outcome_key not in _OUTCOME_KEYS:
            raise TriageTableError(f"{source}: row {index}: unknown outcome {outcome_key!r}")
        triage = TriageInput(**values)
        if triage in rows:
            raise TriageTableError(
                f"{source}: rows {rows[triage][0]} and {index} are the same combination"
            )
        rows[triage] = (index, TriageOutcome(_OUTCOME_KEYS[outcome_key]))

    combinations = math.prod(len(keys) for *_rest, keys in _POINTS)
    if combinations != EXPECTED_ROWS or len(rows) != combinations:
        raise TriageTableError(
            f"{source}: {len(rows)} rows for {combinations} combinations; "
            f"the table must cover every combination exactly once"
        )
    return TriageTable(
        key=str(document.get("key", "")),
        version=str(document.get("version", "")),
        name=str(document.get("name", "")),
        points=points,
        outcomes=outcomes,
        rows=rows,
    )


def load_table(path: Path = TABLE_FILE) -> TriageTable:
    """Read and validate a Coordinator Triage table (JSON, the SSVC 2.0.0 schema)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TriageTableError(f"{path}: cannot read the decision table: {exc}") from exc
    return _parse_table(document, str(path))


@functools.cache
def default_table() -> TriageTable:
    """The shipped table, loaded and validated once per process."""
    return load_table()


def all_inputs() -> tuple[TriageInput, ...]:
    """Every combination of decision-point values, in a stable order (192 inputs)."""
    names = [name for name, *_ in _POINTS]
    enums = [enum_type for _n, _s, enum_type, _k in _POINTS]
    combos: list[dict[str, Any]] = [
        dict(zip(names, combo, strict=True)) for combo in itertools.product(*enums)
    ]
    return tuple(TriageInput(**combo) for combo in combos)


def decide(triage: TriageInput, table: TriageTable | None = None) -> TriageOutcome:
    """The table's outcome for ``triage``."""
    return explain(triage, table).outcome


def explain(triage: TriageInput, table: TriageTable | None = None) -> TriageDecision:
    """The outcome with its table, version and row, for the case timeline."""
    return (table or default_table()).lookup(triage)


def effective_outcome(decided: TriageOutcome, override: Override | None) -> TriageOutcome:
    """What the case does: the override's outcome when there is one, else the table's."""
    return decided if override is None else override.outcome


def describe_points(table: TriageTable | None = None) -> tuple[DecisionPoint, ...]:
    """Decision points, their values and the table's descriptions, in form order."""
    return (table or default_table()).points
