"""Person identifiers (NOMS, CRN, PNC, CRO, and NOMIS booking ids): validated and put in one
canonical form.

The formats and check letters are those of the public HMPPS code (see
domain/reference/PROVENANCE.md): a PNC or CRO number's check letter is
``CHECK_LETTERS[int(yy + serial) % 23]`` over the two-digit year and the zero-padded serial.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum

from domain.errors import InvalidValue

CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
PNC_SERIAL_DIGITS = 7
CRO_SERIAL_DIGITS = 6
CENTURY_PIVOT = 39  # two-digit PNC years 39-99 are 19xx, 00-38 are 20xx

_NOMS_RE = re.compile(r"[A-Z]\d{4}[A-Z]{2}", re.ASCII)
_CRN_RE = re.compile(r"[A-Z]\d{6}", re.ASCII)
_PNC_RE = re.compile(r"(?P<year>\d{2}|\d{4})/(?P<serial>\d{1,7})(?P<letter>[A-Z])", re.ASCII)
_CRO_RE = re.compile(r"(?P<serial>\d{1,6})/(?P<year>\d{2})(?P<letter>[A-Z])", re.ASCII)
_CRO_SF_RE = re.compile(r"SF(?P<year>\d{2})/(?P<serial>\d{1,6})(?P<letter>[A-Z])", re.ASCII)
_BOOKING_RE = re.compile(r"[1-9]\d{0,11}", re.ASCII)

NOMS_FORM = "NOMS number must be a letter, four digits and two letters, e.g. A1234BC"
CRN_FORM = "CRN must be a letter and six digits, e.g. X123456"
PNC_FORM = (
    "PNC number must be a two- or four-digit year, a slash, up to seven digits and a check "
    "letter, e.g. 2012/0394773H or 12/394773H"
)
PNC_YEAR = "PNC number's four-digit year must be between 1900 and 2099"
CRO_FORM = (
    "CRO number must be up to six digits, a slash, a two-digit year and a check letter "
    "(e.g. 029906/12J), or SF, a two-digit year, a slash, up to six digits and a check "
    "letter (e.g. SF12/029906J)"
)
UNRECOGNISED = (
    "identifier must be a NOMS number (e.g. A1234BC), a CRN (e.g. X123456), a PNC number "
    "(e.g. 2012/0394773H) or a CRO number (e.g. 029906/12J)"
)
BOOKING_FORM = "booking id must be a NOMIS booking number: up to twelve digits, e.g. 1102305"
AMBIGUOUS = (
    "identifier could be a PNC or a CRO number: give it in full, as YYYY/NNNNNNNX for a PNC "
    "number or NNNNNN/YYX for a CRO number"
)


class IdentifierKind(StrEnum):
    """The identifiers a person can hold. A NOMIS booking id (one per custody period, so a
    person may hold several) names the person in records that carry no NOMS number."""

    NOMS = "NOMS"
    CRN = "CRN"
    PNC = "PNC"
    CRO = "CRO"
    BOOKING = "BOOKING"


# The kinds an identifier typed on its own is told apart by: a booking id is bare digits, a
# key systems exchange, not a number staff look people up by.
DETECTED = (IdentifierKind.NOMS, IdentifierKind.CRN, IdentifierKind.PNC, IdentifierKind.CRO)


def check_letter(yy: str, serial: str) -> str:
    """The check letter over a two-digit year and an already zero-padded serial."""
    return CHECK_LETTERS[int(yy + serial) % 23]


def identifier_kind(kind: IdentifierKind | str) -> IdentifierKind:
    """A kind from its name, in any case; InvalidValue("kind") if it is not one."""
    if isinstance(kind, IdentifierKind):
        return kind
    name = kind.strip().upper() if isinstance(kind, str) else ""
    if name not in IdentifierKind.__members__:
        raise InvalidValue(
            "kind", f"unknown identifier kind {kind!r}: expected NOMS, CRN, PNC, CRO or BOOKING"
        )
    return IdentifierKind[name]


def normalise(kind: IdentifierKind | str, value: str, field: str | None = None) -> str:
    """The canonical form of an identifier of the given kind, or InvalidValue(field, reason)."""
    known = identifier_kind(kind)
    name = field or known.value.lower()
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(name, f"{_label(known)} is required")
    return _NORMALISERS[known](_clean(value), name)


def detect(value: str) -> tuple[IdentifierKind, str]:
    """The kind an identifier's form shows, and its canonical form."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("identifier", "an identifier is required")
    cleaned = _clean(value)
    candidates = [kind for kind in DETECTED if _matches(kind, cleaned)]
    if not candidates:
        raise InvalidValue("identifier", UNRECOGNISED)
    if len(candidates) == 1:
        return candidates[0], _NORMALISERS[candidates[0]](cleaned, "identifier")
    return _ambiguous(cleaned)


def claim_key(kind: IdentifierKind | str, canonical: str) -> str:
    """The key under which one identifier is claimed by one person, e.g. "NOMS:A1234BC"."""
    return f"{identifier_kind(kind).value}:{canonical}"


# ---- per kind ----


def _clean(value: str) -> str:
    """Stripped and upper-cased; text that is not ASCII is left as it is, to fail every form."""
    stripped = value.strip()
    return stripped.upper() if stripped.isascii() else stripped


def _label(kind: IdentifierKind) -> str:
    if kind is IdentifierKind.BOOKING:
        return "booking id"
    return "CRN" if kind is IdentifierKind.CRN else f"{kind.value} number"


def _matches(kind: IdentifierKind, cleaned: str) -> bool:
    """Whether the text has the form of the kind (the check letter is not looked at)."""
    if kind is IdentifierKind.CRO:
        return bool(_CRO_RE.fullmatch(cleaned) or _CRO_SF_RE.fullmatch(cleaned))
    return bool(_FORMS[kind].fullmatch(cleaned))


def _ambiguous(cleaned: str) -> tuple[IdentifierKind, str]:
    """Text such as 12/34X that is both a PNC and a CRO form: keep the one whose check holds."""
    valid: list[tuple[IdentifierKind, str]] = []
    for kind in (IdentifierKind.PNC, IdentifierKind.CRO):
        try:
            valid.append((kind, _NORMALISERS[kind](cleaned, "identifier")))
        except InvalidValue:
            continue
    if len(valid) == 1:
        return valid[0]
    if not valid:
        raise InvalidValue("identifier", "check letter does not match as a PNC or a CRO number")
    raise InvalidValue("identifier", AMBIGUOUS)


def _noms(cleaned: str, field: str) -> str:
    if not _NOMS_RE.fullmatch(cleaned):
        raise InvalidValue(field, NOMS_FORM)
    return cleaned


def _crn(cleaned: str, field: str) -> str:
    if not _CRN_RE.fullmatch(cleaned):
        raise InvalidValue(field, CRN_FORM)
    return cleaned


def _booking(cleaned: str, field: str) -> str:
    if not _BOOKING_RE.fullmatch(cleaned):
        raise InvalidValue(field, BOOKING_FORM)
    return cleaned


def _pnc(cleaned: str, field: str) -> str:
    found = _PNC_RE.fullmatch(cleaned)
    if not found:
        raise InvalidValue(field, PNC_FORM)
    year, serial = found["year"], found["serial"].zfill(PNC_SERIAL_DIGITS)
    if len(year) == 4 and year[:2] not in ("19", "20"):
        raise InvalidValue(field, PNC_YEAR)
    if found["letter"] != check_letter(year[-2:], serial):
        raise InvalidValue(field, "PNC number check letter does not match")
    return f"{_full_year(year)}/{serial}{found['letter']}"


def _full_year(year: str) -> str:
    """A four-digit year: two-digit years 39-99 are 19xx, 00-38 are 20xx."""
    if len(year) == 4:
        return year
    return ("19" if int(year) >= CENTURY_PIVOT else "20") + year


def _cro(cleaned: str, field: str) -> str:
    found = _CRO_RE.fullmatch(cleaned) or _CRO_SF_RE.fullmatch(cleaned)
    if not found:
        raise InvalidValue(field, CRO_FORM)
    year, serial = found["year"], found["serial"].zfill(CRO_SERIAL_DIGITS)
    if found["letter"] != check_letter(year, serial):
        raise InvalidValue(field, "CRO number check letter does not match")
    if cleaned.startswith("SF"):
        return f"SF{year}/{serial}{found['letter']}"
    return f"{serial}/{year}{found['letter']}"


_FORMS: dict[IdentifierKind, re.Pattern[str]] = {
    IdentifierKind.NOMS: _NOMS_RE,
    IdentifierKind.CRN: _CRN_RE,
    IdentifierKind.PNC: _PNC_RE,
    IdentifierKind.BOOKING: _BOOKING_RE,
}
_NORMALISERS: dict[IdentifierKind, Callable[[str, str], str]] = {
    IdentifierKind.NOMS: _noms,
    IdentifierKind.CRN: _crn,
    IdentifierKind.PNC: _pnc,
    IdentifierKind.CRO: _cro,
    IdentifierKind.BOOKING: _booking,
}
