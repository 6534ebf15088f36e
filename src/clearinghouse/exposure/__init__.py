"""Exposure: members' inventories (SBOMs) matched against advisories, findings, who a
case affects. ``engine`` is the pure in-memory matcher (``clearinghouse match``); the
platform's part is described in ``docs/exposure.md``.
"""
