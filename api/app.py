"""The FastAPI application: built by `create_app`, resources opened in the lifespan."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api import problems
from api.config import ApiSettings
from api.idempotency import InProgress
from api.metrics import Metrics
from api.middleware import Guard
from api.pages import mount as mount_pages
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
        try:
            await services.start()
            # What start-up made lives as long as the process: kept out of the collector's
            # full passes, which otherwise stall every request in flight for tens of ms.
            gc.freeze()
            yield
        finally:
            gc.unfreeze()
            await services.stop()

    app = FastAPI(
        title="Offender journey tracker",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    problems.install(app)
    app.add_exception_handler(InProgress, in_progress)  # type: ignore[arg-type]
    for router in ROUTERS:
        app.include_router(router)
    mount_pages(app)
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
