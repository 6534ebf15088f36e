"""The capacity benchmark runs on tiny sizes against PostgreSQL and its hard checks hold:
full pages of the objects written, the alert passes deriving what they should."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench import capacity

from tests.support.db import POSTGRES_ENV, postgres_required, postgres_url


def test_capacity_bench_runs_and_checks(tmp_path: Path) -> None:
    url = postgres_url()
    if url is None:
        if postgres_required():  # CI: a missing PostgreSQL fails, as everywhere else
            pytest.fail(f"PostgreSQL is required but {POSTGRES_ENV} is not set")
        pytest.skip(f"needs PostgreSQL ({POSTGRES_ENV})")
    status = capacity.main(
        ["--postgres", url, "--stix", "4000", "--subjects", "30", "--repeats", "1",
         "--commits", "16", "--out-dir", str(tmp_path)]
    )  # fmt: skip
    result = json.loads((tmp_path / "capacity.json").read_text())
    assert status == 0, result["problems"]
    assert set(result["page_ms_median"]) == {"first", "middle", "last"}
    assert result["stix_bytes_per_row"] > 0
    assert result["obligations"] > 0
