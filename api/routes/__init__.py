"""Route groups, one module each."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import audit, operations, people

ROUTERS: list[APIRouter] = [people.router, audit.router, operations.router]
