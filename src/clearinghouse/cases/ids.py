"""Time-ordered identifiers (the UUIDv7 layout) for rows whose order matters.

Timeline events, status records and report transitions are listed by the instant they
happened; many share one instant (one request records several steps, and tests run on a
fixed clock). Ordering ties by a random UUID would shuffle them. A UUIDv7 starts with
the wall-clock milliseconds of its creation and then a per-process counter, so ties
fall back to creation order. The wall clock is used for ordering only, never as a
domain time (domain times come from the injected clock).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last = [0, 0]  # [milliseconds, counter]
_COUNTER_BITS = 12


def ordered_id() -> uuid.UUID:
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last[0]:
            ms = _last[0]
            _last[1] += 1
            if _last[1] >= 1 << _COUNTER_BITS:
                ms += 1
                _last[1] = 0
        else:
            _last[1] = 0
        _last[0] = ms
        counter = _last[1]
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= counter << 64
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand
    return uuid.UUID(int=value)
