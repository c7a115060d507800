"""Bearer tokens an attacker might send, over real HTTP: each is refused with 401 problem
details, and none of them is ever recorded as a consultation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import date

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth import Role, dev_public_key
from domain.service.application import JourneyApp
from tests.conftest import at
from tests.e2e.conftest import LiveApi
from tests.helpers import register

NOMS = "A4321TK"
Forge = Callable[[LiveApi], str]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(api: LiveApi, **changes: object) -> dict[str, object]:
    """An attacker's claims, as the API would issue them to mallory but for the changes."""
    return api.claims(**{"sub": "mallory", **changes})


def signed(api: LiveApi, algorithm: str = "RS256", **changes: object) -> str:
    """Signed with the trusted key: only the claims (or algorithm) are wrong."""
    return api.signed(algorithm, **{"sub": "mallory", **changes})


def unsigned(header: dict[str, object], body: dict[str, object], signature: bytes) -> str:
    head = b64(json.dumps(header).encode())
    payload = b64(json.dumps(body).encode())
    return f"{head}.{payload}.{b64(signature)}"


def flipped_signature(api: LiveApi) -> str:
    head, payload, sig = signed(api).split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{payload}.{b64(bytes(raw))}"


def edited_payload(api: LiveApi) -> str:
    head, _, sig = signed(api).split(".")
    promoted = b64(json.dumps(claims(api, roles=["admin"])).encode())
    return f"{head}.{promoted}.{sig}"


def alg_none(api: LiveApi) -> str:
    return unsigned({"alg": "none", "typ": "JWT"}, claims(api, roles=["admin"]), b"")


def key_confusion(api: LiveApi) -> str:
    """HS256 keyed with the server's own public key, as if it were a shared secret."""
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims(api, roles=["admin"])).encode())
    secret = dev_public_key(api.settings).encode()
    mac = hmac.new(secret, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{b64(mac)}"


def unknown_key(api: LiveApi) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return jwt.encode(claims(api), pem, algorithm="RS256", headers={"kid": "attacker"})


now = int(time.time())
FORGED: dict[str, Forge] = {
    "signature bit flipped": flipped_signature,
    "payload edited (roles)": edited_payload,
    "alg none": alg_none,
    "HS256 keyed with the public key": key_confusion,
    "signed by an unknown key": unknown_key,
    "RS512 with the trusted key": lambda api: signed(api, "RS512"),
    "PS256 with the trusted key": lambda api: signed(api, "PS256"),
    "expired": lambda api: signed(api, iat=now - 7200, exp=now - 3600),
    "not yet valid (nbf)": lambda api: signed(api, nbf=now + 3600),
    "issued in the future (iat)": lambda api: signed(api, iat=now + 3600, exp=now + 7200),
    "wrong audience": lambda api: signed(api, aud="another-api"),
    "wrong issuer": lambda api: signed(api, iss="someone-else"),
    "no audience": lambda api: signed(api, aud=None),
    "no expiry": lambda api: signed(api, exp=None),
    "no subject": lambda api: signed(api, sub=None),
    "no roles": lambda api: signed(api, roles=None),
    "empty roles": lambda api: signed(api, roles=[]),
    "unknown role": lambda api: signed(api, roles=["superuser"]),
    "roles not a list": lambda api: signed(api, roles="admin"),
    "partner without provider": lambda api: signed(api, roles=["partner"]),
    "not a JWT": lambda api: "not-a-token",
    "empty segments": lambda api: "..",
    "truncated": lambda api: signed(api)[:-20],
}


@pytest.fixture(scope="module")
def seeded(shared_api: LiveApi) -> LiveApi:
    app = JourneyApp(shared_api.settings.store)
    try:
        register(app, NOMS, "Token", "Target", date(1980, 1, 1))
    finally:
        app.close()
    return shared_api


@pytest.mark.parametrize("name", list(FORGED))
def test_a_forged_or_invalid_token_is_refused(seeded: LiveApi, name: str) -> None:
    token = FORGED[name](seeded)
    for path in (f"/people/{NOMS}", f"/people/{NOMS}/timeline", "/search?name=target"):
        response = seeded.client.get(
            path, headers={"Authorization": f"Bearer {token}", "X-Purpose": "attack"}
        )
        assert response.status_code == 401, (name, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "Target" not in response.text
    command = seeded.client.post(
        f"/people/{NOMS}/admissions",
        headers={"Authorization": f"Bearer {token}"},
        json={"occurred_at": at(0).isoformat(), "prison": "LEI", "movement_reason": "N"},
    )
    assert command.status_code == 401, (name, command.text)


@pytest.mark.parametrize(
    "authorization", ["", "Bearer", "Bearer  x y", "Basic YWRtaW46YWRtaW4=", "Token abc", "bearer"]
)
def test_a_missing_or_malformed_authorization_header_is_refused(
    seeded: LiveApi, authorization: str
) -> None:
    response = seeded.client.get(
        f"/people/{NOMS}", headers={"Authorization": authorization, "X-Purpose": "attack"}
    )
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_refused_tokens_leave_no_trace_of_success(seeded: LiveApi) -> None:
    """Runs after the attacks above (same server): nothing they sent was recorded."""
    for forge in FORGED.values():
        seeded.client.get(
            f"/people/{NOMS}",
            headers={"Authorization": f"Bearer {forge(seeded)}", "X-Purpose": "x"},
        )
    rows = seeded.client.get(
        "/audit/access", params={"limit": 1000}, headers=seeded.headers(Role.AUDITOR, purpose=None)
    ).json()["entries"]
    assert [r for r in rows if r["user"] == "mallory"] == []
    assert [r for r in rows if r["action"].startswith("person.")] == []
    # Check the person has no entries beyond registration (no forged command got through).
    timeline = seeded.client.get(f"/people/{NOMS}/timeline", headers=seeded.headers(Role.AUDITOR))
    assert timeline.json()["total"] == 1
    metrics = seeded.client.get("/metrics").text
    assert 'status="401"' in metrics
