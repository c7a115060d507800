"""HTTP settings from `JOURNEY_*` variables: FastAPI's OpenTelemetry instrumentation is
chosen, off unless asked for."""

from __future__ import annotations

import pytest

from api.app import create_app
from api.config import ApiSettings
from domain.errors import InvalidValue

STORE = {"JOURNEY_DATABASE_URL": "memory://"}


def test_telemetry_is_off_unless_asked_for() -> None:
    assert ApiSettings.from_env(STORE).telemetry is False
    assert ApiSettings.from_env({**STORE, "JOURNEY_TELEMETRY": "on"}).telemetry is True
    assert ApiSettings.from_env({**STORE, "JOURNEY_TELEMETRY": " Off "}).telemetry is False


def test_telemetry_refuses_anything_but_on_or_off() -> None:
    with pytest.raises(InvalidValue) as refused:
        ApiSettings.from_env({**STORE, "JOURNEY_TELEMETRY": "yes"})
    assert refused.value.field == "JOURNEY_TELEMETRY"
    assert "on or off" in refused.value.reason


@pytest.mark.parametrize("on", [False, True])
def test_the_application_takes_the_telemetry_setting(on: bool) -> None:
    app = create_app(ApiSettings.from_env({**STORE, "JOURNEY_TELEMETRY": "on" if on else "off"}))
    # FastAPI keeps what it was given; off, it never asks whether a provider is set up.
    chosen = app._telemetry
    assert [chosen["tracing"], chosen["metrics"], chosen["logs"]] == [on, on, on]
