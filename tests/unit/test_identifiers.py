"""Identifier validation and canonical forms (NOMS, CRN, PNC, CRO)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.identifiers import (
    CHECK_LETTERS,
    IdentifierKind,
    check_letter,
    claim_key,
    detect,
    normalise,
)


def refused(kind: str, value: str, field: str | None = None) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        normalise(kind, value, field)
    return caught.value


def letter(yy: str, serial: str) -> str:
    """The check letter, written out here independently of the module."""
    return "ZABCDEFGHJKLMNPQRTUVWXY"[int(yy + serial) % 23]


# ---- worked examples and canonical forms ----


def test_pnc_worked_example_is_canonicalised() -> None:
    assert normalise("PNC", "12/394773H") == "2012/0394773H"


def test_cro_worked_example_is_canonicalised() -> None:
    assert normalise("CRO", "29906/12J") == "029906/12J"


@pytest.mark.parametrize(
    ("kind", "value", "canonical"),
    [
        ("NOMS", "A1234BC", "A1234BC"),
        ("NOMS", "  a1234bc \n", "A1234BC"),
        ("CRN", "X123456", "X123456"),
        ("CRN", " x123456 ", "X123456"),
        ("PNC", "12/394773h", "2012/0394773H"),
        ("PNC", "2012/0394773H", "2012/0394773H"),
        ("PNC", "2012/394773H", "2012/0394773H"),
        ("PNC", " 12/0394773H ", "2012/0394773H"),
        ("CRO", "029906/12J", "029906/12J"),
        ("CRO", "29906/12j", "029906/12J"),
        ("CRO", "SF12/029906J", "SF12/029906J"),
        ("CRO", "sf12/29906j", "SF12/029906J"),
    ],
)
def test_canonical_forms(kind: str, value: str, canonical: str) -> None:
    assert normalise(kind, value) == canonical


def test_canonical_form_is_stable() -> None:
    for kind, value in [("PNC", "12/394773H"), ("CRO", "29906/12J"), ("CRO", "sf12/29906j")]:
        once = normalise(kind, value)
        assert normalise(kind, once) == once


def test_kind_may_be_enum_or_any_case_text() -> None:
    assert normalise(IdentifierKind.NOMS, "a1234bc") == "A1234BC"
    assert normalise(" noms ", "a1234bc") == "A1234BC"


def test_pnc_with_short_serial_is_zero_padded() -> None:
    serial = "0000034"
    value = f"12/34{letter('12', serial)}"
    assert normalise("PNC", value) == f"2012/{serial}{letter('12', serial)}"


# ---- century rule ----


def test_two_digit_year_39_is_1939() -> None:
    assert normalise("PNC", f"39/1{letter('39', '0000001')}") == "1939/0000001U"


def test_two_digit_year_38_is_2038() -> None:
    assert normalise("PNC", f"38/1{letter('38', '0000001')}") == "2038/0000001D"


def test_two_digit_years_99_and_00() -> None:
    assert normalise("PNC", f"99/5{letter('99', '0000005')}").startswith("1999/")
    assert normalise("PNC", f"00/5{letter('00', '0000005')}").startswith("2000/")


def test_four_digit_year_uses_its_last_two_digits_for_the_check() -> None:
    # 1912 and 2012 share the check letter; the four-digit year given is kept.
    assert normalise("PNC", "1912/394773H") == "1912/0394773H"
    assert normalise("PNC", "2012/394773H") == "2012/0394773H"


def test_four_digit_year_outside_1900_to_2099_is_refused() -> None:
    error = refused("PNC", "1812/394773H")
    assert error.field == "pnc"
    assert "between 1900 and 2099" in error.reason


# ---- wrong check letters ----


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("PNC", "12/394773J"),
        ("PNC", "2012/0394773A"),
        ("CRO", "29906/12H"),
        ("CRO", "SF12/029906K"),
    ],
)
def test_wrong_check_letter_is_refused(kind: str, value: str) -> None:
    error = refused(kind, value, "identifiers.X")
    assert error.field == "identifiers.X"
    assert error.reason == f"{kind} number check letter does not match"


# ---- malformed input ----


@pytest.mark.parametrize(
    "value",
    ["A123BC", "A12345BC", "11234BC", "A1234B1", "A1234BCD", "A 1234BC", "A1234BC1", "X123456"],
)
def test_malformed_noms(value: str) -> None:
    error = refused("NOMS", value)
    assert error.field == "noms"
    assert error.reason == (
        "NOMS number must be a letter, four digits and two letters, e.g. A1234BC"
    )


@pytest.mark.parametrize("value", ["X12345", "X1234567", "1123456", "XX23456", "A1234BC"])
def test_malformed_crn(value: str) -> None:
    error = refused("CRN", value)
    assert error.field == "crn"
    assert error.reason == "CRN must be a letter and six digits, e.g. X123456"


@pytest.mark.parametrize(
    "value",
    [
        "12394773H",  # no slash
        "123/394773H",  # three-digit year
        "12/12345678H",  # eight-digit serial
        "12/394773",  # no check letter
        "12/H",  # no serial
        "12-394773H",
        "12/394773HH",
        "١٢/394773H",  # non-ASCII digits
    ],
)
def test_malformed_pnc(value: str) -> None:
    error = refused("PNC", value)
    assert error.field == "pnc"
    assert error.reason.startswith("PNC number must be a two- or four-digit year, a slash")


@pytest.mark.parametrize(
    "value",
    [
        "1234567/12J",  # seven-digit serial
        "29906/123J",  # three-digit year
        "29906/12",  # no check letter
        "/12J",
        "SF123/029906J",
        "SF12/1234567J",
        "SX12/029906J",
        "29906-12J",
    ],
)
def test_malformed_cro(value: str) -> None:
    error = refused("CRO", value)
    assert error.field == "cro"
    assert error.reason.startswith("CRO number must be up to six digits, a slash")


@pytest.mark.parametrize("kind", ["NOMS", "CRN", "PNC", "CRO"])
@pytest.mark.parametrize("value", ["", "   "])
def test_blank_value_is_required(kind: str, value: str) -> None:
    error = refused(kind, value)
    assert error.field == kind.lower()
    assert error.reason.endswith("is required")


def test_field_given_names_the_error() -> None:
    assert refused("NOMS", "nope", "identifiers.NOMS").field == "identifiers.NOMS"


def test_unknown_kind_is_refused_on_the_kind_field() -> None:
    error = refused("PASSPORT", "A1234BC", "value")
    assert error.field == "kind"
    assert "unknown identifier kind 'PASSPORT'" in error.reason


# ---- detect ----


@pytest.mark.parametrize(
    ("value", "kind", "canonical"),
    [
        ("a1234bc", IdentifierKind.NOMS, "A1234BC"),
        ("X123456", IdentifierKind.CRN, "X123456"),
        ("12/394773H", IdentifierKind.PNC, "2012/0394773H"),
        ("2012/0394773h", IdentifierKind.PNC, "2012/0394773H"),
        ("29906/12J", IdentifierKind.CRO, "029906/12J"),
        ("SF12/029906J", IdentifierKind.CRO, "SF12/029906J"),
        # NN/NNX fits both the PNC and the CRO form: the check letter decides.
        ("12/34U", IdentifierKind.PNC, "2012/0000034U"),
        ("12/34J", IdentifierKind.CRO, "000012/34J"),
    ],
)
def test_detect(value: str, kind: IdentifierKind, canonical: str) -> None:
    assert detect(value) == (kind, canonical)


def test_detect_refuses_when_both_pnc_and_cro_checks_hold() -> None:
    assert normalise("PNC", "10/26E") == "2010/0000026E"
    assert normalise("CRO", "10/26E") == "000010/26E"
    with pytest.raises(InvalidValue) as caught:
        detect("10/26E")
    assert caught.value.field == "identifier"
    assert "could be a PNC or a CRO number" in caught.value.reason


@pytest.mark.parametrize("value", ["12/394773J", "29906/12H", "12/34A"])
def test_detect_refuses_a_wrong_check_letter(value: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        detect(value)
    assert caught.value.field == "identifier"
    assert "check letter does not match" in caught.value.reason


@pytest.mark.parametrize("value", ["hello", "A1234B", "X12345", "12/", "99999999", "SF12/X"])
def test_detect_refuses_unrecognised_forms(value: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        detect(value)
    assert caught.value.field == "identifier"
    assert caught.value.reason.startswith("identifier must be a NOMS number (e.g. A1234BC)")


@pytest.mark.parametrize("value", ["", "  "])
def test_detect_refuses_blank(value: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        detect(value)
    assert caught.value.field == "identifier"
    assert caught.value.reason == "an identifier is required"


def test_claim_key() -> None:
    assert claim_key(IdentifierKind.NOMS, "A1234BC") == "NOMS:A1234BC"
    assert claim_key("pnc", "2012/0394773H") == "PNC:2012/0394773H"
    with pytest.raises(InvalidValue):
        claim_key("EMAIL", "x")


# ---- properties ----

years = st.integers(min_value=0, max_value=99).map(lambda y: f"{y:02d}")


@given(yy=years, serial=st.integers(min_value=0, max_value=9_999_999), data=st.data())
def test_pnc_check_letter_round_trips(yy: str, serial: int, data: st.DataObject) -> None:
    padded = f"{serial:07d}"
    good = letter(yy, padded)
    assert check_letter(yy, padded) == good
    century = "19" if int(yy) >= 39 else "20"
    canonical = f"{century}{yy}/{padded}{good}"
    assert normalise("PNC", f"{yy}/{serial}{good.lower()}") == canonical
    assert normalise("PNC", canonical) == canonical
    assert detect(canonical) == (IdentifierKind.PNC, canonical)
    bad = data.draw(st.sampled_from([c for c in CHECK_LETTERS if c != good]))
    with pytest.raises(InvalidValue, match="check letter does not match"):
        normalise("PNC", f"{yy}/{serial}{bad}")


@given(
    yy=years,
    serial=st.integers(min_value=0, max_value=999_999),
    sf=st.booleans(),
    data=st.data(),
)
def test_cro_check_letter_round_trips(yy: str, serial: int, sf: bool, data: st.DataObject) -> None:
    padded = f"{serial:06d}"
    good = letter(yy, padded)
    given_form = f"SF{yy}/{serial}{good}" if sf else f"{serial}/{yy}{good}"
    canonical = f"SF{yy}/{padded}{good}" if sf else f"{padded}/{yy}{good}"
    assert normalise("CRO", given_form.lower()) == canonical
    assert normalise("CRO", canonical) == canonical
    assert detect(canonical) == (IdentifierKind.CRO, canonical)
    bad = data.draw(st.sampled_from([c for c in CHECK_LETTERS if c != good]))
    wrong = f"SF{yy}/{serial}{bad}" if sf else f"{serial}/{yy}{bad}"
    with pytest.raises(InvalidValue, match="check letter does not match"):
        normalise("CRO", wrong)
