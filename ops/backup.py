"""Backup and restore of the store: on PostgreSQL, pg_dump's custom format of the store's schema
(event log, data keys, read models, access log, batch registry), restored with pg_restore into
a fresh database; on SQLite, a consistent copy of the file (SQLite's online backup). The read
models are then rebuilt from the restored log and verified.

Erasures made since a backup was taken are made again in the restored store: the live store's
destruction log (which holds no personal data) is carried over, and each entry the backup does
not hold destroys its keys and shreds and deletes its rows there too (`carry_erasures`).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from psycopg.conninfo import make_conninfo

from domain.errors import InvalidValue
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL

if TYPE_CHECKING:
    from replay.erasure import Destruction

VERSION = re.compile(r"\) (\d+)(?:\.\d+)*")
SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ SCHEMA - (\S+) ")


class ToolError(Exception):
    """pg_dump or pg_restore is missing, too old for the server, or failed."""


def sqlite_backup(url: DatabaseURL, out: Path) -> None:
    """A consistent copy of a SQLite store, taken while it is in use."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    with (
        closing(sqlite3.connect(url.path, timeout=30)) as live,
        closing(sqlite3.connect(partial)) as copy,
    ):
        live.backup(copy)
    partial.replace(out)


def sqlite_restore(file: Path, into: DatabaseURL) -> None:
    """Into a SQLite file that does not exist yet."""
    if not file.is_file():
        raise InvalidValue("FILE", f"no backup at {file}")
    if Path(into.path).exists():
        raise InvalidValue("--into", f"{into.path} already exists: not fresh")
    Path(into.path).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(file, into.path)


def carry_erasures(live: Settings, restored: Settings) -> list[Destruction]:
    """Erasures in the live store's destruction log that the restored store lacks, made again
    there; returns them. A backup taken before an erasure thus never brings the person back."""
    from api.erasure_cover import covers
    from domain.service.application import JourneyApp
    from projections.db import open_read_db
    from projections.tables import ensure
    from replay.erasure import Erasure
    from replay.erasure_restore import logged, reapply

    with closing(JourneyApp(live)) as app, closing(open_read_db(live.database)) as db:
        entries = logged(Erasure(app, db))
    with closing(JourneyApp(restored)) as app, closing(open_read_db(restored.database)) as db:
        ensure(db)
        return reapply(Erasure(app, db, covers(db)), entries)


def postgres(url: str, field: str) -> DatabaseURL:
    parsed = DatabaseURL.parse(url)
    if parsed.kind != "postgres":
        raise InvalidValue(field, "backup and restore work on a PostgreSQL store")
    return parsed


def server_major(url: DatabaseURL) -> int:
    with psycopg.connect(url.conninfo(), connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    assert row is not None
    return int(row[0]) // 10000


def tool(name: str, major: int) -> str:
    """The client tool of the server's major version (Debian keeps each in its own folder),
    else the one on PATH if it is at least as new as the server; refuse anything older."""
    for candidate in (f"/usr/lib/postgresql/{major}/bin/{name}", shutil.which(name)):
        if candidate and Path(candidate).is_file():
            found = tool_major(candidate)
            if found >= major:
                return candidate
            raise ToolError(
                f"{candidate} is version {found}, older than the server ({major}): install "
                f"postgresql-client-{major} (ops/bootstrap installs postgresql-client)"
            )
    raise ToolError(f"{name} not found: install postgresql-client (ops/bootstrap does)")


def tool_major(path: str) -> int:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    found = VERSION.search(out)
    if not found:
        raise ToolError(f"cannot read the version of {path}: {out.strip()}")
    return int(found.group(1))


def backup(url: DatabaseURL, out: Path) -> None:
    """The store's schema, in pg_dump's custom format (compressed, restorable table by table)."""
    dump = tool("pg_dump", server_major(url))
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    run(
        [
            dump,
            "--format=custom",
            f"--schema={url.schema}",
            "--no-owner",
            "--no-privileges",
            f"--file={partial}",
            dbname(url),
        ],
        url,
    )
    partial.replace(out)  # a finished file or none: a failed dump never looks like a backup


def dumped_schema(restore: str, file: Path) -> tuple[str, str]:
    """The schema a backup holds, and its table of contents."""
    listing = run([restore, "--list", str(file)])
    schemas = {m.group(1) for line in listing.splitlines() if (m := SCHEMA_ENTRY.match(line))}
    if len(schemas) > 1:
        raise ToolError(f"{file} holds several schemas ({', '.join(sorted(schemas))})")
    return (schemas.pop() if schemas else "public"), listing


def restore(file: Path, into: DatabaseURL) -> None:
    """Into a database whose schema holds no tables yet; the URL's schema must be the one the
    backup was taken from (pg_restore keeps schema names)."""
    if not file.is_file():
        raise InvalidValue("FILE", f"no backup at {file}")
    pg_restore = tool("pg_restore", server_major(into))
    schema, listing = dumped_schema(pg_restore, file)
    if schema != into.schema:
        raise InvalidValue(
            "--into", f"the backup holds schema {schema}: give ?schema={schema} in the URL"
        )
    exists, tables = schema_contents(into)
    if tables:
        raise InvalidValue("--into", f"schema {schema} already holds {tables} tables: not fresh")
    # An existing empty schema (always so for public) is kept, not created again.
    kept = [ln for ln in listing.splitlines() if not (exists and SCHEMA_ENTRY.match(ln))]
    with tempfile.NamedTemporaryFile("w", suffix=".list") as chosen:
        chosen.write("\n".join(kept) + "\n")
        chosen.flush()
        run(
            [
                pg_restore,
                "--exit-on-error",
                "--single-transaction",
                "--no-owner",
                "--no-privileges",
                f"--use-list={chosen.name}",
                dbname(into),
                str(file),
            ],
            into,
        )
    # A restored database has no planner statistics: without them each lookup of one person's
    # events can take a parallel scan of the whole log until autovacuum gets round to it.
    with psycopg.connect(into.conninfo(), autocommit=True) as conn:
        conn.execute("ANALYZE")


def schema_contents(url: DatabaseURL) -> tuple[bool, int]:
    with psycopg.connect(url.conninfo(), connect_timeout=5) as conn:
        exists = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (url.schema,)
        ).fetchone()
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s", (url.schema,)
        ).fetchone()
    assert exists is not None and tables is not None
    return bool(exists[0]), int(tables[0])


def dbname(url: DatabaseURL) -> str:
    # The password goes through the environment, never the command line (visible in `ps`).
    conninfo = make_conninfo(host=url.host, port=url.port, user=url.user, dbname=url.dbname)
    return f"--dbname={conninfo}"


def run(command: list[str], url: DatabaseURL | None = None) -> str:
    env = dict(os.environ)
    if url is not None and url.password:
        env["PGPASSWORD"] = url.password
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise ToolError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")
    return done.stdout
