"""Every journey command of the service: one method each, over the application's `_change`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date
from uuid import UUID

from domain.provenance import Provenance
from domain.service.results import Action, CommandResult


class JourneyCommands(ABC):
    """Mixin for the journey application: load the person, call one command, save once."""

    @abstractmethod
    def _change(
        self, ref: str | UUID, expected_version: int | None, action: Action
    ) -> CommandResult:
        """Implemented by the class this mixin is part of."""

    def admit(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        prison: str,
        reason: str,
        from_agency: str = "OUT",
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref,
            expected_version,
            lambda p: p.admit(provenance, prison=prison, reason=reason, from_agency=from_agency),
        )

    def transfer_out(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        from_prison: str,
        to_prison: str,
        reason: str = "NOTR",
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref,
            expected_version,
            lambda p: p.transfer_out(
                provenance, from_prison=from_prison, to_prison=to_prison, reason=reason
            ),
        )

    def arrive(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        prison: str,
        from_prison: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref,
            expected_version,
            lambda p: p.arrive(provenance, prison=prison, from_prison=from_prison),
        )

    def court_out(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        prison: str,
        court: str,
        reason: str = "CRT",
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref,
            expected_version,
            lambda p: p.court_out(provenance, prison=prison, court=court, reason=reason),
        )

    def court_return(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        court: str,
        prison: str,
        reason: str = "CRT",
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref,
            expected_version,
            lambda p: p.court_return(provenance, court=court, prison=prison, reason=reason),
        )

    def tap_out(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        prison: str,
        reason: str,
        to_agency: str = "OUT",
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref,
            expected_version,
            lambda p: p.tap_out(provenance, prison=prison, reason=reason, to_agency=to_agency),
        )

    def tap_return(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        prison: str,
        reason: str,
        from_agency: str = "OUT",
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref,
            expected_version,
            lambda p: p.tap_return(
                provenance, prison=prison, reason=reason, from_agency=from_agency
            ),
        )

    def release(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        from_agency: str,
        reason: str,
        to_agency: str = "OUT",
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref,
            expected_version,
            lambda p: p.release(
                provenance, from_agency=from_agency, reason=reason, to_agency=to_agency
            ),
        )

    def move_cell(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        prison: str,
        cell: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref, expected_version, lambda p: p.move_cell(provenance, prison=prison, cell=cell)
        )

    def start_supervision(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        region: str,
        pdu: str,
        team: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref,
            expected_version,
            lambda p: p.start_supervision(provenance, region=region, pdu=pdu, team=team),
        )

    def request_area_transfer(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        region: str,
        pdu: str,
        team: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref,
            expected_version,
            lambda p: p.request_area_transfer(provenance, region=region, pdu=pdu, team=team),
        )

    def accept_area_transfer(
        self, ref: str | UUID, provenance: Provenance, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(ref, expected_version, lambda p: p.accept_area_transfer(provenance))

    def reject_area_transfer(
        self, ref: str | UUID, provenance: Provenance, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(ref, expected_version, lambda p: p.reject_area_transfer(provenance))

    def allocate_pom(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        officer: str,
        prison: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref,
            expected_version,
            lambda p: p.allocate_pom(provenance, officer=officer, prison=prison),
        )

    def allocate_com(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        officer: str,
        pdu: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref, expected_version, lambda p: p.allocate_com(provenance, officer=officer, pdu=pdu)
        )

    def request_handover(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        to: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(ref, expected_version, lambda p: p.request_handover(provenance, to=to))

    def accept_handover(
        self, ref: str | UUID, provenance: Provenance, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(ref, expected_version, lambda p: p.accept_handover(provenance))

    def reject_handover(
        self, ref: str | UUID, provenance: Provenance, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._change(ref, expected_version, lambda p: p.reject_handover(provenance))

    def escalate_risk(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        level: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref, expected_version, lambda p: p.escalate_risk(provenance, level=level)
        )

    def record_key_dates(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        dates: dict[str, date | None],
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref, expected_version, lambda p: p.record_key_dates(provenance, dates=dates)
        )

    def void_entries(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        entries: tuple[int, ...] = (),
        batch: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Void listed entries or a batch's entries; nothing new if already voided."""
        return self._change(
            ref, expected_version, lambda p: p.void(provenance, entries=entries, batch=batch)
        )

    def reinstate_entries(
        self,
        ref: str | UUID,
        provenance: Provenance,
        *,
        entries: tuple[int, ...] = (),
        batch: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change(
            ref, expected_version, lambda p: p.reinstate(provenance, entries=entries, batch=batch)
        )
