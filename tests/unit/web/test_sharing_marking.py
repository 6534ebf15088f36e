"""How a shared object's marking is shown: each TLP 2.0 label in its FIRST colour class,
and an object without a TLP marking said to be unmarked in the viewer's language, never
shown as CLEAR."""

from __future__ import annotations

import pytest

from clearinghouse.formats.model import Tlp
from clearinghouse.web.assets import Assets
from clearinghouse.web.i18n import Catalogues
from clearinghouse.web.templates import environment, i18n_callables
from clearinghouse.web.viewer import viewer

CATALOGUES = Catalogues.load()
ENV = environment(Assets(), "Clearinghouse")
LABEL = '{% import "macros.html" as m with context %}{{ m.object_tlp(tlp) }}'


def _label(tlp: str | None, language: str = "en") -> str:
    reader = viewer(CATALOGUES, cookies={}, accept_language=language)
    return ENV.from_string(LABEL).render(tlp=tlp, **i18n_callables(reader))


@pytest.mark.parametrize(
    ("tlp", "css"),
    [
        (Tlp.CLEAR, "tlp-clear"),
        (Tlp.GREEN, "tlp-green"),
        (Tlp.AMBER, "tlp-amber"),
        (Tlp.AMBER_STRICT, "tlp-amber"),
        (Tlp.RED, "tlp-red"),
    ],
)
def test_each_marking_is_shown_in_its_colour(tlp: Tlp, css: str) -> None:
    shown = _label(tlp.value)
    assert f'class="tlp {css}"' in shown
    assert f'data-tlp="{tlp.value}"' in shown
    assert f">TLP:{tlp.value}<" in shown


@pytest.mark.parametrize(
    ("language", "words"), [("en", "No TLP marking"), ("zh-Hans", "无 TLP 标记")]
)
def test_a_missing_marking_is_never_clear(language: str, words: str) -> None:
    shown = _label(None, language)
    assert words in shown
    assert "CLEAR" not in shown
    assert "tlp-clear" not in shown
    assert "data-tlp=" not in shown
