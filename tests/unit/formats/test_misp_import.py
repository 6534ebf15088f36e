"""MISP events into STIX: every object a valid STIX 2.1 object for the platform's own
check, and no attribute ever marked below its event (a property over every pair of
event and attribute tags, none included)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.errors import InvalidInput
from clearinghouse.formats import misp_import, stix
from clearinghouse.formats.model import Tlp

TAGS = [*misp_import.TLP_TAGS, "TLP:AMBER", 'misp:tool="x"']


def _event(event_tags: list[str], attribute_tags: list[str], kind: str = "ip-dst") -> Any:
    return {
        "Event": {
            "uuid": "6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c",
            "info": "Event",
            "timestamp": "1788345600",
            "Tag": [{"name": t} for t in event_tags],
            "Attribute": [
                {
                    "uuid": "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c01",
                    "type": kind,
                    "value": "198.51.100.7",
                    "timestamp": "1788345600",
                    "Tag": [{"name": t} for t in attribute_tags],
                }
            ],
        }
    }


@given(st.lists(st.sampled_from(TAGS), max_size=3), st.lists(st.sampled_from(TAGS), max_size=3))
def test_an_attribute_is_never_marked_below_its_event(
    event_tags: list[str], own: list[str]
) -> None:
    converted = misp_import.convert_event(_event(event_tags, own))
    event_tlp = misp_import.tlp_of_tags([{"name": t} for t in event_tags])
    own_tlp = misp_import.tlp_of_tags([{"name": t} for t in own])
    indicator, report = converted.objects
    marking = stix.tlp_of(indicator.get("object_marking_refs"))
    if event_tlp is None and own_tlp is None:
        assert marking is None  # unmarked: the store refuses it; never CLEAR
    else:
        assert marking is not None
        for given_tlp in (event_tlp, own_tlp):
            if given_tlp is not None:
                assert stix.TLP_RANK[marking] >= stix.TLP_RANK[given_tlp]
        assert marking in (event_tlp, own_tlp)
    assert stix.tlp_of(report.get("object_marking_refs")) == event_tlp


@pytest.mark.parametrize(
    ("kind", "value", "pattern"),
    [
        ("ip-src", "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"),
        ("domain", "it's.example", "[domain-name:value = 'it\\'s.example']"),
        ("sha256", "ab" * 32, f"[file:hashes.'SHA-256' = '{'ab' * 32}']"),
    ],
)
def test_patterns_escape_and_every_object_passes_the_stix_check(
    kind: str, value: str, pattern: str
) -> None:
    document = _event(["tlp:green"], [])
    document["Event"]["Attribute"][0].update(type=kind, value=value)
    converted = misp_import.convert_event(document)
    assert converted.objects[0]["pattern"] == pattern
    for obj in converted.objects:
        checked = stix.check(obj)
        assert checked.tlp is Tlp.GREEN


def test_unknown_types_are_skipped_and_bad_events_refused() -> None:
    converted = misp_import.convert_event(_event(["tlp:red"], [], kind="regkey"))
    assert converted.objects == []  # no report refers to nothing
    assert [s["type"] for s in converted.skipped] == ["regkey"]
    with pytest.raises(InvalidInput):
        misp_import.convert_event({"Event": {"Attribute": "many"}})
    with pytest.raises(InvalidInput):
        misp_import.convert_event(["not", "an", "event"])
