"""Sign in (a pasted token, or in development a role and user), sign out, stated purpose."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from api.auth import Role, Unauthenticated, issue_dev_token, region, subject
from api.deps import purpose as check_purpose
from api.pages.render import render
from api.pages.session import (
    SIGN_IN_CSRF,
    Visitor,
    check_csrf,
    clear_session,
    revocations,
    safe_next,
    services,
    set_purpose,
    set_session,
    sign_in_nonce,
    visitor,
)
from api.problems import ProblemError

router = APIRouter(prefix="/ui", include_in_schema=False)
Signed = Annotated[Visitor, Depends(visitor)]
ROLE_CHOICES = [(r.value, r.value.capitalize()) for r in Role]


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/ui") -> Response:
    return sign_in_form(request, next, {}, {})


def sign_in_form(
    request: Request, next_url: str, form: dict[str, str], errors: dict[str, str]
) -> Response:
    nonce = sign_in_nonce()
    response = render(
        request,
        "sign_in.html",
        None,
        title="Sign in",
        nonce=nonce,
        next=safe_next(next_url),
        development=services(request).settings.store.development,
        roles=ROLE_CHOICES,
        form=form,
        errors=errors,
    )
    # Double-submitted: a sign-in form posted from another site cannot know it.
    response.set_cookie(
        SIGN_IN_CSRF,
        nonce,
        httponly=True,
        samesite="strict",
        secure=not development(request),
        path="/ui",
    )
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    next_url = safe_next(form.get("next"))
    if not form.get("nonce") or form.get("nonce") != request.cookies.get(SIGN_IN_CSRF):
        return sign_in_form(request, next_url, form, {"purpose": "The form expired: try again"})
    errors: dict[str, str] = {}
    token = signed_token(request, form, errors)
    try:
        stated = await check_purpose(form.get("purpose"))
    except ProblemError:
        errors["purpose"] = "Enter why you are consulting records"
        stated = ""
    if errors or token is None:
        return sign_in_form(request, next_url, form, errors)
    response = RedirectResponse(next_url, status_code=303)
    set_session(response, token, stated, secure=not development(request))
    response.delete_cookie(SIGN_IN_CSRF, path="/ui")
    return response


def development(request: Request) -> bool:
    return services(request).settings.store.development


def signed_token(request: Request, form: dict[str, str], errors: dict[str, str]) -> str | None:
    """The token to keep: pasted (and verified), or issued for a chosen role in development."""
    svc = services(request)
    if form.get("method") == "dev" and development(request):
        return dev_token(request, form, errors)
    token = form.get("token", "").strip()
    if not token:
        errors["token"] = "Paste your token"
        return None
    try:
        svc.verifier.verify(token)
    except Unauthenticated as exc:
        errors["token"] = f"The token was refused: {exc}"
        return None
    return token


def dev_token(request: Request, form: dict[str, str], errors: dict[str, str]) -> str | None:
    role, user = form.get("role", ""), form.get("user", "").strip()
    provider = form.get("provider", "").strip() or None
    if role not in {r.value for r in Role}:
        errors["role"] = "Select a role"
    if not user or len(user) > 100 or not refuses_nothing(subject, user):
        errors["user"] = "Enter a user name of at most 100 characters"
    if role == Role.PARTNER and not provider:
        errors["provider"] = "Enter the provider a partner acts for"
    elif provider is not None and not refuses_nothing(region, provider):
        errors["provider"] = "Enter a probation region code, e.g. N07"
    if errors:
        return None
    settings = services(request).settings
    return issue_dev_token(settings, user=user, roles=[Role(role)], provider=provider)


def refuses_nothing(check: Callable[[object], str], value: str) -> bool:
    try:
        check(value)
    except Unauthenticated:
        return False
    return True


@router.post("/sign-out")
async def sign_out(request: Request, found: Signed) -> Response:
    """Signed out on the server too: the session's cookie no longer signs anyone in."""
    await check_csrf(request, found)
    expires = services(request).verifier.expiry(found.token)
    await run_in_threadpool(revocations(request).revoke, found.token, expires)
    response = RedirectResponse("/ui/sign-in", status_code=303)
    clear_session(response)
    return response


@router.get("/purpose")
def purpose_page(request: Request, found: Signed, next: str = "/ui") -> Response:
    return render(
        request,
        "purpose.html",
        found,
        title="State your purpose",
        next=safe_next(next),
        value=found.purpose or "",
    )


@router.post("/purpose")
async def change_purpose(request: Request, found: Signed) -> Response:
    await check_csrf(request, found)
    form = await request.form()
    raw, next_url = form.get("purpose"), form.get("next")
    next_url = safe_next(next_url if isinstance(next_url, str) else None)
    try:
        stated = await check_purpose(raw if isinstance(raw, str) else None)
    except ProblemError:
        return render(
            request,
            "purpose.html",
            found,
            status=400,
            title="State your purpose",
            next=next_url,
            value="",
            errors={"purpose": "Enter why you are consulting records"},
        )
    response = RedirectResponse(next_url, status_code=303)
    set_purpose(response, stated, secure=not development(request))
    return response
