"""The CycloneDX schema check asks ``jsonschema_rs`` first and walks ``jsonschema`` only
for a document it calls invalid: the two must give the same verdict, on every shared
CycloneDX JSON document in every spec version it could claim, and on documents
Hypothesis breaks in one place (a value replaced, a key added or removed)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.formats.cyclonedx import (
    _fast_validator,
    _validator,
    cyclonedx_schema_violations,
)

VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6")


def _slow_valid(document: Any, version: str) -> bool:
    return next(iter(_validator(version).iter_errors(document)), None) is None


def _agree(document: Any, version: str) -> bool:
    return bool(_fast_validator(version).is_valid(document)) == _slow_valid(document, version)


def _documents(shared_data: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted((shared_data / "sbom").rglob("*.json")):
        document = orjson.loads(path.read_bytes())
        if isinstance(document, dict) and document.get("bomFormat") == "CycloneDX":
            yield path, document


def test_both_validators_agree_on_the_shared_documents_in_every_version(
    shared_data: Path,
) -> None:
    checked = 0
    for path, document in _documents(shared_data):
        for version in VERSIONS:  # the wrong version too: that makes invalid documents
            claimed = {**document, "specVersion": version}
            assert _agree(claimed, version), (path, version)
            checked += 1
    assert checked >= 5 * 20


def test_the_check_still_reports_jsonschema_messages() -> None:
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "components": [{"type": "bogus", "name": "x"}],
    }
    found = cyclonedx_schema_violations(document)
    assert found
    assert found[0].path == "$.components[0].type"
    assert found[0].keyword == "enum"
    document["components"] = [{"type": "library", "name": "x"}] * 2
    assert cyclonedx_schema_violations(document)[0].keyword == "uniqueItems"


BASE: dict[str, Any] = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
    "version": 1,
    "metadata": {
        "timestamp": "2024-01-01T00:00:00Z",
        "component": {"type": "application", "name": "app", "bom-ref": "root"},
        "tools": {"components": [{"type": "application", "name": "syft"}]},
    },
    "components": [
        {
            "type": "library",
            "bom-ref": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "group": "org.apache.logging.log4j",
            "name": "log4j-core",
            "version": "2.14.1",
            "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "hashes": [{"alg": "SHA-256", "content": "a" * 64}],
            "licenses": [{"license": {"id": "Apache-2.0"}}],
            "externalReferences": [{"type": "website", "url": "https://logging.apache.org"}],
            "properties": [{"name": "k", "value": "v"}],
        },
        {
            "type": "library",
            "name": "lodash",
            "version": "4.17.20",
            "purl": "pkg:npm/lodash@4.17.20",
        },
    ],
    "dependencies": [
        {"ref": "root", "dependsOn": ["pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"]}
    ],
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 3)
    | st.sampled_from([1.5, 0.0])
    | st.sampled_from(
        ["", "library", "SHA-256", "a" * 64, "Apache-2.0", "root", "urn:uuid:x", "1.5", "x"]
    )
    | st.text(max_size=3),
    lambda children: (
        st.lists(children, max_size=2)
        | st.dictionaries(
            st.sampled_from(["type", "name", "ref", "id", "alg", "content", "x"]),
            children,
            max_size=2,
        )
    ),
    max_leaves=5,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


PATHS = [p for p in _paths(BASE) if p]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(PATHS),
    how=st.sampled_from(["replace", "delete", "add", "duplicate"]),
    value=json_values,
    version=st.sampled_from(VERSIONS),
)
def test_both_validators_agree_on_broken_documents(
    path: tuple[Any, ...], how: str, value: Any, version: str
) -> None:
    document = copy.deepcopy(BASE)
    document["specVersion"] = version
    *parents, last = path
    holder: Any = document
    for step in parents:
        holder = holder[step]
    if how == "replace":
        holder[last] = value
    elif how == "delete":
        del holder[last]
    elif how == "add" and isinstance(holder[last], dict):
        holder[last]["extra"] = value
    elif how == "duplicate" and isinstance(holder, list):
        holder.append(copy.deepcopy(holder[last]))
    assert _agree(document, version)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_base_document_is_valid_in_every_version_or_both_say_not(version: str) -> None:
    assert _agree({**BASE, "specVersion": version}, version)
