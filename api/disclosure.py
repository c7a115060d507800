"""Disclosure rules shared by every route: log before returning; partners see only their own.

Any answer carrying a person's data is a disclosure, refusals included: the state in a 412 or
409, the journey rules' reason naming where the person was, a batch's rejected lines. It goes
only to a caller who stated a purpose, with its access-log row committed first; anyone else
gets the answer with only what they sent themselves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import OperationalError as PgOperationalError

from api.access_log import Access, Lookup
from api.auth import Principal, Role
from api.problems import ProblemError
from api.services import Services
from domain.errors import ImpossibleJourney, NotFound
from domain.identifiers import detect
from domain.service.application import is_uuid
from domain.service.errors import ConcurrencyConflict, StaleVersion
from projections import queries
from projections.db import ReadDb
from projections.queries import PersonRecord


def scoped(who: Principal) -> bool:
    """Whether a caller sees only the cases its own provider holds: the one rule for reads,
    search, the feed and commands alike. A token holding only the partner role is scoped;
    one also holding any other role is not, since each of those roles reads every case."""
    return who.scoped


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
    targets: list[str | None] = list(person_ids) or [None]
    entries = [
        Access(who.user, roles_text(who), action, request_id, pid, purpose, recipient, detail)
        for pid in targets
    ]
    try:
        svc.access.record(entries)
    except Exception:
        raise log_unavailable() from None


async def disclose_record(
    svc: Services,
    who: Principal,
    action: str,
    request_id: str,
    identifier: tuple[str, str],
    *,
    purpose: str,
    replica: ReadDb | None = None,
) -> PersonRecord | None:
    """The read models' record of the person holding `identifier` (as `identifier_key` gives
    it), if the caller may see it, read and logged together; None, with nothing logged, if
    there is no such record or the caller may not see it. Read from `replica` when given;
    logged in the store's own database (the primary) always."""
    kind, value = identifier
    entry = Access(who.user, roles_text(who), action, request_id, purpose=purpose)
    lookup = Lookup(kind, value, who.provider if scoped(who) else None, entry)
    if replica is not None:
        try:
            row = await asyncio.to_thread(svc.access.read_then_log, lookup, replica)
        except PgOperationalError:
            raise  # the replica or the log is out of reach: the caller may ask the primary
        except Exception:
            raise log_unavailable() from None
        return queries.person_record_from_row(row) if row is not None else None
    try:
        row = await svc.access.read_logged(lookup)
    except PgOperationalError:
        raise  # the database is out of reach: answered as such, 503
    except Exception:
        raise log_unavailable() from None
    return queries.person_record_from_row(row) if row is not None else None


def partner_may_see(svc: Services, who: Principal, regions: list[str | None], *, ref: str) -> None:
    """A scoped caller sees only cases its own provider holds; another provider's case is
    answered exactly as a person no one holds, so a partner cannot tell the two apart."""
    if not scoped(who):
        return
    if not regions or any(region != who.provider for region in regions):
        raise unknown(ref)


def unknown(ref: str) -> NotFound:
    """The refusal the event store gives for a reference no person answers to."""
    if is_uuid(ref):
        return NotFound("person_id", f"no person with id {UUID(ref)}")
    kind, value = detect(ref)
    return NotFound("identifier", f"no person holds {kind} {value}")


def partner_may_see_then(
    svc: Services, who: Principal, person_id: str, then: str | None, *, ref: str
) -> None:
    """An answer at another time (`as_of`, `as_known_at`) goes to a scoped caller only if its
    provider holds the case now, exactly as an answer about now, and also held it at the time
    asked about (`then`, the region answering then): a provider that held the case once, or
    holds it only now, sees nothing of another provider's time."""
    if not scoped(who):
        return
    now = svc.journeys.state(person_id)
    partner_may_see(svc, who, [now.ownership.region if now else None, then], ref=ref)


PersonalRefusal = ImpossibleJourney | ConcurrencyConflict | StaleVersion


@contextmanager
def refusals_disclosed(
    svc: Services, who: Principal, rid: str, purpose: str | None, refs: Sequence[str]
) -> Iterator[None]:
    """Every command runs inside this. A refusal describing the people `refs` name (the state
    in a 412 or 409, the journey rules' reason, which tells where the person was) is told in
    full only to a caller who stated a purpose, once its access-log row is committed; any
    other caller, or any refusal whose row cannot be written, gets it without that data."""
    try:
        yield
    except (ImpossibleJourney, ConcurrencyConflict, StaleVersion) as exc:
        if purpose is not None and logged_refusal(svc, who, rid, exc, purpose=purpose, refs=refs):
            raise
        raise withheld(exc) from None


def logged_refusal(
    svc: Services,
    who: Principal,
    rid: str,
    exc: PersonalRefusal,
    *,
    purpose: str,
    refs: Sequence[str],
) -> bool:
    """Whether the refusal's access-log row, naming the people it describes, is committed."""
    current = getattr(exc, "current", None)
    ids = [current.person_id] if current is not None else resolved(svc, refs)
    try:
        disclose(svc, who, "person.refusal", rid, ids, purpose=purpose, detail=exc.code)
    except ProblemError:
        return False
    return True


def resolved(svc: Services, refs: Sequence[str]) -> list[str]:
    ids: list[str] = []
    for ref in refs:
        try:
            ids.append(str(svc.journeys.resolve(ref)))
        except NotFound:
            continue
    return ids


def withheld(exc: PersonalRefusal) -> PersonalRefusal:
    """The refusal with only what the caller sent: the field at fault, the entry number the
    record conflicts with, the version they expected."""
    if isinstance(exc, ImpossibleJourney):
        entry = exc.conflicting_entry
        which = f" (it conflicts with entry {entry})" if entry is not None else ""
        reason = (
            f"the journey rules refuse this given the person's recorded history{which}; the "
            "reason describes that history, so it is given only to a request stating why "
            "(X-Purpose), and logged as a disclosure"
        )
        return ImpossibleJourney(exc.field, reason, exc.conflicting_entry, exc.entry)
    if isinstance(exc, ConcurrencyConflict):
        return ConcurrencyConflict(None)
    # The current state is what is withheld; the expected and current versions stay.
    vars(exc)["current"] = None
    return exc


HISTORY = (
    "the journey rules refuse this line given the person's recorded history; the reason "
    "describes that history, so it is given only to a request stating why (X-Purpose), and "
    "logged as a disclosure"
)
MASKED = "withheld: it may name the person; ask with a purpose (X-Purpose) to see it, logged"


@dataclass(frozen=True)
class Masking:
    """Which of a batch's rejected lines may describe a person, what stands in for their
    words without a stated purpose, and the access-log action when they are shown."""

    action: str
    private: Callable[[Mapping[str, Any]], bool]
    masked: Mapping[str, str]


# A batch's lines as staff review them: the raw text and the reason can name people, their
# dates of birth and where they were, so every line is masked to its number and field.
BATCH_LINES = Masking("batch.rejects", lambda line: True, {"reason": MASKED, "text": ""})
# A load's lines as answered to the one who sent them: each line is theirs, but a reason from
# the journey rules describes the person's recorded history (where they were).
IMPORT_LINES = Masking(
    "import.rejects", lambda line: bool(line.get("history")), {"reason": HISTORY}
)


def shown_rejects(
    svc: Services,
    who: Principal,
    rid: str,
    *,
    batch_id: str,
    rejects: Sequence[Mapping[str, Any]],
    purpose: str | None,
    masking: Masking,
) -> list[dict[str, Any]]:
    """A batch's rejected lines (`line`, `field`, `reason`, `text`) as shown to `who`: those
    that may describe a person are masked unless asked for with a purpose, logged first (one
    row naming the batch and its lines: a line's person may be no one on record)."""
    lines = [dict(r) for r in rejects]
    told = [line["line"] for line in lines if masking.private(line)]
    if not told:
        return lines
    if purpose is None:
        return [{**line, **masking.masked} if masking.private(line) else line for line in lines]
    detail = lines_detail(batch_id, told)
    disclose(svc, who, masking.action, rid, [], purpose=purpose, detail=detail)
    return lines


def lines_detail(batch_id: str, numbers: Sequence[int], shown: int = 50) -> str:
    """The access-log detail naming which of a batch's lines were disclosed."""
    listed = ", ".join(str(n) for n in numbers[:shown])
    more = f" and {len(numbers) - shown} more" if len(numbers) > shown else ""
    return f"{batch_id} lines {listed}{more}"


def held_by_provider(svc: Services, who: Principal, person_ids: list[str]) -> set[str]:
    """Of these people, those a caller may see: all of them, except that a scoped caller sees
    only cases its own provider holds. One query for the lot."""
    ids = sorted(set(person_ids))
    if not scoped(who) or not ids:
        return set(ids)
    marks = ", ".join(["%s"] * len(ids))
    rows = svc.db.query(
        f"SELECT person_id FROM rm_ownership WHERE person_id IN ({marks}) AND region = %s",
        (*ids, who.provider),
    )
    return {str(r[0]) for r in rows}


def roles_text(who: Principal) -> str:
    return ",".join(sorted(r.value for r in who.roles))


def log_unavailable() -> ProblemError:
    return ProblemError(
        503,
        "access-log-unavailable",
        None,
        "the access log could not be written, so no data is returned",
    )


# Who may read a restricted record (DPA 2018 s.47(2)), each time for a stated reason, logged.
RESTRICTED_READERS = (Role.AUDITOR, Role.ADMIN)
RESTRICTED_READ = "person.restricted-read"


def restricted_read(
    svc: Services, who: Principal, person_id: str, ref: str, *, reason: str | None, rid: str
) -> None:
    """Let a read of a restricted record through only for an auditor or administrator who
    states a reason, logged first. Anyone else is answered exactly as for a person no one
    holds: that a record is restricted says its accuracy is contested."""
    if not queries.restricted(svc.db, person_id):
        return
    if not who.has(*RESTRICTED_READERS):
        raise unknown(ref)
    if reason is None or not reason.strip():
        raise ProblemError(
            403,
            "restricted-record",
            "reason",
            "processing of this record is restricted: state your reason for reading it",
        )
    disclose(svc, who, RESTRICTED_READ, rid, [person_id], purpose=reason.strip())
