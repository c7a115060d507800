"""Events stored before an event schema changed still read: version 1 of a person's events had
no `source_created_at`, and reads as none."""

from __future__ import annotations

import orjson

from domain.service.application import JourneyApp
from domain.service.catalogue import Admit
from tests.conftest import at, prov
from tests.helpers import register


def test_an_event_stored_before_source_created_at_reads_as_none(memory_app: JourneyApp) -> None:
    register(memory_app, "V1234AA")
    memory_app.handle("V1234AA", [Admit(prison="LEI", movement_reason="N")], prov(at(0)))
    stored = memory_app.recorder.select_events(memory_app.resolve("V1234AA"))
    admission = stored[-1]
    # Under the person's data key: the mapper's cipher decrypts it.
    state = orjson.loads(memory_app.mapper.cipher.decrypt(admission.state))  # type: ignore[union-attr]
    # Check what is stored now says its version and the new field.
    assert state["class_version"] == 2
    assert "source_created_at" in state
    # As version 1 stored it, before per-person keys: neither, and in clear.
    del state["class_version"], state["source_created_at"]
    old = type(admission)(
        originator_id=admission.originator_id,
        originator_version=admission.originator_version,
        topic=admission.topic,
        state=orjson.dumps(state),
    )
    event = memory_app.mapper.to_domain_event(old)
    assert event.source_created_at is None  # type: ignore[attr-defined]
    assert event.occurred_at == at(0)  # type: ignore[attr-defined]
