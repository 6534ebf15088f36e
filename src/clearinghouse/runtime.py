"""What a running platform holds: settings, database, clock, the outside-world services,
how requests are authenticated, and per-process caches.

Built once by ``create_app`` (or the CLI) and handed to whoever needs it; nothing here
is created at import time. The HTTP layer (``api/``) reaches the domains only through
these fields, which the wiring fills.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from threading import Lock
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from clearinghouse.db import Database
from clearinghouse.principal import ANONYMOUS, Credentials, Principal
from clearinghouse.services import Services
from clearinghouse.settings import Settings
from clearinghouse.timeutil import Clock

T = TypeVar("T")


class Authenticate(Protocol):
    def __call__(self, session: Session, credentials: Credentials, now: datetime) -> Principal:
        """The principal these credentials open, or raise ``Unauthenticated``/``Forbidden``."""
        ...


def anonymous_only(session: Session, credentials: Credentials, now: datetime) -> Principal:
    """An :class:`Authenticate` that accepts nobody (a runtime built without the wiring)."""
    return ANONYMOUS


class Caches:
    """One instance per class, created on first use and kept for the process (e.g. the
    OSV API's compiled-range cache). Typed by the class asked for."""

    def __init__(self) -> None:
        self._items: dict[type[object], object] = {}
        self._lock = Lock()

    def get(self, cls: type[T], factory: Callable[[], T]) -> T:
        with self._lock:
            found = self._items.get(cls)
            if not isinstance(found, cls):
                found = factory()
                self._items[cls] = found
            return found


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock
    services: Services
    authenticate: Authenticate = anonymous_only
    caches: Caches = field(default_factory=Caches)
    # Payload fields of each job kind that no one is shown (``JobRegistry.withheld``).
    withheld_payload: Mapping[str, frozenset[str]] = field(default_factory=dict)
