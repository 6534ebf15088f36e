"""The registry with every built-in job kind: what the app and ``clearinghouse worker`` run."""

from __future__ import annotations

from clearinghouse.jobs.registry import JobRegistry
from clearinghouse.jobs.services import Services
from clearinghouse.notify import handlers as notify_handlers


def default_registry(services: Services) -> JobRegistry:
    registry = JobRegistry(services)
    notify_handlers.register(registry)
    return registry
