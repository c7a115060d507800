"""schemathesis against the live OpenAPI document, with every check: no 5xx, and every
response's status, media type, headers and body as the document says.

It runs as its own process (the schemathesis command), as a tester would run it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from api.auth import Role
from tests.e2e.conftest import LiveApi

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# Data the schema allows may still be refused for what no schema says: an identifier in no
# known form, a prison that does not exist, a person not found, a stale version, no search
# terms. Those answers are documented problem details, not failures.
# Data the schema forbids is refused; a body over the size limit is refused as too large (413)
# before its content is read, which is as much a refusal as a 422.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2XX", "400", "401", "403", "404", "409", "412", "422"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428"]
"""


def test_no_server_errors_and_responses_fit_the_schema(api: LiveApi, tmp_path: Path) -> None:
    headers = api.headers(Role.ADMIN, purpose="contract test")
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    args = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{api.base}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        "15",
        "--seed",
        "7",
        "--phases",
        "examples,coverage,fuzzing",
        "--suppress-health-check",
        "all",
    ]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    run = subprocess.run(
        args, capture_output=True, text=True, timeout=1200, check=False, cwd=tmp_path
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    # Check it really exercised every operation rather than stopping early.
    tested = re.search(r"Tested: (\d+)", report)
    cases = re.search(r"(\d+) generated, (\d+) passed", report)
    assert tested and cases, report[-2000:]
    assert int(tested.group(1)) >= 35
    assert int(cases.group(1)) == int(cases.group(2)) >= 300
