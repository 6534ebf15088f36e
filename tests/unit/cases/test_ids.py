"""Time-ordered ids: creation order is sort order, as UUIDs and as their text."""

from __future__ import annotations

import threading
import uuid

from clearinghouse.cases.ids import ordered_id


def test_ids_sort_in_creation_order_and_are_version_7() -> None:
    ids = [ordered_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert [str(i) for i in ids] == sorted(str(i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {7}
    assert {i.variant for i in ids} == {uuid.RFC_4122}


def test_ids_are_unique_across_threads() -> None:
    found: list[uuid.UUID] = []
    lock = threading.Lock()

    def make() -> None:
        mine = [ordered_id() for _ in range(2000)]
        assert mine == sorted(mine)
        with lock:
            found.extend(mine)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == len(found)
