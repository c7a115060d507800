"""The journey application: the service layer. Load, call, save once, return plain values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    EventStore,
    InfrastructureFactory,
    IntegrityError,
    Mapper,
    Recording,
    Transcoder,
)
from eventsourcing.utils import Environment, EnvType

from domain.claims import IdentifierClaim, claim_id
from domain.errors import IdentifierTaken, NotFound
from domain.identifiers import claim_key, detect
from domain.person.aggregate import Person, Recorded
from domain.person.state import PersonState
from domain.person.timeline import TimelineEntry, timeline
from domain.provenance import Provenance
from domain.service.command import Claiming, Command
from domain.service.errors import ConcurrencyConflict, StaleVersion
from domain.service.kept import Guard, Kept, StaleKept, reading_ahead
from domain.service.keyed_mapper import (
    KeyedEventStore,
    PersonKeyMapper,
    close_keys,
    ensure_keys,
    key_reading,
    keyed_mapper,
)
from domain.service.keyring import AES_CIPHER_TOPIC, KEYRING_CIPHER_TOPIC, OLD_KEYS
from domain.service.registration import normalised_identifiers, register_person
from domain.service.results import CommandResult
from domain.service.settings import Settings
from domain.service.storage import DatabaseURL
from domain.service.transcoder import OrjsonTranscoder

ATTEMPTS = 3  # a command on a kept person found changed is worked again, this many times in all


class JourneyApp(Application[UUID]):
    """Records people's journeys and answers from their histories."""

    name = "Journeys"
    log_section_size = 1000

    def __init__(self, settings: Settings, env: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        store_env = settings.database.event_store_env() | cipher_env(settings)
        if settings.database.kind == "postgres":
            # Tables are created below under a lock: several processes starting at once (API
            # workers, the projection worker) would otherwise race in the catalogue.
            store_env["CREATE_TABLE"] = "no"
        super().__init__(env={**store_env, **(env or {})})
        if settings.database.kind == "postgres":
            with serialised(settings):
                self.recorder.create_table()  # type: ignore[attr-defined]
                ensure_keys(self.mapper)
        with_keys = getattr(self.recorder, "with_keys", None)  # PostgreSQL's reads a key along
        reading = key_reading(self.mapper)
        if with_keys is not None and reading is not None:
            with_keys(reading)
        # People kept between commands, checked against the store before reuse.
        self.kept = Kept(self.recorder, self.repository)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only the typed settings configure the store: nothing leaks in from os.environ.
        return Environment(name, dict(env or {}))

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        factory = super().construct_factory(env)
        if self.settings.database.kind == "postgres":
            bound_sessions(factory, self.settings.database)
        return factory

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder()

    def construct_mapper(self) -> Mapper[UUID]:
        # Each person's events under a data key of their own (crypto-shredding).
        return keyed_mapper(self.settings, self.factory.cipher(), self.construct_transcoder())

    def construct_event_store(self) -> EventStore[UUID]:
        # A save makes its new people's data keys in one statement.
        assert isinstance(self.mapper, PersonKeyMapper)
        return KeyedEventStore(self.mapper, self.recorder)

    def close(self) -> None:
        close_keys(self.mapper)
        super().close()

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's save, with aggregates told apart by their class: its runtime protocol
        checks cost 22 µs an aggregate, a twentieth of a live command's CPU."""
        if not all(obj is None or isinstance(obj, Aggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        processing = ProcessingEvent[UUID]()
        for obj in objs:
            if obj is not None:
                processing.events.extend(obj.collect_events())
                processing.aggregates[obj.id] = obj
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

    # ---- queries ----

    def resolve(self, ref: str | UUID) -> UUID:
        """A person's id from their id or any identifier (NOMS, CRN, PNC, CRO)."""
        if isinstance(ref, UUID):
            return ref
        try:
            return UUID(ref)
        except (ValueError, AttributeError, TypeError):
            pass
        kind, value = detect(ref)
        try:
            claim: object = self.repository.get(
                projector_func=replay_events, aggregate_id=claim_id(claim_key(kind, value))
            )
        except AggregateNotFoundError:
            raise NotFound("identifier", f"no person holds {kind} {value}") from None
        assert isinstance(claim, IdentifierClaim)
        return claim.person_id

    def person(self, ref: str | UUID) -> Person:
        if not is_uuid(ref):
            with reading_ahead(self.recorder):  # the claim and its person in one round trip
                return self._person(self.resolve(ref))
        return self._person(self.resolve(ref))

    def _person(self, person_id: UUID) -> Person:
        try:
            person: object = self.repository.get(
                projector_func=replay_events, aggregate_id=person_id
            )
        except AggregateNotFoundError:
            raise NotFound("person_id", f"no person with id {person_id}") from None
        if not isinstance(person, Person):
            raise NotFound("person_id", f"no person with id {person_id}")
        return person

    def state(
        self,
        ref: str | UUID,
        *,
        as_of: datetime | None = None,
        as_known_at: datetime | None = None,
    ) -> PersonState | None:
        """Where the person is, who holds the case and their key dates, at two time axes."""
        return self.person(ref).state(as_of=as_of, as_known_at=as_known_at)

    def timeline(
        self, ref: str | UUID, *, as_known_at: datetime | None = None
    ) -> list[TimelineEntry]:
        return timeline(self.person(ref), as_known_at)

    # ---- registration and identifiers ----

    def register(
        self,
        provenance: Provenance,
        *,
        given_name: str | None,
        family_name: str | None,
        date_of_birth: date | None,
        identifiers: Mapping[str, str],
        sex: str | None = None,
    ) -> CommandResult:
        """A new person; every identifier is claimed in the same atomic save."""
        claimed = normalised_identifiers(identifiers)
        holder = cache(self.holder)  # each identifier looked up once
        earlier = self._earlier_registration(claimed, provenance, holder)
        if earlier is not None:
            return self._unchanged(earlier, earlier.registration.originator_version)
        claims = Claiming(holder)
        person = register_person(
            claims,
            provenance,
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
            sex=sex,
            identifiers=claimed,
        )
        try:
            recordings = self.save(person, *claims.made)
        except IntegrityError:
            self._raise_taken(claimed)
            raise ConcurrencyConflict(None) from None
        return CommandResult(
            str(person.id), 1, person.version, recordings[-1].notification.id, True
        )

    def handle(
        self,
        ref: str | UUID,
        commands: Sequence[Command],
        provenance: Provenance | Sequence[Provenance],
        expected_version: int | None = None,
    ) -> CommandResult:
        """Commands on one person as one: loaded, applied (several are checked together at
        their effective times, all or none), saved once with any identifiers they claim.
        `provenance` is one for all, or one for each command."""
        provenances = (
            [provenance] * len(commands) if isinstance(provenance, Provenance) else list(provenance)
        )
        for _ in range(ATTEMPTS):
            # A person taken from memory comes with a guard; one read from the store, without.
            person, guard, spare = self.kept.take(ref, self.person)
            try:
                return self._handle(person, commands, provenances, expected_version, guard)
            except StaleKept as stale:
                # Changed in the store meanwhile: worked again on the kept person brought up
                # to date, or else on the stored person. A claim the store found unchanged is
                # kept, so the person is read straight by id.
                changed = stale.changed or guard or {}
                if spare is None or not self.kept.catch_up(spare, changed, stale.since):
                    self.kept.forget(changed)
            except Exception:
                # A kept person's refusal (or any failure) stands only if they were current.
                if guard is None or self.kept.current(guard):
                    if spare is not None:
                        self.kept.keep(spare)  # as stored: the refused command left no trace
                    raise
                self.kept.forget(guard)
        raise ConcurrencyConflict(self.person(ref).state())

    def _handle(
        self,
        person: Person,
        commands: Sequence[Command],
        provenances: Sequence[Provenance],
        expected_version: int | None,
        guard: Guard | None,
    ) -> CommandResult:
        self._check_version(person, expected_version)
        claims = Claiming(self.holder)
        if len(commands) == 1:
            recorded = commands[0].apply(person, provenances[0], claims)
        else:
            with person.together():
                results = [
                    command.apply(person, given, claims)
                    for command, given in zip(commands, provenances, strict=True)
                ]
            recorded = together(person, results)
        try:
            result = self._save(person, recorded, *claims.made, guard=guard)
            self.kept.keep(person)  # all saved: the next command starts from here
            return result
        except ConcurrencyConflict:
            # Either the person changed, or another person claimed an identifier first.
            for claim in claims.made:
                kind, value = claim.key.split(":", 1)
                holder = self.holder(kind, value)
                if holder is not None and holder != person.id:
                    raise IdentifierTaken(
                        "value", f"{kind} {value} is held by another person", str(holder)
                    ) from None
            raise

    # ---- merges ----

    def merge(
        self, kept_ref: str | UUID, removed_ref: str | UUID, provenance: Provenance
    ) -> CommandResult:
        """Two records of one person become one history (a NOMIS merge): the removed record's
        entries and identifiers join the kept one, and its identifiers lead there from now on.
        Both records and every identifier claim change in one transaction."""
        kept, removed = self.person(kept_ref), self.person(removed_ref)
        recorded = kept.absorb(removed, provenance)
        removed.retire_into(kept, provenance)
        claims = self._claims_of(removed, held_by=removed.id)
        for claim in claims:
            claim.redirect(kept.id, f"merged into {kept.id}")
        return self._save(kept, recorded, removed, *claims)

    def unmerge(
        self, kept_ref: str | UUID, removed_ref: str | UUID, provenance: Provenance
    ) -> CommandResult:
        """Reverse a merge, as events: the entries it brought are voided in the kept record,
        the removed record stands again and its identifiers lead back to it."""
        kept = self.person(kept_ref)
        removed = self.person(
            UUID(str(removed_ref)) if is_uuid(removed_ref) else self._merged_id(kept, removed_ref)
        )
        recorded = kept.reverse_merge(str(removed.id), provenance)
        removed.restore(provenance)
        claims = self._claims_of(removed, held_by=kept.id)
        for claim in claims:
            claim.redirect(removed.id, f"merge into {kept.id} reversed")
        return self._save(kept, recorded, removed, *claims)

    def _merged_id(self, kept: Person, ref: str | UUID) -> UUID:
        """A removed record named by an identifier it brought (which now leads to the kept)."""
        kind, value = detect(str(ref))
        for removed_id in kept.merges():
            removed = self.person(removed_id)
            state = removed.state(checked=False)
            if state is not None and value in state.identifiers.get(kind, ()):
                return removed.id
        raise NotFound("removed", f"no record merged into this one holds {kind} {value}")

    def _claims_of(self, person: Person, *, held_by: UUID) -> list[IdentifierClaim]:
        state = person.state(checked=False)
        assert state is not None
        claims = []
        for kind, values in state.identifiers.items():
            for value in values:
                try:
                    claim: object = self.repository.get(
                        claim_id(claim_key(kind, value)), projector_func=replay_events
                    )
                except AggregateNotFoundError:
                    continue
                assert isinstance(claim, IdentifierClaim)
                if claim.person_id == held_by:
                    claims.append(claim)
        return claims

    # ---- plumbing ----

    def _save(
        self, person: Person, recorded: Recorded | None, *extra: Any, guard: Guard | None = None
    ) -> CommandResult:
        """Save the person and anything else the command changed; a kept person's guard is
        checked by the save itself (or here, when there is nothing to save)."""
        if recorded is None or recorded.duplicate:
            if guard is not None and not self.kept.current(guard):
                raise StaleKept("the kept person changed in the store")
            entry = recorded.version if recorded else person.version
            return self._unchanged(person, entry)
        try:
            recordings = self.save(person, *extra, **({"guard": guard} if guard else {}))
        except StaleKept:
            raise
        except IntegrityError:
            raise ConcurrencyConflict(self.person(person.id).state()) from None
        return CommandResult(
            str(person.id), recorded.version, person.version, recordings[-1].notification.id, True
        )

    def _unchanged(self, person: Person, entry: int) -> CommandResult:
        # Anything already recorded is at or before the head, so the head is safe to wait for.
        return CommandResult(
            str(person.id), entry, person.version, self.recorder.max_notification_id(), False
        )

    def _check_version(self, person: Person, expected_version: int | None) -> None:
        if expected_version is not None and expected_version != person.version:
            current = person.state()
            assert current is not None
            raise StaleVersion(expected_version, current)

    def _load(self, aggregate_id: UUID) -> object:
        return self.repository.get(aggregate_id, projector_func=replay_events)

    def holder(self, kind: str, value: str) -> UUID | None:
        """The person holding an identifier (canonical form), if anyone."""
        try:
            claim: object = self.repository.get(
                projector_func=replay_events, aggregate_id=claim_id(claim_key(kind, value))
            )
        except AggregateNotFoundError:
            return None
        except NotFound:  # the claim of an erased record: shredded, never released
            raise IdentifierTaken(
                f"identifiers.{kind}", f"{kind} {value} belonged to an erased record", ""
            ) from None
        assert isinstance(claim, IdentifierClaim)
        return claim.person_id

    def _earlier_registration(
        self,
        claimed: Mapping[str, str],
        provenance: Provenance,
        holder: Callable[[str, str], UUID | None],
    ) -> Person | None:
        """The same registration already recorded (same source record), if any: found by the
        first identifier someone holds."""
        for kind, value in claimed.items():
            held_by = holder(kind, value)
            if held_by is None:
                continue
            person = self.person(held_by)
            reg = person.registration
            same = (reg.source, reg.source_ref) == (provenance.source, provenance.source_ref)
            return person if provenance.source_ref and same else None
        return None

    def _raise_taken(self, claimed: Mapping[str, str]) -> None:
        for kind, value in claimed.items():
            holder = self.holder(kind, value)
            if holder is not None:
                raise IdentifierTaken(
                    f"identifiers.{kind}", f"{kind} {value} is held by another person", str(holder)
                )


def bound_sessions(factory: InfrastructureFactory, url: DatabaseURL) -> None:
    """Every event-store connection opens with its statements, lock waits and idle
    transactions bounded in time (the pool has made none yet: its first opens with the
    recorder)."""
    from eventsourcing.postgres import PostgresFactory

    assert isinstance(factory, PostgresFactory)
    pool = factory.datastore.pool
    assert isinstance(pool.kwargs, dict)
    pool.kwargs["options"] = url.session_options()
    # With several hosts, reconnect to whichever takes writes (the primary after a failover).
    pool.kwargs.update(url.routing())


def cipher_env(settings: Settings) -> dict[str, str]:
    """The library's AES cipher with the current key; during a key rotation, a keyring that
    also decrypts with the old keys."""
    if not settings.cipher_key:
        return {}
    if not settings.cipher_old_keys:
        return {"CIPHER_TOPIC": AES_CIPHER_TOPIC, "CIPHER_KEY": settings.cipher_key}
    return {
        "CIPHER_TOPIC": KEYRING_CIPHER_TOPIC,
        "CIPHER_KEY": settings.cipher_key,
        OLD_KEYS: ",".join(settings.cipher_old_keys),
    }


@contextmanager
def serialised(settings: Settings) -> Iterator[None]:
    """A database-wide lock held across processes for the duration of a schema change."""
    import psycopg

    with psycopg.connect(settings.database.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (7_310_220,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (7_310_220,))


def replay_events(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply stored events in order; the library's default also runs a slow runtime protocol
    check on every event."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def together(person: Person, results: Sequence[Recorded | None]) -> Recorded | None:
    """What entries recorded together did: new entries if any, else the last repeated."""
    if any(r is not None and not r.duplicate for r in results):
        return Recorded(person.version)
    return next((r for r in reversed(results) if r is not None), None)


def is_uuid(ref: str | UUID) -> bool:
    try:
        UUID(str(ref))
    except ValueError:
        return False
    return True
