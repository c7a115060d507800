"""Stored rows to events: plain rows, and rows under a person's data key, decoded directly
(dates revived by name; for a reader of many rows, the key kept while a person's rows run on),
anything else through the application's mapper. The mapper itself takes the direct path first,
so the write side's loads and the read side decode one way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import resolve_topic

from domain.erasure import SHREDDED_TOPIC
from domain.person.events import PersonEvent
from domain.service.aesgcm import NONCE, TAG, GcmCipher
from domain.service.datakey_cipher import DataKeyCipher
from domain.service.datakeys import ID_END, PREFIX
from domain.service.transcoder import OrjsonTranscoder

KEY_AT = len(PREFIX)  # a row under a data key: the prefix, then the key's id, up to ID_END
SEALED_AT = ID_END + NONCE  # then the nonce, the tag, and the ciphertext
BODY_AT = SEALED_AT + TAG


class Decoder:
    """Stored rows to events. Plain rows, and rows under a person's data key, take a direct
    path; erased people's, shredded, compressed or versioned-up ones go through the
    application's mapper (with its tombstone check, cipher and upcasters), which also raises
    every error, exactly as it would for any row."""

    def __init__(self, mapper: Mapper[UUID], *, remember: bool = True) -> None:
        # `remember`: keep the last key's opener for the rows after it (a reader of many
        # rows, called from one thread, that calls `forget` as each read begins). Without it
        # every row's key is looked up in the key cache, which drops destroyed keys.
        self.mapper, self.remember = mapper, remember
        transcoder = mapper.transcoder
        self.transcode = (
            _orjson_decode if isinstance(transcoder, OrjsonTranscoder) else transcoder.decode
        )
        cipher = mapper.cipher
        self.plain = cipher is None and mapper.compressor is None
        keyed = isinstance(cipher, DataKeyCipher) and mapper.compressor is None
        self.keys = cipher if keyed and isinstance(cipher, DataKeyCipher) else None
        self.classes: dict[str, tuple[type[Any], int]] = {}
        self.last: tuple[bytes, Callable[..., bytes]] | None = None  # see `opener`

    def forget(self) -> None:
        """Look each key up afresh (in the key cache, which drops destroyed keys): called as
        each read of rows begins, so a key remembered from one person's run of rows is not
        used on rows read later."""
        self.last = None

    def __call__(self, oid: Any, version: int, topic: str, state: Any) -> PersonEvent:
        if type(state) is not bytes:
            state = bytes(state)
        event = self.direct(oid, version, topic, state)
        if event is not None:
            return cast(PersonEvent, event)
        stored = StoredEvent(
            originator_id=oid, originator_version=version, topic=topic, state=state
        )
        return cast(PersonEvent, self.mapper.to_domain_event(stored))

    def direct(self, oid: Any, version: int, topic: str, state: bytes) -> Any:
        """The row's event made without the mapper, as the mapper makes it; None for a row
        the mapper must read (it also raises every error)."""
        found = self.classes.get(topic)
        if found is None:
            cls = resolve_topic(topic)
            found = self.classes[topic] = (cls, getattr(cls, "class_version", 1))
        cls, class_version = found
        data = self._direct(state) if topic != SHREDDED_TOPIC else None
        if data is None or data.pop("class_version", 1) != class_version:
            return None
        data["originator_id"] = oid if isinstance(oid, UUID) else UUID(oid)
        data["originator_version"] = version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", data)
        return event

    def opener(self, key_id: bytes) -> Callable[..., bytes] | None:
        """The decrypting function of a data key; rows come person by person, so the last
        key's is kept for the rows after it, until `forget`."""
        last = self.last
        if last is not None and last[0] == key_id:
            return last[1]
        assert self.keys is not None
        opened = _opener(self.keys.cipher(key_id))
        if self.remember:
            self.last = (key_id, opened) if opened is not None else None
        return opened

    def _direct(self, state: bytes) -> dict[str, Any] | None:
        """The row's decoded state when it reads without the mapper; None to leave it to the
        mapper (anything unusual, or anything that fails: the mapper raises the error)."""
        try:
            if self.plain:
                plaintext = state
            elif self.keys is not None:
                if state[:KEY_AT] != PREFIX:
                    return None  # under the application key
                key_id, last = state[KEY_AT:ID_END], self.last
                opened = last[1] if last is not None and last[0] == key_id else self.opener(key_id)
                if opened is None:
                    return None  # an erased person's key (a tombstone), or an unknown one
                # The library's layout: nonce, tag, ciphertext; AES-GCM takes ciphertext + tag.
                plaintext = opened(
                    state[ID_END:SEALED_AT], state[BODY_AT:] + state[SEALED_AT:BODY_AT], None
                )
            else:
                return None
            data = self.transcode(plaintext)
        except Exception:
            return None  # the mapper reads the row again and raises the error
        return data if type(data) is dict else None


# The dated fields most events hold at their top level, and the transcoder's tags for a
# datetime and a date (each tagged value is written as a one-key object: `{"_dt_":"..."}`).
DATED = ("timestamp", "occurred_at", "source_created_at", "date_of_birth")
DATETIME_TAG, DATE_TAG = "_dt_", "_d_"
TAGGED = b'{"_d'  # how every tagged value begins in the text (a quote in a string is escaped)
_FULL = OrjsonTranscoder()


def _orjson_decode(text: bytes) -> Any:
    """The orjson transcoder's `decode`, quicker: the dated fields above, and tagged values
    one level down (key dates), are revived without a walk over every value, when the text
    holds no tagged value elsewhere; any other text is decoded by the transcoder itself."""
    data = orjson.loads(text)
    if type(data) is not dict:
        return data
    tags = text.count(TAGGED)
    for key in DATED:
        if not tags:
            return data
        value = data.get(key)
        if type(value) is dict and _revived(data, key, value):
            tags -= 1
    if tags:
        tags -= _revive_nested(data)
    return data if not tags else _FULL.decode(text)


def _revived(holder: dict[str, Any], key: str, value: dict[str, Any]) -> bool:
    """Revive `holder[key]` in place if it is a tagged date or datetime."""
    if len(value) != 1:
        return False
    when = value.get(DATETIME_TAG)
    if type(when) is str:
        holder[key] = datetime.fromisoformat(when)
        return True
    day = value.get(DATE_TAG)
    if type(day) is str:
        holder[key] = date.fromisoformat(day)
        return True
    return False


def _revive_nested(data: dict[str, Any]) -> int:
    """Revive the tagged values held in the objects at the top level; how many were."""
    count = 0
    for inner in data.values():
        if type(inner) is dict:
            for key, value in inner.items():
                if type(value) is dict and _revived(inner, key, value):
                    count += 1
    return count


def _opener(cipher: object) -> Callable[..., bytes] | None:
    return cipher.aead.decrypt if isinstance(cipher, GcmCipher) else None
