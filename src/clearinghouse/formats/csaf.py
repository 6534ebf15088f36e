"""CSAF 2.0: render, import and check advisories (the module the platform calls).

The work lives in four modules kept under the size limit: ``csaf_render`` (model to
CSAF), ``csaf_parse`` (CSAF to model), ``csaf_validate`` (schema and mandatory tests)
and ``csaf_vocab`` (shared names). Import from here.
"""

from __future__ import annotations

from clearinghouse.formats.csaf_parse import (
    DEFAULT_LIMITS,
    CsafLimits,
    parse_csaf,
    parse_csaf_json,
)
from clearinghouse.formats.csaf_render import document_category, model_to_csaf
from clearinghouse.formats.csaf_validate import (
    MANDATORY_TEST_IDS,
    MANDATORY_TESTS,
    CsafFinding,
    check_csaf_mandatory,
    validate_csaf,
    validate_csaf_schema,
)
from clearinghouse.formats.csaf_vocab import (
    EXTRA_FINDINGS,
    CsafCategory,
    CsafError,
    CsafProfile,
    OnFindings,
)

__all__ = [
    "DEFAULT_LIMITS",
    "EXTRA_FINDINGS",
    "MANDATORY_TESTS",
    "MANDATORY_TEST_IDS",
    "CsafCategory",
    "CsafError",
    "CsafFinding",
    "CsafLimits",
    "CsafProfile",
    "OnFindings",
    "check_csaf_mandatory",
    "document_category",
    "model_to_csaf",
    "parse_csaf",
    "parse_csaf_json",
    "validate_csaf",
    "validate_csaf_schema",
]
