"""Logs for a person at a terminal are readable lines; for machines (not a terminal, or
CLEARINGHOUSE_LOG_JSON=true) one JSON object per line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from clearinghouse.api.middleware import configure_logging


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


CHILDREN = ("clearinghouse.access", "clearinghouse.jobs")


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    """Other tests may leave these loggers disabled (Alembic's fileConfig does) or
    levelled: start from a known state, and leave the one found."""
    root = logging.getLogger("clearinghouse")
    handlers, level, propagate = list(root.handlers), root.level, root.propagate
    children = [logging.getLogger(name) for name in CHILDREN]
    saved = [(c.disabled, c.level) for c in children]
    for child in children:
        child.disabled = False
        child.setLevel(logging.NOTSET)
    yield
    root.handlers[:], root.level, root.propagate = handlers, level, propagate
    for child, (disabled, child_level) in zip(children, saved, strict=True):
        child.disabled, child.level = disabled, child_level


def _request(stream: io.StringIO) -> str:
    logging.getLogger("clearinghouse.access").info(
        "request",
        extra={
            "request_id": "abc",
            "method": "GET",
            "path": "/advisories",
            "status": 200,
            "duration_ms": 12.3,
        },
    )
    logging.getLogger("clearinghouse.jobs").warning("job failed", extra={"job": "j-1"})
    return stream.getvalue()


def test_a_terminal_gets_readable_lines() -> None:
    stream = Terminal()
    configure_logging("INFO", None, stream)
    first, second = _request(stream).splitlines()
    assert first.endswith(" INFO    GET /advisories 200 12.3 ms")
    assert second.endswith(" WARNING jobs: job failed job=j-1")
    assert "{" not in first


def test_anything_else_gets_json_lines() -> None:
    stream = io.StringIO()
    configure_logging("INFO", None, stream)
    records = [json.loads(line) for line in _request(stream).splitlines()]
    assert records[0]["path"] == "/advisories"
    assert records[0]["status"] == 200
    assert records[1]["job"] == "j-1"


def test_the_setting_overrides_the_terminal() -> None:
    stream = Terminal()
    configure_logging("INFO", True, stream)
    assert json.loads(_request(stream).splitlines()[0])["method"] == "GET"
    plain = io.StringIO()
    configure_logging("INFO", False, plain)
    assert "GET /advisories 200" in _request(plain)
