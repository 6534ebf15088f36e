"""Sharing with machine consumers: the OSV API (and, from other work, TAXII 2.1 and feeds)."""
