"""TAXII 2.1: paging through a collection of N STIX objects, and ingest, against medallion
3.0.0 (the OASIS reference server, memory backend) on identical data, in the same run.

Question: how long does a TAXII client take to read a whole collection of N objects, 1,000
per page, and does our cost per page stay flat as N grows? How fast does each server
ingest envelopes of 1,000 objects? How close is our server to the floor (orjson
serialising the same N objects, no database, no HTTP)?

Data: N indicators (unique IPv4 patterns, TLP:GREEN, built here from a seed), POSTed in
envelopes of 1,000 through ``taxii2-client`` to each server (that is the ingest figure:
objects per second, durable on our side: each envelope is committed before the 202).
Servers: ``clearinghouse serve`` (uvicorn, SQLite in a temporary folder, one process) and
medallion (Flask's server), each in its own process. Reader: a member organisation's
token with the ``taxii`` scope reading a community collection, so the TLP filter is in
every page's query; medallion's reader is its configured user.

Timed: (1) ``taxii2-client``'s ``as_pages`` over the whole collection, 1,000 per page
(what a consumer sees, client-side JSON parsing included); (2) the same walk with a client
that discards the bytes (the standard library's ``http.client`` on one keep-alive
connection, following ``next``): the server's side, each page timed, to show the per-page
cost at the start and end of the collection, and the same walk through httpx once more
(its client-side cost per request, for comparison with earlier runs); (3) the floor:
``orjson.dumps`` of the N objects; (4) one page's cost before its objects: the same
authenticated GET with ``limit=1``, whose median times the number of pages is taken off the
walk to give the objects' own share, compared with the floor too; (5) the bounds, what no
server of this design goes under on this machine: the database alone (the server's own
page statements for this reader, blocks and rows, captured as the driver ran them,
replayed through bare ``sqlite3`` over the whole walk) and HTTP alone (the walk's own pages, byte
for byte, from a bare ASGI app under the same uvicorn, ``bench.taxii_transport``); the
server's time less both is its own work. Agreement: both
servers must return exactly the N ids posted, none twice. Medallion's first page is
quadratic in the collection's size, so it is run up to ``--peer-max`` objects (10,000 by
default; 100,000 would take hours).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import httpx
import orjson
from rich.table import Table

from bench.common import OUT_DIR, console, fmt_ms, fmt_rate, package_version, write_result
from bench.intake import free_port, run_cli, server, tail

NAME: Final = "taxii"
SIZES: Final = (1_000, 10_000, 100_000)
QUICK_SIZES: Final = (200, 1_000)
PAGE: Final = 1_000
ENVELOPE: Final = 1_000
TAXII_MEDIA: Final = "application/taxii+json;version=2.1"
GREEN: Final = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
NAMESPACE: Final = uuid.UUID("6c3f1d0e-9a1b-4f2c-8d3e-5b7a9c1e2f40")
MEDALLION_ROOT: Final = "api1"
COLLECTION: Final = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"


def objects(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        out.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.uuid5(NAMESPACE, str(i))}",
                "created": "2026-09-01T12:00:00.000Z",
                "modified": "2026-09-01T12:00:00.000Z",
                "name": f"Callback host {i}",
                "indicator_types": ["malicious-activity"],
                "pattern": f"[ipv4-addr:value = '10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}']",
                "pattern_type": "stix",
                "valid_from": "2026-09-01T12:00:00Z",
                "object_marking_refs": [GREEN],
            }
        )
    return out


@dataclass
class Side:
    name: str
    ingest_seconds: float = 0.0
    client_seconds: float = 0.0
    server_seconds: float = 0.0
    page_seconds: list[float] = field(default_factory=list)
    request_seconds: float = 0.0
    noop_seconds: float | None = None
    server_seconds_httpx: float = 0.0
    served: list[bytes] = field(default_factory=list)  # each page's bytes, as the walk got them
    storage_seconds: float | None = None
    transport_seconds: float | None = None
    ids: list[str] = field(default_factory=list)


# ---- the servers ---------------------------------------------------------------------------


@contextmanager
def clearinghouse(folder: Path) -> Iterator[tuple[str, str, str]]:
    """A migrated platform with a member, its taxii token and a community collection;
    yields (discovery URL, collection URL, token)."""
    env = {
        **os.environ,
        "CLEARINGHOUSE_DATABASE_URL": f"sqlite:///{folder / 'ch.db'}",
        "CLEARINGHOUSE_WORKER_IN_PROCESS": "false",
        "CLEARINGHOUSE_LOG_LEVEL": "WARNING",
        "CLEARINGHOUSE_MAX_REQUEST_BYTES": str(64 * 1024 * 1024),
        "CLEARINGHOUSE_TAXII_MAX_CONTENT_LENGTH": str(32 * 1024 * 1024),
    }
    run_cli(["db", "upgrade"], env)
    token, collection_id = _setup(env["CLEARINGHOUSE_DATABASE_URL"])
    port = free_port()
    with server(env, port, folder / "serve.log"):
        base = f"http://127.0.0.1:{port}/taxii2/"
        yield base, f"{base}root/collections/{collection_id}/", token


def _setup(url: str) -> tuple[str, str]:
    from datetime import UTC, datetime

    from clearinghouse.accounts import service as accounts
    from clearinghouse.db import Database
    from clearinghouse.principal import SYSTEM, Scope
    from clearinghouse.sharing import service
    from clearinghouse.vocab import OrgKind, Role

    now = datetime.now(UTC)
    database = Database(url)
    with database.transaction() as s:
        org = accounts.create_organisation(
            s, actor=SYSTEM, now=now, slug="member", name="Member", kind=OrgKind.MEMBER
        )
        user = accounts.create_user(
            s,
            actor=SYSTEM,
            now=now,
            email="bench@member.test",
            name="bench",
            password=None,
            organisation=org,
            role=Role.ADMIN,
        )
        token = accounts.create_token(
            s,
            actor=SYSTEM,
            user=user,
            org_id=org.id,
            name="bench",
            scopes={Scope.TAXII},
            now=now,
            expires_at=None,
        ).secret
        spec = service.CollectionSpec(
            alias="bench", title="Bench", community=True, writer_org_ids=frozenset({org.id})
        )
        collection_id = str(service.create_collection(s, spec, actor=SYSTEM, now=now).id)
    database.dispose()
    return token, collection_id


@contextmanager
def medallion(folder: Path, page_size: int = PAGE) -> Iterator[tuple[str, str, str]]:
    """medallion (memory backend) with one empty collection: (discovery, collection URL,
    the user's name, which is also its password)."""
    data = {
        "/discovery": {
            "title": "medallion",
            "default": f"/{MEDALLION_ROOT}/",
            "api_roots": [f"/{MEDALLION_ROOT}/"],
        },
        MEDALLION_ROOT: {
            "information": {
                "title": "bench",
                "versions": [TAXII_MEDIA],
                "max_content_length": 64 * 1024 * 1024,
            },
            "status": [],
            "collections": [
                {
                    "id": COLLECTION,
                    "title": "bench",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    (folder / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(folder / "data.json"),
        },
        "users": {"bench": "bench"},
        "taxii": {"max_page_size": page_size},
    }
    (folder / "medallion.json").write_text(json.dumps(config))
    port = free_port()
    log = folder / "medallion.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "medallion.scripts.run", "--port", str(port),
             "--log-level", "ERROR", str(folder / "medallion.json")],
            stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{base}taxii2/", timeout=2)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError(f"medallion did not start:\n{tail(log)}") from None
                    time.sleep(0.2)
            yield (
                f"{base}taxii2/",
                f"{base}{MEDALLION_ROOT}/collections/{COLLECTION}/",
                "bench",
            )
        finally:
            process.terminate()
            process.wait(timeout=20)


# ---- measuring -----------------------------------------------------------------------------


def _collection(url: str, secret: str) -> Any:
    from taxii2client.v21 import Collection

    return Collection(url, user="bench", password=secret)


def ingest(side: Side, url: str, secret: str, data: list[dict[str, Any]]) -> None:
    collection = _collection(url, secret)
    started = time.perf_counter()
    for start in range(0, len(data), ENVELOPE):
        status = collection.add_objects(
            {"objects": data[start : start + ENVELOPE]},
            wait_for_completion=True,
            poll_interval=0.05,
        )
        if status.failure_count:
            raise RuntimeError(f"{side.name} refused objects: {status.failures[:1]}")
    side.ingest_seconds = time.perf_counter() - started


def page_through(side: Side, url: str, secret: str) -> None:
    from taxii2client.v21 import as_pages

    collection = _collection(url, secret)
    started = time.perf_counter()
    ids: list[str] = []
    for envelope in as_pages(collection.get_objects, per_request=PAGE):
        ids.extend(o["id"] for o in envelope.get("objects", []))
    side.client_seconds = time.perf_counter() - started
    side.ids = ids


class _Client:
    """A keep-alive HTTP/1.1 connection from the standard library (``http.client``) that
    returns each answer's bytes unparsed: what the server's side is timed with. httpx
    costs ~0.5 ms more a request on this machine (its own per-request machinery), which
    is the client's time, not the server's; the table also gives the walk through httpx."""

    def __init__(self, url: str, secret: str | None) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=600)
        self.headers = {"Accept": TAXII_MEDIA}
        if secret is not None:
            token = base64.b64encode(f"bench:{secret}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def get(self, url: str, params: dict[str, str] | None = None) -> bytes:
        parts = urlsplit(url)
        target = parts.path + (f"?{urlencode(params)}" if params else "")
        self.connection.request("GET", target, headers=self.headers)
        response = self.connection.getresponse()
        raw = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {target}: {response.status} {raw[:300]!r}")
        return raw

    def close(self) -> None:
        self.connection.close()


def discard_walk(side: Side, url: str, secret: str) -> None:
    """The server's side: fetch every page, follow ``next``, never parse the objects; with
    the standard library's client (each page timed), then once more through httpx."""
    client = _Client(url, secret)
    try:
        side.server_seconds = _walk(client.get, url, side.page_seconds, side.served)
    finally:
        client.close()
    auth = httpx.BasicAuth("bench", secret)
    with httpx.Client(auth=auth, headers={"Accept": TAXII_MEDIA}, timeout=600) as through:

        def get(target: str, params: dict[str, str]) -> bytes:
            response = through.get(target, params=params)
            response.raise_for_status()
            return response.content

        side.server_seconds_httpx = _walk(get, url, [])


def _walk(
    get: Callable[[str, dict[str, str]], bytes],
    url: str,
    page_seconds: list[float],
    keep: list[bytes] | None = None,
) -> float:
    params: dict[str, str] = {"limit": str(PAGE)}
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        raw = get(f"{url}objects/", params)
        page_seconds.append(time.perf_counter() - t0)
        if keep is not None:
            keep.append(raw)
        ends = raw[:400] + raw[-400:]  # the envelope's own fields, never the objects'
        following = _NEXT.search(ends)
        if _MORE.search(ends) is None or following is None:
            return time.perf_counter() - started
        params = {"limit": str(PAGE), "next": following.group(1).decode()}


def _median_get(client: _Client, url: str, params: dict[str, str] | None, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        client.get(url, params)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def request_floor(side: Side, url: str, secret: str, runs: int = 30) -> None:
    """What one page costs before its objects: the same authenticated GET of ``objects/``
    with ``limit=1`` (HTTP, authentication, the policy, the query, the access log), as
    the median of ``runs``. Times the number of pages, it is the part of the walk that
    does not depend on the objects at all (and that the orjson floor leaves out). For our
    server, also a request that does nothing: ``GET /healthz`` (no authentication, no
    database; through the same middleware)."""
    client = _Client(url, secret)
    try:
        side.request_seconds = _median_get(client, f"{url}objects/", {"limit": "1"}, runs)
    finally:
        client.close()
    if side.name == "clearinghouse":
        plain = _Client(url, None)
        try:
            side.noop_seconds = _median_get(
                plain, url.split("/taxii2/")[0] + "/healthz", None, runs
            )
        finally:
            plain.close()


_MORE: Final = re.compile(rb'"more"\s*:\s*true')
_NEXT: Final = re.compile(rb'"next"\s*:\s*"([^"]+)"')


# ---- the bounds: what a server of this design cannot go under on this machine ---------------
#
# A page of the walk must be read from the database and sent over HTTP; whatever else the
# server does (authentication, the policy, the access log, the framework) comes on top. The
# two bounds time each alone, on the same data, in the same run as the walk.


def storage_walk(folder: Path, secret: str, collection_id: str, n: int) -> float:
    """The database's share: every statement the server's page reading sends for this
    reader over the whole walk (blocks and rows alike, the TLP filter in them, as the
    driver ran them, values written in), replayed page by page through the bare
    driver (``sqlite3``), one read transaction per page; no HTTP and none of SQLAlchemy's
    work per statement. The walk that captured them must serve the N objects."""
    pages = _page_statements(folder, secret, collection_id, n)
    connection = sqlite3.connect(folder / "ch.db", isolation_level=None)
    try:
        started = time.perf_counter()
        for statements in pages:
            connection.execute("BEGIN")
            for sql, params in statements:
                connection.execute(sql, params).fetchall()
            connection.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        connection.close()


def _page_statements(
    folder: Path, secret: str, collection_id: str, n: int
) -> list[list[tuple[str, list[Any]]]]:
    """The SQL of each page of a whole walk, as the driver runs it, values written in (the
    walk itself in process, following the cursor)."""
    from datetime import UTC, datetime

    from sqlalchemy import event

    from clearinghouse.accounts.service import token_principal
    from clearinghouse.db import Database
    from clearinghouse.policy import Channel, SharingAction, object_scope
    from clearinghouse.sharing import store

    database = Database(f"sqlite:///{folder / 'ch.db'}")
    pages: list[list[tuple[str, list[Any]]]] = []

    def capture(statement: str) -> None:
        if "FROM shared_" in statement:
            pages[-1].append((statement, []))

    def trace(dbapi_connection: Any, _record: Any) -> None:
        # SQLite's own trace: every statement the driver runs, those SQLAlchemy does not
        # execute itself too (clearinghouse.prepared), its values written in.
        dbapi_connection.set_trace_callback(capture)

    event.listen(database.engine, "connect", trace)
    served = 0
    try:
        with database.transaction() as s:
            now = datetime.now(UTC)
            principal = token_principal(s, secret, now)
            collection, facts = store.load_collection(
                s, principal, collection_id, SharingAction.COLLECTION_READ, Channel.TAXII
            )
            reader = store.Reader(object_scope(principal, facts, Channel.TAXII))
            after = None
            while True:
                pages.append([])
                page = store.page(
                    s, collection.id, reader, store.Filters(), limit=PAGE, after=after,
                    bodies_only=True,
                )  # fmt: skip
                served += page.count
                if not page.more:
                    break
                after = page.next
    finally:
        database.dispose()
    if served != n:
        raise RuntimeError(f"the storage walk served {served} objects, not {n}")
    return pages


def transport_walk(folder: Path, pages: list[bytes]) -> float:
    """HTTP's share: the walk's own pages, byte for byte, served in order by a bare ASGI
    app (``bench.taxii_transport``) under the same uvicorn and httptools as the server, fetched
    with the same ``http.client`` connection."""
    where = folder / "pages"
    where.mkdir()
    for i, raw in enumerate(pages):
        (where / f"{i}.json").write_bytes(raw)
    port = free_port()
    env = {**os.environ, "BENCH_TAXII_PAGES": str(where)}
    command = [
        sys.executable, "-m", "uvicorn", "bench.taxii_transport:app", "--host", "127.0.0.1",
        "--port", str(port), "--http", "httptools", "--lifespan", "off", "--log-level", "warning",
        "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).parent.parent)
    try:
        client = _wait_bare(port)
        try:
            started = time.perf_counter()
            for i, raw in enumerate(pages):
                if len(client.get(f"http://127.0.0.1:{port}/{i}")) != len(raw):
                    raise RuntimeError(f"the bare app's page {i} differs")
            return time.perf_counter() - started
        finally:
            client.close()
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_bare(port: int) -> _Client:
    deadline = time.monotonic() + 30
    while True:
        client = _Client(f"http://127.0.0.1:{port}/", None)
        try:
            client.get(f"http://127.0.0.1:{port}/0")
            return client
        except (OSError, http.client.HTTPException):
            client.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def floor(data: list[dict[str, Any]]) -> float:
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        orjson.dumps({"more": False, "objects": data})
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def run_size(n: int, *, peer: bool, folder: Path) -> dict[str, Any]:
    data = objects(n)
    posted = {o["id"] for o in data}
    sides: list[Side] = []
    starters = [("clearinghouse", clearinghouse)] + ([("medallion", medallion)] if peer else [])
    for name, start in starters:
        side = Side(name)
        where = folder / f"{name}-{n}"
        where.mkdir()
        with start(where) as (_discovery, url, secret):
            ingest(side, url, secret, data)
            page_through(side, url, secret)
            discard_walk(side, url, secret)
            request_floor(side, url, secret)
            if name == "clearinghouse":
                collection_id = url.rstrip("/").rsplit("/", 1)[1]
                side.storage_seconds = storage_walk(where, secret, collection_id, n)
                side.transport_seconds = transport_walk(where, side.served)
            side.served.clear()
        if len(side.ids) != n or set(side.ids) != posted:
            raise RuntimeError(f"{name} returned {len(side.ids)} ids for {n} posted")
        sides.append(side)
    return {
        "n": n,
        "floor_seconds": floor(data),
        "sides": {
            s.name: {
                "ingest_seconds": s.ingest_seconds,
                "ingest_per_second": n / s.ingest_seconds,
                "client_seconds": s.client_seconds,
                "server_seconds": s.server_seconds,
                "server_seconds_httpx": s.server_seconds_httpx,
                "pages": len(s.page_seconds),
                "first_page_seconds": s.page_seconds[0],
                "median_page_seconds": statistics.median(s.page_seconds),
                "last_pages_median_seconds": statistics.median(s.page_seconds[-5:]),
                "request_seconds": s.request_seconds,
                "noop_request_seconds": s.noop_seconds,
                "storage_seconds": s.storage_seconds,
                "transport_seconds": s.transport_seconds,
            }
            for s in sides
        },
    }


def report(rows: list[dict[str, Any]]) -> None:
    table = Table(title=f"TAXII 2.1: page through N objects ({PAGE} per page) and ingest")
    for column in (
        "N", "server", "ingest obj/s", "client walk", "server walk", "(httpx)", "floor (orjson)",
        "server/floor", "first page", "median page", "last pages", "request (limit=1)",
        "objects' share/floor", "vs medallion (client)",
    ):  # fmt: skip
        table.add_column(column, justify="right")
    for row in rows:
        sides = row["sides"]
        peer = sides.get("medallion")
        for name, s in sides.items():
            ratio = "-"
            if peer and name == "clearinghouse":
                ratio = f"{peer['client_seconds'] / s['client_seconds']:.0f}x faster"
            over_floor = s["server_seconds"] / row["floor_seconds"]
            # The walk less what its pages cost before any object: the objects' own share.
            share = s["server_seconds"] - s["pages"] * s["request_seconds"]
            table.add_row(
                f"{row['n']:,}", name, fmt_rate(s["ingest_per_second"]),
                fmt_ms(s["client_seconds"]), fmt_ms(s["server_seconds"]),
                fmt_ms(s["server_seconds_httpx"]),
                fmt_ms(row["floor_seconds"]), f"{over_floor:.1f}",
                fmt_ms(s["first_page_seconds"]), fmt_ms(s["median_page_seconds"]),
                fmt_ms(s["last_pages_median_seconds"]), fmt_ms(s["request_seconds"]),
                f"{share / row['floor_seconds']:.1f}", ratio,
            )  # fmt: skip
    console.print(table)
    for row in rows:
        s = row["sides"]["clearinghouse"]
        floor_seconds = row["floor_seconds"]
        noop = s.get("noop_request_seconds")
        if noop:
            # What the server's walk cannot go under whatever a page holds: one request per page.
            console.print(
                f"N = {row['n']:,}: {s['pages']} requests that do nothing (GET /healthz, "
                f"{fmt_ms(noop)} each) take {s['pages'] * noop / floor_seconds:.1f}x "
                "the orjson floor"
            )
        storage, transport = s.get("storage_seconds"), s.get("transport_seconds")
        if storage is not None and transport is not None:
            bound = storage + transport
            console.print(
                f"N = {row['n']:,}: bounds, in orjson floors: the database alone (the page "
                f"statements through bare sqlite3) {fmt_ms(storage)} = "
                f"{storage / floor_seconds:.1f}x; the same bytes over HTTP from a bare ASGI "
                f"app {fmt_ms(transport)} = {transport / floor_seconds:.1f}x; together "
                f"{bound / floor_seconds:.1f}x. The server: "
                f"{s['server_seconds'] / floor_seconds:.1f}x, of which "
                f"{(s['server_seconds'] - bound) / floor_seconds:.1f}x is its own work "
                "(authentication, the policy, the access log, the framework)"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.taxii", description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES} (smoke run)")
    parser.add_argument("--sizes", type=int, nargs="*", help="collection sizes (N)")
    parser.add_argument(
        "--peer-max", type=int, default=10_000, help="largest N medallion is run at"
    )
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    if package_version("medallion") is None or package_version("taxii2-client") is None:
        console.print("medallion and taxii2-client are needed (make install)")
        return 2
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            rows.append(run_size(n, peer=n <= args.peer_max, folder=Path(folder)))
            # Each size as it finishes, so a long run cut short keeps what it measured.
            console.print(f"N = {n:,} done: {orjson.dumps(rows[-1]).decode()}")
    report(rows)
    write_result(NAME, {"page": PAGE, "sizes": rows}, args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
