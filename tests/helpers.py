"""Helpers the tests share: a person registered in one call, and a journey application opened
on a store for the length of a block."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime

from domain.service.application import JourneyApp
from domain.service.results import CommandResult
from domain.service.settings import Settings
from projections.db import ReadDb, open_read_db
from tests.conftest import at, prov


@contextmanager
def journey_app(settings: Settings) -> Iterator[JourneyApp]:
    """A journey application on the settings' store, closed when the block ends."""
    app = JourneyApp(settings)
    try:
        yield app
    finally:
        app.close()


@contextmanager
def journey_and_read_db(settings: Settings) -> Iterator[tuple[JourneyApp, ReadDb]]:
    """A journey application and its read models' database, both closed when the block ends."""
    with journey_app(settings) as app:
        db = open_read_db(settings.database)
        try:
            yield app, db
        finally:
            db.close()


def register(
    app: JourneyApp,
    identifiers: str | Mapping[str, str],
    given: str | None = "Test",
    family: str | None = "Person",
    born: date | None = date(1980, 1, 2),
    *,
    when: datetime | None = None,
) -> CommandResult:
    """Register a person by a NOMS number (or several identifiers), a day before `at(0)`."""
    held = {"NOMS": identifiers} if isinstance(identifiers, str) else dict(identifiers)
    return app.register(
        prov(at(-1) if when is None else when),
        given_name=given,
        family_name=family,
        date_of_birth=born,
        identifiers=held,
    )
