"""The platform as a CSAF 2.0 trusted provider (section 7.2.3), checked the way an
aggregator checks one: from ``security.txt`` to the provider metadata, then every ROLIE
feed and directory, each document's hashes, and its signature verified by GnuPG (an
OpenPGP implementation independent of the Sequoia library that made it), over HTTPS.

Requirement numbers are those of CSAF 2.0 section 7.1.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from clearinghouse.advisories.feeds import csaf_filename
from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.errors import ConfigurationError
from clearinghouse.formats.csaf_validate import validate_csaf_schema
from clearinghouse.pgp import generate_signing_key, load_signing_key
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.support.advisories import AdvisoryPlatform, advisory_platform, create_draft

SCHEMAS = Path(__file__).resolve().parents[2] / "src/clearinghouse/formats/schemas/csaf"
GPG = shutil.which("gpg")
pytestmark = pytest.mark.skipif(GPG is None, reason="gpg (GnuPG) is not installed")


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "csaf-signing.asc"
    path.write_text(generate_signing_key("Clearinghouse test CSAF <csaf@example.org>"))
    return path


@pytest.fixture
def platform(
    database: Database, clock: FixedClock, key_file: Path, tmp_path: Path
) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(
        database, clock, tls_dir=tmp_path, csaf_signing_key_file=key_file
    ) as platform:
        yield platform


class Gpg:
    """GnuPG with a keyring of its own (``--homedir``), no agent state shared."""

    def __init__(self, home: Path) -> None:
        home.mkdir(mode=0o700)
        self.home = home

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert GPG is not None
        return subprocess.run(
            [GPG, "--homedir", str(self.home), "--batch", "--status-fd", "1", *args],
            capture_output=True,
            text=True,
            errors="replace",  # Sequoia's salt notation is binary
            check=False,
            timeout=60,
        )

    def import_key(self, armored: bytes) -> str:
        (self.home / "key.asc").write_bytes(armored)
        assert self.run("--import", str(self.home / "key.asc")).returncode == 0
        listing = self.run("--with-colons", "--fingerprint", "--list-keys").stdout
        (fingerprint,) = [
            line.split(":")[9] for line in listing.splitlines()[:3] if line.startswith("fpr:")
        ]
        return fingerprint

    def verify(self, data: bytes, signature: bytes) -> str | None:
        """The primary key fingerprint of a good signature over ``data``, else None."""
        (self.home / "data").write_bytes(data)
        (self.home / "data.asc").write_bytes(signature)
        result = self.run("--verify", str(self.home / "data.asc"), str(self.home / "data"))
        for line in result.stdout.splitlines():
            if line.startswith("[GNUPG:] VALIDSIG") and result.returncode == 0:
                return line.split()[-1]
        return None


def _provider_validator(schema_file: Path) -> Draft202012Validator:
    """The provider metadata's schema, with the CSAF schema it refers to."""
    csaf = json.loads((SCHEMAS / "csaf_json_schema.json").read_text())
    registry: Registry[Any] = Registry().with_resource(csaf["$id"], Resource.from_contents(csaf))
    return Draft202012Validator(json.loads(schema_file.read_text()), registry=registry)


def _fetch(client: httpx.Client, url: str) -> httpx.Response:
    r = client.get(url, follow_redirects=False)  # requirement 6: no redirects
    assert r.status_code == 200, (url, r.status_code, r.text[:200])  # no redirect either
    assert str(r.url).startswith("https://"), url  # requirement 3: TLS
    return r


@dataclass
class Seen:
    """What an aggregator gathered from one feed."""

    documents: dict[str, bytes]  # url -> content
    unsigned: list[str]
    bad_signatures: list[str]
    bad_hashes: list[str]


def _walk_feed(client: httpx.Client, feed_url: str, gpg: Gpg, fingerprint: str) -> Seen:
    feed = _fetch(client, feed_url).json()["feed"]
    assert feed["category"] == [
        {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
    ]
    seen = Seen({}, [], [], [])
    for entry in feed["entry"]:
        links: dict[str, list[str]] = {}
        for link in entry["link"]:
            links.setdefault(link["rel"], []).append(link["href"])
        (url,) = links["self"]
        assert entry["content"] == {"type": "application/json", "src": url}
        assert entry["format"]["version"] == "2.0"
        content = _fetch(client, url).content
        seen.documents[url] = content
        for hash_url in links.get("hash", []):  # requirement 18
            algorithm = hash_url.rsplit(".", 1)[1]
            digest, name = _fetch(client, hash_url).text.split()
            if digest != hashlib.new(algorithm, content).hexdigest() or url.endswith(name) is False:
                seen.bad_hashes.append(hash_url)
        assert {h.rsplit(".", 1)[1] for h in links.get("hash", [])} >= {"sha256", "sha512"}
        signatures = links.get("signature", [])  # requirement 19
        if not signatures:
            seen.unsigned.append(url)
        for signature_url in signatures:
            assert signature_url == f"{url}.asc"
            if gpg.verify(content, _fetch(client, signature_url).content) != fingerprint:
                seen.bad_signatures.append(signature_url)
    return seen


@pytest.mark.shared_data
def test_every_requirement_of_a_trusted_provider_holds_for_an_aggregator(
    platform: AdvisoryPlatform, tmp_path: Path, shared_data: Path
) -> None:
    op = platform.operator()
    clear = create_draft(op)["id"]
    amber = create_draft(op, tlp="AMBER")["id"]
    for pid in (clear, amber):
        assert op.post(f"/api/v1/advisories/{pid}/publish", json={}).status_code == 200
    gpg = Gpg(tmp_path / "gnupg")
    anonymous = platform.client()

    # Requirement 8 (security.txt) leads to the metadata; 9: it is at the well-known URL.
    security = _fetch(anonymous, "/.well-known/security.txt").text
    (metadata_url,) = [
        line.split(": ", 1)[1] for line in security.splitlines() if line.startswith("CSAF: ")
    ]
    assert metadata_url == f"{platform.url}/.well-known/csaf/provider-metadata.json"
    metadata = _fetch(anonymous, metadata_url).json()
    # Requirement 7: valid provider metadata, declaring the trusted provider role.
    errors = list(
        _provider_validator(
            shared_data / "schemas/csaf_2.0/json_schema/provider_json_schema.json"
        ).iter_errors(metadata)
    )
    assert errors == [], [e.message for e in errors]
    assert metadata["role"] == "csaf_trusted_provider"
    assert metadata["canonical_url"] == metadata_url

    # Requirement 20: the public key, whose fingerprint is the one the metadata states.
    (key,) = metadata["public_openpgp_keys"]
    assert gpg.import_key(_fetch(anonymous, key["url"]).content) == key["fingerprint"]
    fingerprint = key["fingerprint"]

    # Requirements 15 and 16: one ROLIE feed per TLP label, listed in a service document.
    (rolie,) = [d["rolie"] for d in metadata["distributions"] if "rolie" in d]
    feeds = {f["tlp_label"]: f["url"] for f in rolie["feeds"]}
    assert set(feeds) == {"WHITE", "GREEN", "AMBER", "RED"}
    (service_url,) = rolie["services"]
    service = _fetch(anonymous, service_url).json()["service"]
    listed = {c["href"] for w in service["workspace"] for c in w["collection"]}
    assert listed == set(feeds.values())

    # Requirement 4: TLP:WHITE without credentials; 5: AMBER and RED access-protected.
    public = _walk_feed(anonymous, feeds["WHITE"], gpg, fingerprint)
    assert (public.unsigned, public.bad_signatures, public.bad_hashes) == ([], [], [])
    white_url = f"{platform.url}/.well-known/csaf/white/2026/{csaf_filename(clear)}"
    assert list(public.documents) == [white_url]
    amber_url = f"{platform.url}/.well-known/csaf/amber/2026/{csaf_filename(amber)}"
    assert _fetch(anonymous, feeds["AMBER"]).json()["feed"]["entry"] == []
    for suffix in ("", ".sha256", ".asc"):
        assert anonymous.get(amber_url + suffix).status_code == 404
    protected = _walk_feed(op, feeds["AMBER"], gpg, fingerprint)
    assert (protected.unsigned, protected.bad_signatures, protected.bad_hashes) == ([], [], [])
    assert list(protected.documents) == [amber_url]

    for url, content in {**public.documents, **protected.documents}.items():
        document = json.loads(content)
        # Requirement 1: a valid CSAF document; 2: its file name from the tracking id.
        assert validate_csaf_schema(document) == ()
        tracking = document["document"]["tracking"]
        assert url.endswith("/" + csaf_filename(tracking["id"]))
        # Requirement 11: the folder of the initial release's year.
        assert url.split("/")[-2] == tracking["initial_release_date"][:4]

    # Requirements 11-14, the directory distribution, agree with the feeds.
    for folder, client, documents in (
        ("white", anonymous, public.documents),
        ("amber", op, protected.documents),
    ):
        (directory,) = [
            d["directory_url"]
            for d in metadata["distributions"]
            if d.get("directory_url", "").endswith(f"/{folder}/")
        ]
        index = _fetch(client, directory + "index.txt").text.split()  # requirement 12
        assert [directory + path for path in index] == list(documents)
        changes = list(csv.reader(io.StringIO(_fetch(client, directory + "changes.csv").text)))
        assert [directory + row[0] for row in changes] == list(documents)  # requirement 13


def test_a_tampered_document_fails_the_aggregators_signature_check(
    platform: AdvisoryPlatform, tmp_path: Path
) -> None:
    op = platform.operator()
    clear = create_draft(op)["id"]
    assert op.post(f"/api/v1/advisories/{clear}/publish", json={}).status_code == 200
    anonymous = platform.client()
    metadata = _fetch(anonymous, "/.well-known/csaf/provider-metadata.json").json()
    gpg = Gpg(tmp_path / "gnupg")
    (key,) = metadata["public_openpgp_keys"]
    fingerprint = gpg.import_key(_fetch(anonymous, key["url"]).content)
    url = f"/.well-known/csaf/white/2026/{csaf_filename(clear)}"
    content = _fetch(anonymous, url).content
    signature = _fetch(anonymous, url + ".asc").content
    assert gpg.verify(content, signature) == fingerprint
    assert gpg.verify(content.replace(b"Log4j", b"Logj4", 1), signature) is None
    # A good signature by another key is not the provider's.
    impostor = load_signing_key(generate_signing_key("Impostor <csaf@example.org>"))
    assert gpg.verify(content, impostor.sign_detached(content)) is None
    assert anonymous.get("/.well-known/csaf/openpgp/0000.asc").status_code == 404


def test_without_a_key_the_role_is_a_plain_provider_and_nothing_is_signed(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    with advisory_platform(database, clock) as platform:
        op = platform.operator()
        clear = create_draft(op)["id"]
        assert op.post(f"/api/v1/advisories/{clear}/publish", json={}).status_code == 200
        anonymous = platform.client()
        metadata = anonymous.get("/.well-known/csaf/provider-metadata.json").json()
        assert metadata["role"] == "csaf_provider"
        assert "public_openpgp_keys" not in metadata
        url = f"/.well-known/csaf/white/2026/{csaf_filename(clear)}"
        assert anonymous.get(url).status_code == 200
        assert anonymous.get(url + ".asc").status_code == 404
        feed = anonymous.get("/.well-known/csaf/feed-tlp-white.json").json()["feed"]
        (entry,) = feed["entry"]
        assert "signature" not in {link["rel"] for link in entry["link"]}


@pytest.mark.parametrize("content", ["not a key", "public"])
def test_a_key_that_cannot_sign_stops_the_start(
    database: Database, clock: FixedClock, key_file: Path, tmp_path: Path, content: str
) -> None:
    bad = tmp_path / "bad.asc"
    if content == "public":
        bad.write_text(load_signing_key(key_file.read_text()).public_armored)
    else:
        bad.write_text(content)
    with pytest.raises(ConfigurationError, match="CSAF_SIGNING_KEY_FILE"):
        create_app(make_settings(database.url, csaf_signing_key_file=bad), database=database)
