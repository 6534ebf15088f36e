"""A regime's words as catalogue messages: every text a person reads of a shipped regime
is listed (a prose field the list forgot fails here), the Babel extraction method yields
each with a comment naming the regime and the field on the line it starts, and a lookup of
an empty text never answers the catalogue's header."""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.clocks import BUILTIN_DIR, RegimeError, load_regimes
from clearinghouse.clocks.messages import extract, regime_texts, translated
from clearinghouse.clocks.schema import PROPOSED_FLAG

REGIMES = load_regimes()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _extracted(path: Path) -> list[tuple[int, None, str, list[str]]]:
    with path.open("rb") as handle:
        return list(extract(handle, ["_"], [], {}))


@pytest.mark.parametrize("regime_id", sorted(REGIMES))
def test_every_sentence_of_a_shipped_regime_is_a_text_to_translate(regime_id: str) -> None:
    """Ids, codes, URLs, calendar and zone names have no space; every string that has one
    is prose a person reads, and must be among the regime's texts."""
    regime = REGIMES[regime_id]
    texts = {t.text for t in regime_texts(regime)}
    prose = {s for s in _strings(regime.model_dump(mode="json")) if " " in s}
    prose -= {u for u in prose if u.startswith(("http://", "https://"))}
    assert sorted(prose - texts) == []


def test_the_texts_name_their_field_and_leave_out_empty_ones() -> None:
    texts = {t.field: t.text for t in regime_texts(REGIMES["cn-miit-2021"])}
    assert texts["title"].startswith("China: Regulations on the Management of Network Product")
    assert texts["stages[report].name"] == (
        "Report the vulnerability to the MIIT sharing platform (NVDB)"
    )
    assert texts["stages[report].content[product].label"] == "Product name, model and version"
    assert texts["sharing_restrictions[art-9-7].citation"] == "cn-miit-2021 Art. 9(7)"
    assert "stages[report].note" not in texts  # the stage has none
    assert all(texts.values())


def test_a_proposed_regime_carries_the_proposed_flags_explanation() -> None:
    texts = {t.field: t.text for t in regime_texts(REGIMES["us-circia"])}
    assert texts[f"flags[{PROPOSED_FLAG}].explanation"].startswith("This regime is proposed")


def test_the_extractor_yields_each_text_on_its_line_with_the_regime_and_the_field() -> None:
    path = BUILTIN_DIR / "cn-cac-2025-incident.yaml"
    found = _extracted(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    title = next(m for m in found if m[3] == ["regime cn-cac-2025-incident: title"])
    assert title[1] is None
    assert title[2].startswith("China: Administrative Measures for the Reporting")
    assert lines[title[0] - 1].startswith("title:")
    level = next(m for m in found if m[2] == "较大 Relatively major")
    assert level[3] == [
        "regime cn-cac-2025-incident: classifications[cn-cac-2025].levels[relatively_major].label"
    ]
    assert "relatively_major" in lines[level[0] - 1]
    # A YAML alias repeats its texts under each stage that uses it: one message, two places.
    recipient = "The public security organs (公安机关)"
    assert [m[3] for m in found if m[2] == recipient] == [
        ["regime cn-cac-2025-incident: stages[report].recipients_by_role[0]"],
        ["regime cn-cac-2025-incident: stages[summary_report].recipients_by_role[0]"],
    ]


def test_the_extractor_refuses_a_broken_regime() -> None:
    broken = io.BytesIO(b"id: broken\ntitle: A regime without the rest\n")
    with pytest.raises(RegimeError):
        list(extract(broken, ["_"], [], {}))


def test_an_empty_text_is_not_looked_up() -> None:
    """gettext("") answers a catalogue's header; a regime field left empty stays empty."""

    class Catalogue(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "Project-Id-Version: header" if message == "" else f"[{message}]"

    catalogue = Catalogue()
    assert translated(catalogue.gettext, "") == ""
    assert translated(catalogue.gettext, "Final report") == "[Final report]"
