"""Clearinghouse: coordinated vulnerability disclosure, regulatory clocks and sharing."""

__version__ = "0.1.0"
