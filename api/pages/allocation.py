"""Allocate a community offender manager: the way on from "released with no community owner"
and from an accepted handover to the community. Runs the API routes' own commands: supervision
starting in the PDU when no probation unit holds the case, then the allocation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from api.pages.forms import command_form, form_of, run_command
from api.pages.people import ALLOCATORS
from api.pages.session import Visitor, page_for, services
from domain import reference
from domain.errors import InvalidValue
from domain.service.catalogue import AllocateCom, StartSupervision

router = APIRouter(prefix="/ui", include_in_schema=False)
Allocator = Annotated[Visitor, Depends(page_for(*ALLOCATORS))]
PAGE = ("allocate.html", "Allocate a community offender manager")


def pdus() -> list[tuple[str, str]]:
    """Every Probation Delivery Unit by name, with its code, after a blank choice."""
    named = sorted((u.name, u.code) for u in reference.pdus())
    return [("", "Choose a Probation Delivery Unit"), *((c, f"{n} ({c})") for n, c in named)]


async def supervised(
    request: Request, found: Visitor, ref: str, pdu: str, errors: dict[str, str]
) -> bool:
    """A case no probation unit holds starts supervision in the chosen PDU (and its region)
    first, as the probation route would record it; one already held is left as it is."""
    state = await run_in_threadpool(services(request).journeys.state, ref)
    if state is not None and state.ownership.pdu:
        return True
    try:
        unit = reference.pdu(pdu, "pdu")
    except InvalidValue as exc:
        errors["pdu"] = f"Select a known Probation Delivery Unit: {exc.reason}"
        return False
    values = {"occurred_at": datetime.now(UTC), "region": unit.parent_code, "pdu": unit.code}
    return await run_command(request, found, StartSupervision, ref, values, errors, "pdu")


@router.get("/people/{ref:path}/com")
async def allocate_page(request: Request, found: Allocator, ref: str) -> Response:
    return await command_form(request, found, ref, PAGE, {}, {}, pdus=pdus())


@router.post("/people/{ref:path}/com")
async def allocate(request: Request, found: Allocator, ref: str) -> Response:
    form = await form_of(request, found)
    errors: dict[str, str] = {}
    officer, pdu = form.get("officer", "").strip(), form.get("pdu", "").strip()
    if not officer or len(officer) > 100:
        errors["officer"] = "Enter the officer's name, in at most 100 characters"
    if not pdu:
        errors["pdu"] = "Select the Probation Delivery Unit"
    if errors or not await supervised(request, found, ref, pdu, errors):
        return await command_form(request, found, ref, PAGE, form, errors, pdus=pdus())
    values = {"occurred_at": datetime.now(UTC), "officer": officer, "pdu": pdu}
    if not await run_command(request, found, AllocateCom, ref, values, errors, "pdu"):
        return await command_form(request, found, ref, PAGE, form, errors, pdus=pdus())
    return RedirectResponse(f"/ui/people/{ref}?recorded=com-allocations", status_code=303)
