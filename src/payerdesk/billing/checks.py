"""Start-up checks of billing's settings (`manage.py check`, and before every command that
serves or migrates): a wrong value is reported when the process starts, not at the first
refund or the first ACH export."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error

from payerdesk.billing.formats import nacha

ACH_SETTINGS = (
    "BILLING_ACH_ODFI_ROUTING",
    "BILLING_ACH_ODFI_NAME",
    "BILLING_ACH_COMPANY_NAME",
    "BILLING_ACH_COMPANY_ID",
)


def refund_approval_limit(value: object) -> Decimal:
    """BILLING_REFUND_APPROVAL_LIMIT as dollars; ValueError says what is wrong with it."""
    try:
        limit = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number of dollars") from None
    if not limit.is_finite() or limit < 0 or limit.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"{value!r} is not a non-negative amount in whole cents")
    return limit


def check_refund_approval_limit(**_: Any) -> list[CheckMessage]:
    try:
        refund_approval_limit(settings.BILLING_REFUND_APPROVAL_LIMIT)
    except ValueError as error:
        return [
            Error(
                f"BILLING_REFUND_APPROVAL_LIMIT: {error}.",
                hint="Set it to the dollars above which a refund needs a second approver, "
                'e.g. "500.00".',
                id="billing.E001",
            )
        ]
    return []


def check_ach_origin(**_: Any) -> list[CheckMessage]:
    """Unset, ACH export is off (it says so when asked); set, it must be complete and valid."""
    values = {name: getattr(settings, name, "") for name in ACH_SETTINGS}
    if not any(values.values()):
        return []
    missing = [name for name, value in values.items() if not value]
    origin = nacha.Origin(
        odfi_routing=values["BILLING_ACH_ODFI_ROUTING"],
        odfi_name=values["BILLING_ACH_ODFI_NAME"],
        company_name=values["BILLING_ACH_COMPANY_NAME"],
        company_id=values["BILLING_ACH_COMPANY_ID"],
    )
    problems = [f"{', '.join(missing)} not set"] if missing else []
    problems += origin.problems()
    if not problems:
        return []
    return [
        Error(
            f"The BILLING_ACH_* settings are incomplete or wrong: {'; '.join(problems)}",
            hint="Set all four as your bank gave them, or none to turn ACH refunds off.",
            id="billing.E002",
        )
    ]
