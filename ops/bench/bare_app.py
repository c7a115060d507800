"""The baseline for the where-is benchmark: bare FastAPI and a psycopg pool reading the same
row, with no authentication, no access log and no domain code.

Shaped like the project's hot path, so the two differ only in what the project adds: an
`async def` endpoint on the event loop with an async pool of the same size (a plain `def`
endpoint queues behind the thread pool and the GIL, which gave the baseline a tail of its own).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException
from psycopg_pool import AsyncConnectionPool

from domain.service.storage import DatabaseURL

POOL_SIZE = 16  # as the project's read pool


def create_app() -> FastAPI:
    url = DatabaseURL.parse(os.environ["JOURNEY_DATABASE_URL"])
    pool = AsyncConnectionPool(
        url.conninfo(),
        min_size=POOL_SIZE // 2,
        max_size=POOL_SIZE,
        open=False,
        kwargs={"options": f"-c search_path={url.schema},public", "autocommit": True},
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.open()
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/where/{noms}")
    async def where(noms: str) -> dict[str, Any]:
        async with pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT l.person_id, l.status, l.agency, l.cell FROM rm_identifiers i JOIN "
                "rm_location l ON l.person_id = i.person_id WHERE i.kind = 'NOMS' AND "
                "i.value = %s",
                (noms,),
            )
            row = await cursor.fetchone()
        if row is None:
            raise HTTPException(404)
        return {"person_id": row[0], "status": row[1], "agency": row[2], "cell": row[3]}

    return app
