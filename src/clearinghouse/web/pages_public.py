"""Public pages: the home page, published advisories (search, one advisory with its
renditions to download).

Each page lists and loads through the same functions as the API
(:func:`clearinghouse.advisories.search.readable_page`,
:func:`clearinghouse.advisories.service.readable`), so a signed-in member sees here what
the API shows it, and a visitor sees what anyone may: published TLP:CLEAR advisories.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Query
from starlette.responses import HTMLResponse

from clearinghouse.advisories import renditions, search, service
from clearinghouse.advisories.models import AdvisoryState
from clearinghouse.advisories.service import PUBLISHED_STATES
from clearinghouse.api.deps import admitted_router
from clearinghouse.api.pagination import decode_cursor, encode_cursor
from clearinghouse.formats.model import Tlp
from clearinghouse.policy import AdvisoryAction, require_advisory
from clearinghouse.web.context import PageDep

router = admitted_router(include_in_schema=False)

LATEST: Final = 5
PAGE_SIZE: Final = 25


@router.get("/", response_class=HTMLResponse)
def home(page: PageDep) -> HTMLResponse:
    require_advisory(page.principal, AdvisoryAction.READ)
    latest = search.readable_page(
        page.session,
        page.principal,
        search.Filters(state=AdvisoryState.PUBLISHED, tlp=Tlp.CLEAR),
        size=LATEST,
    )
    return page.render("home.html", latest=latest.items)


@router.get("/advisories", response_class=HTMLResponse)
def advisories(
    page: PageDep,
    q: Annotated[str | None, Query(max_length=search.QUERY_MAX)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> HTMLResponse:
    require_advisory(page.principal, AdvisoryAction.READ)
    found = search.readable_page(
        page.session,
        page.principal,
        search.Filters(q=q),
        size=PAGE_SIZE,
        after=search.after_key(decode_cursor(cursor)),
    )
    return page.render(
        "advisories.html",
        q=q or "",
        items=found.items,
        next_cursor=encode_cursor(found.next_key) if found.next_key else None,
        published_states=PUBLISHED_STATES,
    )


@router.get("/advisories/{advisory_id}", response_class=HTMLResponse)
def advisory(advisory_id: str, page: PageDep) -> HTMLResponse:
    found = service.readable(page.session, page.principal, advisory_id)
    number = service.visible_revision(page.session, page.principal, found)
    document = service.document(page.session, found, number)
    served = renditions.renditions_of(page.session, found)
    return page.render(
        "advisory.html",
        advisory=found,
        document=document,
        revision=number,
        renditions=served,
        published=found.state in PUBLISHED_STATES,
    )
