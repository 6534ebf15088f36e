"""Renditions of one advisory: every (format, key) at most once, failures as values."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from clearinghouse.advisories.models import RenditionFormat, RenditionStatus
from clearinghouse.advisories.render import (
    CnaIdentity,
    RenderContext,
    render,
    render_all,
    render_osv,
)
from clearinghouse.formats.csaf_vocab import EXTRA_CATEGORY
from clearinghouse.formats.model import Affected, Package
from tests.unit.formats.csaf_cases import log4shell

CONTEXT = RenderContext(CnaIdentity.for_platform("https://clearinghouse.example", "Clearinghouse"))


def test_two_vulnerabilities_with_one_cve_give_one_failed_cve_record() -> None:
    """Stored renditions are unique per (format, key): two CVE records under one key would
    break publication with an IntegrityError instead of stating the problem."""
    advisory = log4shell()
    first = advisory.vulnerabilities[0]
    twin = replace(first, id="CH-2021-0001-2")
    rendered = render_all(replace(advisory, vulnerabilities=(first, twin)), CONTEXT)
    keys = Counter((r.format, r.key) for r in rendered)
    assert max(keys.values()) == 1
    [cve] = [r for r in rendered if r.format is RenditionFormat.CVE5]
    assert cve.key == "CVE-2021-44228"
    assert not cve.ok
    assert "2 vulnerabilities (CH-2021-0001, CH-2021-0001-2)" in (cve.detail or "")


def test_an_advisory_without_vulnerabilities_states_what_does_not_apply() -> None:
    """Issue #9, item 13: OSV, CVE 5.x, CSAF VEX and CycloneDX VEX cannot exist for an
    informational document; that is stated, not reported as a failure."""
    advisory = replace(log4shell(), vulnerabilities=())
    rendered = render_all(advisory, CONTEXT)
    by_format = {r.format: r for r in rendered}
    assert len(by_format) == len(rendered)
    for fmt in (
        RenditionFormat.CSAF,  # a security advisory needs a vulnerability
        RenditionFormat.OSV,
        RenditionFormat.CVE5,
        RenditionFormat.CSAF_VEX,
        RenditionFormat.CYCLONEDX_VEX,
    ):
        assert by_format[fmt].status is RenditionStatus.NOT_APPLICABLE, fmt
        assert "no vulnerability" in (by_format[fmt].detail or "")
    # Imported from a csaf_base document, the csaf rendition is that document again.
    imported = replace(advisory, extra={EXTRA_CATEGORY: "csaf_base"})
    [csaf_base] = render(imported, RenditionFormat.CSAF, CONTEXT)
    assert csaf_base.status is RenditionStatus.RENDERED
    assert (csaf_base.content or {})["document"]["category"] == "csaf_base"


def test_products_without_an_osv_ecosystem_have_no_osv_record() -> None:
    """Issue #9, item 16: CSAF products without a package URL became packages of the
    synthetic ``csaf`` ecosystem, which failed the OSV schema."""
    advisory = log4shell()
    vuln = advisory.vulnerabilities[0]
    appliance = Affected(Package("csaf", "Example Appliance 3.1"))
    only_csaf = replace(vuln, id="CH-2021-0001-2", cve=None, aliases=(), affected=(appliance,))
    mixed = replace(vuln, affected=(*vuln.affected, appliance))
    rendered = render_osv(replace(advisory, vulnerabilities=(mixed, only_csaf)))
    by_key = {r.key: r for r in rendered}
    assert by_key["x_CH-2021-0001"].status is RenditionStatus.RENDERED
    content = by_key["x_CH-2021-0001"].content or {}
    assert [a["package"]["ecosystem"] for a in content["affected"]] == ["Maven"]
    assert by_key["x_CH-2021-0001-2"].status is RenditionStatus.NOT_APPLICABLE
    assert "OSV ecosystem" in (by_key["x_CH-2021-0001-2"].detail or "")
