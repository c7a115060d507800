"""Commands: one route per event of the journey, all through the same handling.

Each route checks the caller's role (and a partner's provider), honours `If-Match` (the person's
version) and `Idempotency-Key` (a retry returns the first response), runs one application
command, and answers with the entry, the new version and the log position to wait for. A
refusal describing the person is a disclosure: told in full only with `X-Purpose`, logged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response

from api.auth import Principal, Role
from api.deps import PurposeHeader, Svc, optional_purpose, require
from api.disclosure import partner_may_see, refusals_disclosed, scoped
from api.idempotency import Stored, body_hash
from api.problems import ProblemError
from api.schemas import CommandOutcome, outcome
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.results import CommandResult
from replay import commands as cs

router = APIRouter(tags=["commands"])
PRISON = (Role.PRISON, Role.ADMIN)
PROBATION = (Role.PROBATION, Role.PARTNER, Role.ADMIN)
CASEWORK = (Role.PRISON, Role.PROBATION, Role.ADMIN)
RECOVERY = (Role.RECOVERY, Role.ADMIN)
ETAG = re.compile(r'^(W/)?"?(\d{1,12})"?$')


@dataclass(frozen=True)
class Spec:
    path: str
    roles: tuple[Role, ...]
    summary: str

    @property
    def body(self) -> type[cs.Command]:
        return cs.COMMANDS[self.path].body

    @property
    def method(self) -> str:
        return cs.COMMANDS[self.path].method


SPECS = [
    Spec("identifiers", CASEWORK, "Add an identifier"),
    Spec("admissions", PRISON, "ADM IN: reception"),
    Spec("transfers-out", PRISON, "TRN OUT: leave for a prison"),
    Spec("arrivals", PRISON, "ADM IN (INT): arrive on transfer"),
    Spec("court-departures", PRISON, "CRT OUT: to court"),
    Spec("court-returns", PRISON, "CRT IN: back from court"),
    Spec("temporary-absences", PRISON, "TAP OUT: temporary absence"),
    Spec("temporary-absence-returns", PRISON, "TAP IN: return"),
    Spec("releases", PRISON, "REL OUT: release, escape, death"),
    Spec("cell-moves", PRISON, "Move to a wing-landing-cell"),
    Spec("supervision", PROBATION, "Start supervision"),
    Spec("area-transfers", PROBATION, "Request a probation area transfer"),
    Spec("area-transfers/accept", PROBATION, "Accept the pending area transfer"),
    Spec("area-transfers/reject", PROBATION, "Reject the pending area transfer (reason required)"),
    Spec("pom-allocations", PRISON, "Allocate a POM"),
    Spec("com-allocations", PROBATION, "Allocate a COM"),
    Spec("handovers", CASEWORK, "Request a handover"),
    Spec("handovers/accept", CASEWORK, "Accept the handover"),
    Spec("handovers/reject", CASEWORK, "Reject the handover (reason required)"),
    Spec(
        "risk-escalations",
        PROBATION,
        "Urgent risk escalation to the national service (reason required)",
    ),
    Spec("key-dates", CASEWORK, "Record or change key dates"),
    Spec("voids", RECOVERY, "Void entries or a batch's entries"),
    Spec("reinstatements", RECOVERY, "Reinstate entries"),
]


def provenance(
    body: cs.Command, who: Principal, request_id: str, key: str | None = None
) -> Provenance:
    source = f"PARTNER:{who.provider}" if who.has(Role.PARTNER) and who.provider else "API"
    return Provenance(
        recorded_by=who.user,
        source=source,
        occurred_at=body.occurred_at,
        source_ref=body.source_ref or key_ref(who, key),
        reason=body.reason,
        correlation_id=body.correlation_id or request_id,
    )


def key_ref(who: Principal, key: str | None) -> str | None:
    """The Idempotency-Key as the entry's source_ref when the body names none: a retry after
    a 503 whose write did land (its answer lost) is then known as the same record."""
    if not key:
        return None
    ref = f"idempotency-key:{who.user}:{key}"
    # Held to the field's 200 characters: a long user name and key are stood for by a digest.
    return ref if len(ref) <= 200 else f"idempotency-key:{hashlib.sha256(ref.encode()).hexdigest()}"


def expected(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    found = ETAG.match(if_match.strip())
    if not found:
        raise ProblemError(
            400, "invalid-if-match", "If-Match", 'give the person\'s version as an ETag, e.g. "12"'
        )
    return int(found.group(2))


def partner_owns(svc: Svc, who: Principal, ref: str) -> None:
    if scoped(who):
        state = svc.journeys.state(ref)
        partner_may_see(svc, who, [state.ownership.region if state else None], ref=ref)


def idempotent(
    svc: Svc,
    who: Principal,
    key: str | None,
    digest: str,
    run: Callable[[], CommandResult],
    response: Response,
    status: int,
) -> Any:
    """Run once per (caller, key); a retry with the same body gets the first response."""
    if key is not None and not 1 <= len(key) <= 200:
        raise ProblemError(
            400, "invalid-idempotency-key", "Idempotency-Key", "must be 1 to 200 characters"
        )

    def answer() -> tuple[CommandOutcome, bytes]:
        view = outcome(run())
        return view, orjson.dumps(view.model_dump())

    done = svc.idempotency.once(who.user, key, digest, status, answer)
    if isinstance(done, Stored):
        return Response(done.response, status_code=done.status, media_type="application/json")
    response.status_code = status
    response.headers["ETag"] = f'"{done.version}"'
    return done


def execute(
    svc: Svc,
    who: Principal,
    spec: Spec,
    ref: str,
    body: cs.Command,
    request_id: str,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
    purpose: str | None = None,
) -> CommandResult:
    """Run one command of the journey for a caller its route (or page) has admitted; a refusal
    describing the person carries that description only for a stated `purpose`, logged."""
    method: Callable[..., CommandResult] = getattr(svc.journeys, spec.method)
    with refusals_disclosed(svc, who, request_id, purpose, [ref]):
        return method(
            ref,
            provenance(body, who, request_id, idempotency_key),
            **cs.arguments(body),
            expected_version=expected_version,
        )


def spec_for(path: str) -> Spec:
    return next(s for s in SPECS if s.path == path)


def add_route(spec: Spec) -> None:
    def endpoint(
        ref: str,
        body: cs.Command,
        request: Request,
        response: Response,
        svc: Svc,
        who: Principal,
        if_match: Annotated[str | None, Header(description="the person's version")] = None,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
        x_purpose: PurposeHeader = None,
    ) -> Any:
        why = optional_purpose(x_purpose)
        partner_owns(svc, who, ref)
        digest = body_hash("POST", request.url.path, body.model_dump_json().encode())

        def run() -> CommandResult:
            rid: str = request.state.request_id
            version, key = expected(if_match), idempotency_key
            return execute(svc, who, spec, ref, body, rid, version, key, purpose=why)

        return idempotent(svc, who, idempotency_key, digest, run, response, 200)

    endpoint.__name__ = spec.method
    # Each route validates its own command body and admits its own roles.
    endpoint.__annotations__["body"] = spec.body
    endpoint.__annotations__["who"] = Annotated[Principal, Depends(require(*spec.roles))]
    router.add_api_route(
        f"/people/{{ref:path}}/{spec.path}",
        endpoint,
        methods=["POST"],
        response_model=CommandOutcome,
        summary=spec.summary,
        responses={
            409: {
                "description": "conflicts with the journey; the person's state and the "
                "rules' reason only with X-Purpose (logged)"
            },
            412: {"description": "If-Match is stale; the current state only with X-Purpose"},
        },
    )


for _spec in SPECS:
    add_route(_spec)


@router.post(
    "/people",
    response_model=CommandOutcome,
    status_code=201,
    summary="Register a person with their identifiers",
)
def register(
    body: cs.Register,
    request: Request,
    response: Response,
    svc: Svc,
    who: Annotated[
        Principal, Depends(require(Role.PRISON, Role.PROBATION, Role.PARTNER, Role.ADMIN))
    ],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    x_purpose: PurposeHeader = None,
) -> Any:
    """Identifiers are validated, normalised and claimed atomically with the person."""
    journeys: JourneyApp = svc.journeys
    why = optional_purpose(x_purpose)
    digest = body_hash("POST", request.url.path, body.model_dump_json().encode())

    def run() -> CommandResult:
        rid: str = request.state.request_id
        with refusals_disclosed(svc, who, rid, why, list(body.identifiers.values())):
            return journeys.register(
                provenance(body, who, rid, idempotency_key),
                given_name=body.given_name,
                family_name=body.family_name,
                date_of_birth=body.date_of_birth,
                identifiers=body.identifiers,
                sex=body.sex,
            )

    return idempotent(svc, who, idempotency_key, digest, run, response, 201)
