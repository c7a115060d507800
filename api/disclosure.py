"""Disclosure rules shared by every route: log before returning; partners see only their own."""

from __future__ import annotations

from api.access_log import Access
from api.auth import Forbidden, Principal, Role
from api.problems import ProblemError
from api.services import Services


def disclose(
    svc: Services,
    who: Principal,
    action: str,
    request_id: str,
    person_ids: list[str],
    *,
    purpose: str | None = None,
    recipient: str | None = None,
    detail: str | None = None,
) -> None:
    """Commit one access-log entry per person disclosed (one for none), or refuse to answer."""
    roles = ",".join(sorted(r.value for r in who.roles))
    targets: list[str | None] = list(person_ids) or [None]
    entries = [
        Access(who.user, roles, action, request_id, pid, purpose, recipient, detail)
        for pid in targets
    ]
    try:
        svc.access.record(entries)
    except Exception:
        raise ProblemError(
            503,
            "access-log-unavailable",
            None,
            "the access log could not be written, so no data is returned",
        ) from None


def partner_may_see(svc: Services, who: Principal, regions: list[str | None]) -> None:
    """A partner sees only cases its own provider holds."""
    if not who.has(Role.PARTNER) or who.has(Role.ADMIN, Role.AUDITOR):
        return
    if not regions or any(region != who.provider for region in regions):
        raise Forbidden("this case is not held by your provider")


def held_by_provider(svc: Services, who: Principal, person_ids: list[str]) -> set[str]:
    """Of these people, those a caller may see: all of them, except that a partner (without
    the admin role) sees only cases its own provider holds. One query for the lot."""
    ids = sorted(set(person_ids))
    if not who.has(Role.PARTNER) or who.has(Role.ADMIN) or not ids:
        return set(ids)
    marks = ", ".join(["%s"] * len(ids))
    rows = svc.db.query(
        f"SELECT person_id FROM rm_ownership WHERE person_id IN ({marks}) AND region = %s",
        (*ids, who.provider),
    )
    return {str(r[0]) for r in rows}
