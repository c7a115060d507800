"""Data loads and recovery over HTTP: load a file as a batch, see batches and their impact,
void and reinstate them. The same work as `journey import` and `journey batches`."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, Role
from api.deps import PurposeHeader, RequestId, Svc, optional_purpose, require
from api.disclosure import BATCH_LINES, IMPORT_LINES, disclose, shown_rejects
from api.impact import consulted
from api.problems import ProblemError
from replay import registry
from replay.batch import Batch
from replay.importer import REPORTED, Importer, ImportOptions, ImportReport
from replay.sniff import AUTO, CHOICES
from replay.voiding import CorrectionReport, Corrector

router = APIRouter(tags=["recovery"])
Loader = Annotated[Principal, Depends(require(Role.RECOVERY, Role.ADMIN))]
Viewer = Annotated[Principal, Depends(require(Role.RECOVERY, Role.ADMIN, Role.AUDITOR))]
MAX_LISTED = 20_000  # rejects a batch's answer lists at once; rejects_offset pages on


class RejectOut(BaseModel):
    line: int
    field: str
    reason: str
    text: str


class RefusalKind(BaseModel):
    """Refused lines of one kind: the field, the reason with its particulars (codes, times,
    entry numbers) masked, how many lines, and the first of them."""

    field: str
    kind: str
    count: int
    first_line: int


class ImportOut(BaseModel):
    batch_id: str
    outcome: str = Field(description="recorded, partly recorded, already imported or dry run")
    lines: int
    entries: int
    duplicates: int
    registered: int
    people: int
    rejects: list[RejectOut] = Field(
        description=f"the first {REPORTED:,} rejected lines, by line; GET /batches/{{id}} lists all"
    )
    rejected: int = Field(description="how many lines were rejected in all")
    refusals: list[RefusalKind] = Field(description="every rejected line by kind, most first")
    note: str
    file_format: str = Field(description="the format the file was read as (detected with auto)")


class CorrectionOut(BaseModel):
    started_at: datetime
    finished_at: datetime | None
    kind: str
    reason: str
    by: str
    people: int
    entries: int


class ConsultedOut(BaseModel):
    user: str
    roles: str
    people: int
    reads: int
    first: datetime
    last: datetime


class BatchOut(BaseModel):
    batch_id: str
    status: str
    source: str
    file_format: str
    file_name: str
    file_hash: str
    loaded_by: str
    loaded_at: datetime
    lines: int
    entries: int
    duplicates: int
    people: int
    registered: int
    rejected: int
    first_occurred: datetime | None
    last_occurred: datetime | None
    corrections: list[CorrectionOut]
    refusals: list[RefusalKind] = Field(description="every rejected line by kind, most first")


class BatchDetail(BatchOut):
    rejects: list[RejectOut] = Field(
        description="rejected lines in line order, from rejects_offset, at most rejects_limit"
    )
    consulted: list[ConsultedOut] = Field(
        description="staff who read any person the batch touched, since it was loaded"
    )


class ChangeOut(BaseModel):
    field: str
    before: str
    after: str


class PersonChange(BaseModel):
    person_id: str
    identifiers: str
    changes: list[ChangeOut]
    anomalies: list[str]


class CorrectionRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, examples=["older extract loaded in error"])
    dry_run: bool = False


class CorrectionResult(BaseModel):
    batch_id: str
    kind: str
    outcome: str = Field(description="done or dry run")
    people: int
    entries: int
    changed: list[PersonChange] = Field(description="with a dry run: who would change, and how")
    note: str


@router.post(
    "/imports",
    response_model=ImportOut,
    status_code=201,
    summary="Load a file as one batch (all or nothing unless accept_valid)",
    responses={
        200: {"description": "already imported, or a dry run"},
        422: {
            "description": "refused: the rejected lines and reasons, or (field `format`) a file "
            "not in the format asked for, or in none"
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                kind: {"schema": {"type": "string"}}
                for kind in ("application/x-ndjson", "application/json", "text/csv")
            },
        }
    },
)
async def load(
    request: Request,
    response: Response,
    svc: Svc,
    who: Loader,
    source: Annotated[str, Query(max_length=100, examples=["NOMIS"])],
    file_format: Annotated[
        str, Query(alias="format", description=f"{', '.join(CHOICES)}; {AUTO}: as the file looks")
    ] = AUTO,
    accept_valid: bool = False,
    dry_run: bool = False,
) -> Any:
    """The body is the file: JSON Lines, a NOMIS movements export, or an allocations CSV."""
    if file_format not in CHOICES:
        raise ProblemError(400, "invalid-format", "format", f"must be one of {', '.join(CHOICES)}")
    with tempfile.TemporaryDirectory(prefix="journey-upload-") as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
        options = ImportOptions(
            source=source.strip().upper(),
            file_format=file_format,
            recorded_by=who.user,
            accept_valid=accept_valid,
            dry_run=dry_run,
            file_name=request.headers.get("x-file-name", "upload")[:200],
        )
        report = await run_in_threadpool(Importer(svc.journeys).run, path, options)
    rejects = await run_in_threadpool(
        shown_rejects,
        svc,
        who,
        request.state.request_id,
        batch_id=report.batch_id,
        rejects=[r.as_dict() for r in report.rejects[:REPORTED]],
        purpose=optional_purpose(request.headers.get("x-purpose")),
        masking=IMPORT_LINES,
    )
    if report.outcome == "refused":
        raise ProblemError(
            422,
            "batch-refused",
            "file",
            f"{report.rejected} lines were refused, so nothing was recorded; "
            "correct them, or load with accept_valid to record the rest",
            batch_id=report.batch_id,
            lines=report.lines,
            rejected=report.rejected,
            rejects=rejects,
        )
    if report.outcome in {"already imported", "dry run"}:
        response.status_code = 200
    return import_out(report, rejects)


@router.get("/batches", response_model=list[BatchOut], summary="Every batch, oldest first")
def list_batches(svc: Svc, who: Viewer) -> list[BatchOut]:
    return [batch_out(b) for b in registry.batches(svc.journeys)]


@router.get("/batches/{batch_id}", response_model=BatchDetail, summary="A batch and its impact")
def show_batch(
    svc: Svc,
    who: Viewer,
    batch_id: str,
    rejects_offset: Annotated[int, Query(ge=0, description="skip this many rejects")] = 0,
    rejects_limit: Annotated[int, Query(ge=0, le=MAX_LISTED)] = MAX_LISTED,
    rid: RequestId = "",
    x_purpose: PurposeHeader = None,
) -> BatchDetail:
    """Counts, effective range, corrections, rejected lines (a page of them: `rejected`
    counts all; each line's text and reason only with `X-Purpose`, logged), and who consulted
    its people."""
    batch = registry.batch(svc.journeys, batch_id)
    readers = consulted(svc.db, batch.people, batch.loaded_at)
    listed = batch.rejects[rejects_offset : rejects_offset + rejects_limit]
    shown = shown_rejects(
        svc,
        who,
        rid,
        batch_id=batch_id,
        rejects=[r.as_dict() for r in listed],
        purpose=optional_purpose(x_purpose),
        masking=BATCH_LINES,
    )
    return BatchDetail(
        **batch_out(batch).model_dump(),
        rejects=[RejectOut(**r) for r in shown],
        consulted=[
            ConsultedOut.model_validate({**vars(c), "people": len(c.people)}) for c in readers
        ],
    )


def correction_route(kind: str, summary: str) -> None:
    """POST /batches/{batch_id}/<kind>: a void or a reinstatement of a whole batch."""

    def endpoint(
        svc: Svc, who: Loader, rid: RequestId, batch_id: str, body: CorrectionRequest
    ) -> CorrectionResult:
        return correct(svc, who, rid, batch_id, body, kind)

    endpoint.__name__ = kind
    router.add_api_route(
        f"/batches/{{batch_id}}/{kind}",
        endpoint,
        methods=["POST"],
        response_model=CorrectionResult,
        summary=summary,
    )


correction_route("void", "Void every entry of a batch (or, with dry_run, show who would change)")
correction_route("reinstate", "Undo a batch's void (or, with dry_run, show who would change)")


def correct(
    svc: Svc, who: Principal, rid: str, batch_id: str, body: CorrectionRequest, kind: str
) -> CorrectionResult:
    corrector = Corrector(svc.journeys)
    report: CorrectionReport
    if body.dry_run:
        report = corrector.plan(batch_id, kind)
        # The diff shows people's data: it is a disclosure like any other.
        ids = [p.person_id for p in report.changed]
        disclose(svc, who, f"batch.{kind}-plan", rid, ids, purpose=body.reason, detail=batch_id)
    elif kind == "void":
        report = corrector.void(batch_id, reason=body.reason, by=who.user)
    else:
        report = corrector.reinstate(batch_id, reason=body.reason, by=who.user)
    return CorrectionResult.model_validate(report, from_attributes=True)


def import_out(report: ImportReport, rejects: list[dict[str, Any]]) -> ImportOut:
    """The load's report, with its rejected lines as shown to the caller."""
    refusals = [g.as_dict() for g in report.refusals]
    return ImportOut.model_validate({**vars(report), "rejects": rejects, "refusals": refusals})


def batch_out(b: Batch) -> BatchOut:
    """The batch's own fields, its line counts from `counts`."""
    counts = asdict(b.counts)
    fields = {n: counts[n] if n in counts else getattr(b, n) for n in BatchOut.model_fields}
    return BatchOut.model_validate(fields, from_attributes=True)
