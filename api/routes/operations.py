"""Health, readiness and metrics: the only routes that answer without a token."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.deps import Svc
from api.problems import unavailable

router = APIRouter(tags=["operations"])


@router.get("/health", summary="The process is up")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="The database answers and read models are within the lag limit")
def ready(request: Request, svc: Svc) -> JSONResponse:
    # A new connection first: it fails at once when the database is down, where the pools
    # would wait for a connection of theirs.
    if not svc.db.reachable():
        return unavailable(request, "the database cannot be reached")
    try:
        lags = svc.runner.lag()
    except Exception:
        return unavailable(request, "the database cannot be reached")
    worst = max((lag.seconds_behind for lag in lags), default=0.0)
    position = min((lag.position for lag in lags), default=0)
    for lag in lags:
        svc.metrics.lag_events.labels(lag.name).set(lag.events_behind)
        svc.metrics.lag_seconds.labels(lag.name).set(lag.seconds_behind)
    within = worst <= svc.settings.ready_lag_seconds
    body = {
        "status": "ready" if within else "lagging",
        "position": position,
        "head": max((lag.head for lag in lags), default=0),
        "seconds_behind": worst,
    }
    return JSONResponse(body, status_code=200 if within else 503)


@router.get("/metrics", summary="Prometheus metrics")
def metrics(svc: Svc) -> Response:
    return Response(svc.metrics.render(), media_type="text/plain; version=0.0.4")
