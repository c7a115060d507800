"""Reference data loaded from the package's own CSV copies."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from domain import reference
from domain.errors import InvalidValue, UnknownCode
from domain.reference import Court, MovementReason, Prison, ProbationUnit

PACKAGE = Path(reference.__file__).parent


# ---- counts ----


def test_prison_counts() -> None:
    prisons = reference.prisons()
    assert len(prisons) == 173
    assert sum(p.active for p in prisons) == 125
    assert len({p.code for p in prisons}) == 173


def test_court_count() -> None:
    courts = reference.courts()
    assert len(courts) == 893
    assert len({c.code for c in courts}) == 893


def test_regions_are_twelve_plus_national() -> None:
    codes = {r.code for r in reference.regions()}
    assert codes == {"N03", "N07", *(f"N{n}" for n in range(50, 60)), "NA"}
    assert all(r.level == "region" for r in reference.regions())


def test_pdu_count_and_every_parent_is_a_region() -> None:
    pdus = reference.pdus()
    assert len(pdus) == 111
    regions = {r.code for r in reference.regions()}
    assert all(p.level == "pdu" and p.parent_code in regions for p in pdus)


# The reasons the prison API's release request accepts (see PROVENANCE.md).
RELEASE_REQUEST = [
    "AR",
    "AU",
    "BD",
    "BL",
    "CE",
    "CR",
    "D1",
    "D2",
    "D3",
    "D4",
    "D5",
    "D6",
    "DA",
    "DD",
    "DE",
    "DEC",
    "DL",
    "DS",
    "ER",
    "ESCP",
    "ETR",
    "EX",
    "HC",
    "HD",
    "HE",
    "HP",
    "HR",
    "HU",
    "IF",
    "MRG",
    "NCS",
    "NG",
    "NP",
    "PD",
    "PF",
    "PX",
    "RE",
    "RW",
    "SC",
    "UAL",
]
# ADM reasons of the prison API's seed of the MOVEMENT_REASONS table.
ADM_SEED = [
    "24",
    "25",
    "26",
    "27",
    "29",
    "A",
    "B",
    "C",
    "E",
    "ETB",
    "F",
    "G",
    "H",
    "I",
    "INT",
    "INTER",
    "J",
    "K",
    "L",
    "N",
    "O",
    "P",
    "R",
    "RECA",
    "S",
    "T",
    "TRNCRT",
    "TRNTAP",
    "U",
    "V",
    "W",
    "Y",
    "Z",
]


def test_movement_reasons_per_type() -> None:
    counts = Counter(m.movement_type for m in reference.movement_reasons())
    assert counts == {"TAP": 70, "REL": 45, "ADM": 38, "CRT": 23, "TRN": 15, "": 5}


@pytest.mark.parametrize("code", RELEASE_REQUEST)
def test_every_reason_the_release_request_accepts_is_a_release(code: str) -> None:
    assert reference.movement_reason("REL", code).code == code


# TRN reasons of the same seed.
TRN_SEED = [
    "28", "ACCVISIT", "APPEALS", "AS", "COMP", "MED", "NOTR", "OJ", "OTHER", "OVCROW", "PRES",
    "PROAT", "PROD", "SEC",
]  # fmt: skip


@pytest.mark.parametrize("code", TRN_SEED)
def test_every_transfer_reason_upstream_seeds_is_a_transfer(code: str) -> None:
    assert reference.movement_reason("TRN", code).code == code


@pytest.mark.parametrize("code", ADM_SEED)
def test_every_admission_reason_upstream_seeds_is_an_admission(code: str) -> None:
    assert reference.movement_reason("ADM", code).code == code


def test_counts_match_the_csv_files_shipped_in_the_package() -> None:
    def data_lines(name: str) -> int:
        return len((PACKAGE / name).read_text(encoding="utf-8").splitlines()) - 1

    assert data_lines("prisons.csv") == len(reference.prisons())
    assert data_lines("courts.csv") == len(reference.courts())
    assert data_lines("movement_reasons.csv") == 209


# ---- lookups ----


def test_prison_lookups() -> None:
    assert reference.prison("MDI") == Prison(
        "MDI", "Moorland (HMP & YOI)", True, True, False, False
    )
    assert reference.prison("LEI").name == "Leeds (HMP)"
    assert reference.prison("BXI").name == "Brixton (HMP)"


def test_prison_code_is_stripped_and_upper_cased() -> None:
    assert reference.prison("  lei ").code == "LEI"
    assert reference.is_prison(" mdi")


def test_inactive_prison_is_still_found() -> None:
    closed = reference.prison("AKI")
    assert closed.name == "Acklington (HMP)"
    assert closed.active is False
    assert reference.is_prison("AKI")


def test_contracted_female_prison() -> None:
    assert reference.prison("AGI") == Prison(
        "AGI", "Askham Grange (HMP & YOI)", True, False, True, False
    )
    assert reference.prison("ACI").contracted is True


def test_court_lookup() -> None:
    assert reference.court("brmncc") == Court("BRMNCC", "Birmingham Crown Court", "CRN", True)
    assert reference.is_court("BRMNCC")
    assert not reference.is_court("MDI")
    assert not reference.is_prison("BRMNCC")


def test_court_name_with_a_comma_is_read_whole() -> None:
    assert reference.court("KCNSMC").name == "Kings Court, North Shields Magistrates Court"


def test_region_and_pdu_lookups() -> None:
    leeds = reference.pdu("n55lee")
    assert leeds == ProbationUnit("pdu", "N55LEE", "Leeds", "N55", "Yorkshire & The Humber")
    assert reference.region(leeds.parent_code or "").name == "Yorkshire & The Humber"
    assert reference.region("N07").name == "London"
    assert reference.region("N57").name == "Kent, Surrey & Sussex"


def test_national_region_has_no_parent() -> None:
    national = reference.region("NA")
    assert national.name == "National"
    assert national.parent_code is None
    assert national.parent_name is None


def test_region_is_not_a_pdu_and_pdu_is_not_a_region() -> None:
    with pytest.raises(UnknownCode):
        reference.pdu("N55")
    with pytest.raises(UnknownCode):
        reference.region("N55LEE")


def test_legacy_provider_codes_are_not_regions() -> None:
    # N01 exists in the CSV only as a legacy NPS provider; C01 only as a CRC.
    for code in ("N01", "C01", "N41"):
        with pytest.raises(UnknownCode):
            reference.region(code)


def test_movement_types() -> None:
    assert reference.movement_type("ADM") == "Admission"
    assert reference.movement_type("tap") == "Temporary Absence"
    assert reference.movement_type("TRN") == "Transfers"


@pytest.mark.parametrize(
    ("movement_type", "code", "description"),
    [
        ("REL", "CR", "Conditional Release (CJA91) -SH Term>1YR"),
        ("REL", "ESCP", "Escape"),
        ("TRN", "NOTR", "Normal Transfer"),
        ("ADM", "INT", "Transfer In from Other Establishment"),
        ("ADM", "N", "Unconvicted Remand"),
        ("ADM", "L", "Licence Revokee"),
        ("CRT", "CRT", "Court Appearance"),
    ],
)
def test_movement_reason_lookups(movement_type: str, code: str, description: str) -> None:
    found = reference.movement_reason(movement_type, code)
    assert found == MovementReason(movement_type, code, description, True)


def test_movement_reason_is_looked_up_case_insensitively() -> None:
    assert reference.movement_reason(" adm", "int ").code == "INT"


def test_inactive_movement_reason_is_still_found() -> None:
    assert reference.movement_reason("REL", "REL").active is False


def test_reason_of_another_type_is_unknown() -> None:
    assert reference.movement_reason("TRN", "NOTR")
    with pytest.raises(UnknownCode) as caught:
        reference.movement_reason("REL", "NOTR")
    assert caught.value.field == "reason"
    assert caught.value.reason == "unknown movement reason 'NOTR' for movement type 'REL'"


def test_untyped_reasons_are_kept_but_not_found_under_a_type() -> None:
    untyped = {m.code for m in reference.movement_reasons() if m.movement_type == ""}
    assert untyped == {"C9", "DISC", "F4", "INTAKE", "IR"}
    with pytest.raises(UnknownCode):
        reference.movement_reason("REL", "IR")
    assert reference.movement_reason("ADM", "TRNCRT").description == "Transfer Via Court"
    with pytest.raises(InvalidValue) as caught:
        reference.movement_reason("", "IR")
    assert caught.value.field == "movement_type"


# ---- unknown codes ----


@pytest.mark.parametrize(
    ("lookup", "default_field", "what"),
    [
        (reference.prison, "prison", "prison code"),
        (reference.court, "court", "court code"),
        (reference.region, "region", "probation region code"),
        (reference.pdu, "pdu", "PDU code"),
        (reference.movement_type, "movement_type", "movement type"),
    ],
)
def test_unknown_code_names_the_field_and_the_code(
    lookup: Callable[..., object], default_field: str, what: str
) -> None:
    with pytest.raises(UnknownCode) as caught:
        lookup(" xyz ")
    assert caught.value.field == default_field
    assert caught.value.reason == f"unknown {what} 'XYZ'"
    with pytest.raises(UnknownCode) as caught:
        lookup("XYZ", "to_agency")
    assert caught.value.field == "to_agency"
    with pytest.raises(InvalidValue) as blank:
        lookup("  ")
    assert not isinstance(blank.value, UnknownCode)
    assert blank.value.reason == f"{what} is required"


def test_unknown_code_is_also_an_invalid_value() -> None:
    with pytest.raises(InvalidValue):
        reference.prison("ZZZ")
    assert not reference.is_prison("ZZZ")
    assert not reference.is_court("ZZZ")


def test_a_long_unknown_code_is_shortened_in_the_reason() -> None:
    with pytest.raises(UnknownCode) as caught:
        reference.prison("X" * 500)
    assert len(caught.value.reason) < 60


# ---- shape ----


def test_records_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        reference.prison("MDI").name = "Elsewhere"  # type: ignore[misc]


def test_tables_are_loaded_once() -> None:
    assert reference.prisons()[0] is reference.prisons()[0]
    assert reference.pdu("N55LEE") is reference.pdu("N55LEE")
