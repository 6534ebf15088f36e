"""When a failed job is tried again: exponential backoff, capped, with a deterministic jitter.

Pure (no database). The jitter spreads the retries of many jobs that failed together
(an SMTP server that was down for a minute) without making a single job's schedule
random: it is derived from the job's id and attempt, so tests and operators can predict it.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

MAX_DELAY_SECONDS = 3600.0
JITTER_FRACTION = 0.1


def backoff_delay(
    attempt: int,
    base_seconds: float,
    *,
    salt: str = "",
    cap_seconds: float = MAX_DELAY_SECONDS,
    jitter_fraction: float = JITTER_FRACTION,
) -> timedelta:
    """Delay before retrying after the ``attempt``-th failed attempt (1-based).

    ``base_seconds * 2**(attempt-1)``, plus up to ``jitter_fraction`` of it (chosen by
    hashing ``salt`` and ``attempt``), never more than ``cap_seconds``.
    """
    if attempt < 1:
        raise ValueError(f"attempt must be 1 or more, not {attempt}")
    if base_seconds < 0 or cap_seconds < 0 or not 0 <= jitter_fraction <= 1:
        raise ValueError("base, cap and jitter must be non-negative (jitter at most 1)")
    # 2**exponent overflows floats long after it passes any cap; stop doubling early.
    exponent = min(attempt - 1, 64)
    raw = min(base_seconds * float(2**exponent), cap_seconds)
    digest = hashlib.sha256(f"{salt}:{attempt}".encode()).digest()
    unit = int.from_bytes(digest[:8], "big") / 2**64  # in [0, 1)
    return timedelta(seconds=min(raw * (1 + jitter_fraction * unit), cap_seconds))
