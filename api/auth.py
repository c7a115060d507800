"""Bearer tokens: RS256 JWTs checked against configured public keys, and the roles they carry.

In development a local key signs tokens for `journey token`; outside development that command
refuses and only the identity provider's keys are trusted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from api.config import ApiSettings
from domain import reference
from domain.errors import InvalidValue

# Identity providers' subjects are short: OpenID Connect allows at most 255 ASCII characters.
SUBJECT_LIMIT = 255


class Role(StrEnum):
    PRISON = "prison"
    PROBATION = "probation"
    PARTNER = "partner"
    RECOVERY = "recovery"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Unauthenticated(Exception):
    """No usable bearer token (401)."""


class Forbidden(Exception):
    """A valid token whose roles do not allow the request (403)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: their user name, roles, and for partners the provider they act for."""

    user: str
    roles: frozenset[Role]
    provider: str | None = None

    def has(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def scoped(self) -> bool:
        """Sees only the cases its own provider holds: a token whose only role is partner.
        Any other role reads every case, so a token also holding one is not scoped."""
        return self.roles <= {Role.PARTNER}


class TokenVerifier:
    """Checks signature (RS256 only), expiry, audience and issuer, then reads the roles.

    A token that passed is remembered until it expires: a client sends the same token on
    every request, and the signature check is most of the cost of authenticating one."""

    CACHE_SIZE = 10_000

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        pems = list(settings.public_keys)
        if settings.store.development:
            pems.append(dev_public_key(settings))
        # Parsed once: loading a PEM on every check costs as much as the check itself.
        keys = [RSAAlgorithm(RSAAlgorithm.SHA256).prepare_key(pem) for pem in pems]
        self.keys = [k.public_key() if isinstance(k, rsa.RSAPrivateKey) else k for k in keys]
        self.verified: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        known = self.verified.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        found, expires = self.check(token)
        if len(self.verified) >= self.CACHE_SIZE:
            self.verified.clear()
        self.verified[token] = (found, expires)
        return found

    def expiry(self, token: str) -> float:
        """When a token that passes expires (seconds since the epoch)."""
        self.verify(token)
        return self.verified[token][1]

    def check(self, token: str) -> tuple[Principal, float]:
        for key in self.keys:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=["RS256"],
                    audience=self.settings.audience,
                    issuer=self.settings.issuer,
                    options={"require": ["exp", "iat", "sub", "aud", "iss"]},
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as exc:
                raise Unauthenticated(f"token refused: {exc}") from None
            return principal(claims), float(claims["exp"])
        raise Unauthenticated("token refused: signature does not match any trusted key")


def principal(claims: dict[str, object]) -> Principal:
    raw = claims.get("roles")
    if not isinstance(raw, list) or not raw:
        raise Unauthenticated("token refused: it names no roles")
    try:
        roles = frozenset(Role(str(r)) for r in raw)
    except ValueError:
        raise Unauthenticated("token refused: it names an unknown role") from None
    provider = claims.get("provider")
    if Role.PARTNER in roles and provider is None:
        raise Unauthenticated("token refused: a partner token must name its provider")
    return Principal(
        subject(claims.get("sub")), roles, None if provider is None else region(provider)
    )


def subject(sub: object) -> str:
    """The user a token names, as the access log records it: a printable name."""
    if (
        not isinstance(sub, str)
        or not sub.strip()
        or sub != sub.strip()
        or len(sub) > SUBJECT_LIMIT
        or not sub.isprintable()
    ):
        raise Unauthenticated(
            f"token refused: its subject (sub) must be a printable name of 1 to {SUBJECT_LIMIT} "
            "characters, without leading or trailing spaces"
        )
    return sub


def region(provider: object) -> str:
    """The probation region a partner acts for, by its code (e.g. N07)."""
    try:
        if isinstance(provider, str) and reference.region(provider).code == provider:
            return provider
    except InvalidValue:
        pass
    raise Unauthenticated("token refused: its provider must be a probation region code, e.g. N07")


def dev_private_key(settings: ApiSettings) -> bytes:
    """The local development signing key, made on first use; refused outside development."""
    if not settings.store.development:
        raise Forbidden("development tokens are refused outside development mode")
    path = Path(settings.dev_key_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    return path.read_bytes()


def dev_public_key(settings: ApiSettings) -> str:
    key = serialization.load_pem_private_key(dev_private_key(settings), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def issue_dev_token(
    settings: ApiSettings,
    *,
    user: str,
    roles: list[Role],
    provider: str | None = None,
    ttl: int = 8 * 3600,
) -> str:
    """A signed development token for `journey token`."""
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": user,
        "roles": [r.value for r in roles],
        "aud": settings.audience,
        "iss": settings.issuer,
        "iat": now,
        "exp": now + ttl,
    }
    if provider:
        claims["provider"] = provider
    return jwt.encode(claims, dev_private_key(settings), algorithm="RS256")
