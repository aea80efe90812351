"""Money rounds half-up to the cent, and that rule is written once."""

import re
from decimal import Decimal
from pathlib import Path

import pytest

from payerdesk.core.money import ZERO, is_cents, to_cents

SRC = Path(__file__).resolve().parents[2] / "src" / "payerdesk"


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("0.125", "0.13"), ("0.135", "0.14"), ("-0.125", "-0.13"), ("2.5", "2.50"), ("1.004", "1.00")],
)
def test_to_cents_rounds_half_up_where_decimal_would_round_half_even(amount, cents):
    assert to_cents(Decimal(amount)) == Decimal(cents)
    assert str(to_cents(Decimal(amount))) == cents


def test_is_cents_refuses_what_lies_below_the_cent():
    assert is_cents(Decimal("12.30")) and is_cents(Decimal("12")) and is_cents(ZERO)
    assert not is_cents(Decimal("12.301"))


def test_no_module_defines_its_own_cent_or_rounding():
    """`edi` imports nothing of the project and keeps its own; every other module calls
    `core.money`."""
    own = re.compile(r'Decimal\("0\.01"\)|ROUND_HALF_(UP|EVEN)')
    found = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
        and path.parent.name != "edi"
        and path.name != "money.py"
        and own.search(path.read_text())
    ]
    assert found == []
