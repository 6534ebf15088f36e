"""Sharing warnings: cn-miit-2021 Art. 9(7), never a block."""

from __future__ import annotations

from clearinghouse.clocks import OrgProfile, Role, sharing_warnings
from tests.unit.clocks.helpers import REGIMES, t

CN_PROVIDER = OrgProfile("cnp", "CN Provider", {"CN"}, {Role.PRODUCT_PROVIDER})
CN_PARTNER = OrgProfile("cnq", "CN Partner", {"CN"}, {Role.PLATFORM_PARTNER})
CN_AND_EU_MAKER = OrgProfile(
    "dual", "Dual", {"CN", "EU"}, {Role.PRODUCT_PROVIDER, Role.MANUFACTURER}
)
ENISA = OrgProfile("enisa", "ENISA", {"EU", "GR"}, set())
DOMESTIC = OrgProfile("cncert", "Domestic CERT", {"CN"}, set())
UNKNOWN = OrgProfile("anon", "Unknown", set(), set())
US_VENDOR = OrgProfile("us", "US Vendor", {"US"}, {Role.PRODUCT_PROVIDER})


def test_unpublished_information_abroad_warns_citing_article_9_7() -> None:
    [warning] = sharing_warnings(CN_PROVIDER, ENISA, False, REGIMES)
    assert warning.regime == "cn-miit-2021"
    assert warning.citation == "cn-miit-2021 Art. 9(7)"
    assert warning.conflicts_with == ()
    assert warning.to_json()["recipient"] == "enisa"


def test_platform_partners_are_bound_too() -> None:
    assert len(sharing_warnings(CN_PARTNER, US_VENDOR, False, REGIMES)) == 1


def test_a_recipient_without_known_jurisdiction_counts_as_abroad() -> None:
    assert len(sharing_warnings(CN_PROVIDER, UNKNOWN, False, REGIMES)) == 1


def test_no_warning_when_published_domestic_exempt_or_not_bound() -> None:
    assert sharing_warnings(CN_PROVIDER, ENISA, True, REGIMES) == []
    assert sharing_warnings(CN_PROVIDER, DOMESTIC, False, REGIMES) == []
    assert (
        sharing_warnings(CN_PROVIDER, US_VENDOR, False, REGIMES, recipient_is_product_provider=True)
        == []
    )
    assert sharing_warnings(US_VENDOR, ENISA, False, REGIMES) == []


def test_conflict_with_the_cra_is_named_when_the_sharer_is_also_bound_by_it() -> None:
    [warning] = sharing_warnings(CN_AND_EU_MAKER, ENISA, False, REGIMES)
    assert warning.conflicts_with == ("eu-cra-art14-vuln",)
    assert "eu-cra-art14-vuln" in warning.message


def test_regime_not_in_force_at_the_instant_gives_no_warning() -> None:
    assert sharing_warnings(CN_PROVIDER, ENISA, False, REGIMES, at=t("2021-08-31T00:00:00Z")) == []
    assert (
        len(sharing_warnings(CN_PROVIDER, ENISA, False, REGIMES, at=t("2021-12-01T00:00:00Z"))) == 1
    )
