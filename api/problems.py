"""Every error as RFC 9457 problem details, mapped from domain and HTTP errors in one place."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from functools import lru_cache
from typing import Any

from eventsourcing.persistence import OperationalError, PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import OperationalError as PgOperationalError
from psycopg import errors as pg_errors
from starlette.exceptions import HTTPException

from api.auth import Forbidden, Unauthenticated
from domain.errors import (
    DomainError,
    FutureDated,
    IdentifierTaken,
    ImpossibleJourney,
    InvalidValue,
    NotFound,
)
from domain.service.errors import ConcurrencyConflict, StaleVersion

PROBLEM = "application/problem+json"
TYPE_BASE = "https://journey.example/problems/"

STATUS: list[tuple[type[DomainError], int]] = [
    (StaleVersion, 412),
    (ConcurrencyConflict, 409),
    (ImpossibleJourney, 409),
    (IdentifierTaken, 409),
    (NotFound, 404),
    (FutureDated, 422),
    (InvalidValue, 422),
]


class ProblemError(Exception):
    """An HTTP-level refusal raised by routes (bad header, idempotency key reused...)."""

    def __init__(
        self, status: int, code: str, field: str | None, reason: str, **extra: Any
    ) -> None:
        super().__init__(reason)
        self.status, self.code, self.field, self.reason, self.extra = (
            status,
            code,
            field,
            reason,
            extra,
        )


def problem(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    sent = dict(headers or {})
    if status == 401:
        sent["WWW-Authenticate"] = 'Bearer realm="journey"'
    return JSONResponse(jsonable(body), status_code=status, media_type=PROBLEM, headers=sent)


def may_see_holder(request: Request) -> bool:
    """Who holds an identifier is another person's case: a caller scoped to its provider's
    cases is told the identifier is taken, not by whom."""
    who = getattr(request.state, "principal", None)
    return who is not None and not who.scoped


def jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def install(app: FastAPI) -> None:
    """Register the handlers: one translation per kind of error."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status = next((s for kind, s in STATUS if isinstance(exc, kind)), 422)
        services = getattr(request.app.state, "services", None)
        if status in {409, 412} and services is not None:
            services.metrics.conflicts.labels(exc.code).inc()
        extra: dict[str, Any] = {"field": exc.field, "reason": exc.reason}
        if isinstance(exc, ImpossibleJourney):
            extra["conflicting_entry"] = exc.conflicting_entry
        if isinstance(exc, IdentifierTaken) and may_see_holder(request):
            extra["holder"] = exc.holder
        if isinstance(exc, ConcurrencyConflict | StaleVersion) and exc.current is not None:
            extra["current"] = exc.current
        return problem(
            request, status, exc.code, type(exc).__name__, f"{exc.field}: {exc.reason}", **extra
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "reason": e.get("msg", "invalid"),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "reason": "invalid request"}
        return problem(
            request,
            422,
            "invalid-request",
            "Invalid request",
            f"{first['field']}: {first['reason']}",
            field=first["field"],
            reason=first["reason"],
            errors=errors,
        )

    @app.exception_handler(ProblemError)
    async def refused(request: Request, exc: ProblemError) -> JSONResponse:
        return problem(
            request,
            exc.status,
            exc.code,
            exc.code.replace("-", " ").capitalize(),
            f"{exc.field}: {exc.reason}" if exc.field else exc.reason,
            field=exc.field,
            reason=exc.reason,
            **exc.extra,
        )

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(request: Request, exc: Unauthenticated) -> JSONResponse:
        return problem(request, 401, "unauthenticated", "Unauthenticated", str(exc))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return problem(request, 403, "forbidden", "Forbidden", str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        # Headers the framework sets on its own errors go out with them. A 405's Allow names
        # the methods the documented operation at this path has: the router would name those
        # of the first route whose pattern matched (`/people/{ref}` swallows
        # `/people/X/cell-moves`, since a reference may hold a slash).
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        return problem(
            request,
            exc.status_code,
            f"http-{exc.status_code}",
            str(exc.detail),
            str(exc.detail),
            headers=headers,
        )

    @app.exception_handler(PersistenceError)
    async def store_down(request: Request, exc: PersistenceError) -> JSONResponse:
        return unavailable(request, BUSY) if timed_out(exc) else unavailable(request)

    @app.exception_handler(PgOperationalError)
    async def read_store_down(request: Request, exc: PgOperationalError) -> JSONResponse:
        return unavailable(request, BUSY) if timed_out(exc) else unavailable(request)


# A statement or lock wait cancelled at its bound (see domain.service.storage.TIMEOUTS).
TIMEOUTS = (
    pg_errors.LockNotAvailable,
    pg_errors.QueryCanceled,
    pg_errors.IdleInTransactionSessionTimeout,
)
BUSY = (
    "the database is busy: a statement or lock wait passed its time bound and was cancelled; "
    "retry shortly (a command may or may not have been recorded: send it again with the same "
    "Idempotency-Key or source_ref)"
)


def timed_out(exc: BaseException) -> bool:
    """Whether the error, or one it was raised from, is a timeout the database enforced."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, TIMEOUTS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def unavailable(
    request: Request,
    detail: str = (
        "the database cannot be reached; retry shortly (a command may or may not have been "
        "recorded: send it again with the same Idempotency-Key or source_ref)"
    ),
) -> JSONResponse:
    response = problem(request, 503, "unavailable", "Service unavailable", detail)
    response.headers["Retry-After"] = "2"
    return response


__all__ = ["OperationalError", "ProblemError", "install", "jsonable", "problem"]


def refuse_undeclared_method(request: Request) -> None:
    """405 for a path that is an instance of a documented operation taking other methods."""
    allowed = allowed_methods(request)
    if allowed and request.method not in allowed.split(", "):
        raise HTTPException(405, "Method Not Allowed", headers={"Allow": allowed})


def allowed_methods(request: Request) -> str:
    """The methods the OpenAPI document lists for the operation this path is an instance of,
    each path parameter standing for one segment."""
    paths: dict[str, dict[str, Any]] = request.app.openapi().get("paths", {})
    for template, operations in paths.items():
        if operation_pattern(template).fullmatch(request.url.path):
            methods = sorted(m.upper() for m in operations if m.upper() in HTTP_METHODS)
            return ", ".join(methods)
    return ""


HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@lru_cache(maxsize=512)
def operation_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))
