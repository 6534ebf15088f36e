"""Identifiers are checked to the end of the text. In Python's ``re``, ``$`` also matches
before a final newline, so ``re.match(r"^CVE-\\d{4}-\\d{4,}$", "CVE-2021-44228\\n")``
passes (and ``\\d`` matches any script's digits): the checks use ``\\Z`` (or fullmatch)
and ``[0-9]``. (Pydantic's ``Field(pattern=...)`` is compiled by Rust's regex, where
``$`` is the end of the text: checked here too, so that the claim stays true.)"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from clearinghouse.advisories.schemas import VulnerabilityIn
from clearinghouse.api.middleware import RequestContextMiddleware
from clearinghouse.errors import InvalidInput
from clearinghouse.formats import misp_import, stix
from clearinghouse.notify.webhooks import validate_event_type
from tests.support.stix_objects import indicator


class _Patterned(BaseModel):
    value: str = Field(pattern=r"^CVE-\d{4}-\d{4,}$")


def test_pydantic_field_patterns_end_at_the_end_of_the_text() -> None:
    assert _Patterned(value="CVE-2021-44228").value == "CVE-2021-44228"
    with pytest.raises(ValidationError):
        _Patterned(value="CVE-2021-44228\n")


@pytest.mark.parametrize("cve", ["CVE-2021-44228\n", "CVE-2021-４４２２８", "CVE-2021-" + "4" * 30])
def test_an_advisory_cve_id_is_the_whole_text(cve: str) -> None:
    assert VulnerabilityIn(cve="CVE-2021-44228").cve == "CVE-2021-44228"
    with pytest.raises(ValidationError):
        VulnerabilityIn(cve=cve)


@pytest.mark.parametrize("cwe", ["CWE-502\n", "CWE-5٠٢"])
def test_an_advisory_cwe_id_is_the_whole_text(cwe: str) -> None:
    assert VulnerabilityIn(cwes=["CWE-502"]).cwes == ["CWE-502"]
    with pytest.raises(ValidationError):
        VulnerabilityIn(cwes=[cwe])


def test_a_webhook_event_type_is_the_whole_text() -> None:
    assert validate_event_type("case.opened") == "case.opened"
    with pytest.raises(InvalidInput):
        validate_event_type("case.opened\n")


def test_a_stix_timestamp_is_the_whole_text() -> None:
    stix.parse_timestamp("2021-12-10T00:00:00.000Z")
    for text in ("2021-12-10T00:00:00.000Z\n", "２021-12-10T00:00:00.000Z"):
        with pytest.raises(stix.StixError):
            stix.parse_timestamp(text)


def _with_custom_property(**changes: Any) -> dict[str, Any]:
    """An indicator with a custom property: checked by stix2-validator, whose own patterns
    end in $, rather than by this module's fast path."""
    return {**indicator(1), "x_note": "custom", **changes}


@pytest.mark.parametrize(
    "change",
    [
        {"id": indicator(1)["id"] + "\n"},
        {"created_by_ref": "identity--5929c74b-003a-5bf9-af72-2e72b744b159\n"},
        {"valid_from": "2026-09-01T12:00:00.000Z\n"},
    ],
    ids=["id", "a reference", "a timestamp"],
)
def test_a_stix_id_reference_or_timestamp_with_a_final_newline_is_refused_on_both_paths(
    change: dict[str, Any],
) -> None:
    assert stix.check(_with_custom_property()).fast is False
    assert stix.check(indicator(1)).fast is True
    for obj in ({**indicator(1), **change}, _with_custom_property(**change)):
        with pytest.raises(stix.StixError):
            stix.check(obj)


def test_the_list_of_references_is_checked_item_by_item() -> None:
    marking = indicator(1)["object_marking_refs"][0]
    with pytest.raises(stix.StixError, match="object_marking_refs"):
        stix.check(_with_custom_property(object_marking_refs=[marking + "\n"]))


def _vulnerability(value: str) -> dict[str, Any]:
    event = {
        "Event": {
            "uuid": "5c2c8e5a-0b7e-4a8e-9c5e-1a2b3c4d5e6f",
            "info": "Log4Shell",
            "Attribute": [
                {
                    "uuid": "6d3d9f6b-1c8f-4b9f-8d6f-2b3c4d5e6f70",
                    "type": "vulnerability",
                    "value": value,
                }
            ],
        }
    }
    (obj, *_) = misp_import.convert_event(event).objects
    return obj


def test_a_misp_cve_attribute_is_a_cve_only_when_it_is_the_whole_text() -> None:
    assert _vulnerability("CVE-2021-44228")["external_references"] == [
        {"source_name": "cve", "external_id": "CVE-2021-44228"}
    ]
    assert "external_references" not in _vulnerability("CVE-2021-44228\n")


def _request_id(given: bytes) -> bytes:
    """The X-Request-ID the middleware answers with when a request carries ``given``."""
    sent: list[MutableMapping[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"x-request-id", given)],
    }
    asyncio.run(RequestContextMiddleware(app)(scope, receive, send))
    headers: dict[bytes, bytes] = dict(sent[0]["headers"])
    return headers[b"x-request-id"]


def test_a_request_id_is_echoed_only_when_it_is_the_whole_text() -> None:
    assert _request_id(b"abc-123") == b"abc-123"
    echoed = _request_id(b"abc-123\n")
    assert b"\n" not in echoed
    assert len(echoed) == 32  # a new one
