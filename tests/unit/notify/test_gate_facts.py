"""What a queued message keeps for the gate's second look (``notify.gate``): read back as
it was kept, and anything missing or unknown read as pre-publication, the most guarded
(a notice or a webhook job queued before the facts were kept, or a payload tampered
with), never as public."""

from __future__ import annotations

import pytest

from clearinghouse.formats.model import Tlp
from clearinghouse.notify.gate import kept, kept_facts, stored
from clearinghouse.policy import MessageFacts, Sensitivity

GUARDED = MessageFacts(Sensitivity.PRE_PUBLICATION)


@pytest.mark.parametrize("sensitivity", list(Sensitivity))
@pytest.mark.parametrize("tlp", [None, *Tlp])
def test_kept_facts_read_back_as_they_were(sensitivity: Sensitivity, tlp: Tlp | None) -> None:
    about = MessageFacts(sensitivity, tlp)
    assert kept_facts(kept(about)) == about
    assert stored(sensitivity, tlp) == about  # a notice's columns
    assert stored(sensitivity.value, tlp.value if tlp else None) == about


@pytest.mark.parametrize(
    "value",
    [
        None,
        {},
        "public",
        ["public"],
        {"tlp": "CLEAR"},
        {"sensitivity": "PUBLIC"},
        {"sensitivity": "secret"},
        {"sensitivity": 1},
        {"sensitivity": "public", "tlp": "WHITE"},
        {"sensitivity": "public", "tlp": ["CLEAR"]},
    ],
)
def test_missing_or_unknown_facts_are_read_as_pre_publication(value: object) -> None:
    assert kept_facts(value) == GUARDED


def test_a_notice_without_facts_is_pre_publication() -> None:
    assert stored(None, None) == GUARDED
    assert stored(None, "CLEAR") == GUARDED
