"""Event payloads at rest: the store library's AES cipher behind a keyring, so keys rotate.

The current key encrypts every new row; older keys only decrypt, until `journey store
reencrypt` has rewritten each row under the current key and they can be dropped.
"""

from __future__ import annotations

import binascii
from base64 import b64decode

from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import Cipher
from eventsourcing.utils import Environment

from domain.errors import InvalidValue
from domain.service.aesgcm import GcmCipher

AES_CIPHER_TOPIC = "domain.service.aesgcm:GcmCipher"
KEYRING_CIPHER_TOPIC = "domain.service.keyring:KeyringCipher"
OLD_KEYS = "CIPHER_OLD_KEYS"

# Keys printed in the documentation and tests: anyone may know them, so production refuses them.
PUBLISHED_KEYS = frozenset(
    {
        "ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZHVjdGk=",  # ops/KEYS.md's example
    }
)


def check_key(value: str, field: str) -> None:
    """A key is base64 of 16, 24 or 32 random bytes; anything else is refused by name."""
    try:
        raw = b64decode(value.encode(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidValue(field, "must be base64 (`journey store new-key` makes one)") from None
    if len(raw) not in AESCipher.KEY_SIZES:
        raise InvalidValue(field, "must encode 16, 24 or 32 bytes for AES")


def is_weak(value: str) -> bool:
    """A key anyone could guess: published in the documentation, or one byte repeated."""
    raw = b64decode(value.encode())
    return value in PUBLISHED_KEYS or len(set(raw)) <= 1


def aes(key: str) -> GcmCipher:
    return GcmCipher(Environment(env={GcmCipher.CIPHER_KEY: key}))


class KeyringCipher(Cipher):
    """Encrypts with `CIPHER_KEY`; decrypts with it or any of `CIPHER_OLD_KEYS`."""

    def __init__(self, environment: Environment) -> None:
        self.current = aes(environment.get(AESCipher.CIPHER_KEY) or "")
        older = (environment.get(OLD_KEYS) or "").split(",")
        self.older = [aes(k.strip()) for k in older if k.strip()]

    def encrypt(self, plaintext: bytes) -> bytes:
        return self.current.encrypt(plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return self.current.decrypt(ciphertext)
        except ValueError:
            pass
        for key in self.older:
            try:
                return key.decrypt(ciphertext)
            except ValueError:
                continue
        msg = "Cipher text is damaged, or encrypted with a key not on the keyring"
        raise ValueError(msg)

    def is_current(self, ciphertext: bytes) -> bool:
        """Whether the row is already encrypted with the current key."""
        try:
            self.current.decrypt(ciphertext)
        except ValueError:
            return False
        return True
