"""What a running platform holds: settings, database, clock and services.

Built once by ``create_app`` (or the CLI) and handed to whoever needs it; nothing here
is created at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clearinghouse.db import Database
from clearinghouse.settings import Settings
from clearinghouse.timeutil import Clock


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock
    # Filled by the jobs/notify wiring: mailer, webhook client, secret box, job registry.
    services: dict[str, Any] = field(default_factory=dict)
