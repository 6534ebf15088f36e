"""Schemathesis against ``/openapi.json``: every operation fuzzed with a bounded number of
generated examples, as an anonymous caller, a member's administrator and the operator's
administrator (each with an API token of every scope their role allows).

For every response: no 5xx; the status code, content type and body are those the
operation documents; and the error contract of its prefix holds (``/api/v1`` errors are
RFC 9457 problems with a ``code``). Every failure of every operation is collected and
reported together, with the request that produced it.

``CLEARINGHOUSE_FUZZ_EXAMPLES`` (default 4) sets the examples per operation and
principal; the figures of a run are in ``docs/security.md``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import User
from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.principal import SYSTEM, Scope
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.support.db import sqlite_copy
from tests.support.factory import World, seed

EXAMPLES = int(os.environ.get("CLEARINGHOUSE_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PROBLEM_FIELDS = {"type", "title", "status", "detail", "code"}


@dataclass
class Findings:
    operations: int = 0
    calls: int = 0
    failures: dict[str, str] = field(default_factory=dict)

    def fail(self, label: str, what: str) -> None:
        self.failures.setdefault(label, what[:1500])


@pytest.fixture(scope="module")
def fuzzed_app(
    _sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, dict[str, dict[str, str]]]]:
    database = Database(sqlite_copy(_sqlite_template, tmp_path_factory.mktemp("fuzz")))
    clock = FixedClock(datetime(2026, 10, 1, 10, 0, tzinfo=UTC))
    world = seed(database, clock)
    headers: dict[str, dict[str, str]] = {"anonymous": {}} | {
        who: {"Authorization": f"Bearer {_token(database, clock, email, scopes)}"}
        for who, email, scopes in [
            ("member admin", World.member_admin, {Scope.READ, Scope.WRITE, Scope.ADMIN}),
            ("operator admin", world.operator_admin, {Scope.READ, Scope.WRITE, Scope.ADMIN}),
        ]
    }
    app = create_app(make_settings(database.url), clock=clock, database=database)
    yield app, headers
    database.dispose()


def _token(database: Database, clock: FixedClock, email: str, scopes: set[Scope]) -> str:
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        new = accounts.create_token(
            s,
            actor=SYSTEM,
            user=user,
            org_id=user.memberships[0].organisation_id,
            name="fuzz",
            scopes=scopes,
            now=clock.now(),
            expires_at=None,
        )
        return new.secret


def _error_contract(path: str, response: Any) -> str | None:
    """The error body of a ``/api/v1`` route is a problem; None when it holds."""
    if not path.startswith("/api/v1") or response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if not content_type.startswith("application/problem+json"):
        return f"{response.status_code} answered as {content_type!r}, not a problem"
    body = response.json()
    missing = PROBLEM_FIELDS - set(body)
    if missing or body["status"] != response.status_code:
        return f"{response.status_code}: a problem without {sorted(missing)} or with a wrong status"
    return None


def fuzz(app: Any, headers: dict[str, str]) -> Findings:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found = Findings()
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            found.fail("the OpenAPI document", str(result.err()))
            continue
        found.operations += 1
        fuzz_operation(result.ok(), headers, found)
    return found


def fuzz_operation(operation: Any, headers: dict[str, str], found: Findings) -> None:
    label = operation.label

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples every run: a failure is reproducible
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        found.calls += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (FailureGroup, AssertionError) as failure:  # collected, reported at the end
            found.fail(label, f"{failure}\n{case.as_curl_command(headers=headers)}")
        broken = _error_contract(case.path, response)
        if broken:
            found.fail(label, f"{broken}\n{case.as_curl_command(headers=headers)}")

    run()


@pytest.mark.parametrize("who", ["anonymous", "member admin", "operator admin"])
def test_every_operation_survives_fuzzing(
    who: str, fuzzed_app: tuple[Any, dict[str, dict[str, str]]]
) -> None:
    app, headers = fuzzed_app
    found = fuzz(app, headers[who])
    assert found.operations >= 100  # the whole API was walked, not a corner of it
    assert found.calls >= found.operations
    report = "\n\n".join(f"{label}:\n{what}" for label, what in sorted(found.failures.items()))
    assert not found.failures, f"{len(found.failures)} operations failed:\n\n{report}"
