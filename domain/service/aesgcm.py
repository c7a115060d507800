"""AES-GCM through OpenSSL, byte for byte as the store library's `AESCipher` writes it.

A row is nonce (12 bytes), tag (16) and ciphertext, the library's layout, so rows written by
either read with the other. The key schedule is made once per key, not once per row: encrypting
or decrypting a row costs microseconds, where the library's cipher spends over a hundred.
"""

from __future__ import annotations

import os
from base64 import b64decode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Cipher
from eventsourcing.utils import Environment

KEY_SIZES = (16, 24, 32)
NONCE = 12
TAG = 16


class GcmCipher(Cipher):
    """One AES key, sealing and opening rows in the library's layout."""

    CIPHER_KEY = "CIPHER_KEY"

    def __init__(self, environment: Environment) -> None:
        value = environment.get(self.CIPHER_KEY)
        if not value:
            msg = f"'{self.CIPHER_KEY}' not in env"
            raise OSError(msg)
        self.aead = sealer(b64decode(value.encode()))

    @classmethod
    def of(cls, raw: bytes) -> GcmCipher:
        """The cipher of a key given as raw bytes."""
        made = cls.__new__(cls)
        made.aead = sealer(raw)
        return made

    def encrypt(self, plaintext: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        sealed = self.aead.encrypt(nonce, plaintext, None)
        return nonce + sealed[-TAG:] + sealed[:-TAG]

    def decrypt(self, ciphertext: bytes) -> bytes:
        if len(ciphertext) < NONCE + TAG:
            msg = "Damaged cipher text: shorter than its nonce and tag"
            raise ValueError(msg)
        nonce, tag, body = (
            ciphertext[:NONCE],
            ciphertext[NONCE : NONCE + TAG],
            ciphertext[NONCE + TAG :],
        )
        try:
            return self.aead.decrypt(nonce, body + tag, None)
        except InvalidTag:
            msg = "Cipher text is damaged, or encrypted with another key (MAC check failed)"
            raise ValueError(msg) from None


def sealer(raw: bytes) -> AESGCM:
    if len(raw) not in KEY_SIZES:
        msg = f"Invalid key size: {len(raw)} not in {KEY_SIZES}"
        raise ValueError(msg)
    return AESGCM(raw)
