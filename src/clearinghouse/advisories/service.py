"""Advisories: drafting, revisions, look-ups and the facts access control needs.

Everything here runs in the caller's transaction and only flushes. Every change appends
an audit entry in the same transaction.

Revisions: each save of a draft whose content differs from the current revision adds a
revision (the whole neutral document); saving identical content is a no-op. Publication
and withdrawal add a revision too (stamped with dates, status and CSAF revision
history), so that what was published is always a stored revision.

What is *served* (to anyone who is not drafting): the published revision of a published
advisory; the current revision of a draft (to the operator and the case's participants).
Each other revision is also read on its own marking, and the drafts newer than the served
revision in order, up to the first a reader may not see (:func:`visible_revision`,
:func:`visible_revisions`, :func:`visible`): a draft re-marked TLP:RED after a CLEAR
publication reaches its named people only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.advisories import index
from clearinghouse.advisories.diff import Change, json_diff
from clearinghouse.advisories.models import (
    LOCAL_SOURCE,
    Advisory,
    AdvisoryRevision,
    AdvisorySequence,
    AdvisoryState,
)
from clearinghouse.advisories.schemas import (
    DraftIn,
    VulnerabilityIn,
    to_vulnerability,
    vulnerability_in,
)
from clearinghouse.audit import service as audit
from clearinghouse.cases.models import Case, Participant
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.formats import model as m
from clearinghouse.formats import neutral
from clearinghouse.policy import (
    MISSING,
    AdvisoryAction,
    AdvisoryFacts,
    RevisionFacts,
    can_revision,
    drafts_shown,
    require_advisory,
)
from clearinghouse.principal import Principal
from clearinghouse.settings import Settings
from clearinghouse.timeutil import ensure_utc

ID_PREFIX = "CHSA"
PUBLISHED_STATES = frozenset({AdvisoryState.PUBLISHED, AdvisoryState.WITHDRAWN})


def platform_publisher(settings: Settings) -> m.Publisher:
    """The platform as the publisher of its own advisories (CSAF ``document.publisher``)."""
    return m.Publisher(
        name=settings.platform_name,
        namespace=settings.base_url.rstrip("/"),
        category="coordinator",
        contact=settings.mail_from,
    )


def digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def next_public_id(session: Session, now: datetime) -> str:
    """``CHSA-YYYY-NNNN``: numbered per year, never reused."""
    year = ensure_utc(now).year
    row = session.get(AdvisorySequence, year, with_for_update=True)
    if row is None:
        row = AdvisorySequence(year=year, last=0)
        session.add(row)
    row.last += 1
    session.flush()
    return f"{ID_PREFIX}-{year}-{row.last:04d}"


# ---- look-ups and access -------------------------------------------------------------------


def get(session: Session, public_id: str, *, for_update: bool = False) -> Advisory:
    query = select(Advisory).where(Advisory.public_id == public_id)
    if for_update:
        query = query.with_for_update()
    found = session.scalars(query).first()
    if found is None:
        raise NotFound(f"no advisory {public_id}")
    return found


def participant_org_ids(session: Session, case_id: uuid.UUID | None) -> frozenset[uuid.UUID]:
    """Organisations taking part in the case (they may read its drafts)."""
    if case_id is None:
        return frozenset()
    ids = set(
        session.scalars(
            select(Participant.org_id).where(
                Participant.case_id == case_id,
                Participant.org_id.is_not(None),
                Participant.removed_at.is_(None),
            )
        )
    )
    coordinator = session.scalar(select(Case.coordinator_org_id).where(Case.id == case_id))
    if coordinator is not None:
        ids.add(coordinator)
    return frozenset(i for i in ids if i is not None)


def _uuids(values: Sequence[str]) -> frozenset[uuid.UUID]:
    out = set()
    for value in values:
        try:
            out.add(uuid.UUID(value))
        except ValueError:
            continue
    return frozenset(out)


def facts(session: Session, advisory: Advisory) -> AdvisoryFacts:
    """Facts for the policy: the advisory's, those of the revision it serves (another
    revision is read on :func:`revision_facts`)."""
    return AdvisoryFacts(
        published=advisory.state in PUBLISHED_STATES,
        tlp=advisory.tlp,
        participant_org_ids=participant_org_ids(session, advisory.case_id),
        recipient_org_ids=_uuids(advisory.recipient_org_ids),
        recipient_user_ids=_uuids(advisory.recipient_user_ids),
    )


def marking(stored: AdvisoryRevision) -> m.Tlp | None:
    """A stored revision's own TLP (``None``, the strictest, if it carries none)."""
    try:
        return m.Tlp(str(stored.document.get("tlp")))
    except ValueError:
        return None


def revision_facts(
    advisory: Advisory,
    stored: AdvisoryRevision,
    served: AdvisoryFacts,
    withheld: range = range(0),
) -> RevisionFacts:
    """Facts for the policy about one stored revision (``served``: :func:`facts`;
    ``withheld``: :func:`withdrawn_drafts`)."""
    draft = (
        advisory.published_revision is None
        or stored.number > advisory.published_revision
        or stored.number in withheld
    )
    return RevisionFacts(
        served,
        marking(stored),
        draft,
        recipient_org_ids=_uuids(stored.recipient_org_ids),
        recipient_user_ids=_uuids(stored.recipient_user_ids),
    )


def _last_entry(stored: AdvisoryRevision) -> str | None:
    history = stored.document.get("revisions")
    if isinstance(history, list) and history and isinstance(history[-1], dict):
        return str(history[-1].get("number"))
    return None


def withdrawn_drafts(session: Session, advisory: Advisory) -> range:
    """The revisions of a withdrawn advisory drafted after its last publication: never
    published (the withdrawal is the published revision's, stamped), so still drafts,
    although numbered below the withdrawal that is now served."""
    if advisory.state is not AdvisoryState.WITHDRAWN or advisory.published_revision is None:
        return range(0)
    stored = revisions(session, advisory, up_to=advisory.published_revision)
    history = stored[-1].document.get("revisions") if stored else None
    if not isinstance(history, list) or len(history) < 2 or not isinstance(history[-2], dict):
        return range(0)
    published = str(history[-2].get("number"))  # the publication the withdrawal was of
    first = next((r.number for r in stored if _last_entry(r) == published), None)
    return range(0) if first is None else range(first + 1, advisory.published_revision)


def readable(session: Session, principal: Principal, public_id: str) -> Advisory:
    """The advisory, if ``principal`` may read it (else the 404/401 the policy says)."""
    try:
        advisory = get(session, public_id)
    except NotFound:
        require_advisory(principal, AdvisoryAction.READ, MISSING)
        raise
    require_advisory(principal, AdvisoryAction.READ, facts(session, advisory))
    return advisory


def writable(
    session: Session, principal: Principal, public_id: str, action: AdvisoryAction
) -> Advisory:
    try:
        advisory = get(session, public_id, for_update=True)
    except NotFound:
        require_advisory(principal, action, MISSING)
        raise
    require_advisory(principal, action, facts(session, advisory))
    return advisory


def visible_revision(session: Session, principal: Principal, advisory: Advisory) -> int:
    """The newest revision number ``principal``, a reader of ``advisory``, may see: the
    served one, or the newest of the drafts the policy shows it
    (:func:`~clearinghouse.policy.drafts_shown`)."""
    served = served_revision(advisory)
    if advisory.current_revision == served:
        return served
    drafts = revisions(session, advisory, after=served)
    base = facts(session, advisory)
    return served + drafts_shown(principal, [revision_facts(advisory, r, base) for r in drafts])


def visible_revisions(
    session: Session, principal: Principal, advisory: Advisory
) -> list[AdvisoryRevision]:
    """The revisions ``principal``, a reader of ``advisory``, may see, oldest first: up to
    :func:`visible_revision`, each one the policy lets it read on its own facts."""
    newest = visible_revision(session, principal, advisory)
    base = facts(session, advisory)
    withheld = withdrawn_drafts(session, advisory)
    return [
        r
        for r in revisions(session, advisory, up_to=newest)
        if can_revision(principal, revision_facts(advisory, r, base, withheld))
    ]


def visible(
    session: Session, principal: Principal, advisory: Advisory, number: int
) -> AdvisoryRevision:
    """Revision ``number``, if ``principal``, a reader of ``advisory``, may see it; else the
    :class:`NotFound` a revision that does not exist gets."""
    if number <= visible_revision(session, principal, advisory):
        stored = revision(session, advisory, number)
        served = facts(session, advisory)
        withheld = withdrawn_drafts(session, advisory)
        if can_revision(principal, revision_facts(advisory, stored, served, withheld)):
            return stored
    raise NotFound(f"{advisory.public_id} has no revision {number}")


def served_revision(advisory: Advisory) -> int:
    if advisory.published_revision is not None:
        return advisory.published_revision
    return advisory.current_revision


def revision(session: Session, advisory: Advisory, number: int) -> AdvisoryRevision:
    found = session.scalars(
        select(AdvisoryRevision).where(
            AdvisoryRevision.advisory_id == advisory.id, AdvisoryRevision.number == number
        )
    ).first()
    if found is None:
        raise NotFound(f"{advisory.public_id} has no revision {number}")
    return found


def document(session: Session, advisory: Advisory, number: int | None = None) -> m.Advisory:
    """The neutral advisory of a revision (default: the served one)."""
    stored = revision(session, advisory, served_revision(advisory) if number is None else number)
    return neutral.from_json(stored.document)


def revisions(
    session: Session, advisory: Advisory, *, up_to: int | None = None, after: int | None = None
) -> list[AdvisoryRevision]:
    query = (
        select(AdvisoryRevision)
        .where(AdvisoryRevision.advisory_id == advisory.id)
        .order_by(AdvisoryRevision.number)
    )
    if up_to is not None:
        query = query.where(AdvisoryRevision.number <= up_to)
    if after is not None:
        query = query.where(AdvisoryRevision.number > after)
    return list(session.scalars(query))


def diff(session: Session, advisory: Advisory, before: int, after: int) -> list[Change]:
    a = revision(session, advisory, before).document
    b = revision(session, advisory, after).document
    return json_diff(a, b)


# ---- storing revisions ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Saved:
    advisory: Advisory
    revision: AdvisoryRevision
    created: bool  # False: the content was identical, nothing was added
    document: m.Advisory  # the revision's document as stored (:func:`withhold_history`)


def store_revision(
    session: Session,
    advisory: Advisory,
    doc: m.Advisory,
    *,
    actor: Principal,
    now: datetime,
    summary: str,
    source_revision: str | None = None,
    source_document: dict[str, Any] | None = None,
    force: bool = False,
    recipients: Recipients | None = None,
) -> Saved:
    """Add ``doc`` as the next revision unless it equals the current one and names the
    same recipients (and not ``force``). ``recipients``: whom it names; by default the
    current revision's (the first revision: the advisory's)."""
    current = (
        revision(session, advisory, advisory.current_revision)
        if advisory.current_revision
        else None
    )
    if recipients is None:
        recipients = Recipients.of(current) if current is not None else Recipients.of(advisory)
    doc = withhold_history(session, advisory, doc, recipients)
    body = neutral.to_json(doc)
    body_digest = digest(body)
    unchanged = (
        current is not None
        and current.digest == body_digest
        and Recipients.of(current) == recipients
    )
    if current is not None and unchanged and not force:
        return Saved(advisory, current, created=False, document=doc)
    number = advisory.current_revision + 1
    stored = AdvisoryRevision(
        id=uuid.uuid4(),
        advisory_id=advisory.id,
        number=number,
        document=body,
        digest=body_digest,
        source_revision=source_revision,
        source_document=source_document,
        summary=summary,
        recipient_org_ids=list(recipients.org_ids),
        recipient_user_ids=list(recipients.user_ids),
        author_user_id=actor.user_id,
        author_label=actor.label,
        created_at=now,
    )
    session.add(stored)
    advisory.current_revision = number
    advisory.updated_at = now
    if source_revision is not None:
        advisory.source_revision = source_revision
    session.flush()
    return Saved(advisory, stored, created=True, document=doc)


# ---- the revision history of what a revision's readers may not read ------------------------


def _published_under(
    session: Session, advisory: Advisory
) -> dict[str, tuple[m.Tlp | None, Recipients]]:
    """Each revision-history entry the platform stamped at a publication (by its number),
    with the marking and recipients it was published under: those of the first stored
    revision whose history ends with it (later edits carry it on under their own)."""
    found: dict[str, tuple[m.Tlp | None, Recipients]] = {}
    for stored in revisions(session, advisory):
        last = _last_entry(stored)
        if last is not None:
            found.setdefault(last, (marking(stored), Recipients.of(stored)))
    return found


_MEMBERS_OR_FEWER: frozenset[m.Tlp | None] = frozenset(
    {m.Tlp.GREEN, m.Tlp.AMBER, m.Tlp.AMBER_STRICT, m.Tlp.RED, None}
)


def _read_by_all_of(
    then: tuple[m.Tlp | None, Recipients], now: tuple[m.Tlp | None, Recipients]
) -> bool:
    """Whether everyone a revision marked ``now`` reaches could read what was published
    marked ``then`` (unmarked: the operator only, who reads everything)."""
    (was, named_then), (tlp, named_now) = then, now
    if was is m.Tlp.CLEAR or tlp is None:
        return True
    if was is m.Tlp.GREEN:
        return tlp in _MEMBERS_OR_FEWER
    return (
        was is tlp
        and set(named_now.org_ids) <= set(named_then.org_ids)
        and set(named_now.user_ids) <= set(named_then.user_ids)
    )


def withhold_history(
    session: Session, advisory: Advisory, doc: m.Advisory, recipients: Recipients
) -> m.Advisory:
    """``doc`` without the summary of each earlier publication that some of its own readers
    may not read (its entry stays, numbered and dated, as "Revised." in CSAF): a revision
    re-marked RED, published, then marked CLEAR again would otherwise carry the RED
    publication's words to everyone, in its history and every rendition of it. An imported
    advisory's history is its source's, kept as it came."""
    if not doc.revisions or not advisory.is_local:
        return doc
    under = _published_under(session, advisory)
    reach = (doc.tlp, recipients)
    kept = tuple(
        dataclasses.replace(r, summary="")
        if r.summary and r.number in under and not _read_by_all_of(under[r.number], reach)
        else r
        for r in doc.revisions
    )
    return doc if kept == doc.revisions else dataclasses.replace(doc, revisions=kept)


def serve(
    session: Session, advisory: Advisory, number: int, doc: m.Advisory, *, now: datetime
) -> None:
    """Make revision ``number`` the one the index (and the TLP and recipients on the row)
    describes."""
    advisory.tlp = doc.tlp
    named = Recipients.of(revision(session, advisory, number))
    advisory.recipient_org_ids, advisory.recipient_user_ids = (
        list(named.org_ids),
        list(named.user_ids),
    )
    advisory.title = doc.title[:500]
    index.replace_index(session, advisory.id, number, doc, advisory.source, now)


# ---- drafting --------------------------------------------------------------------------------


def _vulnerability_ids(public_id: str, items: Sequence[VulnerabilityIn]) -> list[str]:
    taken = {v.id for v in items if v.id}
    ids: list[str] = []
    counter = 1
    for item in items:
        if item.id:
            ids.append(item.id)
            continue
        while True:
            candidate = public_id if counter == 1 else f"{public_id}-{counter}"
            counter += 1
            if candidate not in taken:
                break
        taken.add(candidate)
        ids.append(candidate)
    if len(set(ids)) != len(ids):
        raise InvalidInput("two vulnerabilities share an id", field="vulnerabilities")
    return ids


def _vulnerabilities(
    public_id: str, items: Sequence[VulnerabilityIn]
) -> tuple[m.Vulnerability, ...]:
    if not items:
        raise InvalidInput("an advisory needs at least one vulnerability", field="vulnerabilities")
    ids = _vulnerability_ids(public_id, items)
    return tuple(to_vulnerability(item, vuln_id) for item, vuln_id in zip(items, ids, strict=True))


def _references(body: DraftIn) -> tuple[m.Reference, ...]:
    return tuple(m.Reference(r.url, r.kind, r.summary) for r in body.references or ())


def create_draft(
    session: Session,
    body: DraftIn,
    *,
    actor: Principal,
    now: datetime,
    publisher: m.Publisher,
    case_id: uuid.UUID | None = None,
) -> Saved:
    require_advisory(actor, AdvisoryAction.WRITE)
    if body.tlp is None:
        raise InvalidInput("tlp is required: there is no default marking", field="tlp")
    if not body.title:
        raise InvalidInput("title is required", field="title")
    public_id = next_public_id(session, now)
    doc = m.Advisory(
        id=public_id,
        title=body.title,
        publisher=publisher,
        tlp=body.tlp,
        initial_release=now,
        current_release=now,
        vulnerabilities=_vulnerabilities(public_id, body.vulnerabilities or ()),
        summary=body.summary or "",
        status="draft",
        references=_references(body),
    )
    advisory = Advisory(
        id=uuid.uuid4(),
        public_id=public_id,
        title=body.title,
        case_id=case_id,
        state=AdvisoryState.DRAFT,
        tlp=body.tlp,
        source=LOCAL_SOURCE,
        source_id=public_id,
        current_revision=0,
        recipient_org_ids=[str(uuid.UUID(v)) for v in body.recipient_org_ids or ()],
        recipient_user_ids=[str(uuid.UUID(v)) for v in body.recipient_user_ids or ()],
        created_at=now,
        updated_at=now,
        created_by_label=actor.label,
    )
    session.add(advisory)
    session.flush()
    saved = store_revision(
        session,
        advisory,
        doc,
        actor=actor,
        now=now,
        summary=body.revision_summary or "Draft created",
    )
    serve(session, advisory, saved.revision.number, doc, now=now)
    audit.append(
        session,
        actor=actor,
        action="advisory.created",
        object_type="advisory",
        object_id=public_id,
        at=now,
        change={
            "tlp": body.tlp.value,
            "case_id": case_id,
            "revision": 1,
            "digest": saved.revision.digest,
        },
    )
    return saved


def revise(
    session: Session, advisory: Advisory, body: DraftIn, *, actor: Principal, now: datetime
) -> Saved:
    """Save changed fields as a new revision (fields left unset keep their value)."""
    if advisory.state is AdvisoryState.WITHDRAWN:
        raise Conflict(f"{advisory.public_id} is withdrawn; draft a new advisory instead")
    current = neutral.from_json(revision(session, advisory, advisory.current_revision).document)
    vulnerabilities = current.vulnerabilities
    if body.vulnerabilities is not None:
        vulnerabilities = _vulnerabilities(advisory.public_id, body.vulnerabilities)
    doc = dataclasses.replace(
        current,
        title=body.title if body.title is not None else current.title,
        summary=body.summary if body.summary is not None else current.summary,
        tlp=body.tlp if body.tlp is not None else current.tlp,
        vulnerabilities=vulnerabilities,
        references=_references(body) if body.references is not None else current.references,
        current_release=now if advisory.state is AdvisoryState.DRAFT else current.current_release,
    )
    before = advisory.current_revision
    named = Recipients.of(revision(session, advisory, before))
    recipients = Recipients(
        org_ids=_ids(body.recipient_org_ids)
        if body.recipient_org_ids is not None
        else named.org_ids,
        user_ids=(
            _ids(body.recipient_user_ids) if body.recipient_user_ids is not None else named.user_ids
        ),
    )
    if _same_content(current, doc) and recipients == named:
        return Saved(advisory, revision(session, advisory, before), created=False, document=current)
    saved = store_revision(
        session,
        advisory,
        doc,
        actor=actor,
        now=now,
        summary=body.revision_summary or "Draft revised",
        recipients=recipients,
        force=True,  # the recipients alone may have changed
    )
    if advisory.published_revision is None:
        serve(session, advisory, saved.revision.number, saved.document, now=now)
    audit.append(
        session,
        actor=actor,
        action="advisory.revised",
        object_type="advisory",
        object_id=advisory.public_id,
        at=now,
        change={
            "from": before,
            "to": saved.revision.number,
            "digest": saved.revision.digest,
            "changed": sorted(
                {
                    c.path.split(".")[0].split("[")[0]
                    for c in json_diff(
                        revision(session, advisory, before).document, saved.revision.document
                    )
                }
            ),
        },
    )
    return saved


@dataclass(frozen=True, slots=True)
class Recipients:
    """Whom a revision names beyond what its TLP allows: organisations (AMBER) and people
    (RED), as stored (sorted UUID strings, so that equal sets compare equal)."""

    org_ids: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, stored: Advisory | AdvisoryRevision) -> Recipients:
        return cls(
            tuple(sorted(stored.recipient_org_ids)), tuple(sorted(stored.recipient_user_ids))
        )


def _ids(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({str(uuid.UUID(v)) for v in values}))


def _same_content(a: m.Advisory, b: m.Advisory) -> bool:
    """Equal apart from the draft's own timestamp."""
    return dataclasses.replace(a, current_release=b.current_release) == b


def draft_input(doc: m.Advisory) -> list[VulnerabilityIn]:
    """The vulnerabilities of a stored document in input form (for clients revising one)."""
    return [vulnerability_in(v) for v in doc.vulnerabilities]
