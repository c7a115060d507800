"""Who is signed in to the pages: the bearer token in an HttpOnly cookie, the stated purpose,
CSRF tokens on every POST form, and the role checks shared with the API's routes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from api.auth import Principal, Role, Unauthenticated
from api.deps import stated_purpose as checked_purpose
from api.matrix import api_routes, route_roles
from api.problems import ProblemError
from api.services import Services
from projections.db import ReadDb

SESSION = "journey_session"
PURPOSE = "journey_purpose"
SIGN_IN_CSRF = "journey_sign_in"
REVOKED = "revoked_sessions"
# The visitor's own prison, a setting of the session: lists and queues start there.
PRISON = "journey_prison"
# And the probation area (a region or PDU code) whose pending cases the queues show.
AREA = "journey_area"


class SignInNeeded(Exception):
    """No usable session: the visitor is sent to the sign-in page, then back."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PurposeNeeded(Exception):
    """A person-level page was asked for with no stated purpose."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageForbidden(Exception):
    """Signed in, but the role does not allow this page."""

    def __init__(self, visitor: Visitor, allowed: tuple[Role, ...]) -> None:
        super().__init__(", ".join(r.value for r in allowed))
        self.visitor, self.allowed = visitor, allowed


class BadCsrf(Exception):
    """A POST form without this session's CSRF token."""


@dataclass(frozen=True)
class Visitor:
    """A signed-in visitor: who, with which token, and why they said they are looking."""

    principal: Principal
    token: str
    purpose: str | None

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)

    @property
    def role_names(self) -> str:
        return ", ".join(sorted(r.value for r in self.principal.roles))

    def may(self, roles: tuple[Role, ...]) -> bool:
        return self.principal.has(*roles)


def csrf_for(token: str) -> str:
    # Keyed by the session token, which a forging page can never read (HttpOnly): no server
    # secret to share between workers, and the token changes with every sign-in.
    return hmac.new(token.encode(), b"journey-pages-csrf", hashlib.sha256).hexdigest()


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


class Revocations:
    """Sessions signed out: kept in the database, so a copied cookie stops working on every
    worker and server at once, until its token would have expired anyway."""

    def __init__(self, db: ReadDb) -> None:
        self.db = db

    def ensure(self) -> None:
        with self.db.transaction() as cur:
            if self.db.dialect == "postgres":
                # Workers starting together would otherwise collide creating the table.
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (7_310_224,))
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {REVOKED} (token_hash TEXT PRIMARY KEY, "
                "expires_at DOUBLE PRECISION NOT NULL)"
            )

    def revoke(self, token: str, expires_at: float) -> None:
        with self.db.transaction() as cur:
            cur.execute(f"DELETE FROM {REVOKED} WHERE expires_at < %s", (time.time(),))
            cur.execute(
                f"INSERT INTO {REVOKED} VALUES (%s, %s) ON CONFLICT (token_hash) DO NOTHING",
                (digest(token), expires_at),
            )

    def revoked(self, token: str) -> bool:
        rows = self.db.query(f"SELECT 1 FROM {REVOKED} WHERE token_hash = %s", (digest(token),))
        return bool(rows)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revocations(request: Request) -> Revocations:
    found: Revocations = request.app.state.revocations
    return found


def here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def visitor(request: Request) -> Visitor:
    token = request.cookies.get(SESSION)
    if not token:
        raise SignInNeeded(here(request))
    try:
        who = services(request).verifier.verify(token)
    except Unauthenticated:
        raise SignInNeeded(here(request)) from None
    if revocations(request).revoked(token):
        raise SignInNeeded(here(request))
    request.state.principal = who
    stated = request.cookies.get(PURPOSE)
    found = Visitor(who, token, unquote(stated) if stated else None)
    request.state.visitor = found
    return found


def visitor_if_any(request: Request) -> Visitor | None:
    """The signed-in visitor, or None: for pages any visitor may see, such as "not found"."""
    try:
        return visitor(request)
    except SignInNeeded:
        return None


def page_for(*roles: Role) -> Callable[[Request], Awaitable[Visitor]]:
    """A dependency admitting only visitors holding one of `roles`; others get a 403 page."""

    async def check(request: Request) -> Visitor:
        found = visitor(request)
        if not found.principal.has(*roles):
            raise PageForbidden(found, roles)
        return found

    return check


async def stated_purpose(request: Request, found: Visitor) -> str:
    """The visitor's purpose, checked as the API checks `X-Purpose`."""
    return purpose_of(request, found)


def purpose_of(request: Request, found: Visitor) -> str:
    """`stated_purpose` for a page that runs in a worker thread."""
    try:
        return checked_purpose(found.purpose)
    except ProblemError:
        raise PurposeNeeded(here(request)) from None


async def check_csrf(request: Request, found: Visitor) -> None:
    form = await request.form()
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, found.csrf):
        raise BadCsrf


def roles_of(routes: Sequence[object], path: str, method: str = "GET") -> tuple[Role, ...]:
    """The roles the API route at `path` admits, read from its own dependencies, so a page
    and the route it stands beside cannot drift apart."""
    for route in api_routes(list(routes)):
        if isinstance(route, APIRoute) and route.path == path and method in (route.methods or ()):
            found = route_roles(route)
            if found is not None:
                return found
    raise LookupError(f"no API route {method} {path} with roles")


def set_session(response: Response, token: str, purpose_text: str, *, secure: bool) -> None:
    response.set_cookie(SESSION, token, httponly=True, samesite="strict", secure=secure, path="/")
    set_purpose(response, purpose_text, secure=secure)


def set_purpose(response: Response, purpose_text: str, *, secure: bool) -> None:
    # Percent-encoded: a purpose is free text, and a cookie value is not.
    response.set_cookie(
        PURPOSE, quote(purpose_text), httponly=True, samesite="strict", secure=secure, path="/"
    )


def own_prison(request: Request) -> str | None:
    """The prison the visitor last chose as theirs, if any (a code, checked by its reader)."""
    value = (request.cookies.get(PRISON) or "").strip().upper()
    return value if value.isalnum() and len(value) <= 10 else None


def set_own_prison(response: Response, code: str, *, secure: bool) -> None:
    response.set_cookie(PRISON, code, httponly=True, samesite="strict", secure=secure, path="/")


def own_area(request: Request) -> str | None:
    """The probation area the visitor last chose for the queues ("ALL" for every one)."""
    value = (request.cookies.get(AREA) or "").strip().upper()
    return value if value.isalnum() and len(value) <= 10 else None


def set_own_area(response: Response, code: str, *, secure: bool) -> None:
    response.set_cookie(AREA, code, httponly=True, samesite="strict", secure=secure, path="/")


def clear_session(response: Response) -> None:
    for name in (SESSION, PURPOSE, PRISON, AREA):
        response.delete_cookie(name, path="/")


def sign_in_nonce() -> str:
    return secrets.token_urlsafe(24)


def sign_in_url(next_url: str) -> str:
    return f"/ui/sign-in?next={quote(next_url, safe='')}"


def safe_next(value: str | None) -> str:
    """Only a local page path: never an address elsewhere."""
    if value and value.startswith("/ui") and not value.startswith("//"):
        return value
    return "/ui"
