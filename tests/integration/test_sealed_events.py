"""A load's events are transcoded when checked and stamped and sealed when written: each row
must read back, through the application's own mapper, as the event the mapper itself would
have stored at that moment, on every store (each with its own keys and cipher)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.claims import IdentifierClaim, claim_id
from domain.identifiers import claim_key
from domain.person.aggregate import Person
from domain.service.application import JourneyApp
from domain.service.datakeys import key_id_of
from replay.batch import Batch
from replay.bulk import BulkWriter, Prepared, owners
from tests.conftest import at, prov


def journey() -> list[Any]:
    """A person's events of several kinds (dates, lists, maps, none values), their claim's,
    and a batch's own record (no person's key seals it)."""
    person = Person.register(
        person_id=None,
        given_name="Siân",
        family_name="Ó Briain",
        date_of_birth=date(1990, 1, 1),
        sex=None,
        identifiers={"NOMS": "A1111AA"},
        provenance=prov(at(-1), batch="B1", ref="r0"),
    )
    person.admit(prov(at(0), batch="B1", ref="r1"), prison="LEI", reason="N")
    person.move_cell(
        prov(at(1), batch="B1", ref="r2", reason="wing\nmove"), prison="LEI", cell="A-1-001"
    )
    person.record_key_dates(prov(at(2), batch="B1", ref="r3"), dates={"CRD": date(2030, 5, 1)})
    claim = IdentifierClaim.claim(claim_key("NOMS", "A1111AA"), person.id)
    batch = Batch.open(
        batch_id="B1",
        source="NOMIS",
        file_format="nomis",
        file_name="in.jsonl",
        file_hash="0" * 64,
        loaded_by="loader",
        accept_valid=False,
    )
    assert claim.id == claim_id(claim_key("NOMS", "A1111AA"))
    return [*person.collect_events(), *claim.collect_events(), *batch.collect_events()]


def restamped(event: Any, moment: datetime) -> dict[str, Any]:
    return {**vars(event), "timestamp": moment}


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moment=moments)
def test_sealed_rows_read_back_as_the_mappers_own(app: JourneyApp, moment: datetime) -> None:
    writer, mapper = BulkWriter(app), app.mapper
    events = journey()
    rows = writer.sealed(writer.prepare(events), moment)
    # Check each row reads back as its event recorded at that moment, in order.
    assert [(r.originator_id, r.originator_version) for r in rows] == [
        (e.originator_id, e.originator_version) for e in events
    ]
    for row, event in zip(rows, events, strict=True):
        read = mapper.to_domain_event(row)
        assert type(read) is type(event)
        assert vars(read) == restamped(event, moment)
    # Check the state is what the mapper itself stores, once opened: same topic, same value.
    for row, event in zip(rows, events, strict=True):
        object.__setattr__(event, "timestamp", moment)
        own = mapper.to_stored_event(event)
        assert row.topic == own.topic
        assert mapper.cipher is not None
        opened = mapper.transcoder.decode(mapper.cipher.decrypt(row.state))
        assert opened == mapper.transcoder.decode(mapper.cipher.decrypt(own.state))


def test_each_row_is_sealed_under_the_key_the_mapper_chooses(app: JourneyApp) -> None:
    writer, moment = BulkWriter(app), datetime.now(UTC)
    events = journey()
    for row, event in zip(writer.sealed(writer.prepare(events), moment), events, strict=True):
        own = app.mapper.to_stored_event(event)
        # Check a person's and a claim's rows name the person's data key, as the mapper's
        # do, and a batch's row is sealed (or left plain) as the mapper leaves it.
        assert key_id_of(bytes(row.state)) == key_id_of(bytes(own.state))
        assert row.state.startswith(b"{") == own.state.startswith(b"{")
    assert key_id_of(bytes(app.mapper.to_stored_event(events[0]).state)) is not None


def test_a_moment_without_microseconds_is_kept_exactly(app: JourneyApp) -> None:
    writer = BulkWriter(app)
    moment = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    for row in writer.sealed(writer.prepare(journey()), moment):
        assert vars(app.mapper.to_domain_event(row))["timestamp"] == moment
    later = moment + timedelta(microseconds=1)
    for row in writer.sealed(writer.prepare(journey()), later):
        assert vars(app.mapper.to_domain_event(row))["timestamp"] == later


people = st.lists(st.sampled_from(range(6)), max_size=40)


@given(runs=people, copies=st.booleans())
def test_the_keys_to_prepare_are_every_owner_once(runs: list[int], copies: bool) -> None:
    ids = [uuid4() for _ in range(6)]
    # Runs of one person (the same id object), interleaved people, equal ids made afresh
    # (a claim names its holder by text), and rows of no person.
    prepared: list[Prepared] = []
    for n in runs:
        who = UUID(str(ids[n])) if copies and n % 2 else ids[n]
        prepared.append((uuid4(), 1, "t", who if n != 5 else None, b"{}"))
    expected = {p[3] for p in prepared if p[3] is not None}
    assert owners(prepared) == expected
