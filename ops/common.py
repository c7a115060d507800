"""Wiring shared by the command-line entry points: settings, the application, read models."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import typer
from rich.console import Console

from domain.errors import DomainError
from domain.service.application import JourneyApp
from domain.service.settings import Settings
from projections.db import ReadDb, open_read_db

console = Console()


def load_settings() -> Settings:
    try:
        return Settings.from_env(os.environ)
    except DomainError as exc:
        console.print(f"[red]configuration error[/red] {exc.field}: {exc.reason}")
        raise typer.Exit(2) from None


@contextmanager
def application() -> Iterator[JourneyApp]:
    """The journey application; refusals are reported with their field and reason."""
    journeys = JourneyApp(load_settings())
    try:
        yield journeys
    except DomainError as exc:
        console.print(f"[red]refused[/red] {exc.field}: {exc.reason}")
        raise typer.Exit(1) from None
    finally:
        journeys.close()


@contextmanager
def read_models(app: JourneyApp) -> Iterator[ReadDb]:
    """The read-model database beside the application's event store."""
    if app.settings.database.kind == "memory":
        console.print("[red]JOURNEY_DATABASE_URL[/red]: read models need SQLite or PostgreSQL")
        raise typer.Exit(2)
    db = open_read_db(app.settings.database)
    try:
        yield db
    finally:
        db.close()


def parse_time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        console.print(f"[red]{name}[/red]: expected an ISO date or date-time, got {value!r}")
        raise typer.Exit(2) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment
