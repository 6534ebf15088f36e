from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.cases.rules import ssvc
from clearinghouse.cases.rules._text import InvalidText
from clearinghouse.cases.rules.ssvc import (
    InvalidTriage,
    Override,
    PublicSafetyImpact,
    ReportCredibility,
    ReportPublic,
    SupplierCardinality,
    SupplierContacted,
    SupplierEngagement,
    TriageInput,
    TriageOutcome,
    TriageTableError,
    Utility,
)
from clearinghouse.errors import ConfigurationError, InvalidInput

CSV_FILE = ssvc.DATA_DIR / "coordinator_triage_1_0_0.csv"
FIELDS = (
    "report_public",
    "supplier_contacted",
    "report_credibility",
    "supplier_cardinality",
    "supplier_engagement",
    "utility",
    "public_safety_impact",
)


def _csv_rows() -> list[tuple[int, dict[str, str], str]]:
    with CSV_FILE.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert len(header) == 9
        return [(int(r[0]), dict(zip(FIELDS, r[1:8], strict=True)), r[8]) for r in reader]


def test_every_csv_row_decides_as_the_table_says() -> None:
    rows = _csv_rows()
    assert len(rows) == 192
    for number, values, outcome in rows:
        decision = ssvc.explain(TriageInput.from_mapping(values))
        assert decision.outcome == TriageOutcome(outcome), (number, values)
        assert decision.row == number


def test_table_covers_every_combination_once() -> None:
    table = ssvc.default_table()
    inputs = ssvc.all_inputs()
    assert len(inputs) == len(set(inputs)) == 192
    assert set(table.rows) == set(inputs)
    counts = dict.fromkeys(TriageOutcome, 0)
    for triage in inputs:
        counts[ssvc.decide(triage)] += 1
    # The published distribution (CSV tally): 150 decline, 15 track, 27 coordinate.
    assert counts == {
        TriageOutcome.DECLINE: 150,
        TriageOutcome.TRACK: 15,
        TriageOutcome.COORDINATE: 27,
    }


def test_default_table_is_loaded_once() -> None:
    assert ssvc.default_table() is ssvc.default_table()
    assert ssvc.default_table().key == "DT_COORD_TRIAGE"
    assert ssvc.default_table().version == "1.0.0"


LOG4SHELL_LIKE = TriageInput(
    report_public=ReportPublic.NO,
    supplier_contacted=SupplierContacted.YES,
    report_credibility=ReportCredibility.CREDIBLE,
    supplier_cardinality=SupplierCardinality.ONE,
    supplier_engagement=SupplierEngagement.ACTIVE,
    utility=Utility.SUPER_EFFECTIVE,
    public_safety_impact=PublicSafetyImpact.SIGNIFICANT,
)


def test_log4shell_like_report_is_tracked_per_the_table() -> None:
    # Not public, supplier contacted and engaged, one supplier: the table says "track"
    # (row 174), not "coordinate"; the supplier is handling it. The CSV row is checked
    # independently here so that this test does not trust the loader.
    row = next(r for r in _csv_rows() if r[0] == 174)
    assert row[1] == LOG4SHELL_LIKE.as_dict()
    assert row[2] == "track"
    decision = ssvc.explain(LOG4SHELL_LIKE)
    assert (decision.outcome, decision.row) == (TriageOutcome.TRACK, 174)


def test_log4shell_like_with_unresponsive_or_many_suppliers_is_coordinated() -> None:
    unresponsive = TriageInput(
        **{**_fields(LOG4SHELL_LIKE), "supplier_engagement": SupplierEngagement.UNRESPONSIVE}
    )
    multiple = TriageInput(
        **{**_fields(LOG4SHELL_LIKE), "supplier_cardinality": SupplierCardinality.MULTIPLE}
    )
    assert ssvc.decide(unresponsive) is TriageOutcome.COORDINATE
    assert ssvc.decide(multiple) is TriageOutcome.COORDINATE


def test_not_credible_private_low_utility_report_is_declined() -> None:
    low = TriageInput.from_mapping(
        {
            "report_public": "no",
            "supplier_contacted": "no",
            "report_credibility": "not credible",
            "supplier_cardinality": "one",
            "supplier_engagement": "active",
            "utility": "laborious",
            "public_safety_impact": "minimal",
        }
    )
    assert ssvc.decide(low) is TriageOutcome.DECLINE


def _fields(triage: TriageInput) -> dict[str, Any]:
    return {name: getattr(triage, name) for name in FIELDS}


def test_json_and_csv_agree_row_by_row() -> None:
    document = json.loads(ssvc.TABLE_FILE.read_text(encoding="utf-8"))
    table = ssvc.default_table()
    for number, values, outcome in _csv_rows():
        assert table.rows[TriageInput.from_mapping(values)] == (number, TriageOutcome(outcome))
    assert len(document["mapping"]) == 192


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("utility", "super effective", Utility.SUPER_EFFECTIVE),
        ("utility", "Super_Effective", Utility.SUPER_EFFECTIVE),
        ("utility", "super-effective", Utility.SUPER_EFFECTIVE),
        ("utility", "S", Utility.SUPER_EFFECTIVE),
        ("public_safety_impact", "s", PublicSafetyImpact.SIGNIFICANT),
        ("report_credibility", "NC", ReportCredibility.NOT_CREDIBLE),
        ("report_credibility", " not credible ", ReportCredibility.NOT_CREDIBLE),
        ("report_public", ReportPublic.YES, ReportPublic.YES),
    ],
)
def test_parse_value_accepts_labels_and_keys(field: str, raw: object, expected: object) -> None:
    assert ssvc.parse_value(field, raw) is expected


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("utility", "very effective"),
        ("utility", ""),
        ("utility", None),
        ("utility", 3),
        ("report_public", "maybe"),
        ("report_public", ReportCredibility.CREDIBLE),
        ("exploitation", "active"),
    ],
)
def test_parse_value_rejects_unknown(field: str, raw: object) -> None:
    with pytest.raises(InvalidTriage) as info:
        ssvc.parse_value(field, raw)
    assert isinstance(info.value, InvalidInput)
    assert info.value.code == "invalid-triage"
    assert field in info.value.detail


def test_unknown_value_message_lists_allowed_values() -> None:
    with pytest.raises(InvalidTriage) as info:
        ssvc.parse_value("utility", "mega")
    assert info.value.extensions["allowed"] == ["laborious", "efficient", "super effective"]


def test_from_mapping_requires_every_point_and_no_other() -> None:
    values = LOG4SHELL_LIKE.as_dict()
    missing = {k: v for k, v in values.items() if k != "utility"}
    with pytest.raises(InvalidTriage, match="utility is required"):
        TriageInput.from_mapping(missing)
    with pytest.raises(InvalidTriage, match="unknown decision point"):
        TriageInput.from_mapping({**values, "exploitation": "active"})


def test_triage_input_rejects_wrong_enum_type() -> None:
    with pytest.raises(InvalidTriage):
        TriageInput(**{**_fields(LOG4SHELL_LIKE), "utility": "laborious"})


def test_describe_points_carries_table_text() -> None:
    points = ssvc.describe_points()
    assert [p.field for p in points] == list(FIELDS)
    report_public = points[0]
    assert report_public.ssvc_id == "ssvc:RP:1.0.0"
    assert report_public.question.startswith("Is a viable report")
    assert {v.value for v in report_public.values} == {"yes", "no"}
    utility = points[5]
    assert [v.value for v in utility.values] == ["laborious", "efficient", "super effective"]
    assert all(v.description for p in points for v in p.values)
    assert {o.value for o in ssvc.default_table().outcomes} == set(TriageOutcome)


def test_override_requires_reason_and_outcome() -> None:
    override = Override(TriageOutcome.COORDINATE, "  vendor asked us to coordinate  ")
    assert override.reason == "vendor asked us to coordinate"
    assert ssvc.effective_outcome(TriageOutcome.TRACK, override) is TriageOutcome.COORDINATE
    assert ssvc.effective_outcome(TriageOutcome.TRACK, None) is TriageOutcome.TRACK
    with pytest.raises(InvalidText):
        Override(TriageOutcome.DECLINE, "   ")
    with pytest.raises(InvalidText):
        Override(TriageOutcome.DECLINE, "x" * 2001)
    with pytest.raises(InvalidTriage):
        Override("decline", "because")  # type: ignore[arg-type]


def _write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "table.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(ssvc.TABLE_FILE.read_text(encoding="utf-8"))
    return loaded


def test_table_missing_a_row_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["mapping"] = document["mapping"][:-1]
    with pytest.raises(TriageTableError, match="191 rows for 192"):
        ssvc.load_table(_write(tmp_path, document))


def test_table_with_duplicate_row_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["mapping"][1] = dict(document["mapping"][0])
    with pytest.raises(TriageTableError, match="same combination"):
        ssvc.load_table(_write(tmp_path, document))


def test_table_with_unknown_value_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["mapping"][3]["ssvc:U:1.0.1"] = "X"
    with pytest.raises(TriageTableError, match="unknown value"):
        ssvc.load_table(_write(tmp_path, document))


def test_table_with_other_points_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["decision_points"]["ssvc:EXP:1.0.0"] = document["decision_points"].pop("ssvc:U:1.0.1")
    with pytest.raises(TriageTableError, match="decision points"):
        ssvc.load_table(_write(tmp_path, document))


def test_unreadable_table_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError):
        ssvc.load_table(path)
    with pytest.raises(TriageTableError):
        ssvc.load_table(tmp_path / "absent.json")


@pytest.mark.shared_data
def test_shipped_copy_matches_shared_data(shared_data: Path) -> None:
    for name in ("coordinator_triage_1_0_0.csv", "coordinator_triage_1_0_0.json", "LICENSE"):
        assert (ssvc.DATA_DIR / name).read_bytes() == (shared_data / "ssvc" / name).read_bytes()
