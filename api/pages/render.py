"""Templates, the navigation each role sees, and the HTML answers to errors on page paths."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.templating import Jinja2Templates
from psycopg import OperationalError as PgOperationalError
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from api.auth import Forbidden, Role
from api.pages import dates, wording
from api.pages.session import (
    BadCsrf,
    PageForbidden,
    PurposeNeeded,
    SignInNeeded,
    Visitor,
    clear_session,
    sign_in_url,
    visitor_if_any,
)
from api.problems import ProblemError
from domain.errors import DomainError, NotFound

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
PREFIX = "/ui"


def when(value: datetime | date | None) -> str:
    """A moment as staff read it, in UK local time with its zone: 30 Nov 2026 09:15 GMT."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return dates.shown_moment(value)
    return value.strftime("%d %b %Y")


def anchor(field: str, form: object) -> str:
    """Where an error summary's link goes: the field, or a date's first wrong box."""
    sent = form.get(field) if isinstance(form, dict) else None
    if isinstance(sent, dates.Asked):
        wrong = [p for p in (*dates.PARTS, "time") if p in sent.wrong]
        return f"{field}-{wrong[0] if wrong else 'day'}"
    return field


def shown(value: object) -> str:
    """An entry's detail value as plain text: dates as ISO dates, mappings as `k: v` pairs."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {shown(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


templates.env.filters["when"] = when
templates.env.filters["shown"] = shown
templates.env.filters.update(
    agency=wording.agency,
    unit=wording.unit,
    status=wording.status,
    key_date=wording.key_date,
    probation=wording.probation,
    responsibility=wording.responsibility,
    where=wording.where,
    elsewhere=wording.elsewhere,
    risk=wording.risk,
    queue_detail=wording.queue_detail,
    kind_name=wording.kind_name,
    action=wording.action,
    change_field=wording.change_field,
)
templates.env.globals["change"] = wording.change


def holding(value: object, part: str) -> bool:
    """A template test: `roles` is `holding` "recovery" when the text holds the word."""
    return part in str(value or "").split(",")


templates.env.tests["holding"] = holding
templates.env.globals["sentence"] = wording.sentence
templates.env.globals["anchor"] = anchor


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: tuple[Role, ...]


NAVIGATION: list[NavItem] = []


def navigation(visitor: Visitor | None, path: str) -> list[dict[str, Any]]:
    """Only the links the visitor's role may use, the current one marked."""
    if visitor is None:
        return []
    return [
        {"label": n.label, "href": n.href, "current": path.startswith(n.href)}
        for n in NAVIGATION
        if visitor.may(n.roles)
    ]


def render(
    request: Request,
    name: str,
    visitor: Visitor | None,
    status: int | None = None,
    **context: Any,
) -> Response:
    """A page; unless told its status, 400 while it shows a form's errors, else 200."""
    context.setdefault("errors", {})
    if status is None:
        status = 400 if context["errors"] else 200
    return templates.TemplateResponse(
        request,
        name,
        {
            "visitor": visitor,
            "nav": navigation(visitor, request.url.path),
            **context,
        },
        status_code=status,
    )


def problem_page(
    request: Request, status: int, title: str, message: str, visitor: Visitor | None = None
) -> Response:
    return render(request, "problem.html", visitor, status=status, title=title, message=message)


Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def install(app: FastAPI) -> None:
    """HTML answers for errors on page paths; the API's own (JSON) handlers everywhere else."""

    async def sign_in(request: Request, exc: SignInNeeded) -> Response:
        response = RedirectResponse(sign_in_url(exc.next_url), status_code=303)
        clear_session(response)
        return response

    async def need_purpose(request: Request, exc: PurposeNeeded) -> Response:
        target = quote(exc.next_url, safe="")
        return RedirectResponse(f"{PREFIX}/purpose?next={target}", status_code=303)

    async def forbidden(request: Request, exc: PageForbidden) -> Response:
        allowed = ", ".join(r.value for r in exc.allowed)
        return problem_page(
            request,
            403,
            "You cannot use this page",
            f"It needs one of the roles: {allowed}.",
            exc.visitor,
        )

    async def bad_csrf(request: Request, exc: BadCsrf) -> Response:
        return problem_page(
            request, 403, "The form has expired", "Go back, reload the page and try again."
        )

    app.add_exception_handler(SignInNeeded, sign_in)  # type: ignore[arg-type]
    app.add_exception_handler(PurposeNeeded, need_purpose)  # type: ignore[arg-type]
    app.add_exception_handler(PageForbidden, forbidden)  # type: ignore[arg-type]
    app.add_exception_handler(BadCsrf, bad_csrf)  # type: ignore[arg-type]
    kinds = (DomainError, ProblemError, Forbidden, PersistenceError, PgOperationalError)
    for kind in (*kinds, HTTPException, RequestValidationError):
        on_pages(app, kind)


def on_pages(app: FastAPI, kind: type[Exception]) -> None:
    """Wrap the API's handler for `kind`: pages get an HTML page saying the same thing."""
    api_handler: Handler = app.exception_handlers[kind]

    async def either(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith(PREFIX):
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        visitor = getattr(request.state, "visitor", None)
        if isinstance(exc, HTTPException | RequestValidationError):
            return framework_error(request, exc)
        if isinstance(exc, NotFound):
            return problem_page(request, 404, "Not found", exc.reason, visitor)
        if isinstance(exc, ProblemError) and exc.code == "restricted-record":
            return restricted_form(request, visitor)
        if isinstance(exc, ProblemError):
            return problem_page(request, exc.status, "Sorry, there is a problem", exc.reason)
        if isinstance(exc, Forbidden):
            return problem_page(request, 403, "You cannot see this", str(exc), visitor)
        if isinstance(exc, DomainError):
            reason = f"{exc.field}: {exc.reason}"
            return problem_page(request, 422, "Sorry, there is a problem", reason, visitor)
        # The store is out of reach: nothing was read or recorded.
        response = problem_page(
            request, 503, "Sorry, the service is unavailable", "Try again in a moment."
        )
        response.headers["Retry-After"] = "2"
        return response

    app.add_exception_handler(kind, either)


def restricted_form(request: Request, visitor: Visitor | None) -> Response:
    """A restricted record asked for with no reason: the form asking for one (403 until then)."""
    return render(
        request,
        "restricted.html",
        visitor,
        status=403,
        title="This record is restricted",
        action=request.url.path,
    )


def framework_error(request: Request, exc: HTTPException | RequestValidationError) -> Response:
    """An address no page answers, or a path or query a page cannot read, as an HTML page."""
    visitor = visitor_if_any(request)
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = tuple(first.get("loc", ()))
        if where[:1] != ("path",):
            field = str(where[-1]) if where else "the address"
            said = f"{field}: {str(first.get('msg', 'not valid')).lower()}"
            return problem_page(request, 400, "Sorry, there is a problem", said, visitor)
    elif exc.status_code != 404:
        said = str(exc.detail)
        return problem_page(request, exc.status_code, "Sorry, there is a problem", said, visitor)
    return problem_page(
        request,
        404,
        "Page not found",
        "If you typed the web address, check it is correct. "
        "If you pasted the web address, check you copied the entire address.",
        visitor,
    )
