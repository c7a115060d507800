"""Request dependencies: the services, the authenticated caller, role checks, stated purpose.

All are `async def`: they do no I/O, and a plain `def` dependency costs a trip through the
thread pool on every request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import Forbidden, Principal, Role, Unauthenticated
from api.problems import ProblemError
from api.services import Services

bearer = HTTPBearer(auto_error=False, description="An RS256 JWT from the identity provider")


async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller a bearer token names, remembered on the request."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("a bearer token is required")
    found: Services = request.app.state.services
    principal = found.verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only callers holding one of `roles`. Authentication happens in
    the same step: each level of dependencies costs every request its own resolution."""
    allowed = ", ".join(r.value for r in roles)

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        principal = authenticate(request, credentials)
        if not principal.has(*roles):
            raise Forbidden(f"this route needs one of the roles: {allowed}")
        return principal

    check.roles = roles  # type: ignore[attr-defined]  # read by the role matrix
    return check


PurposeHeader = Annotated[
    str | None,
    Header(description="Why the data is being consulted (recorded in the access log)"),
]


async def purpose(x_purpose: PurposeHeader = None) -> str:
    """The stated purpose, required on person-level reads for the access log."""
    return stated_purpose(x_purpose)


def stated_purpose(x_purpose: str | None) -> str:
    """`X-Purpose` checked: present, at most 500 characters, no control characters."""
    if x_purpose is None or not x_purpose.strip():
        raise ProblemError(
            400, "purpose-required", "X-Purpose", "state why you are consulting this person's data"
        )
    if len(x_purpose) > 500 or any(ord(c) < 32 for c in x_purpose):
        raise ProblemError(
            400,
            "invalid-purpose",
            "X-Purpose",
            "must be at most 500 characters with no control characters",
        )
    return x_purpose.strip()


def optional_purpose(x_purpose: str | None) -> str | None:
    """A command needs no purpose; one given is checked as a read's is, and lets a refusal
    describing the person tell what it describes (logged)."""
    return None if x_purpose is None else stated_purpose(x_purpose)


async def request_id(request: Request) -> str:
    rid: str = request.state.request_id
    return rid


Svc = Annotated[Services, Depends(services)]
Purpose = Annotated[str, Depends(purpose)]
RequestId = Annotated[str, Depends(request_id)]
