"""Outside development the sign-in page only takes a pasted token from the identity provider,
and the session cookie is Secure as well as HttpOnly and SameSite=Strict."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from eventsourcing.cipher import AESCipher

from api.config import ApiSettings
from domain.service.settings import Settings
from tests.e2e.conftest import LiveApi, serve

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def provider_token(settings: ApiSettings, role: str) -> str:
    now = int(time.time())
    claims = {
        "sub": "idp.user",
        "roles": [role],
        "aud": settings.audience,
        "iss": settings.issuer,
        "iat": now,
        "exp": now + 600,
    }
    return jwt.encode(claims, KEY, algorithm="RS256")


@pytest.fixture
def production(tmp_path: Path) -> Iterator[LiveApi]:
    public = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings = ApiSettings(
        store=Settings(
            database_url=f"sqlite:///{tmp_path / 'prod.sqlite'}",
            mode="production",
            cipher_key=AESCipher.create_key(32),
        ),
        public_keys=(public.decode(),),
    )
    yield from serve(settings)


def post(client: httpx.Client, page: httpx.Response, form: dict[str, str]) -> httpx.Response:
    """The sign-in form posted as a browser over HTTPS would: its nonce in the form and in
    the (Secure, so not kept by a plain-HTTP client) cookie."""
    found = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert found, "the sign-in form carries a nonce"
    cookie = next(c for c in page.headers.get_list("set-cookie") if "journey_sign_in=" in c)
    assert "Secure" in cookie
    return client.post(
        "/ui/sign-in",
        data={**form, "nonce": found.group(1)},
        headers={"Cookie": f"journey_sign_in={found.group(1)}"},
    )


def test_production_sign_in_takes_only_a_pasted_token(production: LiveApi) -> None:
    client = production.client
    form = client.get("/ui/sign-in")
    assert form.status_code == 200
    assert "Pick a role" not in form.text and 'name="token"' in form.text

    # Check the development choice is not honoured: no token was pasted, so none is issued.
    chosen = {"method": "dev", "role": "admin", "user": "x", "purpose": "audit"}
    refused = post(client, form, chosen)
    assert refused.status_code == 400 and "Paste your token" in refused.text
    assert "journey_session" not in refused.cookies

    # Check a bad token is refused beside the field, and a good one signs in.
    again = post(client, refused, {"method": "token", "token": "bad", "purpose": "audit"})
    assert again.status_code == 400 and "The token was refused" in again.text
    token = provider_token(production.settings, "auditor")
    signed = post(client, again, {"method": "token", "token": token, "purpose": "audit"})
    assert signed.status_code == 303 and signed.headers["location"] == "/ui"
    cookie = next(
        c for c in signed.headers.get_list("set-cookie") if c.startswith("journey_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
