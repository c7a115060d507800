"""`journey serve`, `journey token` and `journey roles`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from ops.common import JsonOption, fail, print_json

if TYPE_CHECKING:
    from api.config import ApiSettings


def settings() -> ApiSettings:
    from api.config import ApiSettings
    from domain.errors import DomainError

    try:
        return ApiSettings.from_env(os.environ)
    except DomainError as exc:
        fail(exc.field, f"configuration error: {exc.reason}", 2)


def check_front_end() -> None:
    """Refuse to start when the pages' front-end packages are missing (`npm ci` installs them)."""
    from api.pages.assets import GOVUK, MOJ, MissingAssets, package_dir

    for package in (GOVUK, MOJ):
        try:
            package_dir(package)
        except MissingAssets as exc:
            fail("node_modules", str(exc), 2)


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 1,
) -> None:
    """Serve the HTTP API (uvicorn with its standard extras)."""
    import uvicorn

    from api.services import prepare

    chosen = settings()  # refuse a bad configuration before starting workers
    check_front_end()
    prepare(chosen)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
        proxy_headers=False,
        # On SIGTERM, requests in flight get this many seconds to finish, then are cut off:
        # a stalled client or statement must not keep the server from stopping.
        timeout_graceful_shutdown=5,
    )


def token(
    role: Annotated[
        list[str], typer.Option(help="role(s) the token carries, as `journey roles` names them")
    ],
    user: Annotated[str, typer.Option(help="who the token names")],
    provider: Annotated[str | None, typer.Option(help="partner's provider (region code)")] = None,
    ttl: Annotated[int, typer.Option(min=60, max=7 * 24 * 3600, help="seconds")] = 8 * 3600,
) -> None:
    """A development token signed by the local key; refused outside development mode."""
    from api.auth import Forbidden, Role, issue_dev_token

    known = [r.value for r in Role]
    unknown = [r for r in role if r not in known]
    if unknown:
        fail("--role", f"unknown role {', '.join(unknown)}; expected {', '.join(known)}", 2)
    chosen = settings()
    try:
        chosen_roles = [Role(r) for r in role]
        print(issue_dev_token(chosen, user=user, roles=chosen_roles, provider=provider, ttl=ttl))
    except Forbidden as exc:
        fail("JOURNEY_MODE", str(exc), 2)


def roles(json: JsonOption = False) -> None:
    """Print the role-by-route matrix as read from the application's routes."""
    from api.app import create_app
    from api.auth import Role
    from api.matrix import markdown, matrix

    routes = create_app()
    if not json:
        print(markdown(routes), end="")
        return
    print_json(
        {
            "roles": [r.value for r in Role],
            "routes": [
                {
                    "method": method,
                    "route": path,
                    "public": allowed is None,
                    "roles": [r.value for r in allowed or ()],
                }
                for method, path, allowed in matrix(routes)
            ],
        }
    )
