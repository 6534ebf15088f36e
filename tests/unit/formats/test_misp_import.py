"""MISP events into STIX: every object a valid STIX 2.1 object for the platform's own
check, no attribute ever marked below its event (a property over every pair of event and
attribute tags, none included), and no report naming an object marked above the report
(a property over events of several attributes, in MISP objects too)."""

from __future__ import annotations

import time
from typing import Any

import orjson
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
    indicator, *reports = converted.objects
    marking = stix.tlp_of(indicator.get("object_marking_refs"))
    if event_tlp is None and own_tlp is None:
        assert marking is None  # unmarked: the store refuses it; never CLEAR
    else:
        assert marking is not None
        for given_tlp in (event_tlp, own_tlp):
            if given_tlp is not None:
                assert stix.TLP_RANK[marking] >= stix.TLP_RANK[given_tlp]
        assert marking in (event_tlp, own_tlp)
    if event_tlp is None and own_tlp is not None:
        assert reports == []  # an unmarked report may not name it; its marking unguessed
    else:
        (report,) = reports  # the event's, raised to its one object's marking if need be
        assert stix.tlp_of(report.get("object_marking_refs")) == marking
        assert report["object_refs"] == [indicator["id"]]


def _attributes(tag_lists: list[list[str]]) -> list[dict[str, Any]]:
    return [
        {
            "uuid": f"0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c{n:02d}",
            "type": "domain",
            "value": f"host{n}.example",
            "timestamp": "1788345600",
            "Tag": [{"name": t} for t in tags],
        }
        for n, tags in enumerate(tag_lists)
    ]


def _rank(tlp: Tlp | None) -> int:
    return -1 if tlp is None else stix.TLP_RANK[tlp]


@given(
    st.lists(st.sampled_from(TAGS), max_size=2),
    st.lists(st.lists(st.sampled_from(TAGS), max_size=2), min_size=1, max_size=5),
    st.integers(min_value=0, max_value=5),
)
def test_a_report_never_names_an_object_marked_above_it_nor_is_marked_below_its_event(
    event_tags: list[str], tag_lists: list[list[str]], in_objects: int
) -> None:
    attributes = _attributes(tag_lists)
    document = _event(event_tags, [])
    # The first ``in_objects`` attributes inside a MISP object, the rest on the event.
    document["Event"]["Attribute"] = attributes[in_objects:]
    document["Event"]["Object"] = [{"name": "domain-ip", "Attribute": attributes[:in_objects]}]
    converted = misp_import.convert_event(document)
    event_tlp = misp_import.tlp_of_tags(document["Event"]["Tag"])
    marked = {
        o["id"]: stix.tlp_of(o.get("object_marking_refs"))
        for o in converted.objects
        if o["type"] != "report"
    }
    assert len(marked) == len(attributes)
    reports = [o for o in converted.objects if o["type"] == "report"]
    skipped = {s["uuid"] for s in converted.skipped}
    if event_tlp is None and None not in marked.values():
        assert reports == []  # unmarked, it could name none of them
        assert skipped == {document["Event"]["uuid"]}
        return
    (report,) = reports
    report_tlp = stix.tlp_of(report.get("object_marking_refs"))
    assert (report_tlp is None) is (event_tlp is None)
    assert _rank(report_tlp) >= _rank(event_tlp)  # never lowered
    assert report["object_refs"]  # STIX: never empty
    for ref in report["object_refs"]:
        assert (marked[ref] is None) is (report_tlp is None)
        assert _rank(marked[ref]) <= _rank(report_tlp)
    # Each object left out is listed, by its attribute's uuid; nothing else is but a raise.
    left_out = {"indicator--" + a["uuid"] for a in attributes} - set(report["object_refs"])
    assert {"indicator--" + u for u in skipped - {document["Event"]["uuid"]}} == left_out
    assert (document["Event"]["uuid"] in skipped) is (report_tlp != event_tlp)
    assert stix.check(report).tlp is report_tlp


def test_a_green_report_does_not_name_a_red_attribute_of_the_event_or_of_its_objects() -> None:
    document = _event(["tlp:green"], [])
    domain, red, in_object = _attributes([[], ["tlp:red"], ["tlp:amber"]])
    document["Event"]["Attribute"] = [domain, red]
    document["Event"]["Object"] = [{"name": "domain-ip", "Attribute": [in_object]}]
    converted = misp_import.convert_event(document)
    indicators = [o for o in converted.objects if o["type"] == "indicator"]
    assert [stix.tlp_of(o["object_marking_refs"]) for o in indicators] == [
        Tlp.GREEN,
        Tlp.RED,
        Tlp.AMBER,
    ]  # every attribute is still added, at its own marking
    (report,) = [o for o in converted.objects if o["type"] == "report"]
    assert stix.tlp_of(report["object_marking_refs"]) is Tlp.GREEN
    assert report["object_refs"] == ["indicator--" + domain["uuid"]]
    assert red["uuid"] not in orjson.dumps(report).decode()
    assert [(s["uuid"], s["reason"]) for s in converted.skipped] == [
        (
            red["uuid"],
            "added as TLP:RED but left out of the event's report, marked TLP:GREEN: "
            "a report never names an object marked above it",
        ),
        (
            in_object["uuid"],
            "added as TLP:AMBER but left out of the event's report, marked TLP:GREEN: "
            "a report never names an object marked above it",
        ),
    ]


def test_a_report_whose_objects_are_all_marked_above_the_event_is_raised_to_the_lowest() -> None:
    document = _event(["tlp:green"], [])
    amber, red = _attributes([["tlp:amber"], ["tlp:red"]])
    document["Event"]["Attribute"] = [red, amber]
    converted = misp_import.convert_event(document)
    (report,) = [o for o in converted.objects if o["type"] == "report"]
    assert stix.tlp_of(report["object_marking_refs"]) is Tlp.AMBER
    assert report["object_refs"] == ["indicator--" + amber["uuid"]]
    assert [(s["type"], s["uuid"]) for s in converted.skipped] == [
        ("report", document["Event"]["uuid"]),
        ("domain", red["uuid"]),
    ]
    assert "marked TLP:AMBER, above the event's TLP:GREEN" in converted.skipped[0]["reason"]


def test_an_event_without_tlp_gets_no_report_when_all_its_objects_are_marked() -> None:
    document = _event([], [])
    document["Event"]["Attribute"] = _attributes([["tlp:green"]])
    converted = misp_import.convert_event(document)
    assert [o["type"] for o in converted.objects] == ["indicator"]
    assert [(s["type"], s["uuid"]) for s in converted.skipped] == [
        ("report", document["Event"]["uuid"])
    ]


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


# ---- limits, checked as the event is read --------------------------------------------------


def _objects(count: int, attributes_each: int) -> Any:
    """An event of ``count`` MISP objects (one shared object: building it costs nothing)."""
    shared = {"Attribute": [{"type": "ip-dst", "value": "198.51.100.7"}] * attributes_each}
    return {"Event": {"uuid": "e", "Object": [shared] * count}}


@pytest.mark.parametrize(
    ("document", "says"),
    [
        (_objects(80_000, 1), "at most 10000 objects"),
        (_objects(10_000, 50), "at most 10000 attributes"),
    ],
    ids=["80,000 MISP objects", "10,000 MISP objects of 50 attributes"],
)
def test_an_event_over_a_limit_is_refused_before_the_work_it_would_cost(
    document: Any, says: str
) -> None:
    # The quadratic gathering took 6 s for the first and 12 s for the second on the
    # project's machine; checked as it goes, each is refused in well under a millisecond.
    started = time.perf_counter()
    with pytest.raises(InvalidInput) as refused:
        misp_import.convert_event(document)
    assert time.perf_counter() - started < 1.0
    assert says in refused.value.detail


def test_attributes_of_the_event_and_its_objects_count_together_up_to_the_limit() -> None:
    own = [{"uuid": f"a{i}", "type": "ip-dst", "value": "198.51.100.7"} for i in range(4_000)]
    grouped = [{"Attribute": own[:3]}] * 2_000  # 6,000 more: exactly the limit
    document = {"Event": {"uuid": "e", "Tag": [{"name": "tlp:green"}], "Attribute": own}}
    document["Event"]["Object"] = grouped
    converted = misp_import.convert_event(document)
    assert len(converted.objects) == misp_import.MAX_ATTRIBUTES + 1  # and the report
    document["Event"]["Attribute"] = [*own, own[0]]
    with pytest.raises(InvalidInput):
        misp_import.convert_event(document)
    with pytest.raises(InvalidInput):
        misp_import.convert_event({"Event": {"uuid": "e", "Attribute": [{}] * 10_001}})


def test_tags_are_bounded_on_the_event_and_on_each_attribute() -> None:
    many = [{"name": "tlp:green"}] * (misp_import.MAX_TAGS + 1)
    document = _event(["tlp:green"], [])
    document["Event"]["Tag"] = many
    with pytest.raises(InvalidInput, match="at most 1000 tags"):
        misp_import.convert_event(document)
    document = _event(["tlp:green"], [])
    document["Event"]["Attribute"][0]["Tag"] = many
    converted = misp_import.convert_event(document)
    assert converted.objects == []
    assert converted.skipped[0]["reason"] == "more than 1000 tags"


def test_text_json_cannot_carry_is_refused_or_shown_escaped_never_a_crash() -> None:
    document = _event(["tlp:green"], [], kind="regkey")
    document["Event"]["Attribute"][0]["uuid"] = "\ud800"
    converted = misp_import.convert_event(document)  # skipped before its uuid is used
    assert converted.skipped[0]["uuid"] == "\\ud800"
    orjson.dumps(converted.skipped)
    document = _event(["tlp:green"], [])
    document["Event"]["Attribute"][0]["uuid"] = "\ud800"
    with pytest.raises(InvalidInput, match="needs its uuid"):
        misp_import.convert_event(document)
    deep: Any = []
    for _ in range(5_000):
        deep = [deep]
    document = _event(["tlp:green"], [])
    document["Event"]["Attribute"][0].update(uuid=deep, timestamp=deep)
    with pytest.raises(InvalidInput, match="needs its uuid"):
        misp_import.convert_event(document)


def test_events_converted_together_stop_at_the_requests_limit() -> None:
    pulled: list[int] = []

    def events() -> Any:
        for n in range(1_000):  # 1,000 events of 2 objects each (a report and an indicator)
            pulled.append(n)
            yield _event(["tlp:green"], [])

    with pytest.raises(InvalidInput, match="at most 5 objects per request"):
        misp_import.convert_events(events(), max_objects=5)
    assert pulled == [0, 1, 2]  # the third event passed the limit; none after it was read
    kept = misp_import.convert_events([_event(["tlp:green"], [])] * 2, max_objects=4)
    assert [len(c.objects) for c in kept] == [2, 2]
