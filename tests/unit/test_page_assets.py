"""The pages' front-end packages are found in node_modules, or start-up says what to run."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.app import create_app
from api.config import ApiSettings
from api.pages.assets import GOVUK, MOJ, MissingAssets, node_modules
from domain.service.settings import Settings


def test_start_up_refuses_without_the_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNEY_NODE_MODULES", str(tmp_path))
    settings = ApiSettings(store=Settings(database_url="memory://"))
    with pytest.raises(MissingAssets, match=r"govuk-frontend.*run ops/bootstrap \(npm ci\)"):
        create_app(settings)


def test_the_installed_packages_hold_what_the_pages_load() -> None:
    root = node_modules()
    for needed in (
        GOVUK / "govuk-frontend.min.css",
        GOVUK / "govuk-frontend.min.js",
        GOVUK / "assets" / "fonts",
        MOJ / "moj-frontend.min.css",
        Path("axe-core") / "axe.min.js",
    ):
        assert (root / needed).exists(), needed
