"""The edi library stands alone: importing it loads neither Django nor the project."""

import subprocess
import sys


def test_edi_imports_nothing_of_django_or_the_project():
    script = (
        "import sys, payerdesk.edi;"
        "bad = sorted(m for m in sys.modules if m.startswith('django')"
        " or (m.startswith('payerdesk') and m not in ('payerdesk',) and"
        " not m.startswith('payerdesk.edi')));"
        "print(','.join(bad))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
