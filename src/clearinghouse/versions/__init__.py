"""Ecosystem version ordering and OSV range evaluation (pure: no web, no database).

Entry points:

* :func:`sort_key` / :func:`compare` order versions by OSV ecosystem name
  (``Maven``, ``PyPI``, ``npm``, ``crates.io``, ``Go``, ``NuGet``, ``RubyGems``...;
  anything else gets a documented best-effort ordering).
* :func:`is_affected` evaluates OSV ranges plus an explicit version list;
  :func:`compile_ranges` pre-computes them for many fast checks;
  :func:`affected_intervals` renders them for people.

``docs/versions.md`` describes each ordering and how it is verified.
"""

from clearinghouse.versions.ecosystems import (
    KeyFunction,
    Scheme,
    compare,
    key_function,
    scheme_for,
    sort_key,
)
from clearinghouse.versions.errors import InvalidVersion
from clearinghouse.versions.ranges import (
    CompiledRanges,
    Interval,
    Steps,
    UnreadableBound,
    Verdict,
    affected_intervals,
    compile_ranges,
    is_affected,
    range_key_function,
)

__all__ = [
    "CompiledRanges",
    "Interval",
    "InvalidVersion",
    "KeyFunction",
    "Scheme",
    "Steps",
    "UnreadableBound",
    "Verdict",
    "affected_intervals",
    "compare",
    "compile_ranges",
    "is_affected",
    "key_function",
    "range_key_function",
    "scheme_for",
    "sort_key",
]
