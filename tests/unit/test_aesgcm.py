"""The OpenSSL AES-GCM cipher reads and writes rows exactly as the store library's AESCipher."""

from __future__ import annotations

import os
from base64 import b64encode

import pytest
from eventsourcing.cipher import AESCipher
from eventsourcing.utils import Environment
from hypothesis import given
from hypothesis import strategies as st

from domain.service.aesgcm import GcmCipher


def pair(size: int) -> tuple[AESCipher, GcmCipher]:
    key = b64encode(os.urandom(size)).decode()
    env = Environment(env={"CIPHER_KEY": key})
    return AESCipher(env), GcmCipher(env)


@given(st.binary(max_size=4096), st.sampled_from([16, 24, 32]))
def test_rows_written_by_either_cipher_read_with_the_other(plaintext: bytes, size: int) -> None:
    library, fast = pair(size)
    # Check both directions, so stores written before keep reading and can roll back.
    assert fast.decrypt(library.encrypt(plaintext)) == plaintext
    assert library.decrypt(fast.encrypt(plaintext)) == plaintext


def test_each_row_has_a_fresh_nonce() -> None:
    _, fast = pair(32)
    assert fast.encrypt(b"same") != fast.encrypt(b"same")


def test_another_key_or_a_damaged_row_is_refused_as_the_library_refuses_it() -> None:
    _, fast = pair(32)
    _, other = pair(32)
    row = fast.encrypt(b"A1234BC")
    with pytest.raises(ValueError, match="another key"):
        other.decrypt(row)
    with pytest.raises(ValueError, match="another key"):
        fast.decrypt(row[:-1] + bytes([row[-1] ^ 1]))
    with pytest.raises(ValueError, match="shorter than its nonce"):
        fast.decrypt(row[:20])


def test_a_key_of_the_wrong_size_is_refused_naming_the_size() -> None:
    with pytest.raises(ValueError, match="Invalid key size: 10"):
        GcmCipher.of(os.urandom(10))
    with pytest.raises(OSError, match="CIPHER_KEY"):
        GcmCipher(Environment(env={}))
