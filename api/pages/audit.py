"""The access log for auditors: by person, by user and by time range."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from api.pages.dates import iso_of, read_moment
from api.pages.render import render
from api.pages.session import Visitor, page_for, roles_of, services
from api.routes import audit as api

router = APIRouter(prefix="/ui", include_in_schema=False)
AUDITORS = roles_of(api.router.routes, "/audit/access")
Auditor = Annotated[Visitor, Depends(page_for(*AUDITORS))]


@router.get("/audit")
def access(
    request: Request,
    found: Auditor,
    person_id: str = "",
    user: str = "",
    after: int = 0,
) -> Response:
    errors: dict[str, str] = {}
    since = read_moment(request.query_params, "since", "From", errors)
    until = read_moment(request.query_params, "until", "Until", errors)
    start, end = since.moment, until.moment
    if start and end and end < start:
        errors["until"] = "Until must be the same as or after From"
    if len(person_id) > 64:
        errors["person_id"] = "A person id is at most 64 characters"
    if len(user) > 200:
        errors["user"] = "A user name is at most 200 characters"
    page = None
    if not errors:
        page = api.access(
            services(request),
            found.principal,
            request.state.request_id,
            person_id=person_id.strip() or None,
            user=user.strip() or None,
            since=start,
            until=end,
            after=max(after, 0),
            limit=100,
        )
    form = {"person_id": person_id, "user": user, "since": since.sent, "until": until.sent}
    kept = {"person_id": person_id, "user": user, "since": iso_of(start), "until": iso_of(end)}
    more = urlencode({k: v for k, v in kept.items() if v})
    return render(
        request,
        "audit.html",
        found,
        title="Access log",
        page=page,
        form=form,
        more=more,
        errors=errors,
    )
