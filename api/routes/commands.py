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
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response

from api.auth import Principal, Role
from api.deps import PurposeHeader, Svc, optional_purpose, require
from api.disclosure import partner_may_see, refusals_disclosed, scoped
from api.idempotency import Stored, body_hash
from api.problems import ProblemError
from api.schemas import CommandOutcome, outcome
from api.services import Services
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.catalogue import CATALOGUE, Register
from domain.service.command import Command
from domain.service.results import CommandResult
from replay.commands import REGISTER, CommandBody, body_of

router = APIRouter(tags=["commands"])
JSON = "application/json"
ETAG = re.compile(r'^(W/)?"?(\d{1,12})"?$')


def roles_of(command: type[Command] | type[Register]) -> tuple[Role, ...]:
    """The roles a command admits, as the API names them."""
    return tuple(Role(name) for name in command.roles)


def provenance(
    body: CommandBody, who: Principal, request_id: str, key: str | None = None
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


def keyed_digest(request: Request, body: CommandBody, key: str | None) -> str:
    """What a retry under the same Idempotency-Key must repeat; with no key, nothing to keep."""
    if key is None:
        return ""
    return body_hash("POST", request.url.path, body.model_dump_json().encode())


def idempotent(
    svc: Svc,
    who: Principal,
    key: str | None,
    digest: str,
    run: Callable[[], CommandResult],
    status: int,
) -> Response:
    """Run once per (caller, key); a retry with the same body gets the first response. The
    answer is the JSON kept for retries, sent as it is (not serialised a second time)."""
    if key is not None and not 1 <= len(key) <= 200:
        raise ProblemError(
            400, "invalid-idempotency-key", "Idempotency-Key", "must be 1 to 200 characters"
        )

    def answer() -> tuple[tuple[int, bytes], bytes]:
        view = outcome(run())
        body = orjson.dumps(view.model_dump())
        return (view.version, body), body

    done = svc.idempotency.once(who.user, key, digest, status, answer)
    if isinstance(done, Stored):
        return Response(done.response, status_code=done.status, media_type=JSON)
    version, body = done
    return Response(body, status_code=status, media_type=JSON, headers={"ETag": f'"{version}"'})


def execute(
    svc: Svc,
    who: Principal,
    ref: str,
    command: Command,
    body: CommandBody,
    request_id: str,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
    purpose: str | None = None,
) -> CommandResult:
    """Run one command of the journey for a caller its route (or page) has admitted; a refusal
    describing the person carries that description only for a stated `purpose`, logged."""
    with refusals_disclosed(svc, who, request_id, purpose, [ref]):
        return svc.journeys.handle(
            ref, [command], provenance(body, who, request_id, idempotency_key), expected_version
        )


def post_command(
    to: APIRouter, kind: type[Command], endpoint: Callable[..., Any], **extra: Any
) -> None:
    """`POST /people/{ref}/<the command's route>`, answered by `endpoint` named after the
    command's operation and summarised by its summary."""
    endpoint.__name__ = kind.operation()
    to.add_api_route(
        f"/people/{{ref:path}}/{kind.route}",
        endpoint,
        methods=["POST"],
        response_model=CommandOutcome,
        summary=kind.summary,
        **extra,
    )


def add_route(kind: type[Command]) -> None:
    async def endpoint(
        ref: str,
        body: CommandBody,
        request: Request,
        who: Principal,
        if_match: Annotated[str | None, Header(description="the person's version")] = None,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
        x_purpose: PurposeHeader = None,
    ) -> Response:
        # The services as `Svc` gives them, taken here directly: every dependency costs each
        # request its own resolution.
        svc: Services = request.app.state.services
        why = optional_purpose(x_purpose)
        rid: str = request.state.request_id

        def work() -> Response:  # the store's calls block: one trip to the thread pool
            partner_owns(svc, who, ref)
            digest = keyed_digest(request, body, idempotency_key)

            def run() -> CommandResult:
                version, key = expected(if_match), idempotency_key
                command = body.command(kind)
                return execute(svc, who, ref, command, body, rid, version, key, purpose=why)

            return idempotent(svc, who, idempotency_key, digest, run, 200)

        return await svc.blocking(work)

    # Each route validates its own command body and admits its own roles.
    endpoint.__annotations__["body"] = body_of(kind)
    endpoint.__annotations__["who"] = Annotated[Principal, Depends(require(*roles_of(kind)))]
    post_command(
        router,
        kind,
        endpoint,
        responses={
            409: {
                "description": "conflicts with the journey; the person's state and the "
                "rules' reason only with X-Purpose (logged)"
            },
            412: {"description": "If-Match is stale; the current state only with X-Purpose"},
        },
    )


for _kind in CATALOGUE:
    add_route(_kind)


async def register(
    body: CommandBody,
    request: Request,
    svc: Svc,
    who: Annotated[Principal, Depends(require(*roles_of(Register)))],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    x_purpose: PurposeHeader = None,
) -> Response:
    """Identifiers are validated, normalised and claimed atomically with the person."""
    journeys: JourneyApp = svc.journeys
    why = optional_purpose(x_purpose)
    rid: str = request.state.request_id

    def work() -> Response:
        digest = keyed_digest(request, body, idempotency_key)
        values = body.own(Register)

        def run() -> CommandResult:
            with refusals_disclosed(svc, who, rid, why, list(values["identifiers"].values())):
                return journeys.register(provenance(body, who, rid, idempotency_key), **values)

        return idempotent(svc, who, idempotency_key, digest, run, 201)

    return await svc.blocking(work)


register.__annotations__["body"] = REGISTER
router.add_api_route(
    "/people",
    register,
    methods=["POST"],
    response_model=CommandOutcome,
    status_code=201,
    summary=Register.summary,
)
