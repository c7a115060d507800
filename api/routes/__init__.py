"""Route groups, one module each."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import audit, commands, operations, people

ROUTERS: list[APIRouter] = [commands.router, people.router, audit.router, operations.router]
