"""What the regime schema grew for the incident regimes (docs/clocks.md, "Regime files"),
each refused with the field named when misused, and the event data they read."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from clearinghouse.clocks import (
    BUILTIN_DIR,
    EventError,
    EventType,
    Occurrence,
    RegimeError,
    SubmissionForm,
    parse_regime,
)
from tests.unit.clocks.helpers import ev


def _regime(name: str) -> dict[str, Any]:
    with (BUILTIN_DIR / f"{name}.yaml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def _changed(name: str, change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_regime(name))
    change(data)
    return data


@pytest.mark.parametrize(
    ("name", "change", "field", "text"),
    [
        (
            "us-nydfs-500-17",
            lambda d: d["trigger"].update(all_of=d["trigger"]["any_of"]),
            "trigger",
            "exactly one of all_of and any_of",
        ),
        (
            "eu-dora-art19",
            lambda d: d["stages"][0]["anchor"].update(occurrence="latest"),
            "stages[0].anchor",
            "occurrence applies",
        ),
        (
            "eu-dora-art19",
            lambda d: d["stages"][2]["anchor"].update(occurrence="middle"),
            "stages[2].anchor.occurrence",
            "first",
        ),
        (
            "au-soci-part2b",
            lambda d: d["stages"][0]["anchor"].update(form="oral"),
            "stages[0].anchor",
            "stage_submitted: anchors only",
        ),
        (
            "eu-dora-art19",
            lambda d: d["stages"][0]["no_later_than"][0].update(anchor={"trigger": True}),
            "stages[0].no_later_than[0]",
            "anchors to an event",
        ),
        (
            "us-sec-8k-105",
            lambda d: d["stages"][0]["duration"].update(business_days=10_000_000),
            "stages[0].duration.business_days",
            "less than or equal to 2610",
        ),
        (
            "au-soci-part2b",
            lambda d: d["stages"][0].update(forms=[]),
            "stages[0].forms",
            "at least 1",
        ),
        (
            "au-soci-part2b",
            lambda d: d["stages"][0].update(forms=["carrier-pigeon"]),
            "stages[0].forms[0]",
            "oral",
        ),
        (
            "cn-cac-2025-incident",
            lambda d: d["stages"][0]["recipients_by_role"][0].update(recipients=[]),
            "stages[0].recipients_by_role[0].recipients",
            "at least 1",
        ),
        (
            "eu-dora-art19",
            lambda d: d["trigger"]["all_of"][0]["where"].pop("scheme"),
            "",
            "names where.scheme and where.level",
        ),
        (
            "cn-cac-2025-incident",
            lambda d: d["trigger"]["all_of"][0]["where"].update(level=["huge"]),
            "",
            "huge are not levels of classification 'cn-cac-2025'",
        ),
        (
            "eu-dora-art19",
            lambda d: d["displaces"][0].update(regime="eu-dora-art19"),
            "",
            "cannot displace itself",
        ),
        (
            "eu-gdpr-art33",
            lambda d: d["classifications"][0].update(levels=[]),
            "classifications[0].levels",
            "at least 1",
        ),
    ],
)
def test_misused_additions_are_refused_with_the_field_named(
    name: str, change: Any, field: str, text: str
) -> None:
    with pytest.raises(RegimeError) as caught:
        parse_regime(_changed(name, change), "inline.yaml")
    assert caught.value.field == field
    assert text in str(caught.value)


def test_the_additions_read_back_as_typed_values() -> None:
    dora = parse_regime(_regime("eu-dora-art19"), "dora")
    assert dora.stage("final_report").anchor.occurrence is Occurrence.LATEST
    assert dora.displaces[0].regime == "eu-nis2-art23"
    assert dora.classification("eu-dora") is not None
    assert dora.classification("nope") is None
    soci = parse_regime(_regime("au-soci-part2b"), "soci")
    assert soci.stage("significant_impact_written_record").anchor.form is SubmissionForm.ORAL
    assert soci.stage("significant_impact_written_record").forms == (SubmissionForm.WRITTEN,)
    nydfs = parse_regime(_regime("us-nydfs-500-17"), "nydfs")
    assert len(nydfs.trigger.any_of) == 2
    assert nydfs.trigger.conditions == nydfs.trigger.any_of


@pytest.mark.parametrize(
    ("kind", "data", "text"),
    [
        (EventType.INCIDENT_CLASSIFIED, {"level": "major"}, "data.scheme"),
        (EventType.INCIDENT_CLASSIFIED, {"scheme": "eu-dora"}, "data.level"),
        (
            EventType.REPORT_SUBMITTED,
            {"regime": "r", "stage": "s", "form": "telepathy"},
            "data.form must be one of written, oral",
        ),
    ],
)
def test_events_carry_the_data_the_new_rules_read(
    kind: EventType, data: dict[str, Any], text: str
) -> None:
    with pytest.raises(EventError, match=text):
        ev("e", kind, "2026-01-01T00:00:00Z", data=data)


def test_a_submission_is_written_unless_said_oral() -> None:
    written = ev(
        "w", EventType.REPORT_SUBMITTED, "2026-01-01T00:00:00Z", data={"regime": "r", "stage": "s"}
    )
    spoken = ev(
        "o",
        EventType.REPORT_SUBMITTED,
        "2026-01-01T00:00:00Z",
        data={"regime": "r", "stage": "s", "form": "oral"},
    )
    assert written.submission_form is SubmissionForm.WRITTEN
    assert spoken.submission_form is SubmissionForm.ORAL
