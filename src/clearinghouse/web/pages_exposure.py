"""Exposure pages: a member's inventories (upload an SBOM by a form, history with what
changed, components), its findings with their answers (acknowledged, fixed, not affected
with a VEX justification), VEX statements and the withdrawal of the aware event a match
recorded, its declared products, and the operator's view of which members a case affects
(inviting those it ticks, adding the proposed vendors).

Reads go through the API's own route functions with the page's request context
(:mod:`clearinghouse.exposure.api`), so each page asks the policy exactly as its API route
does and shows what that route answers; writes call the same services as the API.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Final, TypeVar

from fastapi import Query
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, Response

from clearinghouse.accounts.models import Organisation
from clearinghouse.api.deps import admitted_router
from clearinghouse.cases import access
from clearinghouse.cases import api_cases as cases_api
from clearinghouse.cases.api_common import authorised_case
from clearinghouse.cases.schemas import VendorIn
from clearinghouse.errors import (
    ClearinghouseError,
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)
from clearinghouse.exposure import api, findings, inventories, telling, vex
from clearinghouse.exposure import cases as exposure_cases
from clearinghouse.exposure.models import FindingState, VexFormat
from clearinghouse.formats.model import Justification
from clearinghouse.policy import (
    MISSING,
    CaseAction,
    CaseExposureFacts,
    ExposureAction,
    OwnerFacts,
    can_case,
    can_exposure,
    require_exposure,
)
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import N_, FieldErrors, errors_of, validation_errors
from clearinghouse.web.words import FINDING_STATES

router = admitted_router(include_in_schema=False)

PAGE_SIZE: Final = 50
BASE: Final = "/exposure"
_E = TypeVar("_E", FindingState, Justification, VexFormat)
_Cursor = Annotated[str | None, Query(max_length=512)]
_NOT_AN_SBOM: Final = N_("This file is not an SBOM the platform can read.")
MAX_PRODUCTS_TEXT: Final = 600_000  # a thousand package URLs of up to 500 characters, and more


def _own_org(page: Page) -> Organisation | None:
    org_id = page.principal.org_id
    return page.session.get(Organisation, org_id) if org_id else None


# ---- inventories -------------------------------------------------------------------------------


def _inventories_page(
    page: Page,
    cursor: str | None,
    *,
    name: str = "",
    errors: FieldErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    listed = api.list_inventories(page.ctx, cursor=cursor, limit=PAGE_SIZE)
    org = _own_org(page)
    may_upload = org is not None and can_exposure(
        page.principal, ExposureAction.INVENTORY_UPLOAD, OwnerFacts(org.id)
    )
    return page.render(
        "exposure_inventories.html",
        status=status,
        items=listed.items,
        next_cursor=listed.next_cursor,
        may_upload=may_upload,
        name=name,
        max_name=inventories.MAX_NAME,
        errors=errors or FieldErrors(),
    )


@router.get(f"{BASE}/inventories", response_class=HTMLResponse)
def inventory_list(page: PageDep, cursor: _Cursor = None) -> HTMLResponse:
    return _inventories_page(page, cursor)


def _sbom_file(page: Page) -> bytes | None:
    form = page.presented.form
    item = form.get("sbom") if form is not None else None
    if not isinstance(item, UploadFile) or not item.filename:
        return None
    limit = page.settings.max_request_bytes
    data = item.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"{item.filename!r} is larger than {limit} bytes", field="sbom")
    return data


@router.post(f"{BASE}/inventories", response_class=HTMLResponse)
def inventory_upload(page: PageDep) -> Response:
    org = _own_org(page)
    require_exposure(
        page.principal, ExposureAction.INVENTORY_UPLOAD, OwnerFacts(org.id if org else None)
    )
    if org is None:  # the policy lets no one without an organisation upload
        raise NotFound("no organisation")
    name = page.field("name").strip()
    errors = FieldErrors()
    if not name:
        errors.add("name", page._("Name the system or product this SBOM describes."))
    data = _sbom_file(page)
    if data is None:
        errors.add("sbom", page._("Choose the SBOM file to upload."))
    if errors or data is None:
        return _inventories_page(page, None, name=name, errors=errors, status=422)
    try:
        with page.attempt():
            done = inventories.upload(
                page.session, actor=page.principal, org=org, name=name, data=data, now=page.now()
            )
    except (InvalidInput, PayloadTooLarge) as exc:
        refused = FieldErrors()
        field = str(exc.extensions.get("field") or "")
        if field == "name":
            refused.add("name", page._("Check this answer."), exc.detail)
        else:
            refused.add("sbom", page._(_NOT_AN_SBOM), exc.detail)
        return _inventories_page(page, None, name=name, errors=refused, status=exc.status)
    return page.redirect(f"{BASE}/inventories/{done.inventory.id}")


@router.get(f"{BASE}/inventories/{{inventory_id}}", response_class=HTMLResponse)
def inventory_view(
    inventory_id: str,
    page: PageDep,
    cursor: _Cursor = None,
) -> HTMLResponse:
    inventory = api.get_inventory(inventory_id, page.ctx)
    history = api.inventory_history(inventory_id, page.ctx, limit=10)
    components = api.inventory_components(inventory_id, page.ctx, cursor=cursor, limit=PAGE_SIZE)
    return page.render(
        "exposure_inventory.html",
        inventory=inventory,
        history=history.items,
        more_history=history.next_cursor is not None,
        components=components.items,
        next_cursor=components.next_cursor,
    )


# ---- findings ----------------------------------------------------------------------------------


@router.get(f"{BASE}/findings", response_class=HTMLResponse)
def finding_list(
    page: PageDep,
    inventory: Annotated[uuid.UUID | None, Query()] = None,
    state: Annotated[FindingState | None, Query()] = None,
    matching: Annotated[bool, Query()] = True,
    advisory: Annotated[str | None, Query(max_length=200)] = None,
    cursor: _Cursor = None,
) -> HTMLResponse:
    listed = api.list_findings(
        page.ctx,
        inventory=inventory,
        advisory=advisory or None,
        state=state,
        matching=matching,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    return page.render(
        "exposure_findings.html",
        items=listed.items,
        next_cursor=listed.next_cursor,
        inventory=str(inventory) if inventory else "",
        advisory=advisory or "",
        state_filter=state.value if state else "",
        matching=matching,
        states=list(FindingState),
    )


def _finding_page(
    page: Page, finding_id: str, *, errors: FieldErrors | None = None, status: int = 200
) -> HTMLResponse:
    detail = api.get_finding(finding_id, page.ctx)
    found = findings.get(page.session, page.principal, finding_id)
    facts = findings.facts(page.session, found)
    may_answer = can_exposure(page.principal, ExposureAction.FINDING_UPDATE, facts)
    aware = telling.awareness(page.session, found.aware_event_id) if found.aware_event_id else None
    may_withdraw = (
        aware is not None
        and aware.withdrawal is None
        and can_exposure(
            page.principal, ExposureAction.AWARENESS_WITHDRAW, OwnerFacts(aware.event.org_id)
        )
    )
    return page.render(
        "exposure_finding.html",
        status=status,
        finding=detail,
        statements=vex.of_finding(page.session, page.principal, found),
        may_answer=may_answer,
        aware=aware,
        may_withdraw=may_withdraw,
        max_reason=telling.MAX_REASON,
        finding_answers=[
            (s.value, page._(FINDING_STATES[s])) for s in FindingState if s is not FindingState.NEW
        ],
        justifications=list(Justification),
        vex_formats=list(VexFormat),
        errors=errors or FieldErrors(),
    )


@router.get(f"{BASE}/findings/{{finding_id}}", response_class=HTMLResponse)
def finding_view(finding_id: str, page: PageDep) -> HTMLResponse:
    return _finding_page(page, finding_id)


def _choice(kind: type[_E], value: str, field: str) -> _E | None:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a choice offered", field=field) from None


@router.post(f"{BASE}/findings/{{finding_id}}/state", response_class=HTMLResponse)
def finding_answer(finding_id: str, page: PageDep) -> Response:
    finding = findings.get(
        page.session, page.principal, finding_id, ExposureAction.FINDING_UPDATE, for_update=True
    )
    try:
        state = _choice(FindingState, page.field("state"), "state")
        if state is None:
            raise InvalidInput("choose an answer", field="state")
        with page.attempt():
            findings.set_state(
                page.session,
                actor=page.principal,
                finding=finding,
                state=state,
                justification=_choice(Justification, page.field("justification"), "justification"),
                reason=page.field("reason")[: findings.MAX_REASON + 1],
                now=page.now(),
            )
    except ClearinghouseError as exc:
        return _finding_page(page, finding_id, errors=errors_of(page._, exc), status=exc.status)
    return page.redirect(f"{BASE}/findings/{finding.id}#history")


@router.post(f"{BASE}/findings/{{finding_id}}/vex", response_class=HTMLResponse)
def finding_vex(finding_id: str, page: PageDep) -> Response:
    finding = findings.get(page.session, page.principal, finding_id, ExposureAction.VEX_PUBLISH)
    try:
        fmt = _choice(VexFormat, page.field("format"), "format") or VexFormat.CYCLONEDX
        with page.attempt():
            statement = vex.publish(
                page.session,
                actor=page.principal,
                finding=finding,
                fmt=fmt,
                now=page.now(),
                base_url=page.settings.base_url,
            )
    except ClearinghouseError as exc:
        return _finding_page(page, finding_id, errors=errors_of(page._, exc), status=exc.status)
    return page.redirect(f"{BASE}/vex/{statement.id}")


@router.get(f"{BASE}/vex/{{statement_id}}", response_class=HTMLResponse)
def vex_view(statement_id: str, page: PageDep) -> HTMLResponse:
    statement = api.get_vex(statement_id, page.ctx)
    return page.render("exposure_vex.html", statement=statement)


# ---- the aware event a match recorded -----------------------------------------------------------


@router.post(f"{BASE}/findings/{{finding_id}}/withdrawal", response_class=HTMLResponse)
def aware_withdrawal(finding_id: str, page: PageDep) -> Response:
    """Withdraw the aware event the finding's match recorded, with a reason: the same
    service and policy question (``awareness.withdraw``) as the API's
    ``POST /api/v1/exposure/aware-events/{id}/withdrawal``."""
    finding = findings.get(page.session, page.principal, finding_id)
    if finding.aware_event_id is None:
        require_exposure(page.principal, ExposureAction.AWARENESS_WITHDRAW, MISSING)
        raise NotFound("no aware event was recorded for this finding")
    try:
        with page.attempt():
            telling.withdraw_aware(
                page.session,
                actor=page.principal,
                event_id=finding.aware_event_id,
                reason=page.field("withdraw_reason")[: telling.MAX_REASON + 1],
                now=page.now(),
            )
    except (InvalidInput, Conflict) as exc:
        errors = errors_of(page._, exc)
        if errors.of("reason"):
            errors = FieldErrors()
            errors.add("withdraw_reason", page._("Say why the match is wrong."), exc.detail)
        return _finding_page(page, finding_id, errors=errors, status=exc.status)
    return page.redirect(f"{BASE}/findings/{finding.id}#awareness")


# ---- declared products -------------------------------------------------------------------------


@router.get(f"{BASE}/products", response_class=HTMLResponse)
def own_products(page: PageDep) -> Response:
    """One's own declared products: the page under ``/members``."""
    org = api.organisation_for(page.ctx, None, ExposureAction.PRODUCTS_READ)
    return page.redirect(f"/members/{org.slug}/products")


def _products_page(
    page: Page,
    slug: str,
    *,
    text: str | None = None,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    declared = api.get_products(slug, page.ctx)
    org = api.organisation_for(page.ctx, slug, ExposureAction.PRODUCTS_READ)
    return page.render(
        "exposure_products.html",
        status=status,
        org=org,
        purls=declared.purls,
        text="\n".join(declared.purls) if text is None else text,
        may_declare=can_exposure(page.principal, ExposureAction.PRODUCTS_WRITE, OwnerFacts(org.id)),
        max_declared=exposure_cases.MAX_DECLARED,
        errors=errors or FieldErrors(),
    )


@router.get("/members/{slug}/products", response_class=HTMLResponse)
def products_view(slug: str, page: PageDep) -> HTMLResponse:
    return _products_page(page, slug)


def _purl_lines(page: Page, text: str) -> tuple[list[str], FieldErrors]:
    """The package URLs of the form, one a line (blank lines skipped), and an error for
    each line that cannot be declared, naming the line."""
    errors = FieldErrors()
    purls: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        purl = line.strip()
        if not purl:
            continue
        if len(purls) == exposure_cases.MAX_DECLARED:
            message = page._("At most %(n)s package URLs.", n=exposure_cases.MAX_DECLARED)
            errors.add("purls", message)
            break
        try:
            exposure_cases.product_package(purl)
        except InvalidInput as exc:
            errors.add("purls", page._("Line %(n)s: %(purl)s", n=number, purl=purl), exc.detail)
        purls.append(purl)
    return purls, errors


@router.post("/members/{slug}/products", response_class=HTMLResponse)
def products_declare(slug: str, page: PageDep) -> Response:
    org = api.organisation_for(page.ctx, slug, ExposureAction.PRODUCTS_WRITE)
    text = page.field("purls")[: MAX_PRODUCTS_TEXT + 1]
    if len(text) > MAX_PRODUCTS_TEXT:
        errors = FieldErrors()
        errors.add("purls", page._("This list is too long."))
        return _products_page(page, slug, text=text, errors=errors, status=422)
    purls, errors = _purl_lines(page, text)
    if errors:
        return _products_page(page, slug, text=text, errors=errors, status=422)
    exposure_cases.declare(page.session, actor=page.principal, org=org, purls=purls, now=page.now())
    return page.redirect(f"/members/{org.slug}/products")


# ---- a case, seen through exposure (the operator) ----------------------------------------------


def _case_exposure_page(
    page: Page, ref: str, *, errors: FieldErrors | None = None, status: int = 200
) -> HTMLResponse:
    affected = api.case_affected(ref, page.ctx)
    vendors = api.case_vendors(ref, page.ctx)
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_READ)
    taking_part = access.participants_of(page.session, acc.case)
    return page.render(
        "case_exposure.html",
        status=status,
        ref=ref,
        affected=affected,
        vendors=vendors,
        participants=taking_part,
        may_invite=can_exposure(
            page.principal,
            ExposureAction.CASE_EXPOSURE_INVITE,
            CaseExposureFacts(may_know_case=acc.participant is not None),
        ),
        may_add_vendor=can_case(page.principal, CaseAction.CASE_PARTICIPANTS, acc.facts),
        errors=errors or FieldErrors(),
    )


@router.get("/cases/{ref}/exposure", response_class=HTMLResponse)
def case_exposure(ref: str, page: PageDep) -> HTMLResponse:
    return _case_exposure_page(page, ref)


@router.post("/cases/{ref}/exposure/invitations", response_class=HTMLResponse)
def case_invite(ref: str, page: PageDep) -> Response:
    """Invite the affected members ticked (as ``POST /api/v1/cases/{ref}/exposure/
    invitations`` with their slugs: ``case.exposure.invite``)."""
    form = page.presented.form
    chosen = [s for s in (form.getlist("organisation") if form is not None else []) if s]
    try:
        if not chosen:
            exposure_cases.load_case(
                page.session, page.principal, ref, ExposureAction.CASE_EXPOSURE_INVITE
            )
            raise InvalidInput("tick the members to invite", field="organisation")
        body = api.InviteIn(organisations=chosen[: exposure_cases.MAX_INVITED + 1])
        with page.attempt():
            api.invite_affected(ref, body, page.ctx)
    except (InvalidInput, Conflict) as exc:
        errors = FieldErrors()
        errors.add(
            "organisation",
            page._("Choose members the case affects that are not taking part yet."),
            exc.detail,
        )
        return _case_exposure_page(page, ref, errors=errors, status=exc.status)
    except ValidationError as exc:
        return _case_exposure_page(page, ref, errors=validation_errors(page._, exc), status=422)
    return page.redirect(f"/cases/{ref}/exposure#participants")


@router.post("/cases/{ref}/exposure/vendors", response_class=HTMLResponse)
def case_add_vendor(ref: str, page: PageDep) -> Response:
    """Add a proposed vendor to the case as a vendor: the vendor must be one the case's
    products propose (``case.exposure.read``), then it is added exactly as ``POST
    /api/v1/cases/{ref}/participants`` adds it (``case.participants``)."""
    proposed = {v.organisation: v for v in api.case_vendors(ref, page.ctx)}
    authorised_case(page.ctx, ref, CaseAction.CASE_PARTICIPANTS)
    slug = page.field("vendor")
    try:
        vendor = proposed.get(slug)
        if vendor is None:
            raise InvalidInput(f"{slug!r} is not a proposed vendor", field="vendor")
        if vendor.participant:
            raise Conflict(f"{slug} takes part in the case already")
        with page.attempt():
            cases_api.add_participant(ref, VendorIn(organisation=slug, role="vendor"), page.ctx)
    except (InvalidInput, Conflict) as exc:
        errors = FieldErrors()
        errors.add(
            "vendor", page._("Choose a proposed vendor that is not taking part yet."), exc.detail
        )
        return _case_exposure_page(page, ref, errors=errors, status=exc.status)
    return page.redirect(f"/cases/{ref}/exposure#participants")
