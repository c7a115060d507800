"""The event mapper with per-person keys: whose key encrypts an event is read from the event.

A person's events are theirs (the originator); an identifier claim's events belong to the
person the event names as holder; anything else (batch records) stays under the application
key, since it belongs to no one person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    EventStore,
    Mapper,
    Recording,
    StoredEvent,
    Transcoder,
)

from domain.claims import IdentifierClaim
from domain.erasure import SHREDDED_TOPIC, Shredded
from domain.person.events import PersonEvent
from domain.service.datakey_cipher import DataKeyCipher
from domain.service.datakeys import (
    ID_END,
    KEYS,
    PREFIX,
    KeyStore,
    MemoryKeys,
    SqlKeys,
    key_id_of,
)
from domain.service.decoding import Decoder
from domain.service.key_reading import KeyReading
from domain.service.settings import Settings


def owner(event: object) -> UUID | None:
    """The person whose data key encrypts an event, or None for the application key."""
    if isinstance(event, PersonEvent):
        return event.originator_id
    if isinstance(event, IdentifierClaim.Claimed | IdentifierClaim.Redirected):
        return UUID(event.person_id)
    return None


class PersonKeyMapper(Mapper[UUID]):
    """Stored events under their owner's data key; shredded rows read as `Shredded`."""

    cipher: DataKeyCipher

    def __init__(self, transcoder: Transcoder, cipher: DataKeyCipher) -> None:
        super().__init__(transcoder=transcoder, cipher=cipher)
        # Rows under a live data key, decoded without the library's general path (a third
        # less work a row): every load of a person reads all their rows.
        self.quick = Decoder(self, remember=False)

    def prepare_keys(self, person_ids: Iterable[UUID]) -> None:
        """Create the missing keys of many people in one statement, before a bulk load
        encodes their events (else each new person costs a transaction of its own)."""
        self.cipher.prepare_keys(person_ids)

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        self.cipher.owner.person = owner(domain_event)
        try:
            return super().to_stored_event(domain_event)
        finally:
            self.cipher.owner.person = None

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        state = bytes(stored_event.state)
        event = self.quick.direct(
            stored_event.originator_id, stored_event.originator_version, stored_event.topic, state
        )
        if event is not None:
            return event
        if stored_event.topic == SHREDDED_TOPIC:
            key_id = key_id_of(state)
            tomb = self.cipher.tombstone(state) if key_id is not None else None
            oid = stored_event.originator_id
            return Shredded(UUID(str(oid)), stored_event.originator_version, tomb)
        tomb = self.cipher.tombstone(state)
        if tomb is not None:  # a row of an erased person not yet shredded (a restored backup)
            raise tomb.error()
        return super().to_domain_event(stored_event)


def keyed_mapper(
    settings: Settings, app_cipher: Cipher | None, transcoder: Transcoder
) -> PersonKeyMapper:
    """The mapper for a store: its data keys beside the events, wrapped by the app cipher."""
    url = settings.database
    store: KeyStore = MemoryKeys(app_cipher) if url.kind == "memory" else SqlKeys(url, app_cipher)
    if url.kind == "sqlite":
        ensure_store(store)
    return PersonKeyMapper(transcoder, DataKeyCipher(store, app_cipher))


def key_reading(mapper: Mapper[UUID]) -> KeyReading | None:
    """How a recorder reads the data keys of the rows it reads, into the mapper's cache."""
    if not isinstance(mapper, PersonKeyMapper) or not isinstance(mapper.cipher.store, SqlKeys):
        return None
    cipher = mapper.cipher
    store = cipher.store

    def found(rows: Sequence[tuple[Any, ...]]) -> None:
        cipher.cache([store.row(*row) for row in rows])

    return KeyReading(KEYS, PREFIX, ID_END - len(PREFIX), cipher.people.__contains__, found)


def ensure_keys(mapper: Mapper[UUID]) -> None:
    """The key table and destruction log of a PostgreSQL store (created under its lock)."""
    assert isinstance(mapper, PersonKeyMapper)
    ensure_store(mapper.cipher.store)


def ensure_store(store: KeyStore) -> None:
    if isinstance(store, SqlKeys):
        store.ensure()


def close_keys(mapper: Mapper[UUID]) -> None:
    """Release the key store's connection (the application is closing)."""
    if isinstance(mapper, PersonKeyMapper) and isinstance(mapper.cipher.store, SqlKeys):
        mapper.cipher.store.close()


class KeyedEventStore(EventStore[UUID]):
    """The library's event store, making every new person's key for a save in one statement
    before the save's events are encrypted (not one transaction per new person)."""

    mapper: PersonKeyMapper

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> list[Recording[UUID]]:
        owners = {o for e in domain_events if (o := owner(e)) is not None}
        self.mapper.prepare_keys(owners)
        return super().put(domain_events, **kwargs)
