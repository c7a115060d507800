"""The FastAPI application: built by `create_app`, resources opened in the lifespan."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.telemetry import TelemetryConfig

from api import lane, problems
from api.auth import Principal, Unauthenticated
from api.config import ApiSettings
from api.deps import authenticate, bearer
from api.idempotency import InProgress
from api.matrix import all_routes, api_routes, route_roles
from api.metrics import Metrics
from api.middleware import Guard
from api.pages import mount as mount_pages
from api.pages.session import SESSION, Revocations, visitor
from api.routes import ROUTERS, commands
from api.services import build
from domain.service.collector import LongLived

# FastAPI's OpenTelemetry instrumentation, off unless JOURNEY_TELEMETRY=on.
OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}

DESCRIPTION = """Where a person in prison or on probation is, who holds the case, key dates,
and the full history behind every answer. Every consultation of a person's data is recorded
in the access log with who, when, why (the `X-Purpose` header) and the request id."""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The application; settings come from `JOURNEY_*` variables when not given."""
    metrics = Metrics()
    # Validated when the application is made (refusing a bad configuration at start-up);
    # the resources themselves are opened in the lifespan.
    chosen = settings or ApiSettings.from_env(os.environ)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build(chosen)
        services.metrics = metrics
        app.state.services = services
        app.state.revocations = Revocations(services.db)
        try:
            app.state.revocations.ensure()
            await services.start()
            # What start-up made, and what outlives each full pass of the collector (people
            # kept in memory above all), is kept out of the next: each pass would otherwise
            # stall every request in flight for tens to hundreds of ms.
            with LongLived():
                yield
        finally:
            await services.stop()

    # The document describes every route a caller may use: it is served, with the
    # interactive docs, to signed-in callers only (see `add_documents`).
    app = FastAPI(
        title="Offender journey tracker",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        telemetry=None if chosen.telemetry else OFF,
    )
    problems.install(app)
    app.add_exception_handler(InProgress, in_progress)  # type: ignore[arg-type]
    for router in ROUTERS:
        app.include_router(router)
    mount_pages(app)
    add_documents(app)
    app.openapi = lambda: document_of(app)  # type: ignore[method-assign]
    app.add_middleware(
        Guard,
        metrics=metrics,
        max_body=chosen.max_body_bytes,
        max_upload=chosen.max_import_bytes,
    )
    prepare_routes(app)
    lane.install(app, commands.router.routes)
    return app


def prepare_routes(app: FastAPI) -> None:
    """Build every route's request handling now, in one thread. The framework builds it on a
    route's first match, and two first requests racing in different threads were seen to trip
    over each other (a 500 from a warning raised mid-build)."""
    for found in all_routes(list(app.router.routes)):
        concrete = re.sub(r"\{[^}]+\}", "x", found.path)
        for method in found.methods or {"GET"}:
            scope = {"type": "http", "path": concrete, "method": method, "root_path": ""}
            for route in app.router.routes:
                route.matches(scope)


async def in_progress(request: Request, exc: InProgress) -> JSONResponse:
    """An idempotency key whose first request is still running: retry shortly."""
    response = problems.problem(
        request,
        exc.status,
        exc.code,
        "In progress",
        f"{exc.field}: {exc.reason}",
        field=exc.field,
        reason=exc.reason,
    )
    response.headers["Retry-After"] = exc.retry_after
    return response


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def signed_in(request: Request, credentials: Credentials) -> Principal:
    """Any caller with a valid bearer token, or signed in to the pages (a browser)."""
    if credentials is not None:
        return authenticate(request, credentials)
    if request.cookies.get(SESSION):
        return visitor(request).principal
    raise Unauthenticated("a bearer token is required")


SignedIn = Annotated[Principal, Depends(signed_in)]


def add_documents(app: FastAPI) -> None:
    """The OpenAPI document and the interactive docs, for signed-in callers only: the
    document maps every route and parameter an attacker would probe."""

    @app.get("/openapi.json", include_in_schema=False)
    def document(who: SignedIn) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def swagger(who: SignedIn) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - docs")

    @app.get("/redoc", include_in_schema=False)
    def redoc(who: SignedIn) -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} - ReDoc")


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `field` and `reason` name what was refused.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "reason": {"type": ["string", "null"]},
    },
}
PROBLEMS = {
    400: "a header or search term is missing or malformed (X-Purpose, If-Match, "
    "Idempotency-Key, no search terms)",
    401: "no valid bearer token",
    403: "the token's roles, or a partner's provider, do not allow this",
    404: "no such person, batch or queue",
    409: "conflicts with the journey or another writer, or the Idempotency-Key's first request "
    "is still running (with Retry-After)",
    412: "If-Match names a stale version",
    413: "the body is larger than the limit",
    414: "the path and query are too long",
    415: "the body is not of a type the route takes",
    422: "a field fails validation, holds control characters, or a date-time has no time zone",
    431: "the headers are too large",
    500: "failed unexpectedly; the error is logged under the request id",
    503: "the database or the access log cannot be reached: retry shortly (Retry-After)",
}
# Every route, whatever it does: the guard's limits and checks, and failures.
EVERY_ROUTE = (414, 422, 431, 500, 503)
SIGNED_IN = (400, 401, 403, 404)
WITH_BODY = (409, 413, 415)
# Answers some routes give in more than one form.
MEDIA: dict[tuple[str, str, int], dict[str, Any]] = {
    ("get", "/prisons/{code}/roll", 200): {"text/csv": {"schema": {"type": "string"}}},
    ("get", "/population", 200): {"text/csv": {"schema": {"type": "string"}}},
    ("get", "/ready", 503): {"application/json": {"schema": {"type": "object"}}},
}
REPLACED: dict[tuple[str, str, int], dict[str, Any]] = {
    ("get", "/metrics", 200): {"text/plain": {"schema": {"type": "string"}}},
}


def document_of(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, listing every status and media type each route answers with:
    problem details for every refusal, by what the route takes and who it admits."""
    if app.openapi_schema is None:
        # The framework's own document (stored as `app.openapi_schema`), completed here.
        schema = FastAPI.openapi(app)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        for route in api_routes(list(app.routes)):
            for method in route.methods or ():
                operation = schema["paths"][route.path_format][method.lower()]
                document_responses(route, method.lower(), operation["responses"])
        app.openapi_schema = schema
    return app.openapi_schema


def document_responses(route: APIRoute, method: str, responses: dict[str, Any]) -> None:
    statuses = set(EVERY_ROUTE)
    if route_roles(route) is not None:
        statuses |= set(SIGNED_IN)
    if method in {"post", "put", "patch"}:
        statuses |= set(WITH_BODY)
    if any(p.alias.lower() == "if-match" for p in route.dependant.header_params):
        statuses.add(412)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for status in sorted(statuses | {int(s) for s in responses if int(s) >= 400}):
        entry = responses.setdefault(str(status), {"description": PROBLEMS[status]})
        entry["content"] = dict(problem)
    for (on, path, status), media in MEDIA.items():
        if (on, path) == (method, route.path_format):
            responses[str(status)].setdefault("content", {}).update(media)
    for (on, path, status), media in REPLACED.items():
        if (on, path) == (method, route.path_format):
            responses[str(status)]["content"] = media
