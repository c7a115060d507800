"""Erasing a person's record, for administrators: choose the rule, see the dry run (what will
go), then confirm with a reason. The same plan, token and logging as the API's route."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.disclosure import roles_text
from api.erasure_cover import covers, log_erasure, log_plan
from api.pages.render import render
from api.pages.session import Visitor, check_csrf, page_for, roles_of, services
from api.routes import erasure as api
from domain.erasure import RULES
from domain.errors import InvalidValue
from replay.erasure import Erasure

router = APIRouter(prefix="/ui", include_in_schema=False)
ERASERS = roles_of(api.router.routes, "/people/{ref:path}/erasure", "POST")
Eraser = Annotated[Visitor, Depends(page_for(*ERASERS))]
RULE_OPTIONS = [(code, f"{code}: {rule.description}") for code, rule in RULES.items()]


def eraser(request: Request) -> Erasure:
    svc = services(request)
    return Erasure(svc.journeys, svc.db, covers(svc.db))


def plan_page(
    request: Request,
    found: Visitor,
    ref: str,
    rule: str,
    form: dict[str, str],
    errors: dict[str, str],
) -> Response:
    """The dry run, logged as the API logs one, with the form that confirms it."""
    plan = eraser(request).plan(ref, rule)
    who = found.principal
    log_plan(services(request).db, who.user, roles_text(who), request.state.request_id, plan)
    return render(
        request, "erasure.html", found, title="Erase this record?", ref=ref, plan=plan,
        form=form, errors=errors, rules=RULE_OPTIONS,
    )  # fmt: skip


@router.get("/people/{ref:path}/erasure")
def erasure_page(request: Request, found: Eraser, ref: str, rule: str = "") -> Response:
    """Without a rule, the choice of rule; with one, the dry run and the confirmation form."""
    if not rule:
        return render(
            request, "erasure.html", found, title="Erase a record", ref=ref, plan=None,
            form={}, rules=RULE_OPTIONS,
        )  # fmt: skip
    return plan_page(request, found, ref, rule, {"rule": rule}, {})


@router.post("/people/{ref:path}/erasure")
async def erase(request: Request, found: Eraser, ref: str) -> Response:
    """The real run, if the token still names the record as it stands and a reason is given."""
    await check_csrf(request, found)
    sent = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    rule, reason, token = sent.get("rule", ""), sent.get("reason", ""), sent.get("confirm", "")
    who = found.principal
    try:
        entry = await run_in_threadpool(eraser(request).erase, ref, rule, reason, who.user, token)
    except InvalidValue as exc:
        form = {"rule": rule, "reason": reason}
        return await run_in_threadpool(
            plan_page, request, found, ref, rule, form, {exc.field: exc.reason}
        )
    log_erasure(services(request).db, who.user, roles_text(who), request.state.request_id, entry)
    return render(request, "erased.html", found, title="Record erased", entry=entry)
