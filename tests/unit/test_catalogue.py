"""The catalogue of commands: each class complete, and the NOMIS mapping read both ways."""

from __future__ import annotations

from api.auth import Role
from domain.service.catalogue import BY_ROUTE, CATALOGUE, MOVEMENTS, movement_for
from domain.service.command import Command
from replay.commands import body_of


def test_every_command_has_a_route_roles_a_body_and_its_own_call() -> None:
    assert len(BY_ROUTE) == len(CATALOGUE)
    for command in CATALOGUE:
        assert command.apply is not Command.apply, command
        assert command.summary and command.route, command
        assert {Role(name) for name in command.roles}, command
        # Check the request body carries the class's fields after the provenance.
        body = body_of(command).model_fields
        assert list(body)[4:] == list(command.field_names()), command


def test_each_movement_reads_back_from_the_nomis_record_it_writes() -> None:
    for movement in MOVEMENTS:
        values = {name: "LEI" for name in movement.field_names()}
        values |= {"court": "LEEDCC", "to_prison": "MDI", "movement_reason": "XX"}
        command = movement.of(values)
        record = command.to_nomis()
        reason = (record.reason or "").upper()
        # Check the record's type, direction and reason lead back to the same class.
        assert movement_for(movement.movement_type, movement.direction, reason) is movement
        assert movement.from_nomis(record) == command
