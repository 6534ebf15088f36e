"""Clearinghouse: coordinated vulnerability disclosure, regulatory clocks and sharing."""

import sys

__version__ = "0.1.0"

# stix2-validator depends on rfc3987-syntax, which jsonschema imports (if present) for its
# "iri" format check: building that grammar costs about 3 s on every start of the CLI and
# of every process. No schema is checked with a format checker here (formats/schemas.py
# says why), so the module is marked absent before jsonschema can import it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
