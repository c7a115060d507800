"""The subject access report as a printable page (and as JSON from the same address), the
retention review for administrators, and the form asking why a restricted record is read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.disclosure import disclose, roles_text
from api.pages.dates import read_date
from api.pages.render import render, templates
from api.pages.session import Visitor, page_for, roles_of, services, stated_purpose
from api.routes import protection as api
from api.subject_access import Report, report
from domain import retention
from projections.retention import review

router = APIRouter(prefix="/ui", include_in_schema=False)
READERS = roles_of(api.router.routes, "/people/{ref:path}/subject-access")
REVIEWERS = roles_of(api.router.routes, "/retention/review")
Reader = Annotated[Visitor, Depends(page_for(*READERS))]
Reviewer = Annotated[Visitor, Depends(page_for(*REVIEWERS))]
SHOWN = 500  # due people listed on the page; the API and the command line give them all


def title_of(found: Report) -> str:
    person = found.person
    return f"{person.given_name or ''} {person.family_name or '(name not recorded)'}".strip()


def printable(found: Report) -> str:
    """The report as a standalone printable page (for `journey people report --html`)."""
    page = templates.get_template("subject_access.html")
    return page.render(report=found, title=title_of(found), visitor=None, nav=[], errors={})


@router.get("/people/{ref:path}/subject-access")
async def subject_access(request: Request, found: Reader, ref: str) -> Response:
    why = await stated_purpose(request, found)
    who, rid = found.principal, request.state.request_id
    made = await run_in_threadpool(
        report,
        services(request).journeys,
        services(request).access,
        ref,
        user=who.user,
        roles=roles_text(who),
        rid=rid,
        purpose=why,
    )
    if request.query_params.get("format") == "json":
        return Response(made.model_dump_json(), media_type="application/json")
    return render(request, "subject_access.html", found, title=title_of(made), report=made)


@router.get("/retention")
def retention_review(request: Request, found: Reviewer) -> Response:
    errors: dict[str, str] = {}
    asked = read_date(request.query_params, "as_of", "Review date", errors)
    on = asked.day or datetime.now(UTC).date()
    svc = services(request)
    done = None if errors else review(svc.db, on)
    if done is not None:
        who, rid = found.principal, request.state.request_id
        ids = [d.person_id for d in done.due]
        disclose(svc, who, "retention.review", rid, ids, detail=f"as_of={on}")
    return render(
        request,
        "retention.html",
        found,
        title="Retention review",
        form={"as_of": asked.sent},
        errors=errors,
        found=done,
        shown=done.due[:SHOWN] if done else [],
        outcomes=sorted(done.outcomes.items(), key=lambda o: -o[1]) if done else [],
        rules=retention.RULES,
        checks=retention.CHECKS_FIRST,
        moratoria=retention.MORATORIA,
    )
