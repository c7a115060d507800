"""The cipher over per-person data keys: which key encrypts, which decrypts, and the cache of
keys (with read-ahead for readers going through the log person by person).

The cache is bounded: a process that goes through a national store (a load, a rebuild worker,
a server over weeks) meets hundreds of thousands of people, and an AES key schedule takes
about 2.6 KiB, so the oldest keys and ciphers give way (a key met again is read again).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import date
from uuid import UUID

from eventsourcing.persistence import Cipher

from domain.erasure import Tombstone
from domain.service.aesgcm import GcmCipher
from domain.service.caches import bounded, oldest
from domain.service.datakeys import ID_END, PREFIX, DataKey, KeyStore, key_id_of

POLL = 1.0  # seconds between looks for keys destroyed by another process
READ_AHEAD = 2000  # keys read at once once misses come fast and in order (a rebuild's stream)
BUSY = 20  # misses in a second, each after the last in person order, that make a reader a stream
ROWS = 20_000  # key rows cached (wrapped material, about 500 bytes each with the dicts)
CIPHERS = 10_000  # key schedules cached (about 2.6 KiB each)


class DataKeyCipher(Cipher):
    """Encrypts a person's event state under their data key, and decrypts any stored row:
    under a data key (named by its prefix) or, without one, under the application cipher.
    Whose key encrypts is set per thread by the mapper (`owner`); no owner, the app's."""

    def __init__(
        self,
        store: KeyStore,
        app_cipher: Cipher | None,
        *,
        rows: int = ROWS,
        ciphers: int = CIPHERS,
    ) -> None:
        # Built from a key store, not the library's environment.
        self.store, self.app_cipher = store, app_cipher
        self.bounds = (rows, ciphers)
        self.owner = threading.local()
        self.rows: dict[bytes, DataKey] = {}  # key id: its row, material still wrapped
        self.people: dict[UUID, bytes] = {}  # person: their live key's id
        self.ciphers: dict[bytes, GcmCipher] = {}
        self.seen, self.polled = 0, 0.0
        self.window, self.misses = 0.0, 0
        # The person of the latest key missed (or read ahead), and how many misses in a row
        # have each come after the one before in person order.
        self.last_person: UUID | None = None
        self.in_order = 0
        self.lock = threading.Lock()

    def prepare_keys(self, person_ids: Iterable[UUID]) -> None:
        """Make sure each person has a key, creating the missing ones in one statement and
        caching them all: call once before encoding a bulk load's events."""
        self.forget_destroyed()
        missing = [p for p in dict.fromkeys(person_ids) if p not in self.people]
        if not missing:
            return
        found = self.store.by_people(missing)
        self.cache(found)
        live = {key.person_id for key in found if key.material is not None}
        new = [p for p in missing if p not in live]
        if new:
            self.store.create(new)
            self.cache(self.store.by_people(new))

    def load_keys(self, person_ids: Iterable[UUID]) -> None:
        """Cache the keys of many people in one query, before reading their rows (else each
        person's first row fetches its key alone); creates none."""
        self.forget_destroyed()
        missing = [p for p in dict.fromkeys(person_ids) if p not in self.people]
        if missing:
            self.cache(self.store.by_people(missing))

    def cache(self, keys: Iterable[DataKey]) -> None:
        with self.lock:
            for key in keys:
                self.rows[key.key_id] = key
                if key.material is not None:
                    self.people[key.person_id] = key.key_id
            for key_id in oldest(self.rows, self.bounds[0]):  # the oldest give way
                self._drop(key_id)

    def encrypt(self, plaintext: bytes) -> bytes:
        person = getattr(self.owner, "person", None)
        if person is None:
            return self.app_cipher.encrypt(plaintext) if self.app_cipher else plaintext
        return self.encrypt_for(person, plaintext)

    def encrypt_for(self, person_id: UUID, plaintext: bytes) -> bytes:
        key_id = self.people.get(person_id)
        if key_id is None:
            self.prepare_keys([person_id])
            key_id = self.people.get(person_id)
        found = self.cipher(key_id) if key_id is not None else None
        if not isinstance(found, GcmCipher):
            tomb = next((k.tombstone for k in self.store.by_people([person_id])), None)
            raise (tomb or Tombstone(date.today(), "unknown")).error()
        assert key_id is not None
        return PREFIX + key_id + found.encrypt(plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        key_id = key_id_of(ciphertext)
        cipher = self.cipher(key_id) if key_id is not None else None
        if cipher is None:  # old rows, batches: the application key (or none)
            return self.app_cipher.decrypt(ciphertext) if self.app_cipher else ciphertext
        if isinstance(cipher, Tombstone):
            raise cipher.error()
        return cipher.decrypt(ciphertext[ID_END:])

    def tombstone(self, state: bytes) -> Tombstone | None:
        """The base record of the erased person whose key a row names, if so."""
        key_id = key_id_of(state)
        try:
            found = self.cipher(key_id) if key_id is not None else None
        except ValueError:  # a key the keyring cannot unwrap: `decrypt` says so
            return None
        return found if isinstance(found, Tombstone) else None

    def cipher(self, key_id: bytes) -> GcmCipher | Tombstone | None:
        """The key's cipher, its tombstone once destroyed, or None for an unknown id (a row
        under the application key whose ciphertext happens to begin like a prefix)."""
        self.forget_destroyed()
        made = self.ciphers.get(key_id)
        if made is not None:
            return made
        row = self.rows.get(key_id) or self.missed(key_id)
        if row is None:
            return None
        if row.material is None:
            return row.tombstone
        made = GcmCipher.of(self.store.unwrap(row.material))
        with self.lock:
            bounded(self.ciphers, key_id, made, self.bounds[1])
        return made

    def missed(self, key_id: bytes) -> DataKey | None:
        """A key not cached: fetched alone, or with the keys of the people after it when
        misses come fast and each after the last in person order (a reader going through
        the log person by person). Misses in no order (a server's commands on people met at
        random) fetch their own key only: a page read ahead for each was all waste."""
        now = time.monotonic()
        if now - self.window > 1.0:
            self.window, self.misses = now, 0
        self.misses += 1
        if self.misses > BUSY and self.in_order >= BUSY:
            page = self.store.following(key_id, min(READ_AHEAD, self.bounds[0]))
            self.cache(page)
            found = next((key for key in page if key.key_id == key_id), None)
            if found is not None and self._ordered(found.person_id):
                self.last_person = page[-1].person_id  # the next miss comes after the page
            return found
        found = self.store.by_id(key_id)
        if found is not None:
            self.cache([found])
            self._ordered(found.person_id)
        return found

    def _ordered(self, person: UUID) -> bool:
        """Note a missed key's person; whether it came after the last in person order."""
        after = self.last_person is not None and person > self.last_person
        self.in_order = self.in_order + 1 if after else 0
        self.last_person = person
        return after

    def forget_destroyed(self) -> None:
        """Drop keys another process destroyed: looked for at most once a second."""
        now = time.monotonic()
        if now - self.polled < POLL:
            return
        self.polled = now
        self.seen, destroyed = self.store.destroyed_since(self.seen)
        if destroyed:
            self.forget(destroyed)

    def forget(self, key_ids: Iterable[bytes]) -> None:
        with self.lock:
            for key_id in set(key_ids):
                self._drop(key_id)

    def _drop(self, key_id: bytes) -> None:
        """A key out of the cache (the lock held)."""
        row = self.rows.pop(key_id, None)
        self.ciphers.pop(key_id, None)
        if row is not None and self.people.get(row.person_id) == key_id:
            del self.people[row.person_id]
