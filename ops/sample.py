"""A small deterministic sample of journeys for the demo: reception, court, transfers,
temporary absence, release, supervision and handover, through the application's commands."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from domain import reference
from domain.provenance import Provenance
from domain.service.application import JourneyApp

GIVEN = [
    "John",
    "David",
    "Michael",
    "James",
    "Paul",
    "Mark",
    "Daniel",
    "Sarah",
    "Emma",
    "Lisa",
    "Ahmed",
    "Tomasz",
    "Kwame",
    "Liam",
    "Ryan",
    "Jade",
    "Chloe",
    "Mohammed",
    "Adam",
    "Lee",
]
FAMILY = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Khan",
    "Walker",
    "Wright",
    "Thompson",
    "Evans",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Nowak",
    "Mensah",
]


@dataclass(frozen=True)
class SamplePerson:
    noms: str
    crn: str


def noms_number(n: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return f"{letters[n % 24]}{n % 10000:04d}{letters[(n // 24) % 24]}{letters[(n // 576) % 24]}"


def seed(app: JourneyApp, people: int, seed_value: int = 7) -> Iterator[SamplePerson]:
    """Record `people` journeys; yields each person as it is done."""
    rng = random.Random(seed_value)
    male = [p.code for p in reference.prisons() if p.active and p.male]
    female = [p.code for p in reference.prisons() if p.active and p.female]
    courts = [c.code for c in reference.courts() if c.active and c.type in {"CRN", "MAG"}]
    pdus = list(reference.pdus())
    start = datetime(2025, 1, 6, 9, tzinfo=UTC)
    for n in range(people):
        sex = "F" if rng.random() < 0.05 else "M"
        estate = female if sex == "F" else male
        noms, crn = noms_number(n + 1000), f"X{100000 + n:06d}"
        when = start + timedelta(days=rng.randint(0, 300), hours=rng.randint(0, 8))

        def p(t: datetime, ref: str, noms: str = noms) -> Provenance:
            return Provenance(
                "demo.loader", "NOMIS", t, batch_id="demo", source_ref=f"{noms}-{ref}"
            )

        app.register(
            p(when - timedelta(days=1), "reg"),
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            date_of_birth=date(rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28)),
            sex=sex,
            identifiers={"NOMS": noms, "CRN": crn},
        )
        prison = rng.choice(estate)
        app.admit(noms, p(when, "adm"), prison=prison, reason="N")
        app.move_cell(
            noms,
            p(when + timedelta(hours=3), "cell"),
            prison=prison,
            cell=f"{rng.choice('ABCDE')}-{rng.randint(1, 4)}-{rng.randint(1, 40):03d}",
        )
        court = rng.choice(courts)
        when += timedelta(days=rng.randint(3, 40))
        app.court_out(noms, p(when, "crt-out"), prison=prison, court=court)
        app.court_return(noms, p(when + timedelta(hours=7), "crt-in"), court=court, prison=prison)
        app.record_key_dates(
            noms,
            p(when + timedelta(hours=8), "dates"),
            dates={
                "CRD": (when + timedelta(days=rng.randint(60, 500))).date(),
                "SED": (when + timedelta(days=rng.randint(600, 1200))).date(),
            },
        )
        if rng.random() < 0.6:
            other = rng.choice([c for c in estate if c != prison])
            when += timedelta(days=rng.randint(5, 90))
            app.transfer_out(noms, p(when, "trn"), from_prison=prison, to_prison=other)
            if rng.random() < 0.97:
                app.arrive(
                    noms, p(when + timedelta(hours=5), "arr"), prison=other, from_prison=prison
                )
                prison = other
            else:
                yield SamplePerson(noms, crn)
                continue
        if rng.random() < 0.45:
            when += timedelta(days=rng.randint(20, 200))
            app.release(noms, p(when, "rel"), from_agency=prison, reason=rng.choice(["CR", "HR"]))
            unit = rng.choice(pdus)
            assert unit.parent_code is not None
            app.start_supervision(
                noms, p(when + timedelta(hours=2), "sup"), region=unit.parent_code, pdu=unit.code
            )
            if rng.random() < 0.8:
                app.request_handover(noms, p(when + timedelta(days=1), "ho-req"), to="community")
                app.accept_handover(noms, p(when + timedelta(days=2), "ho-acc"))
        yield SamplePerson(noms, crn)
