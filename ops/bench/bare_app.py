"""The baseline for the where-is benchmark: bare FastAPI and a psycopg pool reading the same
row, with no authentication, no access log and no domain code."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException
from psycopg_pool import ConnectionPool

from domain.service.storage import DatabaseURL


def create_app() -> FastAPI:
    url = DatabaseURL.parse(os.environ["JOURNEY_DATABASE_URL"])
    pool = ConnectionPool(
        url.conninfo(),
        min_size=4,
        max_size=16,
        open=False,
        kwargs={"options": f"-c search_path={url.schema},public"},
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool.open()
        yield
        pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/where/{noms}")
    def where(noms: str) -> dict[str, Any]:
        with pool.connection() as conn:
            row = conn.execute(
                "SELECT l.person_id, l.status, l.agency, l.cell FROM rm_identifiers i JOIN "
                "rm_location l ON l.person_id = i.person_id WHERE i.kind = 'NOMS' AND "
                "i.value = %s",
                (noms,),
            ).fetchone()
        if row is None:
            raise HTTPException(404)
        return {"person_id": row[0], "status": row[1], "agency": row[2], "cell": row[3]}

    return app
