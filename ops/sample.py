"""Names and NOMS numbers for generated people (the journeys are in `ops.generator`)."""

from __future__ import annotations

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


def noms_number(n: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return f"{letters[n % 24]}{n % 10000:04d}{letters[(n // 24) % 24]}{letters[(n // 576) % 24]}"
