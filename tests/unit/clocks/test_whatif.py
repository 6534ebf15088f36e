"""What-if documents: the documented JSON format, run end to end."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.clocks import (
    DocumentError,
    EventError,
    RegimeError,
    evaluate_document,
    load_regimes,
)
from clearinghouse.timeutil import parse_instant

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "clocks-cra.json"


def _doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


def _rows(result: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["organisation"], o["stage"]): o for o in result["obligations"]}


def test_example_document_at_a_given_instant() -> None:
    result = evaluate_document(_doc(), parse_instant("2026-10-21T00:00:00Z"))
    assert result["format"] == "clearinghouse-clocks-result/1"
    assert result["at"] == "2026-10-21T00:00:00Z"
    assert result["at_source"] == "given"
    rows = _rows(result)
    assert rows[("acme", "early_warning")]["status"] == "met"
    assert rows[("acme", "early_warning")]["met_by"] == "ev-4"
    assert rows[("acme", "notification")]["status"] == "missed"
    assert rows[("acme", "final_report")]["due"] == "2026-11-03T08:00:00Z"
    # Beta became aware later: its clock runs from its own awareness.
    assert rows[("beta", "early_warning")]["due"] == "2026-10-03T14:00:00Z"
    # The coordinator has no role that binds it.
    assert not any(o["organisation"] == "coordinator" for o in result["obligations"])
    # Open obligations carry a draft pre-filled from the document's facts.
    draft = rows[("acme", "notification")]["draft"]
    assert draft["missing"] == ["measures"]
    assert "draft" not in rows[("acme", "early_warning")]
    json.dumps(result)  # JSON-ready


def test_without_an_instant_the_latest_recorded_at_is_used_and_said() -> None:
    result = evaluate_document(_doc())
    assert result["at"] == "2026-10-20T08:10:00Z"
    assert "latest recorded_at" in result["at_source"]


def test_inline_regime_and_enabled_regimes() -> None:
    doc = _doc()
    sec = copy.deepcopy(load_regimes()["us-sec-8k-105"].model_dump(mode="json"))
    sec["id"] = "my-sec-copy"
    doc["regimes"] = [sec]
    doc["organisations"].append({"id": "reg", "jurisdictions": ["US"], "roles": ["sec_registrant"]})
    doc["events"].append(
        {
            "id": "m",
            "type": "materiality_determined",
            "subject": "inc-1",
            "organisation": "reg",
            "occurred_at": "2026-07-02T19:00:00Z",
        }
    )
    result = evaluate_document(doc, parse_instant("2026-07-03T00:00:00Z"))
    copies = [o for o in result["obligations"] if o["regime"] == "my-sec-copy"]
    assert [o["due"] for o in copies] == ["2026-07-09T21:30:00Z"]
    origins = {r["id"]: r["origin"] for r in result["regimes"]}
    assert origins["my-sec-copy"] == "document: regimes[0]"
    enabled = {r["id"]: r["enabled"] for r in result["regimes"]}
    assert enabled["us-circia"] is False


@pytest.mark.parametrize(
    ("mutate", "error", "text"),
    [
        (
            lambda d: d["events"][0].update(occurred_at="2026-10-01 09:00"),
            DocumentError,
            "events[0].occurred_at",
        ),
        (lambda d: d["events"][0].update(type="teleported"), DocumentError, "events[0].type"),
        (lambda d: d.update(format="other/1"), DocumentError, "format"),
        (lambda d: d.update(colour="blue"), DocumentError, "colour"),
        (
            lambda d: d["events"][0].update(organisation="ghost"),
            DocumentError,
            "not in organisations",
        ),
        (lambda d: d.update(enabled_regimes=["nope"]), DocumentError, "enabled_regimes"),
        (lambda d: d.update(regimes=[{"id": "x"}]), RegimeError, "document: regimes[0]"),
        (lambda d: d["events"][1].update(supersedes="missing"), EventError, "unknown event"),
        (lambda d: d.update(events=[]), DocumentError, "no events"),
    ],
)
def test_bad_documents_are_refused_with_the_field_named(
    mutate: Any, error: type[Exception], text: str
) -> None:
    doc = _doc()
    mutate(doc)
    with pytest.raises(error, match=text.replace("[", r"\[").replace("]", r"\]")):
        evaluate_document(doc)


def test_a_document_must_be_an_object() -> None:
    with pytest.raises(DocumentError):
        evaluate_document([])  # what a JSON file may hold
