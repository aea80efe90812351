"""Money: `Decimal` amounts to the cent, rounded half-up. The one rule every module uses
(the `edi` library keeps its own, as it imports nothing of the project)."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(amount: Decimal) -> Decimal:
    """`amount` rounded half-up to the cent (Decimal's default context rounds half-even)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def is_cents(amount: Decimal) -> bool:
    """Whether a finite `amount` has nothing below the cent."""
    return amount == amount.quantize(CENT)
