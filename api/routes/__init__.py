"""Route groups, one module each."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    audit,
    commands,
    erasure,
    establishments,
    feed,
    imports,
    merges,
    operations,
    people,
    protection,
    queues,
)

# Routes are matched in this order: the reads, where-is above all, come first.
ROUTERS: list[APIRouter] = [
    protection.router,  # its GET /people/{ref}/subject-access before the where-is
    people.router,
    commands.router,
    establishments.router,
    queues.router,
    feed.router,
    audit.router,
    imports.router,
    merges.router,
    erasure.router,
    operations.router,
]
