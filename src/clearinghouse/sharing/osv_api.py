"""The OSV API, compatible with OSV.dev's for the fields clients use:
``POST /osv/v1/query``, ``POST /osv/v1/querybatch``, ``GET /osv/v1/vulns/{id}``, plus an
export of every record of an ecosystem as a zip (like OSV.dev's ``<ecosystem>/all.zip``).

``pip-audit -s osv --osv-url http://HOST/osv/v1/query`` works against it.

What is served: the published OSV rendition of every published advisory the caller may
read (anonymous callers: TLP:CLEAR; members: also what the policy shares with them).
Queries skip withdrawn records, as the OSV specification asks; ``/vulns/{id}`` and the
export still return them, marked ``withdrawn``. Drafts are never served here.

Matching: the index of affected packages by (ecosystem, normalised name) narrows the
candidates in one query; each candidate's ranges are compiled once per advisory
revision (:class:`~clearinghouse.advisories.index.RangeCache`) and checked with one
binary search.

Errors follow OSV.dev: HTTP 400 with ``{"code": 3, "message": ...}`` for a bad query,
404 with ``{"code": 5, "message": "Bug not found."}`` for an unknown id (authentication
errors stay RFC 9457 problem documents, like the rest of the platform).
"""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final

import orjson
from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.advisories import service
from clearinghouse.advisories.index import (
    Entry,
    PackageQuery,
    RangeCache,
    from_purl,
)
from clearinghouse.advisories.models import (
    Advisory,
    AdvisoryIdentifier,
    AdvisoryPackage,
    AdvisoryState,
    Rendition,
    RenditionFormat,
    RenditionStatus,
)
from clearinghouse.api.deps import Ctx, CtxDep, admitted_router
from clearinghouse.api.media import answers
from clearinghouse.api.pagination import decode_cursor, encode_cursor
from clearinghouse.errors import ClearinghouseError, InvalidInput
from clearinghouse.formats import model as m
from clearinghouse.formats.purl import ecosystem_key, normalise_name
from clearinghouse.policy import (
    AdvisoryAction,
    advisory_scope,
    can_advisory,
    require_advisory,
)
from clearinghouse.principal import Principal
from clearinghouse.versions import InvalidVersion, Scheme, Verdict, range_key_function

router = admitted_router(prefix="/osv/v1", tags=["osv"])

SortKey = tuple[object, ...]
MAX_BATCH: Final = 1000  # queries per querybatch
SERVED: Final = (AdvisoryState.PUBLISHED, AdvisoryState.WITHDRAWN)
_OSV_INVALID: Final = 3  # gRPC INVALID_ARGUMENT, as OSV.dev reports it
_OSV_NOT_FOUND: Final = 5


class OsvQueryError(InvalidInput):
    code = "invalid-osv-query"
    title = "The OSV query is not valid"


def _osv_error(status: int, code: int, message: str) -> Response:
    return Response(
        orjson.dumps({"code": code, "message": message}),
        status_code=status,
        media_type="application/json",
    )


def _json(value: Any) -> Response:
    return Response(orjson.dumps(value), media_type="application/json")


async def _raw_body(request: Request) -> bytes:
    return await request.body()


def _loads(raw: bytes) -> Any:
    """The JSON body, whatever the Content-Type (pip-audit sends none)."""
    try:
        return orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise OsvQueryError(f"the body is not JSON: {exc}") from None


RawBody = Annotated[bytes, Depends(_raw_body)]


@dataclass(frozen=True, slots=True)
class Query:
    package: PackageQuery
    page_token: str | None


def parse_query(value: Any) -> Query:
    if not isinstance(value, dict):
        raise OsvQueryError("a query is a JSON object")
    unknown = set(value) - {"package", "version", "commit", "page_token"}
    if unknown:
        raise OsvQueryError(f"unknown query field(s): {sorted(unknown)}")
    if value.get("commit") is not None:
        raise OsvQueryError("commit queries are not supported here; query by package and version")
    version = value.get("version")
    if version is not None and (not isinstance(version, str) or not version or len(version) > 200):
        raise OsvQueryError("version must be a non-empty string")
    package = value.get("package")
    if not isinstance(package, dict):
        raise OsvQueryError("a query needs a package: {name, ecosystem} or {purl}")
    token = value.get("page_token")
    if token is not None and not isinstance(token, str):
        raise OsvQueryError("page_token must be a string")
    purl = package.get("purl")
    name, ecosystem = package.get("name"), package.get("ecosystem")
    if purl is not None:
        if not isinstance(purl, str) or len(purl) > 1000:
            raise OsvQueryError("purl must be a package URL string")
        if name is not None or ecosystem is not None:
            raise OsvQueryError("give either purl or name and ecosystem, not both")
        try:
            found = from_purl(purl)
        except InvalidInput as exc:
            raise OsvQueryError(exc.detail) from None
        if found.version is not None and version is not None:
            raise OsvQueryError("the version is given twice: in the purl and in the query")
        return Query(
            PackageQuery(found.ecosystem, found.name, found.version or version), token or None
        )
    if not isinstance(name, str) or not name or len(name) > 300:
        raise OsvQueryError("package.name is required (or package.purl)")
    if not isinstance(ecosystem, str) or not ecosystem or len(ecosystem) > 100:
        raise OsvQueryError("package.ecosystem is required, e.g. PyPI, Maven, npm, crates.io")
    return Query(PackageQuery(ecosystem, name, version), token or None)


# ---- matching -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    advisory_id: Any
    revision: int
    record_id: str
    undecided: str | None = None  # listed because it cannot be excluded: why


class Matcher:
    """Answers many package queries with one index read (per call) and cached ranges."""

    def __init__(self, session: Session, principal: Principal, cache: RangeCache) -> None:
        self.session = session
        self.principal = principal
        self.cache = cache
        require_advisory(principal, AdvisoryAction.READ)  # the collection: what it may see
        self.scope = advisory_scope(principal)
        self._visible: dict[Any, bool] = {}

    def visible(self, advisory_id: Any, tlp: m.Tlp | None) -> bool:
        """May the caller read this (published) advisory? The policy's scope answers most
        without a look-up; the rest are decided on their facts, once each."""
        if self.scope.surely_reads(published=True, tlp=tlp):
            return True
        if not self.scope.per_advisory:
            return False
        known = self._visible.get(advisory_id)
        if known is None:
            advisory = self.session.get(Advisory, advisory_id)
            known = advisory is not None and can_advisory(
                self.principal, AdvisoryAction.READ, service.facts(self.session, advisory)
            )
            self._visible[advisory_id] = known
        return known

    def match(self, queries: Sequence[PackageQuery]) -> list[list[Match]]:
        keyed = [(ecosystem_key(q.ecosystem), normalise_name(q.ecosystem, q.name)) for q in queries]
        wanted = set(keyed)
        ecosystems = sorted({e for e, _ in wanted})
        names = sorted({n for _, n in wanted})
        rows: dict[tuple[str, str], list[Any]] = defaultdict(list)
        # Two IN lists (not a row-value IN) so that every backend's planner walks the
        # (ecosystem, name) index; pairs outside the wanted set are dropped below.
        for start in range(0, len(names), 300):
            found = self.session.execute(
                select(
                    AdvisoryPackage.id,
                    AdvisoryPackage.advisory_id,
                    AdvisoryPackage.revision,
                    AdvisoryPackage.record_id,
                    AdvisoryPackage.ecosystem,
                    AdvisoryPackage.name,
                    Advisory.tlp,
                )
                .join(Advisory, Advisory.id == AdvisoryPackage.advisory_id)
                .where(
                    AdvisoryPackage.ecosystem.in_(ecosystems),
                    AdvisoryPackage.name.in_(names[start : start + 300]),
                    Advisory.state == AdvisoryState.PUBLISHED,
                    AdvisoryPackage.revision == Advisory.published_revision,
                    AdvisoryPackage.withdrawn.is_(False),
                )
            ).all()
            for row in found:
                if (row.ecosystem, row.name) in wanted:
                    rows[(row.ecosystem, row.name)].append(row)
        versioned = {key for key, q in zip(keyed, queries, strict=True) if q.version is not None}
        entries = self._entries([row.id for key in versioned for row in rows.get(key, ())])
        out: list[list[Match]] = []
        answered: dict[tuple[tuple[str, str], str | None], list[Match]] = {}
        for key, q in zip(keyed, queries, strict=True):
            done = answered.get((key, q.version))
            if done is None:
                done = self._answer(rows.get(key, ()), q.version, entries)
                answered[(key, q.version)] = done
            out.append(done)
        return out

    def _entries(self, row_ids: list[Any]) -> dict[Any, Entry]:
        """The compiled ranges of index rows: from the cache, else loaded and compiled."""
        entries: dict[Any, Entry] = {}
        missing = []
        for row_id in set(row_ids):
            entry = self.cache.peek(row_id)
            if entry is None:
                missing.append(row_id)
            else:
                entries[row_id] = entry
        missing.sort(key=str)
        for start in range(0, len(missing), 500):
            for row in self.session.execute(
                select(
                    AdvisoryPackage.id,
                    AdvisoryPackage.display_ecosystem,
                    AdvisoryPackage.ranges,
                    AdvisoryPackage.versions,
                ).where(AdvisoryPackage.id.in_(missing[start : start + 500]))
            ):
                entries[row.id] = self.cache.store(
                    row.id, row.display_ecosystem, row.ranges, row.versions
                )
        return entries

    def _answer(
        self, rows: Iterable[Any], version: str | None, entries: dict[Any, Entry]
    ) -> list[Match]:
        matched: dict[tuple[Any, str], Match] = {}
        keys: dict[Scheme, SortKey | None] = {}  # the version's sort key, once per ordering
        for row in rows:
            found = matched.get((row.advisory_id, row.record_id))
            if found is not None and found.undecided is None:
                continue
            if not self.visible(row.advisory_id, row.tlp):
                continue
            undecided = None
            if version is not None:
                entry = entries.get(row.id)
                if entry is None:
                    continue
                verdict = _verdict(entry, version, keys)
                if verdict is Verdict.NOT_AFFECTED:
                    continue
                if verdict is Verdict.UNDECIDED:
                    undecided = _undecided_reason(entry, version, keys)
            if found is None or undecided is None:
                matched[(row.advisory_id, row.record_id)] = Match(
                    row.advisory_id, row.revision, row.record_id, undecided
                )
        return sorted(matched.values(), key=lambda item: item.record_id)

    def records(self, matches: Iterable[Match]) -> dict[tuple[Any, str], dict[str, Any]]:
        """The OSV documents of matches (only renditions that succeeded)."""
        found: dict[tuple[Any, str], dict[str, Any]] = {}
        for advisory_id, key, content in self._renditions(matches, Rendition.content):
            if isinstance(content, dict):
                found[(advisory_id, key)] = content
        return found

    def modified(self, matches: Iterable[Match]) -> dict[tuple[Any, str], str]:
        """The ``modified`` text of matched records (what a batch answers with)."""
        found: dict[tuple[Any, str], str] = {}
        for advisory_id, key, modified in self._renditions(matches, Rendition.modified):
            if isinstance(modified, str):
                found[(advisory_id, key)] = modified
        return found

    def _renditions(self, matches: Iterable[Match], column: Any) -> Iterator[tuple[Any, str, Any]]:
        """(advisory, record id, column) of the OSV renditions of ``matches``. Selected by
        advisory id (an indexed IN list; row-value INs defeat SQLite's planner), then
        narrowed to the matched revision and record."""
        wanted = {(mt.advisory_id, mt.revision, mt.record_id) for mt in matches}
        advisories = sorted({advisory_id for advisory_id, _, _ in wanted}, key=str)
        for start in range(0, len(advisories), 500):
            for advisory_id, revision, key, value in self.session.execute(
                select(Rendition.advisory_id, Rendition.revision, Rendition.key, column).where(
                    Rendition.advisory_id.in_(advisories[start : start + 500]),
                    Rendition.format == RenditionFormat.OSV,
                    Rendition.status == RenditionStatus.RENDERED,
                )
            ):
                if (advisory_id, revision, key) in wanted:
                    yield advisory_id, key, value


def _verdict(entry: Entry, version: str, keys: dict[Scheme, SortKey | None]) -> Verdict:
    """:meth:`~clearinghouse.versions.CompiledRanges.verdict`, computing the version's sort
    key once per ordering (the hot path when a package has hundreds of advisories)."""
    if entry.scheme is None or version in entry.versions:
        return entry.verdict(version)
    key = _key(entry.scheme, version, keys)
    if key is None:
        return entry.verdict(version)
    return entry.verdict_key(key)


def _key(scheme: Scheme, version: str, keys: dict[Scheme, SortKey | None]) -> SortKey | None:
    if scheme not in keys:
        try:
            keys[scheme] = range_key_function(scheme)(version)
        except InvalidVersion:
            keys[scheme] = None
    return keys[scheme]


def _undecided_reason(entry: Entry, version: str, keys: dict[Scheme, SortKey | None]) -> str:
    schemes = {part.scheme for part in entry.steps}
    unreadable = sorted(s.value for s in schemes if _key(s, version, keys) is None)
    if unreadable:
        return (
            f"{version!r} is not a version the {' or '.join(unreadable)} ordering can read, "
            "so the ranges of this record cannot exclude it"
        )
    bounds = "; ".join(str(bound) for bound in entry.unreadable[:3])
    return f"a range boundary of this record cannot be read ({bounds}), so it cannot be excluded"


def _undecided(page: Iterable[Match]) -> list[dict[str, str]]:
    """The records of a page listed only because they cannot be excluded, with why."""
    return [{"id": mt.record_id, "reason": mt.undecided} for mt in page if mt.undecided]


def range_cache(ctx: Ctx) -> RangeCache:
    return ctx.runtime.caches.get(RangeCache, RangeCache)


def _page_size(ctx: Ctx) -> int:
    return ctx.settings.osv_page_size


def _page(matches: list[Match], token: str | None, size: int) -> tuple[list[Match], str | None]:
    if token:
        try:
            after = decode_cursor(token)
        except InvalidInput:
            raise OsvQueryError("page_token is not one this server issued") from None
        if not after or not isinstance(after[0], str):
            raise OsvQueryError("page_token is not one this server issued")
        matches = [mt for mt in matches if mt.record_id > after[0]]
    page = matches[:size]
    more = len(matches) > size
    return page, encode_cursor([page[-1].record_id]) if more and page else None


def _live(record: dict[str, Any]) -> bool:
    return record.get("withdrawn") is None


# ---- routes ---------------------------------------------------------------------------------


@router.post("/query", summary="Vulnerabilities of one package (and version)")
def query(ctx: CtxDep, raw: RawBody) -> Response:
    try:
        q = parse_query(_loads(raw))
        matcher = Matcher(ctx.session, ctx.principal, range_cache(ctx))
        (matches,) = matcher.match([q.package])
        page, token = _page(matches, q.page_token, _page_size(ctx))
    except ClearinghouseError as exc:
        return _osv_error(400, _OSV_INVALID, exc.detail)
    records = matcher.records(page)
    shown = [
        (mt, r) for mt in page if (r := records.get((mt.advisory_id, mt.record_id))) and _live(r)
    ]
    out: dict[str, Any] = {}
    if shown:
        out["vulns"] = [r for _, r in shown]
    undecided = _undecided(mt for mt, _ in shown)
    if undecided:
        out["undecided"] = undecided
    if token:
        out["next_page_token"] = token
    return _json(out)


@router.post("/querybatch", summary="Ids of the vulnerabilities of many packages")
def querybatch(ctx: CtxDep, raw: RawBody) -> Response:
    try:
        body = _loads(raw)
        if not isinstance(body, dict) or not isinstance(body.get("queries"), list):
            raise OsvQueryError('a batch is {"queries": [query, ...]}')
        items = body["queries"]
        if len(items) > MAX_BATCH:
            raise OsvQueryError(f"at most {MAX_BATCH} queries per batch")
        parsed = [parse_query(item) for item in items]
        matcher = Matcher(ctx.session, ctx.principal, range_cache(ctx))
        results = matcher.match([q.package for q in parsed])
        pages = [
            _page(matches, q.page_token, _page_size(ctx))
            for q, matches in zip(parsed, results, strict=True)
        ]
    except ClearinghouseError as exc:
        return _osv_error(400, _OSV_INVALID, exc.detail)
    modified = matcher.modified(mt for page, _ in pages for mt in page)
    out = []
    for page, token in pages:
        listed = [mt for mt in page if (mt.advisory_id, mt.record_id) in modified]
        result: dict[str, Any] = {}
        if listed:
            result["vulns"] = [
                {"id": mt.record_id, "modified": modified[(mt.advisory_id, mt.record_id)]}
                for mt in listed
            ]
        undecided = _undecided(listed)
        if undecided:
            result["undecided"] = undecided
        if token:
            result["next_page_token"] = token
        out.append(result)
    return _json({"results": out})


@router.get("/vulns/{vuln_id}", summary="One OSV record")
def get_vuln(vuln_id: str, ctx: CtxDep) -> Response:
    if not vuln_id or len(vuln_id) > 200:
        return _osv_error(404, _OSV_NOT_FOUND, "Bug not found.")
    rows = ctx.session.execute(
        select(AdvisoryIdentifier.record_id, Advisory)
        .join(Advisory, Advisory.id == AdvisoryIdentifier.advisory_id)
        .where(
            AdvisoryIdentifier.identifier == vuln_id,
            AdvisoryIdentifier.is_alias.is_(False),
            Advisory.state.in_(SERVED),
        )
        .order_by(Advisory.created_at, Advisory.public_id)
    ).all()
    matcher = Matcher(ctx.session, ctx.principal, range_cache(ctx))
    for record_id, advisory in rows:
        if advisory.published_revision is None or not matcher.visible(advisory.id, advisory.tlp):
            continue
        found = matcher.records([Match(advisory.id, advisory.published_revision, record_id)])
        record = found.get((advisory.id, record_id))
        if record is not None:
            return _json(record)
    return _osv_error(404, _OSV_NOT_FOUND, "Bug not found.")


@router.get(
    "/export/{ecosystem}/all.zip",
    summary="Every record of an ecosystem, zipped",
    **answers("application/zip"),
)
def export_ecosystem(ecosystem: str, ctx: CtxDep) -> Response:
    """One ``<id>.json`` per record the caller may read (withdrawn ones included, marked)."""
    key = ecosystem_key(ecosystem)
    rows = ctx.session.execute(
        select(
            AdvisoryPackage.advisory_id,
            AdvisoryPackage.revision,
            AdvisoryPackage.record_id,
            Advisory,
        )
        .join(Advisory, Advisory.id == AdvisoryPackage.advisory_id)
        .where(
            AdvisoryPackage.ecosystem == key,
            Advisory.state.in_(SERVED),
            AdvisoryPackage.revision == Advisory.published_revision,
        )
        .distinct()
    ).all()
    matcher = Matcher(ctx.session, ctx.principal, range_cache(ctx))
    matches = [
        Match(a, rev, rec)
        for a, rev, rec, advisory in rows
        if matcher.visible(advisory.id, advisory.tlp)
    ]
    if not matches:
        return _osv_error(404, _OSV_NOT_FOUND, f"no records for ecosystem {ecosystem!r}")
    records = matcher.records(matches)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for (_advisory, record_id), record in sorted(records.items(), key=lambda item: item[0][1]):
            archive.writestr(f"{record_id}.json", orjson.dumps(record, option=orjson.OPT_INDENT_2))
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{key}-all.zip"'},
    )
