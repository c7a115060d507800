"""The batch registry, read: every batch in load order, and one batch's record."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.errors import NotFound
from domain.service.application import JourneyApp
from replay.batch import INDEX_ID, Batch, BatchIndex, PageReader, Reject, RejectPage, batch_uuid


def batches(app: JourneyApp) -> list[Batch]:
    """Every batch ever opened, oldest first."""
    try:
        index: object = app.repository.get(INDEX_ID)
    except AggregateNotFoundError:
        return []
    assert isinstance(index, BatchIndex)
    return [batch(app, batch_id) for batch_id in index.batches]


def batch(app: JourneyApp, batch_id: str) -> Batch:
    """A batch's record; its `rejects` are read from the store a page at a time as walked."""
    try:
        found: object = app.repository.get(batch_uuid(batch_id))
    except AggregateNotFoundError:
        raise NotFound("batch", f"no batch {batch_id}") from None
    assert isinstance(found, Batch)
    found.read_page = page_reader(app)
    return found


def page_reader(app: JourneyApp) -> PageReader:
    def read(page: UUID) -> list[Reject]:
        found: object = app.repository.get(page)
        assert isinstance(found, RejectPage)
        return found.rejects

    return read
