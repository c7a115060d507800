"""Forms for the commonest commands: record a movement, accept or reject a handover. Each
runs the command its API route runs; errors are shown beside the field they concern."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from api.pages.dates import Asked, asked, read_moment
from api.pages.people import read_person
from api.pages.render import render
from api.pages.session import (
    PageForbidden,
    Visitor,
    check_csrf,
    page_for,
    services,
    stated_purpose,
)
from api.routes import commands
from domain.errors import DomainError
from domain.service.catalogue import BY_ROUTE, AcceptHandover, Admit, RejectHandover
from domain.service.command import Command
from replay.commands import body_of

router = APIRouter(prefix="/ui", include_in_schema=False)
MOVEMENTS = {
    "admissions": "Admission (reception)",
    "transfers-out": "Transfer out to another prison",
    "arrivals": "Arrival on transfer",
    "court-departures": "Out to court",
    "court-returns": "Back from court",
    "releases": "Release",
    "cell-moves": "Cell move",
}
Mover = Annotated[Visitor, Depends(page_for(*commands.roles_of(Admit)))]
Answerer = Annotated[Visitor, Depends(page_for(*commands.roles_of(AcceptHandover)))]
# The command's field names, as the form names them.
FORM_FIELD = {
    "prison": "prison",
    "from_prison": "prison",
    "from_agency": "prison",
    "to_prison": "destination",
    "court": "destination",
    "movement_reason": "reason",
    "reason": "reason",
    "cell": "cell",
    "occurred_at": "occurred_at",
}


def movement_body(kind: str, form: dict[str, str], when: datetime) -> dict[str, Any]:
    """The command body the API would be sent for this movement."""
    prison, to = form.get("prison", "").strip(), form.get("destination", "").strip()
    reason = form.get("reason", "").strip()
    bodies: dict[str, dict[str, Any]] = {
        "admissions": {"prison": prison, "movement_reason": reason or "N"},
        "transfers-out": {"from_prison": prison, "to_prison": to},
        "arrivals": {"prison": prison, **({"from_prison": to} if to else {})},
        "court-departures": {"prison": prison, "court": to},
        "court-returns": {"court": to, "prison": prison},
        "releases": {"from_agency": prison, "movement_reason": reason},
        "cell-moves": {"prison": prison, "cell": form.get("cell", "").strip()},
    }
    return {"occurred_at": when, **bodies[kind]}


async def form_of(request: Request, found: Visitor) -> dict[str, str]:
    await check_csrf(request, found)
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@router.get("/people/{ref:path}/movement")
async def movement_page(request: Request, found: Mover, ref: str) -> Response:
    return await movement_form(request, found, ref, {}, {})


async def command_form(
    request: Request,
    found: Visitor,
    ref: str,
    page: tuple[str, str],
    form: dict[str, Any],
    errors: dict[str, str],
    **extra: Any,
) -> Response:
    """A command's form (`page` is its template and title) for one person, with what was
    entered and the errors beside their fields (400 when there are any)."""
    person = await read_person(request, found, await stated_purpose(request, found), ref)
    template, title = page
    return render(
        request,
        template,
        found,
        title=title,
        person=person,
        form=form,
        errors=errors,
        **extra,
    )


async def movement_form(
    request: Request,
    found: Visitor,
    ref: str,
    form: dict[str, str],
    errors: dict[str, str],
    occurred: Asked | None = None,
) -> Response:
    page = ("movement.html", "Record a movement")
    movements = list(MOVEMENTS.items())
    # The date boxes shown again as sent, the wrong ones marked.
    shown: dict[str, Any] = {**form, "occurred_at": occurred or asked(form, "occurred_at")}
    return await command_form(request, found, ref, page, shown, errors, movements=movements)


@router.post("/people/{ref:path}/movement")
async def record_movement(request: Request, found: Mover, ref: str) -> Response:
    form = await form_of(request, found)
    errors: dict[str, str] = {}
    kind = form.get("movement", "")
    if kind not in MOVEMENTS:
        errors["movement"] = "Select the kind of movement"
    happened = read_moment(form, "occurred_at", "When it happened", errors)
    when = happened.moment
    if when is None and "occurred_at" not in errors:
        errors["occurred_at"] = "Enter when it happened"
    elif when is not None and when > datetime.now(UTC):
        errors["occurred_at"] = "When it happened must be now or in the past"
    if errors or when is None:
        return await movement_form(request, found, ref, form, errors, happened.sent)
    ran = await run_command(
        request, found, BY_ROUTE[kind], ref, movement_body(kind, form, when), errors
    )
    if not ran:
        return await movement_form(request, found, ref, form, errors)
    return RedirectResponse(f"/ui/people/{ref}?recorded={kind}", status_code=303)


async def run_command(
    request: Request,
    found: Visitor,
    kind: type[Command],
    ref: str,
    values: dict[str, Any],
    errors: dict[str, str],
    fallback: str = "movement",
) -> bool:
    """Run it as its route would; on a refusal, fill `errors` by form field and say no."""
    roles = commands.roles_of(kind)
    if not found.may(roles):
        raise PageForbidden(found, roles)
    svc = services(request)
    # The page's stated purpose: a refusal describing the person is shown beside its field,
    # logged as the API logs it.
    why = await stated_purpose(request, found)
    try:
        body = body_of(kind).model_validate(values)
        commands.partner_owns(svc, found.principal, ref)
        result = await run_in_threadpool(
            commands.execute,
            svc,
            found.principal,
            ref,
            body.command(kind),
            body,
            request.state.request_id,
            purpose=why,
        )
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            errors.setdefault(FORM_FIELD.get(name, fallback), f"{name}: {error['msg']}")
        return False
    except DomainError as exc:
        errors[FORM_FIELD.get(exc.field, fallback)] = f"{exc.reason}"
        return False
    # Read-your-writes: the person page that follows shows what was just recorded.
    await run_in_threadpool(svc.runner.wait_for, result.position or 0, 5.0)
    return True


@router.get("/people/{ref:path}/handover")
async def handover_page(request: Request, found: Answerer, ref: str) -> Response:
    return await handover_form(request, found, ref, {}, {})


async def handover_form(
    request: Request, found: Visitor, ref: str, form: dict[str, str], errors: dict[str, str]
) -> Response:
    page = ("handover.html", "Accept or reject the handover")
    return await command_form(request, found, ref, page, form, errors)


@router.post("/people/{ref:path}/handover")
async def answer_handover(request: Request, found: Answerer, ref: str) -> Response:
    form = await form_of(request, found)
    errors: dict[str, str] = {}
    decision, reason = form.get("decision", ""), form.get("reason", "").strip()
    if decision not in {"accept", "reject"}:
        errors["decision"] = "Select accept or reject"
    elif decision == "reject" and not reason:
        errors["reason"] = "Enter why the handover is rejected"
    if errors:
        return await handover_form(request, found, ref, form, errors)
    kind = AcceptHandover if decision == "accept" else RejectHandover
    values = {"occurred_at": datetime.now(UTC), "reason": reason or None}
    if not await run_command(request, found, kind, ref, values, errors, fallback="decision"):
        return await handover_form(request, found, ref, form, errors)
    return RedirectResponse(f"/ui/people/{ref}?recorded=handover-{decision}", status_code=303)
