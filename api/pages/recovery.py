"""The recovery console: batches and their impact, a dry-run diff, then void or reinstate
with a reason and a confirmation step, and the progress while it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from api.disclosure import BATCH_LINES, disclose, shown_rejects
from api.pages.jobs import Jobs, Preview, Previews
from api.pages.paging import paging
from api.pages.render import render
from api.pages.session import Visitor, check_csrf, page_for, purpose_of, roles_of, services
from api.routes import imports as api
from domain.errors import InvalidValue
from projections.queries.people import people
from replay import registry

router = APIRouter(prefix="/ui", include_in_schema=False)
# The console acts on batches, so it is for those the void route admits.
RECOVERERS = roles_of(api.router.routes, "/batches/{batch_id}/void", "POST")
Recoverer = Annotated[Visitor, Depends(page_for(*RECOVERERS))]
KINDS = {"void": "Void", "reinstate": "Reinstate"}
MAX_REJECTS = 500  # the page lists this many rejected lines; the API and command line, all
PREVIEW_PAGE = 50
T = TypeVar("T")


def held(request: Request, name: str, kind: Callable[[], T]) -> T:
    """The application's one `kind()`, made on first use and kept on its state as `name`."""
    state = request.app.state
    if not hasattr(state, name):
        setattr(state, name, kind())
    found: T = getattr(state, name)
    return found


def jobs(request: Request) -> Jobs:
    return held(request, "correction_jobs", Jobs)


@router.get("/batches")
def batches(request: Request, found: Recoverer) -> Response:
    listed = api.list_batches(services(request), found.principal)
    return render(request, "batches.html", found, title="Recovery console", batches=listed[::-1])


@router.get("/batches/{batch_id}")
def batch(request: Request, found: Recoverer, batch_id: str, show: str = "") -> Response:
    """`show=rejects` shows the rejected lines' text and reasons, for the stated purpose."""
    return batch_page(request, found, batch_id, {}, {}, show_rejects=show == "rejects")


def batch_page(
    request: Request,
    found: Visitor,
    batch_id: str,
    form: dict[str, str],
    errors: dict[str, str],
    *,
    show_rejects: bool = False,
) -> Response:
    svc = services(request)
    why = purpose_of(request, found) if show_rejects else None
    detail = api.show_batch(svc, found.principal, batch_id)
    # Shown in full from the registry itself: the route's answer may have masked them already.
    listed = (
        [r.as_dict() for r in registry.batch(svc.journeys, batch_id).rejects[:MAX_REJECTS]]
        if why is not None
        else [r.model_dump() for r in detail.rejects[:MAX_REJECTS]]
    )
    rid = request.state.request_id
    rejects = shown_rejects(
        svc,
        found.principal,
        rid,
        batch_id=batch_id,
        rejects=listed,
        purpose=why,
        masking=BATCH_LINES,
    )
    kind = "reinstate" if detail.status == "voided" else "void"
    return render(
        request,
        "batch.html",
        found,
        title=f"Batch {detail.batch_id}",
        batch=detail,
        rejects=rejects,
        rejects_shown=why is not None,
        kind=kind,
        can=detail.status in {"recorded", "partly recorded", "voided"},
        form=form,
        errors=errors,
    )


async def reason_form(request: Request, found: Visitor) -> tuple[str, str]:
    await check_csrf(request, found)
    form = await request.form()
    kind, reason = form.get("kind"), form.get("reason")
    kind = kind if isinstance(kind, str) and kind in KINDS else "void"
    return kind, reason.strip() if isinstance(reason, str) else ""


def previews(request: Request) -> Previews:
    return held(request, "correction_previews", Previews)


@router.post("/batches/{batch_id}/confirm")
async def confirm(request: Request, found: Recoverer, batch_id: str) -> Response:
    """Start the dry run in the background and follow it: who would change and how."""
    kind, reason = await reason_form(request, found)
    if not reason or len(reason) > 2000:
        errors = {"reason": "Enter the reason, in at most 2000 characters"}
        return batch_page(request, found, batch_id, {"reason": reason}, errors)
    svc = services(request)
    api.show_batch(svc, found.principal, batch_id)  # an unknown batch is a 404 here
    preview = Preview(batch_id, kind, reason, found.principal.user)
    previews(request).start(svc.journeys, preview)
    return RedirectResponse(f"/ui/batches/{batch_id}/preview?kind={kind}", status_code=303)


@router.get("/batches/{batch_id}/preview")
def preview_page(request: Request, found: Recoverer, batch_id: str, kind: str = "void") -> Response:
    """The dry run's progress while it runs (the page refreshes itself), then every person
    whose answers would change, a page at a time, each logged as the API logs a dry run."""
    kind = kind if kind in KINDS else "void"
    preview = previews(request).get(batch_id, kind, found.principal.user)
    if preview is None:
        return RedirectResponse(f"/ui/batches/{batch_id}", status_code=303)
    svc = services(request)
    detail = api.show_batch(svc, found.principal, batch_id)
    context: dict[str, Any] = {
        "batch": detail,
        "kind": kind,
        "reason": preview.reason,
        "preview": preview,
    }
    title = f"{KINDS[kind]} batch {batch_id}?"
    report = preview.report
    if not preview.finished.is_set() or report is None:
        return render(request, "confirm.html", found, title=title, running=True, **context)
    pages = paging(request.url.path, request.query_params, len(report.changed), PREVIEW_PAGE)
    shown = report.changed[pages.offset : pages.offset + pages.size]
    ids = [p.person_id for p in shown]
    rid = request.state.request_id
    action = f"batch.{kind}-plan"
    disclose(svc, found.principal, action, rid, ids, purpose=preview.reason, detail=batch_id)
    marks = ", ".join(["%s"] * len(ids)) or "NULL"
    names = {r.person_id: r for r in people(svc.db, f"WHERE p.person_id IN ({marks})", tuple(ids))}
    return render(
        request,
        "confirm.html",
        found,
        title=title,
        running=False,
        plan=report,
        shown=shown,
        names=names,
        pages=pages,
        **context,
    )


@router.post("/batches/{batch_id}/run")
async def run(request: Request, found: Recoverer, batch_id: str) -> Response:
    """Start the confirmed correction in the background and follow it."""
    kind, reason = await reason_form(request, found)
    if not reason:
        raise InvalidValue("reason", "a reason is required")
    svc = services(request)
    api.show_batch(svc, found.principal, batch_id)  # an unknown batch is a 404 here
    jobs(request).start(svc.journeys, batch_id, kind, reason, found.principal.user)
    return RedirectResponse(f"/ui/batches/{batch_id}/progress", status_code=303)


@router.get("/batches/{batch_id}/progress")
def progress(request: Request, found: Recoverer, batch_id: str) -> Response:
    """Refreshes itself until the correction has finished."""
    # The job is looked at before the batch is read: a job seen finished has saved the batch's
    # end, so the status read next is final. Read the other way round, a job finishing between
    # the two reads left the page saying "voiding" with nothing left to refresh it.
    job = jobs(request).get(batch_id)
    running = job is not None and not job.finished.is_set()
    detail = api.show_batch(services(request), found.principal, batch_id)
    return render(
        request,
        "progress.html",
        found,
        title=f"Batch {batch_id}: {detail.status}",
        batch=detail,
        job=job,
        running=running,
    )
