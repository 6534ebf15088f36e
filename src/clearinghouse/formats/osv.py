"""OSV 1.7 records: faithful types, parsing, dumping, loading, schema validation, conversions.

Faithful means ``dump_osv(parse_osv(x)) == x`` for every real record: timestamps keep their
original text (precision varies between databases), an empty list stays distinguishable
from an absent one (``()`` versus ``None``), and ``database_specific``,
``ecosystem_specific`` and fields this version does not know are carried as read-only JSON
(``extra``). The one normalisation is that an explicit JSON ``null`` reads as "absent", as
the schema permits for the nullable lists.

Parsing checks what the OSV specification requires of a record's meaning (an ``id``, an
RFC 3339 ``modified``, known enum values, range events with one ``introduced`` and never
both ``fixed`` and ``last_affected``, GIT ranges with a ``repo``) and the bounds of
:class:`OsvLimits` (counts, and versions of at most 200 characters), and raises one
:class:`OsvError` whose ``path`` names the offending field. The JSON schema
(:func:`validate_osv_schema`) additionally checks registered id prefixes, ecosystem names,
CVSS vector patterns and full-length commit hashes.

Withdrawn records parse normally; :attr:`OsvRecord.is_withdrawn` flags them so matchers
skip them (the OSV evaluation rules do).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, TypeVar

import orjson

from clearinghouse.formats import cvss
from clearinghouse.formats.model import (
    Advisory,
    Affected,
    Credit,
    EventKind,
    FormatError,
    Package,
    Publisher,
    RangeEvent,
    RangeType,
    Reference,
    ReferenceKind,
    Severity,
    Tlp,
    VersionRange,
    Vulnerability,
)
from clearinghouse.formats.schemas import (
    EMPTY_OBJECT,
    BundledSchema,
    DocumentLimits,
    JsonObject,
    JsonValue,
    SchemaViolation,
    describe_json,
    freeze_json_object,
    json_path,
    load_document,
    load_schema,
    require_valid,
    schema_violations,
    thaw_json,
)
from clearinghouse.timeutil import ensure_utc, format_instant

SCHEMA_VERSION: Final = "1.7.0"  # written by model_to_osv; the bundled schema's version
CLEARINGHOUSE_KEY: Final = "clearinghouse"  # our entry in a record's database_specific


class OsvError(FormatError):
    """An OSV record is malformed; ``path`` (also in ``extensions``) names the bad field."""

    code = "invalid-osv-record"
    title = "The OSV record is not valid"

    def __init__(self, detail: str, *, path: str = "$", **extensions: Any) -> None:
        super().__init__(detail if path == "$" else f"{path}: {detail}", path=path, **extensions)
        self.path = path
        self.reason = detail  # the message without the path

    def at(self, path: str) -> OsvError:
        """The same complaint, located at ``path`` (for errors raised by constructors)."""
        return OsvError(self.reason, path=path)


# --- types ------------------------------------------------------------------------------

_NO_EXTRA: Final[JsonObject] = EMPTY_OBJECT


def _no_extra() -> JsonObject:
    return EMPTY_OBJECT


class SeverityType(enum.StrEnum):
    CVSS_V2 = "CVSS_V2"
    CVSS_V3 = "CVSS_V3"
    CVSS_V4 = "CVSS_V4"
    UBUNTU = "Ubuntu"


class ReferenceType(enum.StrEnum):
    ADVISORY = "ADVISORY"
    ARTICLE = "ARTICLE"
    DETECTION = "DETECTION"
    DISCUSSION = "DISCUSSION"
    REPORT = "REPORT"
    FIX = "FIX"
    INTRODUCED = "INTRODUCED"
    GIT = "GIT"
    PACKAGE = "PACKAGE"
    EVIDENCE = "EVIDENCE"
    WEB = "WEB"


class CreditType(enum.StrEnum):
    FINDER = "FINDER"
    REPORTER = "REPORTER"
    ANALYST = "ANALYST"
    COORDINATOR = "COORDINATOR"
    REMEDIATION_DEVELOPER = "REMEDIATION_DEVELOPER"
    REMEDIATION_REVIEWER = "REMEDIATION_REVIEWER"
    REMEDIATION_VERIFIER = "REMEDIATION_VERIFIER"
    TOOL = "TOOL"
    SPONSOR = "SPONSOR"
    OTHER = "OTHER"


@dataclass(frozen=True, slots=True)
class OsvSeverity:
    type: SeverityType
    score: str  # a CVSS vector, or an Ubuntu priority word
    extra: JsonObject = field(default_factory=_no_extra, hash=False)


@dataclass(frozen=True, slots=True)
class OsvEvent:
    kind: EventKind
    value: str
    extra: JsonObject = field(default_factory=_no_extra, hash=False)

    def __post_init__(self) -> None:
        if not self.value:
            raise OsvError(f"a {self.kind.value!r} event needs a non-empty version")


@dataclass(frozen=True, slots=True)
class OsvRange:
    type: RangeType
    events: tuple[OsvEvent, ...]
    repo: str | None = None
    database_specific: JsonObject | None = field(default=None, hash=False)
    extra: JsonObject = field(default_factory=_no_extra, hash=False)

    def __post_init__(self) -> None:
        problem = _range_problem(self.type, self.events, self.repo)
        if problem:
            raise OsvError(problem)


@dataclass(frozen=True, slots=True)
class OsvPackage:
    ecosystem: str  # "PyPI", "Maven", "Debian:12" ...
    name: str
    purl: str | None = None
    extra: JsonObject = field(default_factory=_no_extra, hash=False)


@dataclass(frozen=True, slots=True)
class OsvAffected:
    package: OsvPackage | None = None
    severity: tuple[OsvSeverity, ...] | None = None
    ranges: tuple[OsvRange, ...] | None = None
    versions: tuple[str, ...] | None = None
    ecosystem_specific: JsonObject | None = field(default=None, hash=False)
    database_specific: JsonObject | None = field(default=None, hash=False)
    extra: JsonObject = field(default_factory=_no_extra, hash=False)


@dataclass(frozen=True, slots=True)
class OsvReference:
    type: ReferenceType
    url: str
    extra: JsonObject = field(default_factory=_no_extra, hash=False)


@dataclass(frozen=True, slots=True)
class OsvCredit:
    name: str
    contact: tuple[str, ...] | None = None
    type: CreditType | None = None
    extra: JsonObject = field(default_factory=_no_extra, hash=False)


@dataclass(frozen=True, slots=True)
class OsvRecord:
    """One OSV record. ``None`` means the field was absent; ``()`` that it was empty."""

    id: str
    modified: str  # RFC 3339 text as written; modified_at is the instant
    schema_version: str | None = None
    published: str | None = None
    withdrawn: str | None = None
    aliases: tuple[str, ...] | None = None
    related: tuple[str, ...] | None = None
    upstream: tuple[str, ...] | None = None
    summary: str | None = None
    details: str | None = None
    severity: tuple[OsvSeverity, ...] | None = None
    affected: tuple[OsvAffected, ...] | None = None
    references: tuple[OsvReference, ...] | None = None
    credits: tuple[OsvCredit, ...] | None = None
    database_specific: JsonObject | None = field(default=None, hash=False)
    extra: JsonObject = field(default_factory=_no_extra, hash=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise OsvError("a record needs a non-empty 'id'", path="$.id")
        for name in ("modified", "published", "withdrawn"):
            text = getattr(self, name)
            if text is not None:
                _instant(text, (name,))

    @property
    def modified_at(self) -> datetime:
        return _instant(self.modified, ("modified",))

    @property
    def published_at(self) -> datetime | None:
        return None if self.published is None else _instant(self.published, ("published",))

    @property
    def withdrawn_at(self) -> datetime | None:
        return None if self.withdrawn is None else _instant(self.withdrawn, ("withdrawn",))

    @property
    def is_withdrawn(self) -> bool:
        """Withdrawn records stay readable but must not match anything."""
        return self.withdrawn is not None


@dataclass(frozen=True, slots=True)
class OsvLimits:
    """Bounds for attacker-supplied records (defaults: far above any real record)."""

    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 32  # nesting, root = 1; also bounds database_specific
    max_nodes: int = 500_000
    max_affected: int = 10_000
    max_ranges: int = 1_000  # per affected entry
    max_events: int = 1_000  # per range
    max_versions: int = 100_000  # per affected entry
    # characters of a range event's version or a listed version (the longest real one is
    # under 50; the draft API and the OSV query API take 200 as well)
    max_version_length: int = 200
    max_items: int = 10_000  # aliases, related, upstream, severity, references, credits

    def document(self) -> DocumentLimits:
        return DocumentLimits(self.max_bytes, self.max_depth, self.max_nodes)


DEFAULT_LIMITS: Final = OsvLimits()


# --- parsing ----------------------------------------------------------------------------

_Path = tuple[str | int, ...]
_T = TypeVar("_T")
_E = TypeVar("_E", bound=enum.StrEnum)
_TIMESTAMP: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})\Z"
)


def _keys(cls: type) -> frozenset[str]:
    """The JSON keys a type reads (its fields but ``extra``; all OSV keys are field names)."""
    return frozenset(f.name for f in fields(cls) if f.name != "extra")


_RECORD_KEYS: Final = _keys(OsvRecord)
_AFFECTED_KEYS: Final = _keys(OsvAffected)
_PACKAGE_KEYS: Final = _keys(OsvPackage)
_RANGE_KEYS: Final = _keys(OsvRange)
_SEVERITY_KEYS: Final = _keys(OsvSeverity)
_REFERENCE_KEYS: Final = _keys(OsvReference)
_CREDIT_KEYS: Final = _keys(OsvCredit)
_EVENT_KINDS: Final = {kind.value: kind for kind in EventKind}


def parse_osv(data: Mapping[str, Any], *, limits: OsvLimits = DEFAULT_LIMITS) -> OsvRecord:
    """Read one OSV record from parsed JSON; :class:`OsvError` names the first bad field."""
    return _Parser(limits).record(data)


def load_osv(data: bytes | str, *, filename: str, limits: OsvLimits = DEFAULT_LIMITS) -> OsvRecord:
    """Read one OSV record from JSON or YAML text (by ``filename``'s suffix, else sniffed).

    Safe YAML only; size, depth and node count bounded by ``limits``; aliases refused.
    """
    value = load_document(data, filename=filename, error=OsvError, limits=limits.document())
    return parse_osv(value, limits=limits)


class _Parser:
    """Walks the parsed JSON once, building the frozen types; paths only on failure."""

    def __init__(self, limits: OsvLimits) -> None:
        self.limits = limits

    def record(self, data: object) -> OsvRecord:
        obj = _object(data, ())
        p: _Path = ()
        id_ = _required(obj, "id", p)
        if not id_:
            raise OsvError("'id' must not be empty", path="$.id")
        n = self.limits.max_items
        return OsvRecord(
            id=id_,
            modified=_required(obj, "modified", p),
            schema_version=_string(obj, "schema_version", p),
            published=_string(obj, "published", p),
            withdrawn=_string(obj, "withdrawn", p),
            aliases=self.strings(obj, "aliases", p, n),
            related=self.strings(obj, "related", p, n),
            upstream=self.strings(obj, "upstream", p, n),
            summary=_string(obj, "summary", p),
            details=_string(obj, "details", p),
            severity=self.each(obj, "severity", p, n, self.severity),
            affected=self.each(obj, "affected", p, self.limits.max_affected, self.affected),
            references=self.each(obj, "references", p, n, self.reference),
            credits=self.each(obj, "credits", p, n, self.credit),
            database_specific=self.opaque(obj, "database_specific", p),
            extra=self.leftovers(obj, _RECORD_KEYS, p),
        )

    def each(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: _Path,
        limit: int,
        item: Callable[[object, _Path], _T],
    ) -> tuple[_T, ...] | None:
        items = _array(obj, key, path, limit)
        if items is None:
            return None
        return tuple(item(value, (*path, key, i)) for i, value in enumerate(items))

    def strings(
        self, obj: Mapping[str, Any], key: str, path: _Path, limit: int
    ) -> tuple[str, ...] | None:
        items = _array(obj, key, path, limit)
        if items is None:
            return None
        for i, value in enumerate(items):
            if not isinstance(value, str):
                raise OsvError(
                    f"expected a string, got {describe_json(value)}",
                    path=json_path((*path, key, i)),
                )
        return tuple(items)

    def versions(self, obj: Mapping[str, Any], path: _Path) -> tuple[str, ...] | None:
        items = self.strings(obj, "versions", path, self.limits.max_versions)
        for i, value in enumerate(items or ()):
            self.check_version(value, (*path, "versions", i))
        return items

    def check_version(self, value: str, path: _Path) -> None:
        """Refuse a version longer than the limit: orderings read every character (and
        every digit of a number), so the limit bounds what one comparison costs."""
        limit = self.limits.max_version_length
        if len(value) > limit:
            raise OsvError(
                f"a version of {len(value)} characters; the limit is {limit}",
                path=json_path(path),
            )

    def severity(self, data: object, path: _Path) -> OsvSeverity:
        obj = _object(data, path)
        kind = _enum(SeverityType, _required(obj, "type", path), (*path, "type"))
        score = _required(obj, "score", path)
        return OsvSeverity(kind, score, self.leftovers(obj, _SEVERITY_KEYS, path))

    def affected(self, data: object, path: _Path) -> OsvAffected:
        obj = _object(data, path)
        package = None
        if obj.get("package") is not None:
            package = self.package(obj["package"], (*path, "package"))
        return OsvAffected(
            package=package,
            severity=self.each(obj, "severity", path, self.limits.max_items, self.severity),
            ranges=self.each(obj, "ranges", path, self.limits.max_ranges, self.range),
            versions=self.versions(obj, path),
            ecosystem_specific=self.opaque(obj, "ecosystem_specific", path),
            database_specific=self.opaque(obj, "database_specific", path),
            extra=self.leftovers(obj, _AFFECTED_KEYS, path),
        )

    def package(self, data: object, path: _Path) -> OsvPackage:
        obj = _object(data, path)
        return OsvPackage(
            ecosystem=_required(obj, "ecosystem", path),
            name=_required(obj, "name", path),
            purl=_string(obj, "purl", path),
            extra=self.leftovers(obj, _PACKAGE_KEYS, path),
        )

    def range(self, data: object, path: _Path) -> OsvRange:
        obj = _object(data, path)
        kind = _enum(RangeType, _required(obj, "type", path), (*path, "type"))
        events = self.each(obj, "events", path, self.limits.max_events, self.event)
        if events is None:
            raise OsvError("'events' is required", path=json_path(path))
        try:
            return OsvRange(
                type=kind,
                events=events,
                repo=_string(obj, "repo", path),
                database_specific=self.opaque(obj, "database_specific", path),
                extra=self.leftovers(obj, _RANGE_KEYS, path),
            )
        except OsvError as exc:
            raise exc.at(json_path(path)) from None

    def event(self, data: object, path: _Path) -> OsvEvent:
        obj = _object(data, path)
        kinds = [key for key in obj if key in _EVENT_KINDS]
        if len(kinds) != 1:
            raise OsvError(
                "an event holds exactly one of introduced, fixed, last_affected, limit "
                f"(found: {', '.join(kinds) or 'none'})",
                path=json_path(path),
            )
        value = _required(obj, kinds[0], path)
        self.check_version(value, (*path, kinds[0]))
        try:
            return OsvEvent(_EVENT_KINDS[kinds[0]], value, self.leftovers(obj, _EVENT_KINDS, path))
        except OsvError as exc:
            raise exc.at(json_path((*path, kinds[0]))) from None

    def reference(self, data: object, path: _Path) -> OsvReference:
        obj = _object(data, path)
        kind = _enum(ReferenceType, _required(obj, "type", path), (*path, "type"))
        url = _required(obj, "url", path)
        return OsvReference(kind, url, self.leftovers(obj, _REFERENCE_KEYS, path))

    def credit(self, data: object, path: _Path) -> OsvCredit:
        obj = _object(data, path)
        kind = _string(obj, "type", path)
        return OsvCredit(
            name=_required(obj, "name", path),
            contact=self.strings(obj, "contact", path, self.limits.max_items),
            type=None if kind is None else _enum(CreditType, kind, (*path, "type")),
            extra=self.leftovers(obj, _CREDIT_KEYS, path),
        )

    def opaque(self, obj: Mapping[str, Any], key: str, path: _Path) -> JsonObject | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise OsvError(
                f"expected an object, got {describe_json(value)}", path=json_path((*path, key))
            )
        return freeze_json_object(value, (*path, key), self.limits.max_depth, error=OsvError)

    def leftovers(self, obj: Mapping[str, Any], known: Container[str], path: _Path) -> JsonObject:
        unknown = [key for key in obj if key not in known]
        if not unknown:
            return _NO_EXTRA
        return freeze_json_object(
            {k: obj[k] for k in unknown}, path, self.limits.max_depth, error=OsvError
        )


def _range_problem(kind: RangeType, events: Sequence[OsvEvent], repo: str | None) -> str | None:
    kinds = {event.kind for event in events}
    if EventKind.INTRODUCED not in kinds:
        return "a range needs at least one 'introduced' event"
    if EventKind.FIXED in kinds and EventKind.LAST_AFFECTED in kinds:
        return "a range may not hold both 'fixed' and 'last_affected' events"
    if kind is RangeType.GIT and not repo:
        return "a GIT range needs 'repo'"
    return None


def _object(value: object, path: _Path) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise OsvError(f"expected an object, got {describe_json(value)}", path=json_path(path))
    return value


def _string(obj: Mapping[str, Any], key: str, path: _Path) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise OsvError(f"expected a string, got {describe_json(value)}", path=json_path((*path, key)))


def _required(obj: Mapping[str, Any], key: str, path: _Path) -> str:
    value = _string(obj, key, path)
    if value is None:
        raise OsvError(f"'{key}' is required", path=json_path(path))
    return value


def _array(obj: Mapping[str, Any], key: str, path: _Path, limit: int) -> Sequence[Any] | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise OsvError(
            f"expected an array, got {describe_json(value)}", path=json_path((*path, key))
        )
    if len(value) > limit:
        raise OsvError(
            f"{len(value)} entries exceed the limit of {limit}", path=json_path((*path, key))
        )
    return value


def _enum(cls: type[_E], value: str, path: _Path) -> _E:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(member.value for member in cls)
        raise OsvError(
            f"unknown value {value!r}; expected one of {allowed}", path=json_path(path)
        ) from None


def _instant(text: str, path: _Path) -> datetime:
    if not _TIMESTAMP.match(text):
        raise OsvError(
            f"{text!r} is not an RFC 3339 timestamp like 2021-12-10T00:00:00Z",
            path=json_path(path),
        )
    try:
        return ensure_utc(datetime.fromisoformat(text.upper()))
    except ValueError as exc:
        raise OsvError(f"{text!r} is not a valid instant: {exc}", path=json_path(path)) from None


# --- dumping and validation -------------------------------------------------------------


def dump_osv(record: OsvRecord) -> dict[str, Any]:
    """Plain JSON for ``record`` (fresh objects); ``dump_osv(parse_osv(x)) == x``."""
    out: dict[str, Any] = {}
    _put(out, "schema_version", record.schema_version)
    out["id"] = record.id
    out["modified"] = record.modified
    _put(out, "published", record.published)
    _put(out, "withdrawn", record.withdrawn)
    _put_list(out, "aliases", record.aliases)
    _put_list(out, "upstream", record.upstream)
    _put_list(out, "related", record.related)
    _put(out, "summary", record.summary)
    _put(out, "details", record.details)
    _put_items(out, "severity", record.severity, _dump_severity)
    _put_items(out, "affected", record.affected, _dump_affected)
    _put_items(out, "references", record.references, _dump_reference)
    _put_items(out, "credits", record.credits, _dump_credit)
    _put(out, "database_specific", record.database_specific)
    out.update(thaw_json(record.extra))
    return out


def dumps_osv(record: OsvRecord) -> bytes:
    """``record`` as indented UTF-8 JSON, the form OSV databases publish."""
    return orjson.dumps(dump_osv(record), option=orjson.OPT_INDENT_2)


def _put(out: dict[str, Any], key: str, value: JsonValue) -> None:
    if value is not None:
        out[key] = thaw_json(value)


def _put_list(out: dict[str, Any], key: str, value: tuple[str, ...] | None) -> None:
    if value is not None:
        out[key] = list(value)


def _put_items(
    out: dict[str, Any], key: str, items: tuple[_T, ...] | None, dump: Callable[[_T], Any]
) -> None:
    if items is not None:
        out[key] = [dump(item) for item in items]


def _dump_severity(item: OsvSeverity) -> dict[str, Any]:
    return {"type": item.type.value, "score": item.score, **thaw_json(item.extra)}


def _dump_affected(item: OsvAffected) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if item.package is not None:
        package = {"ecosystem": item.package.ecosystem, "name": item.package.name}
        _put(package, "purl", item.package.purl)
        out["package"] = {**package, **thaw_json(item.package.extra)}
    _put_items(out, "severity", item.severity, _dump_severity)
    _put_items(out, "ranges", item.ranges, _dump_range)
    _put_list(out, "versions", item.versions)
    _put(out, "ecosystem_specific", item.ecosystem_specific)
    _put(out, "database_specific", item.database_specific)
    out.update(thaw_json(item.extra))
    return out


def _dump_range(item: OsvRange) -> dict[str, Any]:
    out: dict[str, Any] = {"type": item.type.value}
    _put(out, "repo", item.repo)
    out["events"] = [{e.kind.value: e.value, **thaw_json(e.extra)} for e in item.events]
    _put(out, "database_specific", item.database_specific)
    out.update(thaw_json(item.extra))
    return out


def _dump_reference(item: OsvReference) -> dict[str, Any]:
    return {"type": item.type.value, "url": item.url, **thaw_json(item.extra)}


def _dump_credit(item: OsvCredit) -> dict[str, Any]:
    out: dict[str, Any] = {"name": item.name}
    _put_list(out, "contact", item.contact)
    if item.type is not None:
        out["type"] = item.type.value
    out.update(thaw_json(item.extra))
    return out


def osv_schema_violations(data: Mapping[str, Any]) -> tuple[SchemaViolation, ...]:
    """Violations of the bundled OSV 1.7 JSON schema (empty: valid)."""
    return schema_violations(BundledSchema.OSV, data)


def validate_osv_schema(data: Mapping[str, Any]) -> None:
    """Raise :class:`OsvError` (with every violation in ``extensions``) unless ``data``
    (plain JSON, e.g. from :func:`dump_osv`) is valid against the bundled OSV schema."""
    require_valid(BundledSchema.OSV, data, error=OsvError)


# --- conversions ------------------------------------------------------------------------

_CVE_ID: Final = re.compile(r"CVE-\d{4}-\d{4,}\Z")
_KNOWN_DATABASES: Final = {
    "GHSA": ("GitHub Advisory Database", "https://github.com/advisories"),
    "PYSEC": ("PyPA Advisory Database", "https://github.com/pypa/advisory-database"),
    "RUSTSEC": ("RustSec Advisory Database", "https://rustsec.org"),
    "GO": ("Go Vulnerability Database", "https://vuln.go.dev"),
}
_CVSS_TYPES: Final = {
    SeverityType.CVSS_V2: cvss.OSV_CVSS_V2,
    SeverityType.CVSS_V3: cvss.OSV_CVSS_V3,
    SeverityType.CVSS_V4: cvss.OSV_CVSS_V4,
}


def osv_to_model(
    record: OsvRecord,
    *,
    tlp: Tlp | None = None,
    publisher: Publisher | None = None,
    source: str | None = None,
) -> Advisory:
    """The neutral advisory for one record (one vulnerability).

    TLP: a marking the record carries (``database_specific.clearinghouse.tlp``, written by
    :func:`model_to_osv`) wins; otherwise ``tlp`` is used; with neither, :class:`OsvError`,
    because a missing marking is never taken to mean CLEAR. Callers importing a public
    database pass ``tlp=Tlp.CLEAR`` themselves.
    """
    ours = _clearinghouse_entry(record)
    carried = ours.get("tlp")
    if carried is not None:
        tlp = _enum(Tlp, str(carried), ("database_specific", CLEARINGHOUSE_KEY, "tlp"))
    if tlp is None:
        raise OsvError(f"{record.id} carries no TLP marking; pass tlp= to say how to treat it")
    modified = record.modified_at
    published = record.published_at
    vulnerability = Vulnerability(
        id=record.id,
        summary=record.summary or "",
        details=record.details or "",
        aliases=record.aliases or (),
        cve=_cve_of(record),
        cwes=_cwes_of(record),
        severity=_severities_to_model(record),
        affected=tuple(
            _affected_to_model(a, ("affected", i))
            for i, a in enumerate(record.affected or ())
            if a.package is not None or _git_repo(a)
        ),
        references=tuple(
            Reference(ref.url, _reference_kind(ref.type)) for ref in record.references or ()
        ),
        credits=tuple(
            Credit(c.name, (c.type or CreditType.OTHER).value, c.contact or ())
            for c in record.credits or ()
        ),
        published=published,
        modified=modified,
        withdrawn=record.withdrawn_at,
    )
    initial = min(published, modified) if published is not None else modified
    advisory_id = ours.get("advisory_id")
    return Advisory(
        id=advisory_id if isinstance(advisory_id, str) and advisory_id else record.id,
        title=_title_of(record),
        publisher=publisher or _publisher_of(record.id),
        tlp=tlp,
        initial_release=initial,
        current_release=modified,
        vulnerabilities=(vulnerability,),
        summary=record.summary or "",
        source=source,
    )


def model_to_osv(advisory: Advisory) -> list[OsvRecord]:
    """One OSV record per vulnerability of ``advisory``.

    The advisory's id and TLP travel in ``database_specific.clearinghouse`` (so
    :func:`osv_to_model` restores them), CWEs in ``database_specific.cwe_ids`` (GitHub's
    convention). Records ids are the vulnerabilities' ids: note that the OSV schema only
    accepts registered prefixes, so an id such as ``CH-2021-0001`` fails schema validation
    until the platform's prefix is registered with OSV.
    """
    records = []
    for v in advisory.vulnerabilities:
        aliases = _unique([*v.aliases, *([v.cve] if v.cve else [])], exclude=v.id)
        database_specific: dict[str, JsonValue] = {
            CLEARINGHOUSE_KEY: MappingProxyType(
                {"advisory_id": advisory.id, "tlp": advisory.tlp.value}
            )
        }
        if v.cwes:
            database_specific["cwe_ids"] = tuple(v.cwes)
        references: dict[str, Reference] = {}
        for ref in (*v.references, *advisory.references):
            references.setdefault(ref.url, ref)
        records.append(
            OsvRecord(
                schema_version=SCHEMA_VERSION,
                id=v.id,
                modified=_osv_time(v.modified or advisory.current_release),
                published=_osv_time(v.published or advisory.initial_release),
                withdrawn=None if v.withdrawn is None else _osv_time(v.withdrawn),
                aliases=tuple(aliases) or None,
                summary=v.summary or advisory.title,
                details=v.details or advisory.summary or None,
                severity=tuple(_severity_to_osv(s) for s in v.severity) or None,
                affected=tuple(_affected_to_osv(a) for a in v.affected) or None,
                references=tuple(
                    OsvReference(ReferenceType(ref.kind.value), ref.url)
                    for ref in references.values()
                )
                or None,
                credits=tuple(_credit_to_osv(c) for c in v.credits) or None,
                database_specific=MappingProxyType(database_specific),
            )
        )
    return records


def _clearinghouse_entry(record: OsvRecord) -> JsonObject:
    entry = (record.database_specific or {}).get(CLEARINGHOUSE_KEY)
    return entry if isinstance(entry, Mapping) else _NO_EXTRA


def _cve_of(record: OsvRecord) -> str | None:
    if _CVE_ID.match(record.id):
        return record.id
    return next((a for a in record.aliases or () if _CVE_ID.match(a)), None)


def _cwes_of(record: OsvRecord) -> tuple[str, ...]:
    found = (record.database_specific or {}).get("cwe_ids")
    if not isinstance(found, tuple):
        return ()
    return tuple(c for c in found if isinstance(c, str) and c.startswith("CWE-"))


def _title_of(record: OsvRecord) -> str:
    if record.summary:
        return record.summary
    first_line = (record.details or "").strip().split("\n", 1)[0].strip()
    return first_line[:200] or record.id


def _publisher_of(record_id: str) -> Publisher:
    prefix = record_id.split("-", 1)[0]
    name, namespace = _KNOWN_DATABASES.get(prefix, (f"{prefix} (via OSV)", "https://osv.dev"))
    return Publisher(name=name, namespace=namespace, category="other")


def _severities_to_model(record: OsvRecord) -> tuple[Severity, ...]:
    # Per-package severities apply when the record has none of its own (the schema forbids both).
    found: dict[tuple[SeverityType, str], tuple[OsvSeverity, _Path]] = {}
    for i, s in enumerate(record.severity or ()):
        found.setdefault((s.type, s.score), (s, ("severity", i)))
    for i, a in enumerate(record.affected or ()):
        for j, s in enumerate(a.severity or ()):
            found.setdefault((s.type, s.score), (s, ("affected", i, "severity", j)))
    return tuple(_severity_to_model(s, path) for s, path in found.values())


def _severity_to_model(item: OsvSeverity, path: _Path) -> Severity:
    if item.type is SeverityType.UBUNTU:
        return Severity(type=item.type.value, vector=item.score)
    try:
        result = cvss.evaluate(item.score)
    except cvss.CvssError as exc:
        raise OsvError(exc.detail, path=json_path((*path, "score"))) from None
    if result.osv_type != _CVSS_TYPES[item.type]:
        raise OsvError(
            f"a CVSS {result.version.value} vector cannot be of type {item.type.value}",
            path=json_path((*path, "score")),
        )
    return Severity(item.type.value, item.score, result.base_score, result.rating.value)


@functools.cache
def osv_ecosystems() -> frozenset[str]:
    """The ecosystem names the bundled OSV schema accepts (before any ``:suffix``)."""
    names = load_schema(BundledSchema.OSV)["$defs"]["ecosystemName"]["enum"]
    return frozenset(str(name) for name in names)


def has_osv_ecosystem(package: Package) -> bool:
    """Can an OSV record name this package? Not so for packages of the synthetic ``csaf``
    ecosystem (CSAF products without a package URL of a known type)."""
    return package.ecosystem.split(":", 1)[0] in osv_ecosystems()


def _git_repo(item: OsvAffected) -> str | None:
    return next((r.repo for r in item.ranges or () if r.type is RangeType.GIT and r.repo), None)


def _affected_to_model(item: OsvAffected, path: _Path) -> Affected:
    try:
        if item.package is not None:
            package = Package(item.package.ecosystem, item.package.name, item.package.purl)
        else:  # repository-only entries (e.g. OSS-Fuzz) become OSV's "GIT" ecosystem
            package = Package("GIT", _git_repo(item) or "")
        return Affected(
            package=package,
            ranges=tuple(
                VersionRange(r.type, tuple(RangeEvent(e.kind, e.value) for e in r.events), r.repo)
                for r in item.ranges or ()
            ),
            versions=item.versions or (),
        )
    except FormatError as exc:
        raise OsvError(exc.detail, path=json_path(path)) from None


def _reference_kind(kind: ReferenceType) -> ReferenceKind:
    # The model has no GIT kind (a repository link): it is a plain web link there.
    return ReferenceKind.WEB if kind is ReferenceType.GIT else ReferenceKind(kind.value)


def _severity_to_osv(item: Severity) -> OsvSeverity:
    try:
        kind = SeverityType(item.type)
    except ValueError:
        raise OsvError(f"severity type {item.type!r} has no OSV equivalent") from None
    return OsvSeverity(kind, item.vector)


def _affected_to_osv(item: Affected) -> OsvAffected:
    package = item.package
    return OsvAffected(
        package=OsvPackage(package.ecosystem, package.name, package.purl),
        ranges=tuple(
            OsvRange(r.type, tuple(OsvEvent(e.kind, e.value) for e in r.events), r.repo)
            for r in item.ranges
        )
        or None,
        versions=item.versions or None,
    )


def _credit_to_osv(item: Credit) -> OsvCredit:
    kind = item.kind.upper().replace(" ", "_")
    return OsvCredit(
        name=item.name,
        contact=item.contact or None,
        type=CreditType(kind) if kind in CreditType.__members__ else CreditType.OTHER,
    )


def _osv_time(value: datetime) -> str:
    return format_instant(value, micro=ensure_utc(value).microsecond != 0)


def _unique(values: Iterable[str], *, exclude: str) -> list[str]:
    seen = {exclude}
    out = []
    for value in values:
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out
