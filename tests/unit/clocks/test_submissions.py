"""Submission drafts: pre-filled from facts, missing fields listed, printable."""

from __future__ import annotations

import json

import pytest

from clearinghouse.clocks import EventType, Obligation, SubmissionError, draft_submission
from tests.unit.clocks.helpers import CLOUDCO, REGIMES, by_stage, ev, run

VULN = "eu-cra-art14-vuln"
MIIT = "cn-miit-2021"


def _notification() -> Obligation:
    events = [ev("e1", EventType.EXPLOITATION_KNOWN, "2026-10-01T10:00:00Z")]
    return by_stage(run(events, "2026-10-01T11:00:00Z", regimes=[VULN]), VULN)["notification"]


FACTS = {
    "title": "RCE in Acme Router firmware",
    "product": "Acme Router X1",
    "versions": ["1.0", "1.1"],
    "description": "Stack overflow in the web UI login handler.",
}


def test_fields_are_prefilled_and_missing_ones_listed() -> None:
    draft = draft_submission(_notification(), REGIMES[VULN], FACTS)
    fields = {f.id: f for f in draft.fields}
    assert fields["product"].value == "Acme Router X1; 1.0, 1.1"
    assert fields["product"].filled_from == ("product", "versions")
    assert fields["nature_of_exploit"].value == FACTS["description"]
    assert draft.missing == ("measures",)  # sensitivity is optional
    assert not draft.complete
    assert draft.title == FACTS["title"]
    assert draft.due is not None


def test_a_fact_named_like_the_field_wins() -> None:
    draft = draft_submission(
        _notification(), REGIMES[VULN], {**FACTS, "product": "X1", "measures": "Update to 1.2"}
    )
    fields = {f.id: f for f in draft.fields}
    assert fields["measures"].value == "Update to 1.2"
    assert draft.complete


def test_draft_is_json_serialisable_and_printable() -> None:
    draft = draft_submission(_notification(), REGIMES[VULN], FACTS)
    data = json.loads(json.dumps(draft.to_json()))
    assert data["missing"] == ["measures"]
    assert data["due"] == "2026-10-04T10:00:00Z"
    text = draft.render_markdown()
    assert text.startswith("# Vulnerability notification")
    assert "Acme Router X1; 1.0, 1.1" in text
    assert "**Still missing:** measures" in text
    assert "<" not in text  # no HTML
    assert "Regulation (EU) 2024/2847" in text


def test_flags_are_shown_on_the_draft() -> None:
    events = [ev("a", EventType.AWARE, "2021-11-24T00:00:00+08:00", org="cloudco")]
    report = by_stage(run(events, "2021-11-24T01:00:00Z", [CLOUDCO], regimes=[MIIT]), MIIT)[
        "report"
    ]
    draft = draft_submission(report, REGIMES[MIIT], {"product": "log4j-core", "impact": "RCE"})
    assert "calendar-vs-working-days-UNVERIFIED" in draft.render_markdown()
    assert {f.id: f.value for f in draft.fields}["harm_and_scope"] == "RCE"


def test_mismatched_regime_is_refused() -> None:
    with pytest.raises(SubmissionError):
        draft_submission(_notification(), REGIMES[MIIT], FACTS)
