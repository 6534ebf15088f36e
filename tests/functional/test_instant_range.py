"""Instants outside the range the platform takes, at every edge that reads one, on SQLite
and PostgreSQL. ``0001-01-01T00:00:00+01:00`` has no UTC instant (``astimezone`` raised
OverflowError, which no ``except ValueError`` caught); instants given to record, schedule
or evaluate at lie from 1970 up to year 9999 (what is computed from them, and the
instant written in any zone, then stays within what ``datetime`` holds). Each was a 500
or exit code 70; each is now a typed 422 problem, a refused form, a failed import item
or exit code 2, and nothing stored changes. An imported instant at year 1 (PyPA's
PYSEC-2024-55 is ``modified: 0001-01-01T00:00:00Z``) is still stored and shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from clearinghouse.accounts.models import ApiToken, Organisation, User
from clearinghouse.db import Database
from clearinghouse.principal import SYSTEM
from clearinghouse.standing import submissions
from clearinghouse.standing.models import Submission, SubmissionState
from tests.functional.conftest import Platform
from tests.support.advisories import log4shell_draft
from tests.support.cases import Coordinated, coordinate
from tests.support.cli import run_cli
from tests.support.factory import World, seed
from tests.support.web import HTML, get, sign_in, submit

PROBLEM = "application/problem+json"
NO_UTC_VALUE = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
OUT_OF_RANGE = [*NO_UTC_VALUE, "1969-12-31T23:59:59Z", "9999-12-31T23:59:59Z"]
RANGE = "from 1970-01-01T00:00:00Z up to 9999-01-01T00:00:00Z (not included)"
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.fixture
def coordinated(platform: Platform) -> Coordinated:
    return coordinate(platform)


def _problem(response: httpx.Response, field: str, type_: str = "invalid-input") -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"].endswith(f"/{type_}"), body
    assert body["field"] == field, body


def _zone(platform: Platform, email: str, zone: str) -> None:
    with platform.database.transaction() as s:
        s.execute(update(User).where(User.email == email).values(timezone=zone))


def _page_client(platform: Platform, email: str) -> httpx.Client:
    client = platform.client()
    assert sign_in(client, email, "correct horse battery staple").status_code < 400
    return client


# ---- the API ------------------------------------------------------------------------------------


def test_an_out_of_range_instant_is_a_422_on_the_api_and_records_nothing(
    platform: Platform, coordinated: Coordinated
) -> None:
    case = coordinated.case
    api = coordinated.coordinator
    timeline = api.get(f"/api/v1/cases/{case}/timeline").json()["items"]
    for value in OUT_OF_RANGE:
        recorded = api.post(
            f"/api/v1/cases/{case}/events", json={"type": "aware", "occurred_at": value}
        )
        _problem(recorded, "occurred_at")
        assert RANGE in recorded.json()["detail"]
        for path in ("/api/v1/obligations", f"/api/v1/cases/{case}/timeline"):
            _problem(api.get(path, params={"at": value}), "at")
    assert api.get(f"/api/v1/cases/{case}/timeline").json()["items"] == timeline
    for edge in ("1970-01-01T00:00:00Z", "9998-12-31T23:59:59Z"):
        assert api.get("/api/v1/obligations", params={"at": edge}).status_code == 200


def test_an_embargo_end_with_no_utc_instant_is_a_422(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}/embargo"
    before = coordinated.coordinator.get(base).json()
    for ends_at, zone in [
        ("0001-01-01T00:00:00", "Asia/Shanghai"),  # read in the zone: before year 1 in UTC
        ("9999-12-31T23:00:00", "America/New_York"),
        ("0001-01-01T00:00:00+01:00", "UTC"),
    ]:
        r = coordinated.coordinator.post(
            f"{base}/propose", json={"ends_at": ends_at, "timezone": zone}
        )
        _problem(r, "ends_at")
    assert coordinated.coordinator.get(base).json() == before


def test_a_suspension_ending_past_year_9999_is_a_422(platform: Platform) -> None:
    admin = platform.login(platform.world.operator_admin)
    url = "/api/v1/organisations/member/sanctions"
    past = admin.post(
        url, json={"starts_at": "9998-12-31T00:00:00Z", "days": 3650, "reason": "late reports"}
    )
    _problem(past, "days")
    assert "is past the year 9999" in past.json()["detail"]
    months = admin.post(
        url, json={"starts_at": "9998-12-31T00:00:00Z", "months": 120, "reason": "late"}
    )
    assert months.status_code == 422, months.text
    _problem(
        admin.post(url, json={"starts_at": "9999-06-01T00:00:00Z", "days": 1, "reason": "x"}),
        "starts_at",
    )
    standing = admin.get("/api/v1/organisations/member/standing")
    assert standing.status_code == 200, standing.text
    assert standing.json()["sanctions"] == []


def _osv(id_: str, **times: str) -> bytes:
    record: dict[str, Any] = {
        "id": id_,
        "modified": "2024-02-01T00:00:00Z",
        "summary": "an instant at the edge",
        "affected": [
            {
                "package": {"name": "edge-pkg", "ecosystem": "PyPI"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}
                ],
            }
        ],
    }
    record.update(times)
    return json.dumps(record).encode()


def _stored(database: Database) -> list[str]:
    from clearinghouse.advisories.models import Advisory

    with database.transaction(write=False) as s:
        return sorted(str(a) for a in s.scalars(select(Advisory.public_id)))


@pytest.mark.parametrize("value", NO_UTC_VALUE)
def test_an_osv_record_with_no_utc_instant_fails_alone_over_http(
    platform: Platform, value: str
) -> None:
    op = platform.login(platform.world.operator_analyst)
    good = op.post(
        "/api/v1/advisories/import",
        params={"filename": "good.json", "tlp": "CLEAR"},
        content=_osv("PYSEC-2099-11"),
    )
    assert good.status_code == 200, good.text
    before = _stored(platform.database)
    assert before == ["PYSEC-2099-11"]
    r = op.post(
        "/api/v1/advisories/import",
        params={"filename": "edge.json", "tlp": "CLEAR"},
        content=_osv("PYSEC-2099-12", modified=value),
    )
    assert r.status_code == 200, r.text  # was a 500
    (item,) = r.json()["items"]
    assert item["outcome"] == "failed"
    assert item["error"].startswith(f"$.modified: {value!r} is not a valid instant")
    assert _stored(platform.database) == before


def test_an_imported_instant_at_year_1_is_kept_and_shown_in_any_zone(platform: Platform) -> None:
    """The real PYSEC-2024-55 says ``modified: 0001-01-01T00:00:00Z``; published so, the
    advisory's pages were a 500 for a reader west of UTC."""
    op = platform.login(platform.world.operator_analyst)
    first = "0001-01-01T00:00:00Z"
    r = op.post(
        "/api/v1/advisories/import",
        params={"filename": "y1.json", "tlp": "CLEAR"},
        content=_osv("PYSEC-2099-13", modified=first, published=first),
    )
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["created"] == 1
    exported = op.get("/osv/v1/vulns/PYSEC-2099-13")
    assert exported.status_code == 200, exported.text
    assert exported.json()["modified"] == first
    for zone in ("America/New_York", "Asia/Tokyo"):
        _zone(platform, platform.world.member_admin, zone)
        reader = _page_client(platform, platform.world.member_admin)
        for path in ("/advisories", "/advisories/PYSEC-2099-13"):
            page = get(reader, path)
            assert page.status_code == 200, (zone, path, page.text[:300])
            assert 'datetime="0001-01-01T00:00:00Z"' in page.text, (zone, path)


# ---- the pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [*OUT_OF_RANGE, "0001-01-01T00:00:00Z"])
def test_the_pages_refuse_an_at_outside_the_range(
    platform: Platform, coordinated: Coordinated, value: str
) -> None:
    """``/cases/{ref}?at=0001-01-01T00:00:00Z`` drew a picture 12 hours before year 1;
    ``/audit?at=9999-12-31T23:59:59Z`` wrote the instant in the reader's zone (+14)."""
    _zone(platform, platform.world.member_admin, "Pacific/Kiritimati")
    reader = _page_client(platform, platform.world.member_admin)
    for path in (f"/cases/{coordinated.case}", "/audit", "/members/member"):
        page = reader.get(path, params={"at": value}, headers=HTML)
        assert page.status_code == 422, (path, page.status_code, page.text[:300])
    assert get(reader, f"/cases/{coordinated.case}").status_code == 200


def test_a_submission_form_with_no_utc_instant_is_refused_and_changes_nothing(
    platform: Platform, coordinated: Coordinated
) -> None:
    with platform.database.transaction() as s:  # a product provider in China: MIIT binds it
        s.execute(
            update(Organisation)
            .where(Organisation.slug == "member")
            .values(jurisdictions=["CN"], regulatory_roles=["product_provider"])
        )
    aware = coordinated.coordinator.post(
        f"/api/v1/cases/{coordinated.case}/events",
        json={"type": "aware", "occurred_at": "2026-09-30T10:00:00Z"},
    )
    assert aware.status_code == 201, aware.text
    with platform.database.transaction() as s:
        member = s.scalars(select(Organisation).where(Organisation.slug == "member")).one()
        draft, _ = submissions.create_draft(
            s,
            platform.settings,
            actor=SYSTEM,
            org=member,
            subject=coordinated.case,
            regime="cn-miit-2021",
            stage="report",
            now=platform.clock.now(),
        )
        submission_id = draft.id
    _zone(platform, platform.world.member_admin, "Asia/Shanghai")
    writer = _page_client(platform, platform.world.member_admin)
    form = f"/submissions/{submission_id}"
    for when in ("0001-01-01T00:00", "1969-12-31T23:00"):
        r = submit(writer, form, f"{form}/submit", {"reference": "NVDB-1", "submitted_at": when})
        assert r.status_code == 422, (when, r.status_code, r.text[:300])
    with platform.database.transaction(write=False) as s:
        found = s.get(Submission, submission_id)
        assert found is not None
        assert found.state is SubmissionState.DRAFT


def test_scheduling_from_the_editor_outside_the_range_is_refused(platform: Platform) -> None:
    op = platform.login(platform.world.operator_analyst)
    created = op.post("/api/v1/advisories", json=log4shell_draft(title="Edge"))
    assert created.status_code == 201, created.text
    advisory = created.json()["id"]
    _zone(platform, platform.world.operator_analyst, "Asia/Shanghai")
    editor = _page_client(platform, platform.world.operator_analyst)
    page = f"/editor/advisories/{advisory}"
    for at in ("0001-01-01T00:00", "9999-12-31T23:59"):
        r = submit(editor, page, f"{page}/schedule", {"at": at})
        assert r.status_code == 422, (at, r.status_code, r.text[:300])
    assert op.get(f"/api/v1/advisories/{advisory}").json()["state"] == "draft"


# ---- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_the_clocks_commands_refuse_an_at_outside_the_range(database: Database, value: str) -> None:
    example = str(EXAMPLES / "clocks-cra.json")
    for command in ("evaluate", "board"):
        done = run_cli(database, "clocks", command, "--events", example, "--at", value)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert f"error: {value} is outside the instants the platform takes" in done.stderr
        assert "internal error" not in done.stderr


def test_a_what_if_document_past_year_9999_is_exit_code_2(
    database: Database, tmp_path: Path
) -> None:
    """Events at 9999-12-31T23:59:59Z: the 72-hour deadline overflowed (exit code 70)."""
    doc = json.loads((EXAMPLES / "clocks-cra.json").read_text())
    for event in doc["events"]:
        event["occurred_at"] = event["recorded_at"] = "9999-12-31T23:59:59Z"
    late = tmp_path / "late.json"
    late.write_text(json.dumps(doc))
    done = run_cli(database, "clocks", "evaluate", "--events", str(late))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "error: field 'events[0].occurred_at'" in done.stderr
    assert "internal error" not in done.stderr
    doc["events"] = json.loads((EXAMPLES / "clocks-cra.json").read_text())["events"]
    doc["thresholds"] = {"before_due_hours": [1e20]}
    late.write_text(json.dumps(doc))
    done = run_cli(database, "clocks", "evaluate", "--events", str(late))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "thresholds.before_due_hours[0]" in done.stderr


def test_a_token_expiring_past_year_9999_is_exit_code_2(database: Database, clock: Any) -> None:
    seed(database, clock)
    for days in ("3000000", "1000000000", "-1"):
        done = run_cli(database, "token", "create", "--email", World.member_admin, "--days", days)
        assert done.returncode == 2, (days, done.stdout, done.stderr)
        assert "error: --days must be between 0 (never expires) and 3650" in done.stderr
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0
    done = run_cli(database, "token", "create", "--email", World.member_admin, "--days", "3650")
    assert done.returncode == 0, done.stderr


def test_the_cli_reports_an_osv_record_with_no_utc_instant_and_imports_the_rest(
    database: Database, tmp_path: Path
) -> None:
    (tmp_path / "edge.json").write_bytes(_osv("PYSEC-2099-14", modified=NO_UTC_VALUE[0]))
    (tmp_path / "good.json").write_bytes(_osv("PYSEC-2099-15"))
    done = run_cli(database, "advisory", "import", str(tmp_path), "--tlp", "CLEAR")
    assert done.returncode == 1, (done.stdout, done.stderr)  # some documents failed
    assert f"edge.json: $.modified: {NO_UTC_VALUE[0]!r} is not a valid instant" in done.stderr
    assert "internal error" not in done.stderr
    assert _stored(database) == ["PYSEC-2099-15"]
