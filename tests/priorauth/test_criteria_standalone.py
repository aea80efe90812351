"""The criteria and FHIR modules stand alone: importing them loads no Django."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module", ["payerdesk.priorauth.criteria.engine", "payerdesk.priorauth.formats.fhir"]
)
def test_pure_modules_import_no_django(module):
    script = (
        f"import sys, {module};"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('django'))))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
