"""Groups' codes in people's words: tiers, insurance lines, 834 maintenance types."""

from collections.abc import Iterable

from django import template

from payerdesk.edi.x834 import MAINTENANCE_TYPES
from payerdesk.groups.models import Tier

register = template.Library()

# X12 HD03 insurance line codes the products use (the 834 guide's list, and LIF for life).
INSURANCE_LINES = {
    "AG": "preventive care and wellness",
    "AH": "accident and health",
    "DEN": "dental",
    "HLT": "health",
    "LIF": "life",
    "LTC": "long-term care",
    "LTD": "long-term disability",
    "MM": "major medical",
    "PDG": "prescription drug",
    "STD": "short-term disability",
    "VIS": "vision",
}


def _with_meaning(code: str, meanings: dict[str, str]) -> str:
    meaning = meanings.get(code)
    return f"{code} ({meaning})" if meaning else code


@register.filter
def insurance_line(code: str) -> str:
    """ "AH" as "AH (accident and health)"."""
    return _with_meaning(code, INSURANCE_LINES)


@register.filter
def maintenance_type(code: str) -> str:
    """An 834 INS03 code with its meaning: "021 (add)"."""
    return _with_meaning(code, MAINTENANCE_TYPES)


@register.filter
def tier_labels(codes: Iterable[str]) -> str:
    """A plan's tier codes as their names, in the order given."""
    known = dict(Tier.choices)
    return ", ".join(str(known.get(code, code)) for code in codes)
