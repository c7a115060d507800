"""`journey serve` and `journey token`."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from api.auth import Forbidden, Role, issue_dev_token
from api.config import ApiSettings
from api.services import prepare
from domain.errors import DomainError
from ops.common import console


def settings() -> ApiSettings:
    try:
        return ApiSettings.from_env(os.environ)
    except DomainError as exc:
        console.print(f"[red]configuration error[/red] {exc.field}: {exc.reason}")
        raise typer.Exit(2) from None


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 1,
) -> None:
    """Serve the HTTP API (uvicorn with its standard extras)."""
    chosen = settings()  # refuse a bad configuration before starting workers
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
    )


def token(
    role: Annotated[list[Role], typer.Option(help="role(s) the token carries")],
    user: Annotated[str, typer.Option(help="who the token names")],
    provider: Annotated[str | None, typer.Option(help="partner's provider (region code)")] = None,
    ttl: Annotated[int, typer.Option(min=60, max=7 * 24 * 3600, help="seconds")] = 8 * 3600,
) -> None:
    """A development token signed by the local key; refused outside development mode."""
    chosen = settings()
    try:
        print(issue_dev_token(chosen, user=user, roles=role, provider=provider, ttl=ttl))
    except Forbidden as exc:
        console.print(f"[red]JOURNEY_MODE[/red]: {exc}")
        raise typer.Exit(2) from None


def roles() -> None:
    """Print the role-by-route matrix as read from the application's routes."""
    from api.app import create_app
    from api.matrix import markdown

    print(markdown(create_app()), end="")
