"""Sync: a local collection pulls another TAXII 2.1 server's collection on a schedule.

The operator configures one source per collection (:func:`configure`; the REST API and
``clearinghouse sharing sync-*``). A schedule enqueues ``sharing.sync`` for every enabled
source whose interval has passed (one job per source and period: idempotency keys), and
the handler (:func:`run`) pages through the remote collection's objects oldest first,
following ``next``, and adds each page to the local collection through the store, in a
transaction of its own together with the source's ``cursor`` (the newest ``date_added``
of the page). So:

* a run cut off (network, remote error, crash) keeps every page already committed, and
  the job's retry, or the next run, starts at the cursor;
* the cursor is resumed **one microsecond before** the last ``date_added`` (TAXII's
  ``added_after`` is exclusive, and many objects may share one instant): the objects of
  that instant are fetched again rather than lost, and adding a stored version again is a
  success without a second row (idempotent);
* markings are kept as sent; an unmarked object is refused (or given the collection's
  default marking when the source says ``apply_default_marking`` and the collection
  allows it), and a version marked below an earlier one is refused by the store: no path
  lowers a marking. Refusals are counted and the newest kept on the source; they do not
  fail the run (retrying would not change them). The TLP marking definitions themselves
  are skipped (they are public constants, not shared objects).

Limits on what a remote sends: at most ``MAX_PAGE_BYTES`` per page, ``MAX_PAGE_OBJECTS``
objects per page, ``MAX_PAGES_PER_RUN`` pages per run (the next run goes on), a ``next``
at most 1,000 characters, and a page that neither ends nor moves on stops the run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.audit import service as audit
from clearinghouse.crypto import SecretBox
from clearinghouse.db import string_limits
from clearinghouse.errors import ClearinghouseError, InvalidInput, NotFound
from clearinghouse.formats import jsontext, stix
from clearinghouse.jobs.queue import enqueue
from clearinghouse.jobs.registry import JobContext, JobRegistry, PermanentJobError
from clearinghouse.principal import SYSTEM, Principal
from clearinghouse.sharing import store
from clearinghouse.sharing.models import Collection, SyncSource
from clearinghouse.sharing.taxii_http import TAXII_MEDIA
from clearinghouse.timeutil import EARLIEST

KIND: Final = "sharing.sync"
PAGE_LIMIT: Final = 1000  # objects asked for per page
MAX_PAGE_OBJECTS: Final = 10_000  # more in one page is refused
MAX_PAGE_BYTES: Final = 64 * 1024 * 1024
MAX_PAGES_PER_RUN: Final = 1000
MAX_NEXT_CHARS: Final = 1000
MIN_INTERVAL, MAX_INTERVAL = 1, 7 * 24 * 60  # minutes
KEPT_REFUSALS: Final = 20
TIMEOUT_SECONDS: Final = 60.0
USER_AGENT: Final = "Clearinghouse-TAXII-Sync/1"


class SyncError(ClearinghouseError):
    """The remote server did not answer as a TAXII 2.1 collection does."""

    code = "sync-failed"
    title = "The TAXII sync failed"
    status = 502


@dataclass(frozen=True, slots=True)
class SyncSpec:
    url: str
    username: str | None = None
    secret: str | None = None  # a token (Bearer), or the password with ``username``
    interval_minutes: int = 60
    enabled: bool = True
    apply_default_marking: bool = False


def _check_url(url: str) -> str:
    if len(url) > 1990 or not url.startswith(("https://", "http://")):
        raise InvalidInput("url: the remote collection's http(s) URL", field="url")
    if any(c.isspace() or ord(c) < 0x20 for c in url) or "?" in url or "#" in url:
        raise InvalidInput("url: no spaces, query or fragment", field="url")
    return url if url.endswith("/") else url + "/"


def source_of(session: Session, collection: Collection) -> SyncSource | None:
    return session.scalars(
        select(SyncSource).where(SyncSource.collection_id == collection.id)
    ).first()


def configure(
    session: Session,
    collection: Collection,
    spec: SyncSpec,
    *,
    box: SecretBox,
    actor: Principal,
    now: datetime,
) -> SyncSource:
    """Create or replace the collection's source (audited; the secret never is)."""
    url = _check_url(spec.url)
    if not MIN_INTERVAL <= spec.interval_minutes <= MAX_INTERVAL:
        raise InvalidInput(
            f"interval_minutes: {MIN_INTERVAL} to {MAX_INTERVAL}", field="interval_minutes"
        )
    if spec.username is not None and not 0 < len(spec.username) <= 200:
        raise InvalidInput("username: 1 to 200 characters", field="username")
    if spec.secret is not None and not 0 < len(spec.secret) <= 4096:
        raise InvalidInput("secret: 1 to 4096 characters", field="secret")
    if spec.apply_default_marking and not (
        collection.mark_unmarked and collection.default_tlp is not None
    ):
        raise InvalidInput(
            "apply_default_marking needs a collection with a default marking and mark_unmarked",
            field="apply_default_marking",
        )
    source = source_of(session, collection)
    created = source is None
    if source is None:
        source = SyncSource(collection_id=collection.id, created_at=now)
        session.add(source)
    if source.url != url:
        source.cursor = None  # another remote: start from its beginning
    source.url = url
    source.username = spec.username
    source.secret = box.encrypt(spec.secret) if spec.secret is not None else None
    source.interval_minutes = spec.interval_minutes
    source.enabled = spec.enabled
    source.apply_default_marking = spec.apply_default_marking
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="sharing.sync.configured" if created else "sharing.sync.changed",
        object_type="collection",
        object_id=collection.id,
        at=now,
        change={
            "url": url,
            "username": spec.username,
            "credential": spec.secret is not None,
            "interval_minutes": spec.interval_minutes,
            "enabled": spec.enabled,
            "apply_default_marking": spec.apply_default_marking,
        },
    )
    return source


def remove(session: Session, collection: Collection, *, actor: Principal, now: datetime) -> None:
    source = source_of(session, collection)
    if source is None:
        raise NotFound(f"collection {collection.alias!r} has no sync source")
    session.delete(source)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="sharing.sync.removed",
        object_type="collection",
        object_id=collection.id,
        at=now,
        change={"url": source.url},
    )


def request_run(session: Session, source: SyncSource, *, now: datetime) -> uuid.UUID:
    """Enqueue a run now (the operator's "sync now"); returns the job's id."""
    job = enqueue(session, KIND, {"source_id": str(source.id)}, now=now, max_attempts=5)
    return job.id


def describe(source: SyncSource) -> dict[str, Any]:
    """What the operator sees of a source (never its secret)."""
    return {
        "url": source.url,
        "username": source.username,
        "has_credential": source.secret is not None,
        "interval_minutes": source.interval_minutes,
        "enabled": source.enabled,
        "apply_default_marking": source.apply_default_marking,
        "cursor": source.cursor,
        "last_run_at": _text(source.last_run_at),
        "last_success_at": _text(source.last_success_at),
        "last_error": source.last_error,
        "objects_added": source.objects_added,
        "objects_refused": source.objects_refused,
        "last_refusals": source.last_refusals,
    }


def _text(moment: datetime | None) -> str | None:
    return stix.taxii_time(moment) if moment is not None else None


# ---- the schedule and the job ----------------------------------------------------------------


def schedule(session: Session, now: datetime) -> int:
    """Enqueue one run per enabled source and interval period (idempotent)."""
    enqueued = 0
    for source in session.scalars(select(SyncSource).where(SyncSource.enabled.is_(True))):
        period = int(now.timestamp() // (source.interval_minutes * 60))
        key = f"{KIND}:{source.id}:{source.interval_minutes}:{period}"
        job = enqueue(session, KIND, {"source_id": str(source.id)}, now=now, idempotency_key=key)
        enqueued += int(job.created_at == now)
    return enqueued


@dataclass(frozen=True, slots=True)
class _Remote:
    source_id: uuid.UUID
    url: str
    auth: httpx.Auth | None
    headers: dict[str, str]
    cursor: str | None


@dataclass(frozen=True, slots=True)
class _Page:
    objects: list[Any]
    date_added_last: str | None


def _remote(source: SyncSource, box: SecretBox) -> _Remote:
    secret = box.decrypt(source.secret) if source.secret is not None else None
    headers = {"Accept": TAXII_MEDIA, "User-Agent": USER_AGENT}
    auth: httpx.Auth | None = None
    if source.username is not None:
        auth = httpx.BasicAuth(source.username, secret or "")
    elif secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    return _Remote(source.id, source.url, auth, headers, source.cursor)


def resume_point(cursor: str) -> str:
    """``added_after`` for a cursor: one microsecond before it (see the module docstring);
    the cursor itself when it is the first instant there is (a remote's ``date_added`` of
    0001-01-01T00:00:00Z has no microsecond before it)."""
    at = stix.parse_timestamp(cursor)
    return stix.taxii_time(at - timedelta(microseconds=1) if at > EARLIEST else at)


@dataclass(frozen=True, slots=True)
class _Answer:
    body: bytes
    date_added_last: str | None


def _get(client: httpx.Client, remote: _Remote, params: dict[str, str]) -> _Answer:
    url = remote.url + "objects/"
    with client.stream("GET", url, params=params, headers=remote.headers, auth=remote.auth) as r:
        if r.status_code != 200:
            raise SyncError(f"GET {url} answered {r.status_code}")
        media = r.headers.get("content-type", "").replace(" ", "").lower()
        if not media.startswith("application/taxii+json"):
            raise SyncError(f"GET {url} answered {media or 'no content type'}, not TAXII")
        body = bytearray()
        for chunk in r.iter_bytes():
            body += chunk
            if len(body) > MAX_PAGE_BYTES:
                raise SyncError(f"a page of {url} is over {MAX_PAGE_BYTES} bytes")
        return _Answer(bytes(body), r.headers.get("X-TAXII-Date-Added-Last"))


def _page(answer: _Answer) -> tuple[_Page, str | None]:
    try:
        envelope = jsontext.loads(answer.body) if answer.body else {}
    except jsontext.JSONTextError as exc:
        raise SyncError(f"the remote page is not JSON: {exc}") from exc
    if not isinstance(envelope, dict):
        raise SyncError("the remote page is not a TAXII envelope")
    objects = envelope.get("objects", [])
    if not isinstance(objects, list) or len(objects) > MAX_PAGE_OBJECTS:
        raise SyncError(f"the remote page's objects are not a list of at most {MAX_PAGE_OBJECTS}")
    more, nxt = envelope.get("more", False), envelope.get("next")
    if more is True and (not isinstance(nxt, str) or not 0 < len(nxt) <= MAX_NEXT_CHARS):
        raise SyncError("the remote page says more but gives no usable next")
    last = answer.date_added_last
    if last is not None:
        try:
            stix.parse_timestamp(last)
        except InvalidInput as exc:
            raise SyncError(f"X-TAXII-Date-Added-Last {last[:40]!r} is not a timestamp") from exc
        limit = string_limits(SyncSource)["cursor"]  # it becomes the cursor
        if len(last) > limit:
            raise SyncError(
                f"X-TAXII-Date-Added-Last {last[:40]!r}... is {len(last)} characters long; "
                f"at most {limit} are kept"
            )
    return _Page(objects, last if objects else None), nxt if more is True else None


def pages(client: httpx.Client, remote: _Remote) -> Iterator[_Page]:
    """The remote collection's pages from the cursor on, following ``next``."""
    params = {"limit": str(PAGE_LIMIT)}
    if remote.cursor is not None:
        params["added_after"] = resume_point(remote.cursor)
    for _ in range(MAX_PAGES_PER_RUN):
        page, nxt = _page(_get(client, remote, params))
        if nxt is not None and not page.objects:
            raise SyncError("the remote sent an empty page that says more: it would loop")
        yield page
        if nxt is None:
            return
        # Some servers hand out one ``next`` per paging session (medallion), others one
        # per page (this one): a value is not expected to change, only the objects.
        params = {**params, "next": nxt}


def _store_page(ctx: JobContext, source_id: uuid.UUID, page: _Page) -> bool:
    """Add one page and move the cursor, in one transaction. False: the source is gone."""
    with ctx.database.transaction() as session:
        source = session.get(SyncSource, source_id)
        collection = session.get(Collection, source.collection_id) if source else None
        if source is None or collection is None or not source.enabled:
            return False
        wanted = [
            o for o in page.objects if not (isinstance(o, dict) and stix.is_tlp_definition(o))
        ]
        outcome = store.add_objects(
            session,
            collection,
            SYSTEM,
            wanted,
            now=ctx.now(),
            apply_default=source.apply_default_marking,
        )
        source.objects_added += len(outcome.added_rows)
        if outcome.failures:
            source.objects_refused += len(outcome.failures)
            source.last_refusals = (outcome.failures + list(source.last_refusals))[:KEPT_REFUSALS]
        if page.date_added_last is not None and (
            source.cursor is None
            or stix.parse_timestamp(page.date_added_last) > stix.parse_timestamp(source.cursor)
        ):
            source.cursor = page.date_added_last
        return True


def _finish(ctx: JobContext, source_id: uuid.UUID, error: str | None) -> None:
    with ctx.database.transaction() as session:
        source = session.get(SyncSource, source_id)
        if source is None:
            return
        source.last_run_at = ctx.now()
        source.last_error = error[:2000] if error else None
        if error is None:
            source.last_success_at = ctx.now()


def run(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The ``sharing.sync`` job: pull one source (see the module docstring).

    Writes go through transactions of their own, page by page; the job's own transaction
    is left untouched until the end (on SQLite it would hold the write lock throughout).
    """
    try:
        source_id = uuid.UUID(str(payload["source_id"]))
    except (KeyError, ValueError) as exc:
        raise PermanentJobError(f"bad {KIND} payload: {exc}") from exc
    box = SecretBox(ctx.settings.secret_key.get_secret_value())
    with ctx.read() as session:
        source = session.get(SyncSource, source_id)
        if source is None or not source.enabled:
            return
        remote = _remote(source, box)
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            for page in pages(client, remote):
                if not _store_page(ctx, source_id, page):
                    return
    except (SyncError, httpx.HTTPError) as exc:
        message = exc.detail if isinstance(exc, SyncError) else f"{type(exc).__name__}: {exc}"
        _finish(ctx, source_id, message)
        raise SyncError(message) from exc
    _finish(ctx, source_id, None)


def register(registry: JobRegistry) -> None:
    registry.register(KIND, run)
    registry.add_schedule(KIND, schedule)
