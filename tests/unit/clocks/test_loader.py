"""Regime files: every shipped one validates; bad ones name the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from clearinghouse.clocks import (
    BUILTIN_DIR,
    EventType,
    ObligationStatus,
    OrgProfile,
    RegimeError,
    RegimeKind,
    RegimeStatus,
    Role,
    evaluate,
    load_regime_file,
    load_regimes,
    parse_regime,
)
from tests.unit.clocks.helpers import ev, t

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "clocks"
SHIPPED = {
    "cn-miit-2021",
    "cn-nvdb-partner-terms",
    "eu-cra-art14-incident",
    "eu-cra-art14-vuln",
    "eu-nis2-art23",
    "in-certin-2022",
    "us-circia",
    "us-sec-8k-105",
}


@pytest.mark.parametrize("path", sorted(BUILTIN_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_regime_file_validates(path: Path) -> None:
    regime = load_regime_file(path)
    assert regime.id == path.stem
    assert regime.sources
    assert regime.stages


def test_the_shipped_set() -> None:
    regimes = load_regimes()
    assert set(regimes) >= SHIPPED
    assert regimes["us-circia"].status is RegimeStatus.PROPOSED
    assert regimes["us-circia"].enabled_by_default is False
    assert regimes["cn-nvdb-partner-terms"].kind is RegimeKind.MEMBERSHIP_TERM
    assert regimes.origins["cn-miit-2021"] == "shipped:cn-miit-2021.yaml"
    assert all(r.enabled_by_default for k, r in regimes.items() if k != "us-circia")


def test_malformed_fixture_names_file_and_field() -> None:
    path = FIXTURES / "malformed" / "bad-duration.yaml"
    with pytest.raises(RegimeError) as caught:
        load_regime_file(path)
    assert caught.value.file == str(path)
    assert caught.value.field == "stages[0].duration"
    assert "exactly one" in str(caught.value)
    assert str(path) in str(caught.value)


def _valid() -> dict[str, Any]:
    with (BUILTIN_DIR / "us-sec-8k-105.yaml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def _break(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = _valid()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field", "text"),
    [
        (("title",), _DELETE, "title", "Field required"),
        (("colour",), "blue", "colour", "Extra inputs"),
        (("status",), "maybe", "status", "in_force"),
        (("binds", 0, "roles"), ["wizard"], "binds[0].roles[0]", "manufacturer"),
        (("stages", 0, "duration", "calendar"), "Narnia", "stages[0].duration", "calendar"),
        (
            ("stages", 0, "duration", "at_local_time"),
            1050,
            "stages[0].duration.at_local_time",
            "quoted",
        ),
        (("stages", 0, "anchor"), {"stage_submitted": "later"}, "", "not an earlier stage"),
        (("reference_time_zone",), "Mars/Olympus", "reference_time_zone", "time zone"),
        (("effective_until",), "2020-01-01", "", "effective_until"),
        (
            ("trigger", "all_of", 0, "any_of"),
            ["teleported"],
            "trigger.all_of[0].any_of[0]",
            "aware",
        ),
        (
            ("stages", 0, "anchor"),
            {"trigger": True, "stage_submitted": "x"},
            "stages[0].anchor",
            "exactly one",
        ),
    ],
)
def test_bad_fields_are_named(
    path: tuple[str | int, ...], value: Any, field: str, text: str
) -> None:
    with pytest.raises(RegimeError) as caught:
        parse_regime(_break(path, value), "inline.yaml")
    assert caught.value.field == field
    assert text in str(caught.value)
    assert caught.value.file == "inline.yaml"


def test_file_level_problems(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RegimeError, match="not valid YAML"):
        load_regime_file(broken)

    listy = tmp_path / "listy.yaml"
    listy.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(RegimeError, match="mapping"):
        load_regime_file(listy)

    renamed = tmp_path / "other-name.yaml"
    renamed.write_text(yaml.safe_dump(_valid()), encoding="utf-8")
    with pytest.raises(RegimeError) as caught:
        load_regime_file(renamed)
    assert caught.value.field == "id"

    with pytest.raises(RegimeError, match="does not exist"):
        load_regimes([tmp_path / "missing"])


def test_a_later_directory_wins_for_the_same_id(tmp_path: Path) -> None:
    (tmp_path / "us-sec-8k-105.yaml").write_text(yaml.safe_dump(_valid()), encoding="utf-8")
    second = tmp_path / "sub"
    second.mkdir()
    (second / "us-sec-8k-105.yaml").write_text(yaml.safe_dump(_valid()), encoding="utf-8")
    regimes = load_regimes([tmp_path, second], include_builtin=False)
    assert regimes.origins["us-sec-8k-105"] == str(second / "us-sec-8k-105.yaml")


def test_an_operator_directory_adds_a_regime_without_code() -> None:
    regimes = load_regimes([FIXTURES / "operator"])
    assert "acme-isac-terms" in regimes
    member = OrgProfile("m", "Member", {"DE"}, {Role.PLATFORM_PARTNER})
    # Thursday 2026-12-24 09:00 Berlin: Christmas (25th, 26th) and the weekend skipped,
    # Mon 28 (1), Tue 29 (2), Wed 30 (3): due Wednesday 2026-12-30 09:00 CET = 08:00Z.
    events = [ev("k", EventType.EXPLOITATION_KNOWN, "2026-12-24T08:00:00Z", org="m")]
    [obligation] = evaluate(
        events, [regimes["acme-isac-terms"]], [member], [], t("2026-12-24T09:00:00Z")
    )
    assert obligation.due == t("2026-12-30T08:00:00Z")
    assert obligation.status is ObligationStatus.PENDING


def test_an_operator_directory_can_replace_a_shipped_regime(tmp_path: Path) -> None:
    data = yaml.safe_load((BUILTIN_DIR / "cn-nvdb-partner-terms.yaml").read_text("utf-8"))
    data["stages"][0]["duration"] = {"hours": 24}
    path = tmp_path / "cn-nvdb-partner-terms.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    regimes = load_regimes([tmp_path])
    assert regimes["cn-nvdb-partner-terms"].stages[0].duration.hours == 24
    assert regimes.origins["cn-nvdb-partner-terms"] == str(path)
