"""People's words for stored values: money, yes/no, a code with its meaning."""

from decimal import Decimal

from django import template

from payerdesk.core.money import to_cents

register = template.Library()


@register.filter
def money(value: Decimal | int | None) -> str:
    """An amount of dollars as people write it: "$1,234.50" (half a cent rounds up)."""
    if value is None or value == "":
        return ""
    amount = to_cents(Decimal(value))
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def yes_no(value: object) -> str:
    """True/False as "Yes"/"No" (None stays blank: not answered)."""
    if value is None or value == "":
        return ""
    return "Yes" if value else "No"
