"""Exposure: which components of an inventory the advisories affect.

``engine`` is the pure matching core (no web, no database); the stored inventories,
findings and notifications build on it.
"""
