"""Server processes starting together on a fresh PostgreSQL database each create the tables they
need; none may fail because another is creating the same table at that moment."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from api.config import ApiSettings
from api.services import prepare
from domain.service.settings import Settings

pytestmark = pytest.mark.postgres

STARTERS = 6


def test_starters_racing_on_a_fresh_schema_all_succeed(pg_url: str, tmp_path: Path) -> None:
    settings = ApiSettings(
        store=Settings(database_url=pg_url), dev_key_path=str(tmp_path / "dev-key.pem")
    )
    barrier = threading.Barrier(STARTERS)
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait(timeout=30)
        try:
            prepare(settings)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(STARTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    # Check every starter got its tables, and a later start finds them all in place.
    assert errors == []
    prepare(settings)
