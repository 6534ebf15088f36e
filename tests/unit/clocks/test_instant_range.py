"""The clocks at the edges of what ``datetime`` holds: a what-if document's instants lie in
the range the platform takes, a deadline that would fall past year 9999 is an
:class:`EventError` naming the window (each was an OverflowError, exit code 70), and an
authority's stated deadline outside the range falls back to the default period."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.clocks import (
    DocumentError,
    EventError,
    EventType,
    RegimeError,
    compute_due,
    evaluate_document,
    in_force,
    load_regimes,
)
from clearinghouse.clocks.schema import (
    MAX_BUSINESS_DAYS,
    MAX_DAYS,
    MAX_HOURS,
    MAX_MONTHS,
    Duration,
)
from tests.unit.clocks.helpers import ev, t

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "clocks-cra.json"


def _doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    "instant",
    [
        "0001-01-01T00:00:00+01:00",  # no UTC instant at all
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59Z",  # 72 hours later is past year 9999
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
    ],
)
@pytest.mark.parametrize("field", ["occurred_at", "recorded_at"])
def test_an_event_instant_outside_the_range_is_a_document_error(instant: str, field: str) -> None:
    doc = _doc()
    doc["events"][0][field] = instant
    with pytest.raises(DocumentError, match=rf"events\[0\]\.{field}") as raised:
        evaluate_document(doc, board=True)
    assert "from 1970-01-01T00:00:00Z up to 9999-01-01T00:00:00Z" in raised.value.detail


def test_the_last_accepted_year_still_evaluates() -> None:
    doc = _doc()
    for event in doc["events"]:
        event["occurred_at"] = event["recorded_at"] = "9998-12-31T23:00:00Z"
    result = evaluate_document(doc, board=True)
    assert result["at"] == "9998-12-31T23:00:00Z"
    assert any(b["obligations"] for b in result["boards"])


def _with_gdpr_copy(
    changes: dict[str, Any], duration: dict[str, Any] | None = None
) -> dict[str, Any]:
    regime = copy.deepcopy(load_regimes()["eu-gdpr-art33"].model_dump(mode="json"))
    regime.update(id="my-gdpr", **changes)
    if duration is not None:
        regime["stages"][0]["duration"] = duration
    return {
        "organisations": [{"id": "acme", "jurisdictions": ["EU"], "roles": ["controller"]}],
        "events": [
            {
                "id": "e1",
                "type": "incident_classified",
                "subject": "inc-1",
                "organisation": "acme",
                "occurred_at": "2026-10-01T10:00:00Z",
                "data": {"scheme": "eu-gdpr", "level": "personal_data_breach"},
            }
        ],
        "regimes": [regime],
    }


def _late(document: dict[str, Any], at: str = "9995-06-01T10:00:00Z") -> dict[str, Any]:
    for event in document["events"]:
        event["occurred_at"] = at
    return document


@pytest.mark.parametrize(
    "duration",
    [
        {"hours": MAX_HOURS},
        {"calendar_days": MAX_DAYS},
        {"months": MAX_MONTHS},
        {"business_days": MAX_BUSINESS_DAYS, "calendar": "weekends-only"},
    ],
)
def test_a_deadline_past_year_9999_is_an_event_error(duration: dict[str, Any]) -> None:
    with pytest.raises(EventError, match="falls outside the years 0001 to 9999") as raised:
        evaluate_document(_late(_with_gdpr_copy({}, duration)))
    assert "from 9995-06-01T10:00:00Z" in raised.value.detail


@pytest.mark.parametrize(
    ("duration", "field"),
    [
        ({"hours": 10**12}, "hours"),  # no timedelta holds it
        ({"calendar_days": 10**7}, "calendar_days"),
        ({"months": 10**6}, "months"),
        ({"business_days": 3 * 10**6, "calendar": "weekends-only"}, "business_days"),
    ],
)
def test_a_period_over_ten_years_is_a_regime_error_naming_it(
    duration: dict[str, Any], field: str
) -> None:
    with pytest.raises(RegimeError) as raised:
        evaluate_document(_with_gdpr_copy({}, duration))
    assert raised.value.field == f"stages[0].duration.{field}"
    assert "less than or equal to" in str(raised.value)


@pytest.mark.parametrize("hours", [1e20, -1e20, 8785])
def test_an_alert_lead_beyond_a_leap_year_is_a_document_error(hours: float) -> None:
    doc = _doc()
    doc["thresholds"] = {"before_due_hours": [hours]}
    with pytest.raises(DocumentError, match=r"thresholds\.before_due_hours\[0\]"):
        evaluate_document(doc)


@pytest.mark.parametrize(
    ("changes", "applies"),
    [
        ({"effective_from": "0001-01-01", "reference_time_zone": "Asia/Tokyo"}, True),
        ({"effective_until": "9999-12-31", "reference_time_zone": "America/New_York"}, True),
        ({"effective_from": "9999-12-31", "reference_time_zone": "America/New_York"}, False),
    ],
)
def test_effective_dates_at_the_ends_of_the_calendar_are_read(
    changes: dict[str, Any], applies: bool
) -> None:
    """00:00 of 0001-01-01 in Tokyo is before year 1 in UTC: before any instant; 00:00 of
    9999-12-31 in New York is after year 9999: after any instant."""
    result = evaluate_document(_with_gdpr_copy(changes), t("2026-10-02T00:00:00Z"))
    (mine,) = [o for o in result["obligations"] if o["regime"] == "my-gdpr"]
    assert mine["status"] == ("pending" if applies else "not_applicable")
    regime = load_regimes()["eu-gdpr-art33"].model_copy(
        update={k: date.fromisoformat(v) if k.startswith("eff") else v for k, v in changes.items()}
    )
    assert in_force(regime, t("2026-10-02T00:00:00Z")) is applies


@pytest.mark.parametrize(
    "stated", ["9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00+01:00", "1969-01-01T00:00:00Z"]
)
def test_a_stated_deadline_outside_the_range_falls_back_to_the_default_period(stated: str) -> None:
    """``data.due_at`` is free JSON: at the last microsecond of 9999, the alert one second
    after it could not be computed (a 500 on every board that showed it)."""
    anchor = ev("r1", EventType.REPORT_REQUESTED, "2026-10-01T10:00:00Z", data={"due_at": stated})
    duration = Duration(calendar_days=14, from_event_field="due_at")
    due, note = compute_due(anchor.occurred_at, duration, None, anchor)
    assert due == t("2026-10-15T10:00:00Z")
    assert note == (
        "data.due_at of r1 is outside the instants the platform takes (from "
        "1970-01-01T00:00:00Z up to 9999-01-01T00:00:00Z (not included)): default period used"
    )
    kept, said = compute_due(
        anchor.occurred_at,
        duration,
        None,
        ev(
            "r2",
            EventType.REPORT_REQUESTED,
            "2026-10-01T10:00:00Z",
            data={"due_at": "2026-11-01T00:00:00Z"},
        ),
    )
    assert (kept, said) == (t("2026-11-01T00:00:00Z"), "deadline stated in event r2")
