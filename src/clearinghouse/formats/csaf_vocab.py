"""Shared vocabulary of the CSAF 2.0 renderer, parser and checks.

Kept apart from the three so that each can import it without importing the others; the
public entry point is :mod:`clearinghouse.formats.csaf`.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import unquote

from clearinghouse.formats.model import (
    EventKind,
    FormatError,
    Package,
    RangeEvent,
    ReferenceKind,
    Tlp,
)


@dataclass(frozen=True, slots=True)
class CsafFinding:
    """One failed check: which test (``schema`` or a section number), where, and why."""

    test: str
    path: str  # JSON pointer into the document
    message: str


class CsafError(FormatError):
    """A CSAF document cannot be read, or an advisory cannot be written as CSAF."""

    code = "invalid-csaf"
    title = "The CSAF document is not valid"


class CsafProfile(enum.StrEnum):
    """The two CSAF 2.0 profiles (``document.category``) Clearinghouse publishes."""

    SECURITY_ADVISORY = "csaf_security_advisory"
    VEX = "csaf_vex"


class CsafCategory(enum.StrEnum):
    """The profiles of CSAF 2.0 section 4, by their ``document.category`` value. Any other
    category (a publisher's own, such as "Cisco Security Advisory") follows csaf_base."""

    BASE = "csaf_base"
    SECURITY_INCIDENT_RESPONSE = "csaf_security_incident_response"
    INFORMATIONAL_ADVISORY = "csaf_informational_advisory"
    SECURITY_ADVISORY = "csaf_security_advisory"
    VEX = "csaf_vex"

    @staticmethod
    def of(category: str) -> CsafCategory:
        """The profile whose rules a document category follows."""
        try:
            return CsafCategory(category)
        except ValueError:
            return CsafCategory.BASE

    @property
    def needs_products(self) -> bool:
        """Do this profile's vulnerabilities need product statuses (6.1.27.6/7, 11)?"""
        return self in (CsafCategory.SECURITY_ADVISORY, CsafCategory.VEX)


_PROFILE_WORDS = frozenset(
    c.value.removeprefix("csaf_").replace("_", "")
    for c in CsafCategory
    if c is not CsafCategory.BASE
)


def prohibited_category(category: str) -> str | None:
    """Why a document category is prohibited (test 6.1.26), or None when it is allowed:
    other categories may not use the reserved prefix or spell a profile's name."""
    if category in CsafCategory.__members__.values():
        return None
    if category.lower().startswith("csaf_"):
        return f"category {category!r} uses the reserved prefix csaf_"
    if re.sub(r"[_\-\s]+", "", category).lower() in _PROFILE_WORDS:
        return f"category {category!r} is a profile's name written differently"
    return None


class OnFindings(enum.StrEnum):
    """What an import does with a document that fails a mandatory test (section 6.1)."""

    REFUSE = "refuse"  # a CsafError naming the tests that failed (the default)
    RECORD = "record"  # imported; the findings are kept in Advisory.extra["csaf_findings"]


class ProductStatusKey(enum.StrEnum):
    """The keys of a CSAF ``product_status`` object."""

    FIRST_AFFECTED = "first_affected"
    FIRST_FIXED = "first_fixed"
    FIXED = "fixed"
    KNOWN_AFFECTED = "known_affected"
    KNOWN_NOT_AFFECTED = "known_not_affected"
    LAST_AFFECTED = "last_affected"
    RECOMMENDED = "recommended"
    UNDER_INVESTIGATION = "under_investigation"


CSAF_VERSION = "2.0"
TLP_URL = "https://www.first.org/tlp/"
GENERATOR_NAME = "Clearinghouse"

# CSAF 2.0 only knows the TLP 1.0 labels. CLEAR is TLP 1.0's WHITE; AMBER+STRICT has no
# TLP 1.0 counterpart, so it travels as AMBER with the stricter rule spelled out in
# distribution.text (which the parser reads back).
TLP_TO_CSAF: dict[Tlp, str] = {
    Tlp.CLEAR: "WHITE",
    Tlp.GREEN: "GREEN",
    Tlp.AMBER: "AMBER",
    Tlp.AMBER_STRICT: "AMBER",
    Tlp.RED: "RED",
}
CSAF_TO_TLP: dict[str, Tlp] = {
    "WHITE": Tlp.CLEAR,
    "GREEN": Tlp.GREEN,
    "AMBER": Tlp.AMBER,
    "RED": Tlp.RED,
}
AMBER_STRICT_MARK = "TLP:AMBER+STRICT"
TLP_TEXT: dict[Tlp, str] = {
    Tlp.CLEAR: "TLP:CLEAR (TLP 2.0): no restriction on disclosure. "
    "CSAF 2.0 carries TLP 1.0 labels, so the label reads WHITE.",
    Tlp.AMBER_STRICT: f"{AMBER_STRICT_MARK} (TLP 2.0): recipients may share this only within "
    "their own organisation, not with its clients. CSAF 2.0 carries TLP 1.0 labels, so the "
    "label reads AMBER; the stricter TLP 2.0 rule above applies.",
}

# OSV ecosystem <-> purl type; the purl type also names the vers versioning scheme.
ECOSYSTEM_TO_PURL_TYPE: dict[str, str] = {
    "Maven": "maven",
    "PyPI": "pypi",
    "npm": "npm",
    "crates.io": "cargo",
    "Go": "golang",
    "NuGet": "nuget",
    "RubyGems": "gem",
    "Packagist": "composer",
    "Hex": "hex",
    "Pub": "pub",
    "Debian": "deb",
    "Alpine": "apk",
    "Hackage": "hackage",
    "SwiftURL": "swift",
    "GitHub Actions": "github",
    "CRAN": "cran",
    "conan": "conan",
}
PURL_TYPE_TO_ECOSYSTEM: dict[str, str] = {v: k for k, v in ECOSYSTEM_TO_PURL_TYPE.items()}

# The ecosystem given to products that carry no usable package URL.
CSAF_ECOSYSTEM = "csaf"

# The vers scheme for ranges of ecosystems vers does not name (and for imported
# products without a package URL).
GENERIC_VERS_SCHEME = "generic"

REFERENCE_SUMMARY: dict[ReferenceKind, str] = {
    ReferenceKind.ADVISORY: "Advisory",
    ReferenceKind.ARTICLE: "Article",
    ReferenceKind.DETECTION: "Detection",
    ReferenceKind.DISCUSSION: "Discussion",
    ReferenceKind.REPORT: "Report",
    ReferenceKind.FIX: "Fix",
    ReferenceKind.INTRODUCED: "Change that introduced the vulnerability",
    ReferenceKind.PACKAGE: "Package",
    ReferenceKind.EVIDENCE: "Evidence",
    ReferenceKind.WEB: "Web page",
}
SUMMARY_REFERENCE: dict[str, ReferenceKind] = {v: k for k, v in REFERENCE_SUMMARY.items()}

CREDIT_KINDS = frozenset(
    {
        "FINDER",
        "REPORTER",
        "ANALYST",
        "COORDINATOR",
        "REMEDIATION_DEVELOPER",
        "REMEDIATION_REVIEWER",
        "REMEDIATION_VERIFIER",
        "TOOL",
        "SPONSOR",
        "OTHER",
    }
)

NOTE_TITLE_SUMMARY = "Summary"
NOTE_TITLE_DETAILS = "Details"
NOTE_TITLE_CWES = "Weaknesses (CWE)"
NOTE_NO_DESCRIPTION = "No description was provided for this vulnerability."
NOT_AFFECTED_WITHOUT_REASON = (
    "Listed as not affected by the source document, which gives no justification."
)
NO_FIX_TEXT = "No fix is available yet."

# CSAF 2.0 mandatory test 6.1.11 requires cwe.name to be MITRE's name for cwe.id. The
# model keeps only ids, so the names of commonly reported weaknesses (from the CWE list,
# as published by MITRE) live here; a parsed document's own names are kept in
# Advisory.extra. A weakness with no known name is listed in a note instead.
CWE_NAMES: dict[str, str] = {
    "CWE-20": "Improper Input Validation",
    "CWE-22": "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
    "CWE-74": "Improper Neutralization of Special Elements in Output Used by a Downstream "
    "Component ('Injection')",
    "CWE-77": "Improper Neutralization of Special Elements used in a Command ('Command Injection')",
    "CWE-78": "Improper Neutralization of Special Elements used in an OS Command "
    "('OS Command Injection')",
    "CWE-79": "Improper Neutralization of Input During Web Page Generation "
    "('Cross-site Scripting')",
    "CWE-88": "Improper Neutralization of Argument Delimiters in a Command ('Argument Injection')",
    "CWE-89": "Improper Neutralization of Special Elements used in an SQL Command "
    "('SQL Injection')",
    "CWE-94": "Improper Control of Generation of Code ('Code Injection')",
    "CWE-113": "Improper Neutralization of CRLF Sequences in HTTP Headers "
    "('HTTP Request/Response Splitting')",
    "CWE-116": "Improper Encoding or Escaping of Output",
    "CWE-119": "Improper Restriction of Operations within the Bounds of a Memory Buffer",
    "CWE-120": "Buffer Copy without Checking Size of Input ('Classic Buffer Overflow')",
    "CWE-125": "Out-of-bounds Read",
    "CWE-190": "Integer Overflow or Wraparound",
    "CWE-200": "Exposure of Sensitive Information to an Unauthorized Actor",
    "CWE-203": "Observable Discrepancy",
    "CWE-208": "Observable Timing Discrepancy",
    "CWE-209": "Generation of Error Message Containing Sensitive Information",
    "CWE-269": "Improper Privilege Management",
    "CWE-276": "Incorrect Default Permissions",
    "CWE-284": "Improper Access Control",
    "CWE-287": "Improper Authentication",
    "CWE-295": "Improper Certificate Validation",
    "CWE-306": "Missing Authentication for Critical Function",
    "CWE-307": "Improper Restriction of Excessive Authentication Attempts",
    "CWE-319": "Cleartext Transmission of Sensitive Information",
    "CWE-326": "Inadequate Encryption Strength",
    "CWE-327": "Use of a Broken or Risky Cryptographic Algorithm",
    "CWE-330": "Use of Insufficiently Random Values",
    "CWE-345": "Insufficient Verification of Data Authenticity",
    "CWE-347": "Improper Verification of Cryptographic Signature",
    "CWE-352": "Cross-Site Request Forgery (CSRF)",
    "CWE-354": "Improper Validation of Integrity Check Value",
    "CWE-362": "Concurrent Execution using Shared Resource with Improper Synchronization "
    "('Race Condition')",
    "CWE-384": "Session Fixation",
    "CWE-400": "Uncontrolled Resource Consumption",
    "CWE-401": "Missing Release of Memory after Effective Lifetime",
    "CWE-416": "Use After Free",
    "CWE-434": "Unrestricted Upload of File with Dangerous Type",
    "CWE-444": "Inconsistent Interpretation of HTTP Requests ('HTTP Request/Response Smuggling')",
    "CWE-476": "NULL Pointer Dereference",
    "CWE-502": "Deserialization of Untrusted Data",
    "CWE-532": "Insertion of Sensitive Information into Log File",
    "CWE-601": "URL Redirection to Untrusted Site ('Open Redirect')",
    "CWE-611": "Improper Restriction of XML External Entity Reference",
    "CWE-639": "Authorization Bypass Through User-Controlled Key",
    "CWE-674": "Uncontrolled Recursion",
    "CWE-682": "Incorrect Calculation",
    "CWE-697": "Incorrect Comparison",
    "CWE-732": "Incorrect Permission Assignment for Critical Resource",
    "CWE-754": "Improper Check for Unusual or Exceptional Conditions",
    "CWE-755": "Improper Handling of Exceptional Conditions",
    "CWE-770": "Allocation of Resources Without Limits or Throttling",
    "CWE-787": "Out-of-bounds Write",
    "CWE-798": "Use of Hard-coded Credentials",
    "CWE-835": "Loop with Unreachable Exit Condition ('Infinite Loop')",
    "CWE-843": "Access of Resource Using Incompatible Type ('Type Confusion')",
    "CWE-862": "Missing Authorization",
    "CWE-863": "Incorrect Authorization",
    "CWE-909": "Missing Initialization of Resource",
    "CWE-917": "Improper Neutralization of Special Elements used in an Expression Language "
    "Statement ('Expression Language Injection')",
    "CWE-918": "Server-Side Request Forgery (SSRF)",
    "CWE-1188": "Initialization of a Resource with an Insecure Default",
    "CWE-1321": "Improperly Controlled Modification of Object Prototype Attributes "
    "('Prototype Pollution')",
    "CWE-1333": "Inefficient Regular Expression Complexity",
}

# Keys of Advisory.extra this module reads and writes.
EXTRA_CWE_NAMES = "csaf_cwe_names"
EXTRA_DOCUMENT_NOTES = "csaf_document_notes"
EXTRA_TLP_MISSING = "csaf_tlp_missing"
EXTRA_CATEGORY = "csaf_category"  # an imported document's own category, to render it back
EXTRA_SOURCE_LANG = "csaf_source_lang"  # a translation's source language
EXTRA_FINDINGS = "csaf_findings"  # mandatory-test findings of a document imported anyway


def digits_key(digits: str) -> tuple[int, str]:
    """ASCII digits ordered as the number they write, of any length: by how many
    significant digits, then digit by digit. Never ``int()``, which refuses more than 4,300
    digits. (:func:`clearinghouse.versions.numbers.number_key` does this for the version
    orderings; ``formats`` sits below ``versions`` and cannot import it.)"""
    significant = digits.lstrip("0")
    return len(significant), significant


def vers_scheme(package: Package) -> str:
    """The vers versioning scheme for a package's ranges: its purl type, else generic."""
    return ECOSYSTEM_TO_PURL_TYPE.get(package.ecosystem, GENERIC_VERS_SCHEME)


def fix_text(package: Package, version: str) -> str:
    """The vendor_fix text the renderer writes for one fixed version (the parser
    recognises it, so that a re-import does not turn it into a free remediation)."""
    return f"Update {package.name} to version {version} or later."


def product_id(*parts: str) -> str:
    """A stable product id: the same product gets the same id in every rendition."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"CSAFPID-{digest}"


def vers_to_range(vers: str) -> tuple[tuple[RangeEvent, ...], tuple[str, ...]] | None:
    """Read a ``vers:`` range as OSV events plus exact versions; None if it cannot be.

    Understood: ``*``, ``>=`` (introduced), ``<`` (fixed), ``<=`` (last_affected), ``=``
    or a bare version (an exact version). ``>``, ``!=`` and constraints out of the
    lower/upper order have no OSV event and make the whole range unreadable.
    """
    if not vers.startswith("vers:") or "/" not in vers:
        return None
    constraints = vers.split("/", 1)[1].strip()
    if not constraints:
        return None
    if constraints == "*":
        return (RangeEvent(EventKind.INTRODUCED, "0"),), ()
    events: list[RangeEvent] = []
    exact: list[str] = []
    is_open = False
    for raw in constraints.split("|"):
        item = raw.strip()
        op = next((o for o in (">=", "<=", "!=", "<", ">", "=") if item.startswith(o)), "")
        value = unquote(item[len(op) :].strip())
        if not value:
            return None
        if op in (">", "!="):
            return None
        if op in ("", "="):
            if is_open:
                return None
            exact.append(value)
        elif op == ">=":
            if is_open:
                return None
            events.append(RangeEvent(EventKind.INTRODUCED, value))
            is_open = True
        else:
            if not is_open:
                events.append(RangeEvent(EventKind.INTRODUCED, "0"))
            kind = EventKind.FIXED if op == "<" else EventKind.LAST_AFFECTED
            events.append(RangeEvent(kind, value))
            is_open = False
    return tuple(events), tuple(exact)
