"""Bad input on every store: each refusal has its specific class, field and reason, and the
store is left exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from uuid import uuid4

import pytest

from domain.errors import (
    DomainError,
    FutureDated,
    ImpossibleJourney,
    InvalidValue,
    NotFound,
    UnknownCode,
)
from domain.person.state import Status
from domain.provenance import Provenance
from domain.service.application import JourneyApp
from domain.service.catalogue import (
    AddIdentifier,
    Admit,
    AllocateCom,
    AllocatePom,
    CourtOut,
    EscalateRisk,
    MoveCell,
    RecordKeyDates,
    ReinstateEntries,
    Release,
    RequestHandover,
    StartSupervision,
    TapOut,
    TransferOut,
    VoidEntries,
)
from domain.service.command import Command
from tests.conftest import at, prov

NOMS = "A1234BC"
E = TypeVar("E", bound=DomainError)
Call = Callable[[JourneyApp], object]


def head(app: JourneyApp) -> int | None:
    return app.recorder.max_notification_id()


def refused(app: JourneyApp, call: Callable[[], object], error: type[E], field: str) -> E:
    """Run a call that must be refused with exactly `error` on `field`, changing nothing."""
    before = head(app)
    with pytest.raises(DomainError) as caught:
        call()
    err = caught.value
    assert type(err) is error, f"{type(err).__name__} {err}"
    assert isinstance(err, error)
    assert err.field == field, err
    assert err.reason.strip(), "a refusal must say why"
    assert str(err) == f"{field}: {err.reason}"
    assert head(app) == before, f"store changed after refusing {field}"
    return err


def register(app: JourneyApp, **overrides: Any) -> object:
    fields: dict[str, Any] = {
        "given_name": "John",
        "family_name": "Smith",
        "date_of_birth": date(1980, 5, 17),
        "identifiers": {"NOMS": NOMS},
        "sex": "M",
    }
    fields.update(overrides)
    provenance = fields.pop("provenance", prov(at(-1)))
    return app.register(provenance, **fields)


def admitted(app: JourneyApp) -> None:
    """A person registered (entry 1) and admitted to Leeds (entry 2)."""
    register(app)
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(0)))


# ---- registration ----

REGISTRATION: list[Any] = [
    pytest.param({"identifiers": {"NOMS": "1234ABC"}}, "identifiers.NOMS", "NOMS", id="noms-form"),
    pytest.param({"identifiers": {"NOMS": "A12345BC"}}, "identifiers.NOMS", "NOMS", id="noms-long"),
    pytest.param({"identifiers": {"NOMS": ""}}, "identifiers.NOMS", "required", id="noms-blank"),
    pytest.param({"identifiers": {"CRN": "X12345"}}, "identifiers.CRN", "CRN", id="crn-short"),
    pytest.param({"identifiers": {"CRN": "12X3456"}}, "identifiers.CRN", "CRN", id="crn-form"),
    pytest.param(
        {"identifiers": {"NOMS": NOMS, "PNC": "12/394773A"}},
        "identifiers.PNC",
        "check letter does not match",
        id="pnc-check-letter",
    ),
    pytest.param({"identifiers": {"PNC": "1812/394773H"}}, "identifiers.PNC", "PNC", id="pnc-form"),
    pytest.param({"identifiers": {"CRO": "29906-12J"}}, "identifiers.CRO", "CRO", id="cro-form"),
    pytest.param(
        {"identifiers": {"CRO": "029906/12A"}},
        "identifiers.CRO",
        "check letter does not match",
        id="cro-check-letter",
    ),
    pytest.param(
        {"identifiers": {"NOMS": NOMS, "PASSPORT": "123456789"}},
        "identifiers",
        "unknown identifier kind",
        id="unknown-kind",
    ),
    pytest.param({"identifiers": {}}, "identifiers", "at least one", id="no-identifiers"),
    pytest.param({"given_name": "   "}, "given_name", "blank", id="blank-given-name"),
    pytest.param({"given_name": ""}, "given_name", "blank", id="empty-given-name"),
    pytest.param({"given_name": "J" * 101}, "given_name", "at most 100", id="long-given-name"),
    pytest.param({"family_name": "S" * 101}, "family_name", "at most 100", id="long-family-name"),
    pytest.param({"family_name": "Smith\x00"}, "family_name", "control", id="control-name"),
    pytest.param(
        {"date_of_birth": datetime.now(UTC).date() + timedelta(days=2)},
        "date_of_birth",
        "future",
        id="born-in-future",
    ),
    pytest.param(
        {"date_of_birth": date(1899, 12, 31)}, "date_of_birth", "1900", id="born-before-1900"
    ),
    pytest.param(
        {"date_of_birth": datetime(1980, 5, 17, tzinfo=UTC)},
        "date_of_birth",
        "must be a date",
        id="birth-is-a-datetime",
    ),
    pytest.param(
        {"date_of_birth": date(2024, 6, 1), "provenance": prov(at(0))},
        "occurred_at",
        "date of birth",
        id="recorded-before-birth",
    ),
    pytest.param({"sex": "Q"}, "sex", "M, F or X", id="unknown-sex"),
]


@pytest.mark.parametrize(("overrides", "field", "words"), REGISTRATION)
def test_bad_registration_is_refused(
    app: JourneyApp, overrides: dict[str, Any], field: str, words: str
) -> None:
    err = refused(app, lambda: register(app, **overrides), InvalidValue, field)
    assert words in err.reason
    # Check no identifier of the refused person was claimed.
    for value in overrides.get("identifiers", {"NOMS": NOMS}).values():
        try:
            app.resolve(value)
        except (NotFound, InvalidValue):
            continue
        pytest.fail(f"{value} was claimed by a refused registration")


def test_a_good_registration_after_refusals_still_works(app: JourneyApp) -> None:
    refused(app, lambda: register(app, given_name=" "), InvalidValue, "given_name")
    # Check the boundaries: 100 characters and 1 January 1900 are accepted.
    result = register(app, given_name="J" * 100, date_of_birth=date(1900, 1, 1))
    state = app.state(NOMS)
    assert state is not None
    assert state.given_name == "J" * 100
    assert state.version == 1
    assert result is not None


# ---- provenance ----


def test_naive_occurred_at_is_refused_by_provenance_itself(app: JourneyApp) -> None:
    admitted(app)
    err = refused(
        app,
        lambda: Provenance(
            recorded_by="officer.one", source="API", occurred_at=datetime(2024, 1, 9, 9, 0)
        ),
        InvalidValue,
        "occurred_at",
    )
    assert "time zone" in err.reason


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        pytest.param({"occurred_at": date(2024, 1, 9)}, "occurred_at", "time zone", id="a-date"),
        pytest.param({"occurred_at": "2024-01-09T09:00Z"}, "occurred_at", "time zone", id="text"),
        pytest.param({"recorded_by": "officer\x07one"}, "recorded_by", "control", id="bell"),
        pytest.param({"recorded_by": "officer\r\none"}, "recorded_by", "control", id="crlf"),
        pytest.param({"recorded_by": "\x1b[31mred"}, "recorded_by", "control", id="escape"),
        pytest.param({"recorded_by": "  "}, "recorded_by", "blank", id="blank-by"),
        pytest.param({"recorded_by": "x" * 201}, "recorded_by", "at most 200", id="long-by"),
        pytest.param({"source": ""}, "source", "blank", id="blank-source"),
        pytest.param({"source_ref": "ref\x00"}, "source_ref", "control", id="ref-control"),
        pytest.param({"batch_id": 7}, "batch_id", "text", id="batch-not-text"),
        pytest.param({"reason": "r" * 2001}, "reason", "at most 2000", id="long-reason"),
    ],
)
def test_bad_provenance_is_refused_by_provenance_itself(
    app: JourneyApp, fields: dict[str, Any], field: str, words: str
) -> None:
    admitted(app)
    values: dict[str, Any] = {
        "recorded_by": "officer.one",
        "source": "API",
        "occurred_at": at(1),
        **fields,
    }
    err = refused(app, lambda: Provenance(**values), InvalidValue, field)
    assert words in err.reason


def test_tabs_and_newlines_are_allowed_in_text(app: JourneyApp) -> None:
    admitted(app)
    provenance = Provenance(
        recorded_by="officer.one", source="API", occurred_at=at(1), reason="line one\n\tline two"
    )
    app.handle(NOMS, [EscalateRisk(level="HIGH")], provenance)
    assert app.timeline(NOMS)[-1].reason == "line one\n\tline two"


def test_far_future_is_refused_and_near_future_accepted(app: JourneyApp) -> None:
    now = datetime.now(UTC)
    # Check a registration ten minutes ahead is refused.
    err = refused(
        app,
        lambda: register(app, provenance=prov(now + timedelta(minutes=10))),
        FutureDated,
        "occurred_at",
    )
    assert "future" in err.reason
    register(app, provenance=prov(now + timedelta(minutes=2)))
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(now - timedelta(hours=1)))
    # Check a command ten minutes ahead is refused; two minutes ahead is recorded.
    refused(
        app,
        lambda: app.handle(
            NOMS,
            [MoveCell(prison="LEI", cell="A-1-001")],
            prov(datetime.now(UTC) + timedelta(minutes=10)),
        ),
        FutureDated,
        "occurred_at",
    )
    result = app.handle(
        NOMS,
        [MoveCell(prison="LEI", cell="A-1-001")],
        prov(datetime.now(UTC) + timedelta(minutes=2)),
    )
    assert result.changed
    state = app.state(NOMS)
    assert state is not None
    assert (state.version, state.location.cell) == (3, "A-1-001")


# ---- commands ----


def refusal(command: Command, expected: DomainError, case: str, reason: str | None = None) -> Any:
    """A command sent with `reason` on its provenance and refused as `expected`: its class, its
    field and words its reason holds."""
    return pytest.param(command, expected, reason, id=case)


COMMANDS: list[Any] = [
    refusal(
        Admit(prison="XXX", movement_reason="N"),
        UnknownCode("prison", "unknown prison code"),
        "unknown-prison",
    ),
    refusal(
        TransferOut(from_prison="LEI", to_prison="ZZZ"),
        UnknownCode("to_prison", "unknown prison code"),
        "unknown-destination",
    ),
    refusal(
        CourtOut(prison="LEI", court="NOPE99"),
        UnknownCode("court", "unknown court code"),
        "unknown-court",
    ),
    refusal(
        StartSupervision(region="N99", pdu="N55LEE"),
        UnknownCode("region", "unknown probation region"),
        "unknown-region",
    ),
    refusal(
        StartSupervision(region="N55", pdu="N55XXX"),
        UnknownCode("pdu", "unknown PDU"),
        "unknown-pdu",
    ),
    refusal(
        AllocateCom(officer="COM Patel", pdu="NOPE"),
        UnknownCode("pdu", "unknown PDU"),
        "unknown-com-pdu",
    ),
    refusal(
        StartSupervision(region="N07", pdu="N55LEE"),
        InvalidValue("pdu", "not in region N07"),
        "pdu-not-in-region",
    ),
    refusal(
        StartSupervision(region="N55", pdu="N55LEE", team="A-B"),
        InvalidValue("team", "letters, digits or underscores"),
        "bad-team",
    ),
    refusal(
        TransferOut(from_prison="LEI", to_prison="MDI", movement_reason="CR"),
        UnknownCode("reason", "'CR' for movement type 'TRN'"),
        "release-reason-on-transfer",
    ),
    refusal(
        TapOut(prison="LEI", movement_reason="NOTR"),
        UnknownCode("reason", "for movement type 'TAP'"),
        "transfer-reason-on-tap",
    ),
    refusal(
        Release(from_agency="LEI", movement_reason=""),
        InvalidValue("reason", "required"),
        "blank-reason",
    ),
    refusal(
        Admit(prison="MDI", movement_reason="INT"),
        InvalidValue("reason", "use arrive"),
        "admit-with-int",
    ),
    refusal(
        # A code in no register is taken (hospitals, police stations...); a malformed one is not.
        Admit(prison="MDI", movement_reason="N", from_agency="NO WHERE"),
        InvalidValue("from_agency", "must be an agency code"),
        "admit-from-malformed-agency",
    ),
    refusal(
        TransferOut(from_prison="LEI", to_prison="lei"),
        InvalidValue("to_prison", "different prison"),
        "transfer-to-same-prison",
    ),
    refusal(
        Release(from_agency="LEI", movement_reason="CR", to_agency="A B"),
        InvalidValue("to_agency", "agency code"),
        "malformed-agency",
    ),
    refusal(
        MoveCell(prison="LEI", cell="not a cell"),
        InvalidValue("cell", "wing-landing-cell"),
        "cell-words",
    ),
    refusal(
        MoveCell(prison="LEI", cell="A1001"),
        InvalidValue("cell", "wing-landing-cell"),
        "cell-no-dashes",
    ),
    refusal(
        MoveCell(prison="LEI", cell="A-1-2-3-4"),
        InvalidValue("cell", "wing-landing-cell"),
        "cell-too-deep",
    ),
    refusal(
        RecordKeyDates(dates={"XYZ": date(2025, 1, 1)}),
        InvalidValue("dates.XYZ", "unknown key date"),
        "unknown-key-date",
    ),
    # A body's text where a date belongs, as an untyped caller could send it.
    refusal(
        RecordKeyDates(dates={"CRD": "2025-01-01"}),  # type: ignore[dict-item]
        InvalidValue("dates.CRD", "must be a date"),
        "key-date-text",
    ),
    refusal(
        RecordKeyDates(dates={"CRD": datetime(2025, 1, 1, tzinfo=UTC)}),
        InvalidValue("dates.CRD", "must be a date"),
        "key-date-datetime",
    ),
    refusal(RecordKeyDates(dates={}), InvalidValue("dates", "at least one"), "no-key-dates"),
    refusal(
        EscalateRisk(level="LOW"),
        InvalidValue("level", "HIGH or VERY_HIGH"),
        "unknown-risk-level",
        "threats",
    ),
    refusal(EscalateRisk(level="HIGH"), InvalidValue("reason", "required"), "risk-without-reason"),
    refusal(
        RequestHandover(to="prison"),
        InvalidValue("to", "custody or community"),
        "handover-to-prison",
    ),
    refusal(
        AllocatePom(officer=" ", prison="LEI"), InvalidValue("officer", "blank"), "blank-officer"
    ),
    refusal(VoidEntries(entries=(2,)), InvalidValue("reason", "required"), "void-without-reason"),
    refusal(
        VoidEntries(entries=(2,)), InvalidValue("reason", "required"), "void-blank-reason", "  "
    ),
    refusal(
        VoidEntries(entries=(99,)),
        InvalidValue("entries", "entry 99"),
        "void-missing-entry",
        "bad load",
    ),
    refusal(
        VoidEntries(entries=(1,)),
        InvalidValue("entries", "entry 1"),
        "void-registration",
        "bad load",
    ),
    refusal(
        VoidEntries(),
        InvalidValue("entries", "name the entries or the batch"),
        "void-nothing-named",
        "bad load",
    ),
    refusal(
        ReinstateEntries(entries=(42,)),
        InvalidValue("entries", "entry 42"),
        "reinstate-missing-entry",
        "back",
    ),
    refusal(
        AddIdentifier(kind="PASSPORT", value="123456789"),
        InvalidValue("kind", "unknown identifier kind"),
        "add-unknown-kind",
    ),
    refusal(
        AddIdentifier(kind="PNC", value="12/394773A"),
        InvalidValue("value", "check letter"),
        "add-bad-pnc",
    ),
]


@pytest.mark.parametrize(("command", "expected", "reason"), COMMANDS)
def test_bad_command_is_refused(
    app: JourneyApp, command: Command, expected: DomainError, reason: str | None
) -> None:
    admitted(app)
    err = refused(
        app,
        lambda: app.handle(NOMS, [command], prov(at(1), reason=reason)),
        type(expected),
        expected.field,
    )
    assert expected.reason in err.reason, err.reason
    # Check the person is untouched: still in Leeds at version 2.
    state = app.state(NOMS)
    assert state is not None
    assert (state.version, state.location.status, state.location.agency) == (2, Status.IN, "LEI")


# ---- people who do not exist ----


@pytest.mark.parametrize(
    ("call", "field"),
    [
        pytest.param(
            lambda a: a.handle("Z9999ZZ", [Admit(prison="LEI", movement_reason="N")], prov(at(1))),
            "identifier",
            id="admit-unknown-noms",
        ),
        pytest.param(
            lambda a: a.handle("z9999zz", [MoveCell(prison="LEI", cell="A-1-001")], prov(at(1))),
            "identifier",
            id="cell-unknown-noms",
        ),
        pytest.param(
            lambda a: a.handle("X999999", [VoidEntries(entries=(2,))], prov(at(1), reason="x")),
            "identifier",
            id="void-unknown-crn",
        ),
        pytest.param(
            lambda a: a.handle(
                "Z9999ZZ", [AddIdentifier(kind="CRN", value="X654321")], prov(at(1))
            ),
            "identifier",
            id="add-identifier-unknown-noms",
        ),
        pytest.param(lambda a: a.state("Z9999ZZ"), "identifier", id="state-unknown-noms"),
        pytest.param(lambda a: a.timeline("Z9999ZZ"), "identifier", id="timeline-unknown-noms"),
        pytest.param(
            lambda a: a.handle(
                uuid4(), [Release(from_agency="LEI", movement_reason="CR")], prov(at(1))
            ),
            "person_id",
            id="release-unknown-uuid",
        ),
        pytest.param(
            lambda a: a.handle(str(uuid4()), [EscalateRisk(level="HIGH")], prov(at(1), reason="x")),
            "person_id",
            id="risk-unknown-uuid-text",
        ),
    ],
)
def test_command_on_a_person_who_does_not_exist(app: JourneyApp, call: Call, field: str) -> None:
    admitted(app)
    err = refused(app, lambda: call(app), NotFound, field)
    assert "no person" in err.reason


def test_a_claim_id_is_not_a_person(app: JourneyApp) -> None:
    admitted(app)
    from domain.claims import claim_id

    # Check a claim aggregate's id, though stored, is not taken for a person.
    refused(
        app,
        lambda: app.handle(
            claim_id(f"NOMS:{NOMS}"), [MoveCell(prison="LEI", cell="A-1-1")], prov(at(1))
        ),
        NotFound,
        "person_id",
    )


def test_unrecognisable_reference_is_invalid_not_missing(app: JourneyApp) -> None:
    admitted(app)
    err = refused(
        app,
        lambda: app.handle("not-an-id", [Admit(prison="LEI", movement_reason="N")], prov(at(1))),
        InvalidValue,
        "identifier",
    )
    assert "NOMS" in err.reason


# ---- impossible journeys ----


def test_nothing_can_happen_after_death(app: JourneyApp) -> None:
    admitted(app)
    died = app.handle(NOMS, [Release(from_agency="LEI", movement_reason="DEC")], prov(at(10)))
    assert died.entry == 3
    state = app.state(NOMS)
    assert state is not None and state.location.status is Status.DIED
    attempts: list[Callable[[], object]] = [
        lambda: app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(20))),
        lambda: app.handle(NOMS, [Admit(prison="MDI", movement_reason="L")], prov(at(20))),
        lambda: app.handle(NOMS, [Release(from_agency="LEI", movement_reason="CR")], prov(at(20))),
        lambda: app.handle(NOMS, [MoveCell(prison="LEI", cell="A-1-001")], prov(at(20))),
        lambda: app.handle(NOMS, [StartSupervision(region="N55", pdu="N55LEE")], prov(at(20))),
        lambda: app.handle(NOMS, [RequestHandover(to="community")], prov(at(20))),
        lambda: app.handle(NOMS, [EscalateRisk(level="HIGH")], prov(at(20), reason="x")),
        # An hour after death is as impossible as ten days after.
        lambda: app.handle(NOMS, [Admit(prison="LEI", movement_reason="N")], prov(at(10, 1))),
    ]
    for attempt in attempts:
        err = refused(app, attempt, ImpossibleJourney, "occurred_at")
        assert err.conflicting_entry == 3
        assert "died" in err.reason
        assert "entry 3" in err.reason
    # Check key dates may still be recorded after death (they are not events in the world).
    app.handle(NOMS, [RecordKeyDates(dates={"SED": date(2030, 1, 1)})], prov(at(20)))
    after = app.state(NOMS)
    assert after is not None
    assert after.location.status is Status.DIED
    assert after.key_dates == {"SED": date(2030, 1, 1)}


def test_backdated_death_before_a_later_movement_is_refused(app: JourneyApp) -> None:
    admitted(app)
    app.handle(NOMS, [CourtOut(prison="LEI", court="LEEDCC")], prov(at(20)))
    # A death on day 10 would make the day-20 court move impossible.
    err = refused(
        app,
        lambda: app.handle(NOMS, [Release(from_agency="LEI", movement_reason="DEC")], prov(at(10))),
        ImpossibleJourney,
        "occurred_at",
    )
    assert err.conflicting_entry == 3
    assert "later record" in err.reason


def test_released_twice_is_refused(app: JourneyApp) -> None:
    admitted(app)
    first = app.handle(NOMS, [Release(from_agency="LEI", movement_reason="CR")], prov(at(10)))
    assert first.entry == 3
    for when in (at(20), at(10, 1)):
        err = refused(
            app,
            partial(
                app.handle, NOMS, [Release(from_agency="LEI", movement_reason="CR")], prov(when)
            ),
            ImpossibleJourney,
            "from_agency",
        )
        assert err.conflicting_entry == 3
        assert "entry 3" in err.reason
        assert "released" in err.reason
    # Check the same source record sent twice is a duplicate, not a second release.
    app.handle(NOMS, [Admit(prison="LEI", movement_reason="L")], prov(at(30)))
    once = app.handle(
        NOMS,
        [Release(from_agency="LEI", movement_reason="CR")],
        prov(at(40), ref="rel-9", source="NOMIS"),
    )
    before = head(app)
    again = app.handle(
        NOMS,
        [Release(from_agency="LEI", movement_reason="CR")],
        prov(at(40), ref="rel-9", source="NOMIS"),
    )
    assert (again.entry, again.changed) == (once.entry, False)
    assert head(app) == before
