"""The FastAPI application: built by `create_app`, resources opened in the lifespan."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from api import problems
from api.auth import Principal, Unauthenticated
from api.config import ApiSettings
from api.deps import authenticate, bearer
from api.idempotency import InProgress
from api.metrics import Metrics
from api.middleware import Guard
from api.pages import mount as mount_pages
from api.pages.session import SESSION, Revocations, visitor
from api.routes import ROUTERS
from api.services import build

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
            # What start-up made lives as long as the process: kept out of the collector's
            # full passes, which otherwise stall every request in flight for tens of ms.
            gc.freeze()
            yield
        finally:
            gc.unfreeze()
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
    )
    problems.install(app)
    app.add_exception_handler(InProgress, in_progress)  # type: ignore[arg-type]
    for router in ROUTERS:
        app.include_router(router)
    mount_pages(app)
    add_documents(app)
    app.add_middleware(
        Guard,
        metrics=metrics,
        max_body=chosen.max_body_bytes,
        max_upload=chosen.max_import_bytes,
    )
    return app


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
