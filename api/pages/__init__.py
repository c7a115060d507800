"""Server-rendered pages for staff, auditors and recovery teams, beside the HTTP API.

Each page calls the same view functions as the API's routes, under the same role checks (read
from those routes), so the access log records a page read exactly as it records an API read."""

from __future__ import annotations

from fastapi import FastAPI

from api.pages import (
    allocation,
    audit,
    erasure,
    forms,
    home,
    people,
    population,
    queues,
    recovery,
    render,
    rolls,
    signin,
    subject_access,
    timeline,
)
from api.pages.assets import asset_mounts

# The forms' paths end in a word after the person's reference, so they are matched before
# the person page, whose reference may contain a slash.
ROUTERS = [
    signin.router,
    home.router,
    forms.router,
    allocation.router,
    subject_access.router,
    erasure.router,
    timeline.router,
    people.router,
    rolls.router,
    population.router,
    queues.router,
    recovery.router,
    audit.router,
]
render.NAVIGATION.extend(
    [
        render.NavItem("Find a person", "/ui/search", people.SEARCHERS),
        render.NavItem("Establishment roll", "/ui/roll", rolls.READERS),
        render.NavItem("Population", "/ui/population", population.READERS),
        render.NavItem("Work queues", "/ui/queues", queues.WORKERS),
        render.NavItem("Recovery console", "/ui/batches", recovery.RECOVERERS),
        render.NavItem("Access log", "/ui/audit", audit.AUDITORS),
        render.NavItem("Retention review", "/ui/retention", subject_access.REVIEWERS),
    ]
)


def mount(app: FastAPI) -> None:
    """Add the pages, their error pages and the front-end assets to the application."""
    for prefix, files in asset_mounts().items():
        app.mount(prefix, files)
    render.install(app)
    for router in ROUTERS:
        app.include_router(router)
