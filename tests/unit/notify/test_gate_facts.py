"""What a queued message keeps for the gate's second look (``notify.gate``): read back as
it was kept, and anything missing or unknown read as pre-publication, the most guarded
(a notice or a webhook job queued before the facts were kept, or a payload tampered
with), never as public."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from clearinghouse.formats.model import Tlp
from clearinghouse.notify.gate import Gate, Parts, kept, kept_facts, stored
from clearinghouse.policy import MessageFacts, Sensitivity

GUARDED = MessageFacts(Sensitivity.PRE_PUBLICATION)
NOW = datetime(2026, 10, 1, tzinfo=UTC)


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


def test_what_a_message_is_about_is_kept_and_read_back() -> None:
    about = MessageFacts(Sensitivity.PUBLIC, Tlp.GREEN, f"case:{uuid.UUID(int=1)}")
    assert kept_facts(kept(about)) == about
    assert stored("public", "GREEN", about.ref) == about
    # unknown facts with a subject: the most guarded facts, and the subject still asked
    assert kept_facts({"ref": about.ref}) == MessageFacts(
        Sensitivity.PRE_PUBLICATION, ref=about.ref
    )


class _Nowhere:
    """A session no rule here may use (the rules below do not touch it)."""


def _gate(parts: Parts) -> Gate:
    return Gate(_Nowhere(), NOW, parts)  # type: ignore[arg-type]


def test_the_gate_asks_the_rule_for_its_kind_and_fails_closed_without_one() -> None:
    case, org = uuid.UUID(int=1), uuid.UUID(int=2)
    asked: list[tuple[uuid.UUID, uuid.UUID | None]] = []

    def rule(_session: object, subject: uuid.UUID, who: uuid.UUID | None, _now: object) -> bool:
        asked.append((subject, who))
        return who == org

    gate = _gate({"case": rule})
    assert gate.takes_part(None, org)  # about nothing one takes part in
    assert gate.takes_part(f"case:{case}", org)
    assert not gate.takes_part(f"case:{case}", uuid.UUID(int=3))
    assert asked == [(case, org), (case, uuid.UUID(int=3))]
    assert not gate.takes_part(f"advisory:{case}", org)  # no rule handed for that kind
    assert not gate.takes_part("case:not-a-uuid", org)
    assert not gate.takes_part("case", org)
    assert not _gate({}).takes_part(f"case:{case}", org)
