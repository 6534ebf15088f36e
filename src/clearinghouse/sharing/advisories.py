"""Published advisories as shared STIX objects, automatically.

Every publication and withdrawal enqueues ``advisory.share`` (in the transaction that
publishes); its handler here turns the served revision into STIX 2.1: one
``vulnerability`` per vulnerability (external references to its CVE, GHSA and OSV
record) and one ``report`` carrying the advisory (title, summary, its vulnerabilities).
Identifiers are UUIDv5 of the advisory and record, so every revision is a new version of
the same objects (``modified`` = the revision's publication instant); a withdrawal is a
version with ``revoked: true``. Each object carries the revision's own TLP marking and
names its recipient organisations and people (the revision's, and the case's parties),
and goes into every collection flagged for advisories whose audience the marking allows
(:func:`clearinghouse.policy.audience_allows`).
Idempotent: a version already stored is not stored twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select

from clearinghouse.advisories import service
from clearinghouse.advisories.models import Advisory, AdvisoryState
from clearinghouse.advisories.publish import KIND_SHARE
from clearinghouse.errors import NotFound
from clearinghouse.formats import model as m
from clearinghouse.formats import neutral, stix
from clearinghouse.jobs.registry import JobContext, JobRegistry, PermanentJobError
from clearinghouse.policy import audience_allows
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import store
from clearinghouse.sharing.models import Collection

NAMESPACE: Final = uuid.UUID("3d1f0c52-7a4e-4d8b-9f2a-6c5e1b7d9a03")  # ours; fixed forever


def _id(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '|'.join(parts))}"


def _references(vuln: m.Vulnerability, base_url: str) -> list[dict[str, str]]:
    refs = []
    if vuln.cve:
        refs.append({"source_name": "cve", "external_id": vuln.cve})
    for alias in vuln.aliases:
        if alias.startswith("GHSA-"):
            refs.append({"source_name": "ghsa", "external_id": alias})
    refs.append(
        {
            "source_name": "osv",
            "external_id": vuln.id,
            "url": f"{base_url.rstrip('/')}/osv/v1/vulns/{vuln.id}",
        }
    )
    return refs


def advisory_objects(
    doc: m.Advisory,
    *,
    public_id: str,
    tlp: m.Tlp,
    created: datetime,
    modified: datetime,
    withdrawn: bool,
    base_url: str,
) -> list[dict[str, Any]]:
    """The STIX objects of one advisory revision (pure)."""
    common: dict[str, Any] = {
        "spec_version": "2.1",
        "created": stix.stix_time(created),
        "modified": stix.stix_time(max(modified, created)),
        "object_marking_refs": [stix.TLP_MARKING[tlp]],
    }
    if withdrawn:
        common["revoked"] = True
    objects: list[dict[str, Any]] = []
    for vuln in doc.vulnerabilities:
        objects.append(
            {
                "type": "vulnerability",
                "id": _id("vulnerability", public_id, vuln.id),
                "name": (vuln.cve or vuln.id)[:250],
                "description": (vuln.summary or vuln.details or doc.title)[:5000],
                "external_references": _references(vuln, base_url),
                **common,
            }
        )
    refs = [o["id"] for o in objects] or [_id("vulnerability", public_id, public_id)]
    if not objects:  # a report needs something to refer to: the advisory itself
        objects.append(
            {
                "type": "vulnerability",
                "id": refs[0],
                "name": public_id,
                "description": doc.title[:5000],
                **common,
            }
        )
    objects.append(
        {
            "type": "report",
            "id": _id("report", public_id),
            "name": f"{public_id}: {doc.title}"[:250],
            "description": (doc.summary or doc.title)[:5000],
            "published": stix.stix_time(created),
            "report_types": ["vulnerability"],
            "object_refs": refs,
            "external_references": [
                {
                    "source_name": "clearinghouse",
                    "external_id": public_id,
                    "url": f"{base_url.rstrip('/')}/api/v1/advisories/{public_id}",
                }
            ],
            **common,
        }
    )
    return objects


def share(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Share the revision the job names as it was published: its own document, marking,
    recipients and publication instant, whatever the advisory has become since (a job that
    runs late, after a later revision re-marked it, must not carry one revision's words
    under another's marking)."""
    try:
        advisory_id = uuid.UUID(str(payload["advisory_id"]))
        number = int(payload["revision"])
    except (KeyError, ValueError) as exc:
        raise PermanentJobError(f"bad {KIND_SHARE} payload: {exc}") from exc
    session = ctx.session
    advisory = session.get(Advisory, advisory_id)
    if advisory is None or advisory.state not in (AdvisoryState.PUBLISHED, AdvisoryState.WITHDRAWN):
        return
    try:
        stored = service.revision(session, advisory, number)
    except NotFound:
        raise PermanentJobError(f"{advisory.public_id} has no revision {number}") from None
    facts = service.revision_facts(advisory, stored, service.facts(session, advisory))
    tlp = facts.tlp
    if tlp is None:  # unmarked: the operator's only, never shared
        return
    doc = neutral.from_json(stored.document)
    named_orgs = facts.recipient_org_ids | facts.advisory.participant_org_ids
    named_users = facts.recipient_user_ids
    withdrawn = (
        advisory.state is AdvisoryState.WITHDRAWN and number == advisory.published_revision
    ) or (bool(doc.vulnerabilities) and all(v.withdrawn for v in doc.vulnerabilities))
    objects = advisory_objects(
        doc,
        public_id=advisory.public_id,
        tlp=tlp,
        created=doc.initial_release,
        modified=doc.current_release,
        withdrawn=withdrawn,
        base_url=ctx.settings.base_url,
    )
    audience = store.Audience(org_ids=named_orgs, user_ids=named_users)
    for collection in session.scalars(select(Collection).where(Collection.advisories.is_(True))):
        allowed = audience_allows(
            store.collection_facts(session, collection),
            tlp,
            named_org_ids=named_orgs,
            named_user_ids=named_users,
        )
        if allowed:
            store.add_objects(
                session, collection, SYSTEM, objects, now=ctx.now(), audience=audience
            )


def register(registry: JobRegistry) -> None:
    registry.register(KIND_SHARE, share)
