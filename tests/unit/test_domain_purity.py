"""The domain model imports only the standard library, eventsourcing.domain and itself."""

from __future__ import annotations

import ast
from pathlib import Path

MODEL = [
    "domain/person",
    "domain/claims.py",
    "domain/identifiers.py",
    "domain/reference",
    "domain/errors.py",
    "domain/provenance.py",
]
ALLOWED_THIRD_PARTY = {"eventsourcing.domain"}
ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def model_files() -> list[Path]:
    files: list[Path] = []
    for entry in MODEL:
        path = ROOT / entry
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def test_model_imports_only_stdlib_and_eventsourcing_domain() -> None:
    import sys

    stdlib = set(sys.stdlib_module_names)
    offenders = []
    files = model_files()
    assert len(files) >= 10
    for path in files:
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in stdlib or (top == "domain" and not name.startswith("domain.service")):
                continue
            if name not in ALLOWED_THIRD_PARTY:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_the_check_would_catch_an_infrastructure_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from eventsourcing.persistence import Transcoder\nimport psycopg\n")
    assert imported_modules(bad) == {"eventsourcing.persistence", "psycopg"}
