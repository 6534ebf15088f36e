"""Renditions of one advisory: every (format, key) at most once, failures as values."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from clearinghouse.advisories.models import RenditionFormat
from clearinghouse.advisories.render import CnaIdentity, RenderContext, render_all
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
    assert "2 vulnerabilities (CH-2021-0001, CH-2021-0001-2)" in (cve.error or "")
