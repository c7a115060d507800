"""The benchmark report: each section is filed under the heading its module writes, so a
section that fails in a run replaces that module's own section, not another's."""

from __future__ import annotations

import inspect

from ops.bench.__main__ import HEADINGS, MODULES


def test_each_module_is_filed_under_its_own_heading() -> None:
    assert set(HEADINGS) == set(MODULES)
    for name, module in MODULES.items():
        # Check the module's own section begins with the heading it is filed under.
        assert f'"{HEADINGS[name]}' in inspect.getsource(module.section), name
