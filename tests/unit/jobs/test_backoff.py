"""Retry delays: exponential, capped at an hour, with a small deterministic jitter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.jobs.backoff import MAX_DELAY_SECONDS, backoff_delay


def test_doubles_from_the_base() -> None:
    delays = [backoff_delay(n, 5.0, jitter_fraction=0).total_seconds() for n in range(1, 6)]
    assert delays == [5.0, 10.0, 20.0, 40.0, 80.0]


def test_capped_at_one_hour_even_for_huge_attempt_numbers() -> None:
    assert backoff_delay(10_000, 5.0) == timedelta(seconds=MAX_DELAY_SECONDS)


def test_jitter_is_deterministic_per_job_and_attempt() -> None:
    assert backoff_delay(3, 5.0, salt="job-a") == backoff_delay(3, 5.0, salt="job-a")
    spread = {backoff_delay(3, 5.0, salt=f"job-{i}") for i in range(50)}
    assert len(spread) > 40  # jobs that failed together do not retry together


@given(
    attempt=st.integers(1, 100),
    base=st.floats(0, 600, allow_nan=False),
    salt=st.text(max_size=20),
)
def test_within_jitter_of_the_capped_exponential(attempt: int, base: float, salt: str) -> None:
    delay = backoff_delay(attempt, base, salt=salt).total_seconds()
    raw = min(base * 2 ** min(attempt - 1, 64), MAX_DELAY_SECONDS)
    assert raw - 1e-6 <= delay <= min(raw * 1.1, MAX_DELAY_SECONDS) + 1e-6


@given(attempt=st.integers(1, 60), base=st.floats(0.001, 600, allow_nan=False))
def test_never_shorter_than_the_previous_attempts_unjittered_delay(
    attempt: int, base: float
) -> None:
    now = backoff_delay(attempt + 1, base, jitter_fraction=0)
    before = backoff_delay(attempt, base, jitter_fraction=0)
    assert now >= before


@pytest.mark.parametrize(
    "kwargs", [{"attempt": 0}, {"base_seconds": -1.0}, {"jitter_fraction": 1.5}]
)
def test_refuses_nonsense(kwargs: dict[str, float]) -> None:
    args: dict[str, float] = {"attempt": 1, "base_seconds": 5.0}
    args.update(kwargs)
    jitter = args.pop("jitter_fraction", 0.1)
    with pytest.raises(ValueError, match="must be"):
        backoff_delay(int(args["attempt"]), args["base_seconds"], jitter_fraction=jitter)
