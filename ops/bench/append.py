"""Append throughput on PostgreSQL: live commands (one event per transaction) and batched
saves (about 100 events per transaction), each beside raw psycopg inserting the same rows.

Run: .venv/bin/python -m ops.bench.append [--people 2000] [--live 2000]
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg

from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.catalogue import MoveCell
from domain.service.settings import Settings
from ops.bench.common import Figure, Option, run_alone, scratch_database, table, timed
from ops.bench.people import Built, Loaded, pending_events, save_people
from ops.sample import noms_number

START = datetime(2024, 1, 1, 8, tzinfo=UTC)
PEOPLE_PER_SAVE = 10
RAW_TABLE = "bench_raw_events"
OPTIONS = (
    Option("--people", int, 2000, "people in the batched run"),
    Option("--live", int, 2000, "live commands to time", dest="commands"),
)


def build_person(n: int) -> Built:
    """A person with ten events: registration and nine journey entries, built in memory."""
    load = Loaded(noms_number(n), START + timedelta(minutes=n), "bench", "bench")
    p = load.at
    person = load.register("Bench", f"P{n}", date(1985, 1, 1))
    person.admit(p(0), prison="LEI", reason="N")
    person.move_cell(p(1), prison="LEI", cell="A-1-001")
    person.court_out(p(24), prison="LEI", court="LEEDCC")
    person.court_return(p(30), court="LEEDCC", prison="LEI")
    person.record_key_dates(p(31), dates={"CRD": date(2025, 1, 1)})
    person.transfer_out(p(48), from_prison="LEI", to_prison="MDI")
    person.arrive(p(52), prison="MDI")
    person.tap_out(p(100), prison="MDI", reason="RO")
    person.tap_return(p(110), prison="MDI", reason="RO")
    return person, load.claim(person)


def batched(app: JourneyApp, people: int) -> tuple[int, float]:
    built = [build_person(n) for n in range(1, people + 1)]
    return pending_events(built), timed(lambda: save_people(app, built, PEOPLE_PER_SAVE))


def live(app: JourneyApp, commands: int, people: int) -> tuple[float, float]:
    """Cell moves one at a time: first each person's first command in this process (their
    history read from the store), then as many again on the same people (kept in memory, the
    save checking they are unchanged in the store)."""

    def run(first: int) -> None:
        for i in range(first, first + commands):
            n = 1 + i % min(people, commands)
            when = START + timedelta(days=30, minutes=i)
            app.handle(
                noms_number(n),
                [MoveCell(prison="MDI", cell=f"B-{1 + i % 4}-{i % 900:03d}")],
                Provenance("bench", "API", when),
            )

    return timed(lambda: run(0)), timed(lambda: run(commands))


def raw_rows(conn: psycopg.Connection, limit: int) -> list[tuple[object, ...]]:
    return conn.execute(
        "SELECT originator_id, originator_version, topic, state FROM journeys_events "
        "ORDER BY notification_id LIMIT %s",
        (limit,),
    ).fetchall()


def reset_raw(conn: psycopg.Connection) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
    conn.execute(
        f"CREATE TABLE {RAW_TABLE} (originator_id uuid NOT NULL, originator_version "
        "bigint NOT NULL, topic text, state bytea, notification_id bigserial, "
        "PRIMARY KEY (originator_id, originator_version))"
    )
    conn.execute(f"CREATE UNIQUE INDEX ON {RAW_TABLE} (notification_id)")
    conn.commit()


INSERT = (
    f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state) "
    "VALUES (%s, %s, %s, %s)"
)


def raw_one_per_tx(conn: psycopg.Connection, rows: list[tuple[object, ...]]) -> float:
    reset_raw(conn)

    def run() -> None:
        for row in rows:
            conn.execute(INSERT, row)
            conn.commit()

    return timed(run)


def raw_batched(conn: psycopg.Connection, rows: list[tuple[object, ...]], size: int) -> float:
    reset_raw(conn)

    def run() -> None:
        with conn.cursor() as cur:
            for i in range(0, len(rows), size):
                cur.executemany(INSERT, rows[i : i + size])
                conn.commit()

    return timed(run)


def raw_copy(conn: psycopg.Connection, rows: list[tuple[object, ...]]) -> float:
    reset_raw(conn)

    def run() -> None:
        with (
            conn.cursor() as cur,
            cur.copy(
                f"COPY {RAW_TABLE} (originator_id, originator_version, topic, state) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        conn.commit()

    return timed(run)


def run(people: int, commands: int) -> list[Figure]:
    with scratch_database() as url:
        settings = Settings(database_url=url + "?pool_size=2")
        app = JourneyApp(settings)
        try:
            events, batched_s = batched(app, people)
            cold_s, warm_s = live(app, commands, people)
        finally:
            app.close()
        conninfo = settings.database.conninfo()
        with psycopg.connect(conninfo) as conn:
            rows = raw_rows(conn, events)
            per_save = events * PEOPLE_PER_SAVE // people
            raw_live_s = raw_one_per_tx(conn, rows[:commands])
            raw_batch_s = raw_batched(conn, rows, per_save)
            copy_s = raw_copy(conn, rows)
    return [
        Figure(
            "live commands, each person's first (load, check, save; 1 event/tx)",
            commands,
            cold_s,
            "raw INSERT 1 row/tx",
            raw_live_s,
        ),
        Figure(
            "live commands, people kept in memory (check, save; 1 event/tx)",
            commands,
            warm_s,
            "raw INSERT 1 row/tx",
            raw_live_s,
        ),
        Figure(
            f"batched saves (~{per_save} events/tx)",
            events,
            batched_s,
            f"raw executemany {per_save} rows/tx",
            raw_batch_s,
        ),
        Figure(f"batched saves (~{per_save} events/tx)", events, batched_s, "raw COPY", copy_s),
    ]


def section(people: int, commands: int) -> str:
    """The markdown section for the benchmark report."""
    return (
        "### Appending events (PostgreSQL)\n\n"
        f"{people:,} people of 11 events each (registration, nine journey entries, identifier "
        f"claim) saved {PEOPLE_PER_SAVE} people per transaction; then {commands:,} live cell "
        "moves on as many people, each loading the person, checking the journey and saving one "
        f"event; then {commands:,} more on the same people, whom the application now keeps in "
        "memory (the save itself checks, under the table's lock, that each is unchanged in the "
        "store). Baselines insert the same stored rows with raw psycopg into a table of the "
        "same shape.\n\n"
        f"{table(run(people, commands))}\n"
    )


if __name__ == "__main__":
    run_alone(__doc__, section, *OPTIONS)
