"""STIX 2.1 objects as the sharing domain receives them: one check per object, its TLP 2.0
marking, and the timestamps the TAXII server orders and filters by.

Two checks, one verdict. ``stix2-validator`` (the OASIS validator) is the reference, but it
costs about 10 ms an object here (it compiles JSON schemas and runs every best-practice
check), too slow for ingest at thousands of objects a second. So the objects most often
shared (indicators, sightings, vulnerabilities, reports, notes, malware, identities,
relationships) are checked by hand when every property they carry is one this module
knows; anything else (another type, an unknown or custom property, an external reference
with a URL, kill chains, extensions...) goes to the validator itself. The hand-written
check is proved against the validator by a differential test
(``tests/unit/formats/test_stix.py``): on every object it decides, both say the same.
Indicator patterns are parsed with ``stix2-patterns`` (the validator's own parser).

TLP: object-level ``object_marking_refs`` naming a TLP 2.0 marking definition (or a TLP 1.0
one: WHITE reads as CLEAR). Several TLP markings on one object: the most restrictive wins,
never the least. No TLP marking: :attr:`Checked.tlp` is ``None``, which the sharing domain
refuses or replaces by a collection's default on request; never CLEAR.

Limits: a pattern of at most :data:`MAX_PATTERN_CHARS` is parsed, and one the parser cannot
get through (too deeply nested for Python's stack, or a crash) is an invalid object, never
an exception; :data:`MAX_DEPTH` and :data:`MAX_OBJECT_BYTES` are enforced where the store
serialises each object (``sharing/store.py``), so that each fails alone.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from clearinghouse.formats.model import FormatError, Tlp

Json = dict[str, Any]

# TLP 2.0 marking definitions (STANDARDS.md; oasis-open/cti-stix-common-objects).
TLP_MARKING: Final = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_EXTENSION: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
# TLP 1.0 (what the ``stix2`` library ships): read as their TLP 2.0 counterparts.
TLP1_MARKING: Final = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,  # WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}
TLP_OF_MARKING: Final = {ref: tlp for tlp, ref in TLP_MARKING.items()} | TLP1_MARKING
# Least to most restrictive: a marking may move right, never left.
TLP_ORDER: Final = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)
TLP_RANK: Final = {tlp: rank for rank, tlp in enumerate(TLP_ORDER)}

MAX_OBJECT_BYTES: Final = 1024 * 1024  # one object, serialised
MAX_DEPTH: Final = 32  # nesting of one object's objects and arrays, the object being level 1
# An indicator's pattern: stix2-patterns parses ~100 kB a second of operators and recurses
# once per parenthesis or AND/OR term (a RecursionError from ~250 nested parentheses or
# ~1,000 terms); real patterns are far shorter.
MAX_PATTERN_CHARS: Final = 10_000
MAX_LIST_ITEMS: Final = 10_000  # object_refs, labels...
MAX_SIGHTING_COUNT: Final = 999_999_999

# \Z, not $ (which also matches before a final newline); [0-9], not \d (any script's digits)
_TYPE = re.compile(r"-?[a-z0-9]+(-[a-z0-9]+)*-?\Z")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
_ID = re.compile(rf"([a-z][a-z0-9-]+[a-z0-9])--{_UUID}\Z")
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?Z\Z"
)
_MILLIS = re.compile(r"\.[0-9]{3}Z\Z")
_CVE = re.compile(r"CVE-[0-9]{4}-(0[0-9]{3}|[1-9][0-9]{3,})\Z")
_CAPEC = re.compile(r"CAPEC-[0-9]+\Z")


class StixError(FormatError):
    code = "invalid-stix"
    title = "The STIX object is not valid"


def stix_time(moment: datetime) -> str:
    """A STIX timestamp: UTC with milliseconds and a ``Z`` (a four-digit year, which
    strftime's ``%Y`` does not give before year 1000)."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"


def taxii_time(moment: datetime) -> str:
    """A TAXII ``date_added``: UTC with microseconds and a ``Z`` (a four-digit year)."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def parse_timestamp(text: object) -> datetime:
    """A STIX/TAXII timestamp (``YYYY-MM-DDTHH:MM:SS[.s+]Z``) as an aware instant; digits
    beyond microseconds are cut (never rounded up). Raises :class:`StixError`."""
    if isinstance(text, str):
        return _parse_text(text)
    raise StixError(f"{text!r} is not a timestamp")


@functools.lru_cache(maxsize=65_536)
def _parse_text(text: str) -> datetime:
    found = _TIMESTAMP.match(text)
    if found is None:
        raise StixError(f"{text!r} is not a timestamp of the form YYYY-MM-DDTHH:MM:SS[.s+]Z")
    year, month, day, hour, minute, second = (int(g) for g in found.groups()[:6])
    fraction = (found.group(7) or ".")[1:]
    micro = int((fraction + "000000")[:6])
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        raise StixError(f"{text!r} is not a real instant") from None


def tlp_of(markings: object) -> Tlp | None:
    """The TLP an object's ``object_marking_refs`` give it (the most restrictive of them),
    or ``None`` when they name no TLP marking."""
    if not isinstance(markings, list):
        return None
    found = [
        TLP_OF_MARKING[ref] for ref in markings if isinstance(ref, str) and ref in TLP_OF_MARKING
    ]
    return max(found, key=TLP_RANK.__getitem__) if found else None


def is_tlp_definition(obj: Json) -> bool:
    """One of the public TLP marking definitions themselves (readable by anyone)."""
    return obj.get("type") == "marking-definition" and obj.get("id") in TLP_OF_MARKING


@dataclass(frozen=True, slots=True)
class Checked:
    """A valid object and what the server keeps beside it."""

    obj: Json
    type: str
    id: str
    spec_version: str
    created: datetime | None
    # ``created`` when the object has no ``modified``; ``None`` for objects with neither
    # (cyber-observables): the server versions those by their ``date_added``.
    modified: datetime | None
    tlp: Tlp | None
    fast: bool  # decided by the hand-written check (else by stix2-validator)


# ---- the hand-written check ----------------------------------------------------------------

_COMMON: Final = frozenset(
    {
        "type",
        "spec_version",
        "id",
        "created",
        "modified",
        "created_by_ref",
        "revoked",
        "labels",
        "confidence",
        "object_marking_refs",
        "external_references",
    }
)
# Per type: (required properties, optional ones) beyond the common ones.
_KNOWN: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "indicator": (
        frozenset({"pattern", "pattern_type", "valid_from"}),
        frozenset({"name", "description", "indicator_types", "pattern_version", "valid_until"}),
    ),
    "sighting": (
        frozenset({"sighting_of_ref"}),
        frozenset(
            {
                "description",
                "first_seen",
                "last_seen",
                "count",
                "observed_data_refs",
                "where_sighted_refs",
                "summary",
            }
        ),
    ),
    "vulnerability": (frozenset({"name"}), frozenset({"description"})),
    "report": (
        frozenset({"name", "published", "object_refs"}),
        frozenset({"description", "report_types"}),
    ),
    "note": (frozenset({"content", "object_refs"}), frozenset({"abstract", "authors"})),
    "malware": (frozenset({"is_family"}), frozenset({"name", "description", "malware_types"})),
    "identity": (
        frozenset({"name"}),
        frozenset({"description", "identity_class", "contact_information"}),
    ),
    "relationship": (
        frozenset({"relationship_type", "source_ref", "target_ref"}),
        frozenset({"description", "start_time", "stop_time"}),
    ),
}
_STRINGS: Final = frozenset(
    {
        "name",
        "description",
        "pattern",
        "pattern_type",
        "pattern_version",
        "content",
        "abstract",
        "identity_class",
        "contact_information",
        "relationship_type",
    }
)
_STRING_LISTS: Final = frozenset(
    {"labels", "indicator_types", "report_types", "authors", "malware_types"}
)
_REF_LISTS: Final = frozenset(
    {"object_marking_refs", "object_refs", "observed_data_refs", "where_sighted_refs"}
)
_REFS: Final = frozenset({"created_by_ref", "sighting_of_ref", "source_ref", "target_ref"})
_TIMES: Final = frozenset(
    {"valid_from", "valid_until", "first_seen", "last_seen", "published", "start_time", "stop_time"}
)
_NON_EMPTY_LISTS: Final = frozenset({"object_refs"})


class _Unknown(Exception):
    """The hand-written check does not decide this object: ask the validator."""


def _fail(obj_id: object, message: str) -> StixError:
    return StixError(f"{obj_id}: {message}")


def _ref(value: object, where: str, obj_id: object) -> None:
    if not isinstance(value, str) or _ID.match(value) is None:
        raise _fail(obj_id, f"{where}: {value!r} is not an identifier ([type]--[UUID])")


def _millis(value: object, where: str, obj_id: object) -> datetime:
    moment = _time(value, where, obj_id)
    if not isinstance(value, str) or _MILLIS.search(value) is None:
        raise _fail(obj_id, f"{where}: {value!r} must be precise to the millisecond (.sssZ)")
    return moment


def _time(value: object, where: str, obj_id: object) -> datetime:
    try:
        return parse_timestamp(value)
    except StixError as exc:
        raise _fail(obj_id, f"{where}: {exc.detail}") from None


def _external_reference(ref: object, obj_id: object) -> None:
    if not isinstance(ref, dict) or set(ref) - {"source_name", "external_id", "description"}:
        raise _Unknown  # URLs, hashes: the validator checks those
    source, external = ref.get("source_name"), ref.get("external_id")
    if not isinstance(source, str):
        raise _Unknown
    for key in ("external_id", "description"):
        if key in ref and not isinstance(ref[key], str):
            raise _Unknown
    if "external_id" not in ref and "description" not in ref:
        raise _Unknown
    for name, pattern in (("cve", _CVE), ("capec", _CAPEC)):
        if source == name and (not isinstance(external, str) or pattern.match(external) is None):
            raise _fail(obj_id, f"external reference {ref!r}: not a valid {name.upper()} id")
    listed = isinstance(external, str) and (_CVE.match(external) or _CAPEC.match(external))
    if source not in ("cve", "capec") and listed:
        raise _Unknown  # the validator has opinions on these


# The commonest indicator: one equality on one property, a string literal
# (``[ipv4-addr:value = '10.0.0.1']``). Every pattern of this shape parses (a property
# test holds it to stix2-patterns); parsing one with the ANTLR grammar costs ~1 ms.
SIMPLE_PATTERN: Final = re.compile(
    r"\[[a-z][a-z0-9-]*:[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)* = '(?:[^'\\]|\\['\\])*'\]\Z"
)


def pattern_problem(pattern: str) -> str | None:
    """Why a STIX 2.1 pattern does not parse (``None`` when it does)."""
    if SIMPLE_PATTERN.match(pattern) is not None:
        return None
    return parsed_pattern_problem(pattern)


_TOO_DEEP: Final = (
    "nested too deeply to check (parentheses, or a chain of AND/OR terms); split it into "
    "several indicators"
)


@functools.lru_cache(maxsize=65_536)
def parsed_pattern_problem(pattern: str) -> str | None:
    """What stix2-patterns says of a pattern (cached); a pattern it cannot get through
    (nested too deeply for Python's stack, or a crash of the parser) is a problem too."""
    from stix2patterns.validator import run_validator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            errors = run_validator(pattern, stix_version="2.1")
        except RecursionError:
            return _TOO_DEEP
        except Exception as exc:  # noqa: BLE001 (the ANTLR parser raises bare errors on junk)
            return f"the pattern parser failed on it ({type(exc).__name__})"
    return errors[0] if errors else None


def _value(key: str, value: object, obj_id: object) -> None:
    if key in _STRINGS:
        if not isinstance(value, str):
            raise _fail(obj_id, f"{key}: {value!r} is not a string")
    elif key in _STRING_LISTS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _fail(obj_id, f"{key}: {value!r} is not a list of strings")
        if not value or len(value) > MAX_LIST_ITEMS:
            raise _Unknown
    elif key in _REF_LISTS:
        if not isinstance(value, list):
            raise _fail(obj_id, f"{key}: {value!r} is not a list")
        if not value or len(value) > MAX_LIST_ITEMS:
            raise _Unknown
        for i, item in enumerate(value):
            _ref(item, f"{key}[{i}]", obj_id)
    elif key in _REFS:
        _ref(value, key, obj_id)
    elif key in _TIMES:
        _time(value, key, obj_id)
    elif key in ("revoked", "is_family", "summary"):
        if not isinstance(value, bool):
            raise _fail(obj_id, f"{key}: {value!r} is not a boolean")
    elif key in ("confidence", "count"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(obj_id, f"{key}: {value!r} is not an integer")
        top = 100 if key == "confidence" else MAX_SIGHTING_COUNT
        if not 0 <= value <= top:
            raise _fail(obj_id, f"{key}: {value} is not between 0 and {top}")
    elif key == "external_references":
        if not isinstance(value, list) or not value:
            raise _Unknown
        for ref in value:
            _external_reference(ref, obj_id)


def _order(obj: Json, earlier: str, later: str, *, strict: bool) -> None:
    if earlier in obj and later in obj:
        a, b = parse_timestamp(obj[earlier]), parse_timestamp(obj[later])
        if b < a or (strict and b == a):
            word = "later than" if strict else "later than or equal to"
            raise _fail(obj.get("id"), f"{later!r} must be {word} {earlier!r}")


def _fast(obj: Json) -> None:
    """Raise StixError (invalid), _Unknown (not decided here), or return (valid)."""
    kind = obj.get("type")
    known = _KNOWN.get(kind) if isinstance(kind, str) else None
    if known is None or obj.get("spec_version") != "2.1":
        raise _Unknown
    required, optional = known
    obj_id = obj.get("id")
    keys = set(obj)
    if keys - _COMMON - required - optional:
        raise _Unknown  # custom or rarer properties
    missing = ({"spec_version", "id", "created", "modified"} | required) - keys
    if missing:
        raise _fail(obj_id, f"{sorted(missing)[0]!r} is a required property")
    if not isinstance(obj_id, str) or _ID.match(obj_id) is None:
        raise _fail(obj_id, f"id: {obj_id!r} does not match the id format ([type]--[UUID])")
    if not obj_id.startswith(f"{kind}--"):
        raise _fail(obj_id, f"id: {obj_id!r} does not start with '{kind}--'")
    created = _millis(obj["created"], "created", obj_id)
    modified = _millis(obj["modified"], "modified", obj_id)
    if modified < created:
        raise _fail(obj_id, "'modified' must be later than or equal to 'created'")
    for key, value in obj.items():
        _value(key, value, obj_id)
    _order(obj, "valid_from", "valid_until", strict=True)
    _order(obj, "first_seen", "last_seen", strict=False)
    _order(obj, "start_time", "stop_time", strict=True)
    if kind == "malware" and obj.get("is_family") and "name" not in obj:
        raise _fail(obj_id, "'name' is required when 'is_family' is true")
    if kind == "indicator" and obj["pattern_type"] == "stix":
        if "pattern_version" in obj:
            raise _Unknown
        problem = pattern_problem(obj["pattern"])
        if problem is not None:
            raise _fail(obj_id, f"Pattern failed to validate: {problem}")
    if kind == "sighting" and "count" in obj and obj["count"] == 0:
        raise _Unknown  # a zero count is a best-practice matter the validator decides


def _ids_and_times(obj: Json) -> None:
    """What stix2-validator lets through (its patterns end in ``$``, which also matches
    before a final newline): the id and every reference (``*_ref``, ``*_refs``) are
    identifiers, the timestamps this module knows are timestamps."""
    obj_id = obj.get("id")
    _ref(obj_id, "id", obj_id)
    for key, value in obj.items():
        if key.endswith("_ref"):
            _ref(value, key, obj_id)
        elif key.endswith("_refs") and isinstance(value, list):
            for i, item in enumerate(value):
                _ref(item, f"{key}[{i}]", obj_id)
        elif key in _TIMES:
            _time(value, key, obj_id)


def validator_problems(obj: Json) -> list[str]:
    """The errors ``stix2-validator`` finds in one object (its warnings are advice)."""
    from stix2validator import ValidationOptions, validate_instance

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = validate_instance(obj, ValidationOptions(version="2.1"))
        except RecursionError:
            return [f"{obj.get('id')}: {_TOO_DEEP}"]
        except Exception as exc:  # noqa: BLE001 (the validator raises bare errors on junk)
            return [f"{obj.get('id')}: {exc}"]
    return [str(error) for error in result.errors]


def check_fast(obj: Json) -> bool | None:
    """The hand-written verdict alone (``None``: it does not decide this object). For the
    differential test; :func:`check` is what the server calls."""
    try:
        _fast(obj)
    except StixError:
        return False
    except _Unknown:
        return None
    return True


def check(obj: object) -> Checked:
    """Check one STIX 2.1 object; raise :class:`StixError` saying what is wrong."""
    if not isinstance(obj, dict):
        raise StixError("a STIX object is a JSON object")
    pattern = obj.get("pattern") if obj.get("type") == "indicator" else None
    if isinstance(pattern, str) and len(pattern) > MAX_PATTERN_CHARS:
        raise _fail(
            obj.get("id"),
            f"a pattern of {len(pattern):,} characters; at most {MAX_PATTERN_CHARS:,} are "
            "checked: split it into several indicators",
        )
    try:
        _fast(obj)
        fast = True
    except _Unknown:
        problems = validator_problems(obj)
        if problems:
            raise StixError(problems[0][:500]) from None
        fast = False
    kind, obj_id = obj.get("type"), obj.get("id")
    if not isinstance(kind, str) or not isinstance(obj_id, str):
        raise StixError("a STIX object needs a type and an id")
    if not fast:
        _ids_and_times(obj)
    created = parse_timestamp(obj["created"]) if "created" in obj else None
    stamp = obj.get("modified", obj.get("created"))
    modified = parse_timestamp(stamp) if stamp is not None else None
    tlp = Tlp.CLEAR if is_tlp_definition(obj) else tlp_of(obj.get("object_marking_refs"))
    return Checked(
        obj=obj,
        type=kind,
        id=obj_id,
        spec_version=str(obj.get("spec_version", "2.1")),
        created=created,
        modified=modified,
        tlp=tlp,
        fast=fast,
    )


def with_marking(obj: Json, tlp: Tlp) -> Json:
    """``obj`` with the TLP marking added (a collection's default, applied on request)."""
    refs = [r for r in obj.get("object_marking_refs", []) if r not in TLP_OF_MARKING]
    return {**obj, "object_marking_refs": [*refs, TLP_MARKING[tlp]]}
