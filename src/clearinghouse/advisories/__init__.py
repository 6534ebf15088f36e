"""Advisories: drafting from cases, revisions, scheduled publication in every format
(CSAF 2.0, CSAF VEX, OSV, CVE 5.x, CycloneDX VEX), imports from other sources, feeds."""
