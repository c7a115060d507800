"""Merging two records of one person (a NOMIS merge), and reversing it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, Role
from api.deps import PurposeHeader, RequestId, Svc, optional_purpose, require
from api.disclosure import refusals_disclosed
from api.schemas import CommandOutcome, outcome
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.results import CommandResult

router = APIRouter(tags=["recovery"])
Merger = Annotated[Principal, Depends(require(Role.RECOVERY, Role.ADMIN))]


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    removed: str = Field(
        max_length=50,
        description="the other record: an identifier it holds, or its person id",
        examples=["B2222BB"],
    )
    occurred_at: datetime = Field(description="when the merge was made upstream")
    reason: str = Field(min_length=1, max_length=2000, examples=["NOMIS merge of B2222BB"])


def provenance(body: MergeRequest, who: Principal, rid: str) -> Provenance:
    return Provenance(
        recorded_by=who.user,
        source="API",
        occurred_at=body.occurred_at,
        reason=body.reason,
        correlation_id=rid,
    )


# The application's merge or unmerge: (kept record, removed record, provenance).
Merging = Callable[[JourneyApp, str, str, Provenance], CommandResult]


def merge_route(path: str, name: str, act: Merging, summary: str, doc: str) -> None:
    """POST `path`: an act on two records of one person; a refusal describing their histories
    gives its reason only with X-Purpose, logged."""

    def endpoint(
        ref: str,
        body: MergeRequest,
        svc: Svc,
        who: Merger,
        rid: RequestId,
        x_purpose: PurposeHeader = None,
    ) -> CommandOutcome:
        with refusals_disclosed(svc, who, rid, optional_purpose(x_purpose), [ref, body.removed]):
            return outcome(act(svc.journeys, ref, body.removed, provenance(body, who, rid)))

    endpoint.__name__, endpoint.__doc__ = name, doc
    router.add_api_route(
        path, endpoint, methods=["POST"], response_model=CommandOutcome, summary=summary
    )


merge_route(
    "/people/{ref:path}/merges",
    "merge",
    JourneyApp.merge,
    "Merge another record of this person into this one",
    """One history: the other record's entries and identifiers join this one, and its
    identifiers lead here. Refused, naming the entry, if the two histories conflict (the
    reason, which describes them, only with X-Purpose, logged).""",
)
merge_route(
    "/people/{ref:path}/merges/reverse",
    "reverse",
    JourneyApp.unmerge,
    "Reverse a merge into this record",
    "The entries the merge brought are voided here; the other record stands again.",
)
