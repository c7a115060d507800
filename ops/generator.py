"""Deterministic, realistic journeys for demos, tests and benchmarks, one person at a time.

A person is remanded to a local prison of their sex's estate, goes to court, is sentenced
(key dates follow the sentence length), may be transferred, moves cells, has temporary
absences near release, is handed over to a community offender manager before release, is
released on licence (on home detention curfew when eligible) into a probation delivery unit,
may move area, may be recalled, and may offend again. Output is the project's JSON Lines or
NOMIS movements; memory stays flat however many people are asked for. With noise, some lines
are late or backdated and about one person in a hundred is booked twice (`ops.noise`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any

import orjson

from domain import reference
from domain.service import catalogue as c
from domain.service.catalogue import Register
from domain.service.command import Command
from ops.noise import backdate, duplicate, duplicate_number, late, occurred
from ops.sample import FAMILY, GIVEN
from replay.formats import LONDON

FORMATS = ("jsonl", "nomis")
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def noms_for(n: int) -> str:
    """A distinct, valid NOMS number for person n (up to 24 * 10000 * 24 * 24)."""
    return (
        f"{LETTERS[n // 10000 % 24]}{n % 10000:04d}"
        f"{LETTERS[n // 240000 % 24]}{LETTERS[n // 5760000 % 24]}"
    )


def crn_for(n: int) -> str:
    return f"{LETTERS[n // 1000000 % 24]}{n % 1000000:06d}"


@dataclass
class Estate:
    """Reference data the journeys draw on, loaded once."""

    male: list[str]
    female: list[str]
    courts: list[str]
    pdus: list[tuple[str, str]]  # (region, pdu)

    @classmethod
    def load(cls) -> Estate:
        prisons = [p for p in reference.prisons() if p.active]
        return cls(
            male=sorted(p.code for p in prisons if p.male),
            female=sorted(p.code for p in prisons if p.female),
            courts=sorted(
                c.code for c in reference.courts() if c.active and c.type in {"CRN", "MAG"}
            ),
            pdus=sorted((u.parent_code or "", u.code) for u in reference.pdus() if u.parent_code),
        )


@dataclass
class Journey:
    """One person's lines, built in time order."""

    n: int
    noms: str
    crn: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0
    community: bool = False  # the case is held in the community (after a handover)
    duplicate: str | None = None  # the NOMS number of a second record of this person (noise)

    def add(self, command: type[Command] | type[Register], when: datetime, **fields: Any) -> None:
        self.seq += 1
        self.lines.append(
            {
                "command": "register" if command is Register else command.route,
                "person": self.noms,
                "occurred_at": when.isoformat(),
                "source_ref": f"{self.noms}-{self.seq}",
                **fields,
            }
        )


class Generator:
    """Journeys from a seed: the same seed and settings give the same bytes."""

    def __init__(self, *, seed: int, years: float, end: datetime, noise: bool = False) -> None:
        self.seed, self.noise = seed, noise
        self.end = end
        self.start = end - timedelta(days=365.25 * years)
        self.estate = Estate.load()

    def people(self, count: int) -> Iterator[Journey]:
        for n in range(count):
            yield self.journey(n)

    def journey(self, n: int) -> Journey:
        rng = random.Random(self.seed * 1_000_003 + n)
        person = Journey(n, noms_for(n), crn_for(n))
        sex = "F" if rng.random() < 0.045 else "M"
        offset = rng.randint(0, max((self.end - self.start).days - 60, 1))
        first = (self.start + timedelta(days=offset)).replace(
            hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=0, microsecond=0
        )
        born = first.date() - timedelta(days=rng.randint(18 * 365, 65 * 365))
        person.add(
            c.Register,
            first - timedelta(days=1),
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            date_of_birth=born.isoformat(),
            sex=sex,
            identifiers={"NOMS": person.noms, "CRN": person.crn},
        )
        person.lines[0].pop("person")
        estate = self.estate.female if sex == "F" else self.estate.male
        when = first
        while when < self.end - timedelta(days=2):
            when = self.episode(rng, person, estate, when)
            if when >= self.end or rng.random() > 0.3:
                break
            when += timedelta(days=rng.randint(60, 900))  # offends again
        # Steps that follow an event by hours or days may land after the end; the journey is
        # cut there. Every rule looks only at what happened before, so whatever remains up to
        # any moment is itself a possible journey.
        person.lines = [line for line in person.lines if occurred(line) < self.end]
        if self.noise:
            self.add_noise(rng, person)
        return person

    def episode(
        self, rng: random.Random, person: Journey, estate: list[str], when: datetime
    ) -> datetime:
        """Remand, court, sentence, custody, handover, release and supervision; returns when it
        ended (or the end of the window)."""
        prison = rng.choice(estate)
        if not self.fits(when):
            return self.end
        person.add(c.Admit, when, prison=prison, movement_reason="N")
        self.cell(rng, person, prison, when + timedelta(hours=2))
        court = rng.choice(self.estate.courts)
        for _ in range(rng.randint(1, 3)):
            when += timedelta(days=rng.randint(7, 35), hours=rng.randint(0, 2))
            if not self.fits(when + timedelta(hours=9)):
                return self.end
            person.add(c.CourtOut, when, prison=prison, court=court)
            person.add(c.CourtReturn, when + timedelta(hours=8), court=court, prison=prison)
        sentenced = (when + timedelta(hours=9)).date()
        months = rng.choice([3, 6, 9, 12, 18, 24, 30, 36, 48, 60, 84, 120])
        sed = add_months(sentenced, months)
        crd = sentenced + (sed - sentenced) / 2
        dates: dict[str, Any] = {"SED": sed.isoformat(), "CRD": crd.isoformat()}
        hdc = 3 <= months < 48 and rng.random() < 0.5
        hdced = crd - timedelta(days=min(135, (crd - sentenced).days // 2))
        dates["HDCED"] = hdced.isoformat() if hdc else None
        person.add(c.RecordKeyDates, when + timedelta(hours=10), dates=dates)
        if person.community:
            # Sentenced to custody while the community held the case: it comes back inside.
            person.add(c.RequestHandover, when + timedelta(hours=11), to="custody")
            person.add(c.AcceptHandover, when + timedelta(days=1))
            person.community = False
        person.add(c.AllocatePom, when + timedelta(days=3), officer=officer(rng, "POM"),
                   prison=prison)  # fmt: skip
        release_on = hdced if hdc else crd
        release = datetime.combine(release_on, datetime.min.time(), UTC) + timedelta(hours=10)
        cursor, prison = self.transfers(rng, person, estate, prison, when=when, release=release)
        region, pdu = rng.choice(self.estate.pdus)
        handover = max(release - timedelta(days=rng.randint(90, 240)), cursor + timedelta(days=1))
        release = max(release, handover + timedelta(days=14))  # short sentences: handover first
        if not self.fits(handover + timedelta(days=3)):
            return self.end
        person.add(c.StartSupervision, handover, region=region, pdu=pdu)
        person.add(c.AllocateCom, handover + timedelta(hours=1), officer=officer(rng, "COM"),
                   pdu=pdu)  # fmt: skip
        person.add(c.RequestHandover, handover + timedelta(days=1), to="community")
        person.add(c.AcceptHandover, handover + timedelta(days=2))
        person.community = True
        if rng.random() < 0.3 and self.fits(release - timedelta(days=20)):
            leave = release - timedelta(days=rng.randint(21, 50))
            if leave > handover + timedelta(days=3):
                person.add(c.TapOut, leave, prison=prison, movement_reason="RO")
                person.add(c.TapReturn, leave + timedelta(days=1), prison=prison,
                           movement_reason="RO")  # fmt: skip
        if not self.fits(release):
            return self.end
        person.add(c.Release, release, from_agency=prison, movement_reason="HR" if hdc else "CR")
        when = self.after_release(
            rng, person, estate, release, pdu, recall_reason="B" if hdc else "L"
        )
        return max(datetime.combine(sed, datetime.min.time(), UTC), when + timedelta(days=1))

    def transfers(
        self,
        rng: random.Random,
        person: Journey,
        estate: list[str],
        prison: str,
        *,
        when: datetime,
        release: datetime,
    ) -> tuple[datetime, str]:
        """Transfers while serving, each with a cell and a new POM; returns when the last one
        happened and the prison the person is in."""
        cursor = when + timedelta(days=5)
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            cursor += timedelta(days=rng.randint(20, 200))
            if cursor > release - timedelta(days=60) or not self.fits(cursor + timedelta(days=1)):
                break
            other = rng.choice([p for p in estate if p != prison])
            person.add(c.TransferOut, cursor, from_prison=prison, to_prison=other,
                       movement_reason="NOTR")  # fmt: skip
            person.add(c.Arrive, cursor + timedelta(hours=5), prison=other, from_prison=prison)
            prison = other
            self.cell(rng, person, prison, cursor + timedelta(hours=7))
            person.add(c.AllocatePom, cursor + timedelta(days=2), officer=officer(rng, "POM"),
                       prison=prison)  # fmt: skip
        return cursor, prison

    def after_release(
        self,
        rng: random.Random,
        person: Journey,
        estate: list[str],
        when: datetime,
        pdu: str,
        *,
        recall_reason: str,
    ) -> datetime:
        """A move of area, a recall to custody and re-release; returns when the last happened."""
        if rng.random() < 0.12:
            when += timedelta(days=rng.randint(30, 200))
            other_region, other_pdu = rng.choice(self.estate.pdus)
            if other_pdu != pdu and self.fits(when + timedelta(days=5)):
                person.add(c.RequestAreaTransfer, when, region=other_region, pdu=other_pdu)
                person.add(c.AcceptAreaTransfer, when + timedelta(days=4))
        if rng.random() < 0.1:
            recall = when + timedelta(days=rng.randint(20, 150))
            if self.fits(recall + timedelta(days=40)):
                recall_prison = rng.choice(estate)
                person.add(c.Admit, recall, prison=recall_prison,
                           movement_reason=recall_reason)  # fmt: skip
                out = recall + timedelta(days=rng.randint(14, 35))
                person.add(c.Release, out, from_agency=recall_prison, movement_reason="CR")
                when = out
        return when

    def cell(self, rng: random.Random, person: Journey, prison: str, when: datetime) -> None:
        if self.fits(when):
            wing = f"{rng.choice('ABCDEFGH')}-{rng.randint(1, 4)}-{rng.randint(1, 40):03d}"
            person.add(c.MoveCell, when, prison=prison, cell=wing)

    def fits(self, when: datetime) -> bool:
        return when < self.end

    def add_noise(self, rng: random.Random, person: Journey) -> None:
        """Late and backdated lines, and now and then a second record (see `ops.noise`)."""
        late(rng, person.lines)
        backdate(rng, person.lines)
        twin = noms_for(duplicate_number(person.n))
        if duplicate(rng, person.lines, twin):
            person.duplicate = twin


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, 28))


def officer(rng: random.Random, role: str) -> str:
    return f"{role} {rng.choice(FAMILY)} {rng.randint(1, 400)}"


def as_movement(line: dict[str, Any]) -> dict[str, Any] | None:
    """A JSON Lines command as the NOMIS movement record it stands for (None if it is not a
    movement)."""
    kind = c.BY_ROUTE.get(line["command"])
    if kind is None or not issubclass(kind, c.Movement):
        return None
    record = kind.of(line).to_nomis()
    when = datetime.fromisoformat(line["occurred_at"]).astimezone(LONDON)  # NOMIS keeps UK time
    return {
        "offenderNo": line["person"],
        "createDateTime": when.replace(tzinfo=None).isoformat(),
        "fromAgency": record.from_agency,
        "toAgency": record.to_agency,
        "movementType": kind.movement_type.value,
        "directionCode": kind.direction.value,
        "movementDate": when.date().isoformat(),
        "movementTime": when.time().isoformat(timespec="seconds"),
        "movementReasonCode": record.reason,
        "commentText": None,
    }


def noting_duplicates(journeys: Iterator[Journey], out: IO[str]) -> Iterator[Journey]:
    """The journeys, unchanged, writing each (kept NOMS, duplicate NOMS) pair to `out` as CSV."""
    out.write("kept,duplicate\n")
    for journey in journeys:
        if journey.duplicate is not None:
            out.write(f"{journey.noms},{journey.duplicate}\n")
        yield journey


def write(out: IO[bytes], journeys: Iterator[Journey], file_format: str) -> int:
    """Every journey's lines to `out`; returns the lines written."""
    written = 0
    for journey in journeys:
        for line in journey.lines:
            record = line if file_format == "jsonl" else as_movement(line)
            if record is None:
                continue
            out.write(orjson.dumps(record) + b"\n")
            written += 1
    return written
