"""Telling a load's format from its first lines, on every store: each format recognised in the
shapes upstream writes it, a file loaded under the wrong format refused at once with nothing
recorded, and an "auto" load recording the format it found."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from domain.errors import DomainError
from domain.service.application import JourneyApp
from replay import registry
from replay.formats import NOMIS_FIELDS
from replay.importer import Importer, ImportOptions
from replay.sniff import HEAD, Sniffed, WrongFormat, sniff
from tests.helpers import JSONL_COMMANDS, nomis_movement

# The prison API's `Movement` carries descriptions beside the codes; the reader ignores them.
EXTRA_FIELDS = ("fromAgencyDescription", "toAgencyDescription", "movementTypeDescription")


def movement(*values: str) -> dict[str, Any]:
    """A NOMIS movement from (number, day, type, direction, from, to, reason)."""
    _, day, kind, _, src, _, _ = values
    record = nomis_movement(
        *values,
        created=f"{day}T10:04:31.123",
        fromAgencyDescription="Outside" if src == "OUT" else "HMP Leeds",
        toAgencyDescription="HMP Leeds",
        movementTypeDescription={"ADM": "Admission", "REL": "Release"}.get(kind, kind),
    )
    assert set(record) == {*NOMIS_FIELDS, *EXTRA_FIELDS}
    return record


MOVEMENTS = [
    movement("A1234BC", "2025-01-06", "ADM", "IN", "OUT", "LEI", "N"),
    movement("G5555GG", "2025-02-01", "ADM", "IN", "OUT", "LEI", "N"),
    movement("G5555GG", "2025-05-01", "REL", "OUT", "LEI", "OUT", "CR"),
]
ALLOCATIONS = [
    "CRN,Region,PDU,Team,Officer code,Effective date",
    "X123456,N55,N55BAC,T1,N55A001,2025-04-01",
    "X123456,N55,N55DNR,,N55B002,2025-06-01",
]


def csv_text(items: list[dict[str, Any]]) -> list[str]:
    names = [*NOMIS_FIELDS, *EXTRA_FIELDS]
    rows = [",".join(names)]
    rows += [",".join("" if item[n] is None else str(item[n]) for n in names) for item in items]
    return rows


def text(lines: list[str], style: str) -> bytes:
    """Lines as a file: plain, with a byte order mark, with CRLF, or after blank lines."""
    ending = "\r\n" if style in {"crlf", "all"} else "\n"
    start = ending * 2 if style in {"blank", "all"} else ""
    data = (start + ending.join(lines) + ending).encode()
    return b"\xef\xbb\xbf" + data if style in {"bom", "all"} else data


def nomis_array(style: str) -> bytes:
    if style == "pretty":
        return orjson.dumps(MOVEMENTS, option=orjson.OPT_INDENT_2)
    return text([orjson.dumps(MOVEMENTS).decode()], style)


def nomis_lines(style: str) -> bytes:
    return text([orjson.dumps(m).decode() for m in MOVEMENTS], style)


def nomis_csv(style: str) -> bytes:
    return text(csv_text(MOVEMENTS), style)


def commands(style: str) -> bytes:
    return text([orjson.dumps(c).decode() for c in JSONL_COMMANDS], style)


def allocations(style: str) -> bytes:
    return text(ALLOCATIONS, style)


SAMPLES: dict[str, tuple[Callable[[str], bytes], str, str]] = {
    "nomis-array": (nomis_array, "nomis", "JSON array"),
    "nomis-jsonl": (nomis_lines, "nomis", "JSON Lines"),
    "nomis-csv": (nomis_csv, "nomis", "CSV"),
    "commands": (commands, "jsonl", "JSON Lines"),
    "allocations": (allocations, "allocations", "CSV"),
}
STYLES = ["plain", "bom", "crlf", "blank", "all"]
LABELS = {"jsonl": "jsonl commands", "nomis": "nomis movements", "allocations": "allocations"}


def sniffed(data: bytes) -> Sniffed:
    return sniff(io.BytesIO(data))


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("sample", SAMPLES)
def test_each_format_is_recognised_however_the_file_is_written(sample: str, style: str) -> None:
    build, file_format, shape = SAMPLES[sample]
    found = sniffed(build(style))
    assert (found.file_format, found.shape, found.loadable) == (file_format, shape, True), found


def test_a_pretty_printed_movements_array_and_quoted_csv_header_are_recognised() -> None:
    assert sniffed(nomis_array("pretty")).file_format == "nomis"
    quoted = text(['"' + '","'.join(NOMIS_FIELDS) + '"', "A1234BC,..."], "plain")
    assert sniffed(quoted).file_format == "nomis"
    # Check the evidence names the defining fields, as the file spells them.
    evidence = sniffed(nomis_lines("plain")).evidence
    assert evidence == "its first line has offenderNo, movementType, directionCode"
    assert "CRN, Region, PDU" in sniffed(allocations("plain")).evidence


def test_only_the_head_of_a_file_is_read() -> None:
    line = orjson.dumps(MOVEMENTS[0]) + b"\n"
    big = io.BytesIO(line * (3 * HEAD // len(line)))
    assert sniff(big).file_format == "nomis"
    assert big.tell() <= HEAD + 1


def test_a_bad_first_line_does_not_hide_the_format_of_the_next() -> None:
    data = b"not json at all\n" + nomis_lines("plain")
    assert sniffed(b"{" + data).file_format == "nomis"
    found = sniffed(b"{oops\n" + commands("plain"))
    assert (found.file_format, found.evidence) == ("jsonl", 'its line 2 has "command": "register"')


# ---- refusals: nothing is recorded ----


def head(app: JourneyApp) -> int | None:
    return app.recorder.max_notification_id()


def refused(app: JourneyApp, path: Path, file_format: str) -> WrongFormat:
    """A load refused at once for its format, naming the field, with the store unchanged."""
    before = head(app)
    with pytest.raises(DomainError) as caught:
        Importer(app).run(path, ImportOptions("NOMIS", file_format, "loader"))
    error = caught.value
    assert isinstance(error, WrongFormat), f"{type(error).__name__}: {error}"
    assert error.field == "format"
    assert str(error) == f"format: {error.reason}"
    assert head(app) == before, "a load refused for its format recorded something"
    assert registry.batches(app) == []
    return error


MISMATCHES = [
    pytest.param(sample, wrong, id=f"{sample}-as-{wrong}")
    for sample, (_, right, _) in SAMPLES.items()
    for wrong in LABELS
    if wrong != right
]


@pytest.mark.parametrize(("sample", "wrong"), MISMATCHES)
def test_a_file_loaded_as_another_format_is_refused_at_once(
    app: JourneyApp, tmp_path: Path, sample: str, wrong: str
) -> None:
    build, right, _ = SAMPLES[sample]
    path = tmp_path / "upload"
    path.write_bytes(build("all"))
    error = refused(app, path, wrong)
    assert error.looks_like == right
    assert error.reason.startswith(f"the file looks like {LABELS[right]} ("), error.reason
    assert f"), not {wrong}; load it as {right} or auto" in error.reason


def test_the_movements_file_loaded_as_commands_is_one_refusal_not_thousands(
    app: JourneyApp, tmp_path: Path
) -> None:
    path = tmp_path / "movements.jsonl"
    with path.open("wb") as out:
        for n in range(10_798):
            item = movement(f"A{n % 10000:04d}AA", "2025-01-06", "ADM", "IN", "OUT", "LEI", "N")
            out.write(orjson.dumps(item) + b"\n")
    error = refused(app, path, "jsonl")
    assert error.reason == (
        "the file looks like nomis movements (its first line has offenderNo, movementType, "
        "directionCode), not jsonl; load it as nomis or auto"
    )


UNLOADABLE = [
    pytest.param(b"", "is empty", id="empty"),
    pytest.param(b"\r\n\n   \n", "only blank lines", id="blank"),
    pytest.param(b"\xef\xbb\xbf", "only blank lines", id="bom-only"),
    pytest.param(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "Excel", id="xlsx"),
    pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF", id="pdf"),
    pytest.param(bytes(range(256)) * 4, "not text", id="binary"),
    pytest.param("offenderNo,movementType\n".encode("utf-16"), "UTF-16", id="utf-16"),
    pytest.param(b"[]\n", "no records", id="empty-array"),
    pytest.param(b"[1, 2, 3]\n", "not an object", id="array-of-numbers"),
    pytest.param(
        b'[{"command": "admissions", "person": "A1234BC"}]', "only as JSON Lines", id="cmd-array"
    ),
    pytest.param(b'{"CRN": "X123456", "PDU": "N55BAC"}\n', "only as CSV", id="allocation-json"),
    pytest.param(
        orjson.dumps(MOVEMENTS[0], option=orjson.OPT_INDENT_2), "several lines", id="pretty-line"
    ),
    pytest.param(
        b"offenderNo;movementType;directionCode;movementDate\nA1234BC;ADM;IN;2025-01-06\n",
        "semicolons",
        id="semicolons",
    ),
    pytest.param(
        b"OFFENDER_NO,MOVEMENT_TYPE,DIRECTION_CODE\nA1234BC,ADM,IN\n",
        "spelled offenderNo",
        id="spelling",
    ),
]


@pytest.mark.parametrize("file_format", ["auto", "nomis"])
@pytest.mark.parametrize(("data", "words"), UNLOADABLE)
def test_a_file_no_format_can_read_is_refused_whatever_was_asked(
    app: JourneyApp, tmp_path: Path, data: bytes, words: str, file_format: str
) -> None:
    path = tmp_path / "upload"
    path.write_bytes(data)
    error = refused(app, path, file_format)
    assert error.reason.startswith("the file "), error.reason
    assert words in error.reason, error.reason


UNRECOGNISED = [
    pytest.param(b"hello world\nsecond line\n", "read as a CSV header", id="prose"),
    pytest.param(b"A1234BC,ADM,IN,2025-01-06\n", "read as a CSV header", id="no-header"),
    pytest.param(b'{"name": "x"}\n{"name": "y"}\n', "none of the fields", id="other-json"),
    pytest.param(b"{not json\n{nor this\n", "not JSON", id="broken-json"),
]


@pytest.mark.parametrize(("data", "words"), UNRECOGNISED)
def test_an_auto_load_of_an_unrecognised_file_is_refused_saying_why(
    app: JourneyApp, tmp_path: Path, data: bytes, words: str
) -> None:
    path = tmp_path / "upload"
    path.write_bytes(data)
    error = refused(app, path, "auto")
    assert error.reason.startswith("the file is in none of jsonl, nomis, allocations: ")
    assert words in error.reason, error.reason
    assert error.looks_like is None


def test_an_unrecognised_file_under_a_named_format_is_left_to_its_reader(
    app: JourneyApp, tmp_path: Path
) -> None:
    # Named formats go on to the reader, whose reasons are line by line and specific.
    path = tmp_path / "upload"
    path.write_bytes(b"noms,type\nA1234BC,ADM\n")
    report = Importer(app).run(path, ImportOptions("NOMIS", "nomis", "loader"))
    assert report.outcome == "refused"
    assert [(r.line, r.field) for r in report.rejects] == [(1, "offenderNo")]


# ---- auto loads ----


@pytest.mark.parametrize("sample", SAMPLES)
def test_an_auto_load_records_the_format_it_found(
    app: JourneyApp, tmp_path: Path, sample: str
) -> None:
    build, file_format, _ = SAMPLES[sample]
    path = tmp_path / "upload"
    path.write_bytes(build("all"))  # a byte order mark, CRLF and blank lines before the first
    report = Importer(app).run(path, ImportOptions("NOMIS", "auto", "loader", file_name="u"))
    assert report.outcome == "recorded", report.rejects
    assert report.entries > 0
    assert report.file_format == file_format
    assert registry.batch(app, report.batch_id).file_format == file_format
    # Check the same file named with its own format is the same batch, already imported.
    again = Importer(app).run(path, ImportOptions("NOMIS", file_format, "loader"))
    assert (again.outcome, again.file_format) == ("already imported", file_format)
