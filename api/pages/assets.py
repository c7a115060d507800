"""GOV.UK and MOJ Frontend, served straight from the project's `node_modules` (installed by
`ops/bootstrap` with `npm ci`), never copied into the repository."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.staticfiles import StaticFiles

ROOT = Path(__file__).resolve().parents[2]
GOVUK = Path("govuk-frontend/dist/govuk")
MOJ = Path("@ministryofjustice/frontend/moj")


class MissingAssets(RuntimeError):
    """The front-end packages are not installed: the pages cannot be styled."""


def node_modules() -> Path:
    """The project's node_modules, or the folder JOURNEY_NODE_MODULES names."""
    return Path(os.environ.get("JOURNEY_NODE_MODULES", ROOT / "node_modules"))


def package_dir(relative: Path) -> Path:
    found = node_modules() / relative
    if not found.is_dir():
        raise MissingAssets(
            f"the pages need {found}, which is missing: run ops/bootstrap (npm ci) first"
        )
    return found


class LayeredStatic(StaticFiles):
    """Files looked up in several folders in turn: both packages' stylesheets ask for
    `/assets/images/...`, each finding its own icons there."""

    def __init__(self, folders: list[Path]) -> None:
        super().__init__(directory=folders[0])
        self.all_directories = [str(f) for f in folders]


def asset_mounts() -> dict[str, StaticFiles]:
    """URL prefix to static files: the stylesheets' own `/assets/...` references, the
    packages' CSS and JS, and axe-core for the accessibility checks when installed."""
    govuk, moj = package_dir(GOVUK), package_dir(MOJ)
    return {
        "/assets": LayeredStatic([govuk / "assets", moj / "assets"]),
        "/ui/static/govuk": StaticFiles(directory=govuk),
        "/ui/static/moj": StaticFiles(directory=moj),
    }
