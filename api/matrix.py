"""The role-by-route matrix, read from the routes themselves so it cannot drift."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.auth import Role


def route_roles(route: APIRoute) -> tuple[Role, ...] | None:
    """The roles a route admits; None for a route that needs no token."""

    def walk(dependant: Dependant) -> tuple[Role, ...] | None:
        for sub in dependant.dependencies:
            roles = getattr(sub.call, "roles", None)
            if roles is not None:
                return tuple(roles)
            found = walk(sub)
            if found is not None:
                return found
        return None

    return walk(route.dependant)


def all_routes(routes: list[Any]) -> list[APIRoute]:
    """Every route, the pages' included, looking inside included routers (our routers have no
    prefixes)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(all_routes(list(route.original_router.routes)))
    return found


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every API route. The pages (left out of the API's schema) have their own role checks
    and tests."""
    return [route for route in all_routes(routes) if route.include_in_schema]


def matrix(app: FastAPI) -> list[tuple[str, str, tuple[Role, ...] | None]]:
    rows = []
    for route in api_routes(list(app.routes)):
        for method in sorted(route.methods or ()):
            rows.append((method, route.path, route_roles(route)))
    return sorted(rows, key=lambda r: (r[1], r[0]))


def markdown(app: FastAPI) -> str:
    roles = list(Role)
    head = "| method | route | " + " | ".join(r.value for r in roles) + " |\n"
    head += "|---|---|" + "---|" * len(roles) + "\n"
    lines = []
    for method, path, allowed in matrix(app):
        cells = ["public" if allowed is None else ("yes" if r in allowed else "") for r in roles]
        lines.append(f"| {method} | `{path}` | " + " | ".join(cells) + " |")
    return head + "\n".join(lines) + "\n"
