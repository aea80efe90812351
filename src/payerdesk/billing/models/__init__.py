"""Billing's models, one module per feature; Django finds them through this package.

`payerdesk.billing.models` is the import path for every billing model.
"""

from payerdesk.billing.models.delinquency import Delinquency, DelinquencyStage
from payerdesk.billing.models.ledger import Account, JournalEntry, JournalLine
from payerdesk.billing.models.listbills import (
    BillingMode,
    BillingSchedule,
    LineKind,
    ListBill,
    ListBillLine,
    ListBillStatus,
)
from payerdesk.billing.models.remittances import (
    SETTLED,
    PaymentMethod,
    Refund,
    RefundStatus,
    Remittance,
    RemittanceLine,
    RemittanceSource,
    Variance,
    VarianceKind,
    VarianceStatus,
)

__all__ = [
    "SETTLED",
    "Account",
    "BillingMode",
    "BillingSchedule",
    "Delinquency",
    "DelinquencyStage",
    "JournalEntry",
    "JournalLine",
    "LineKind",
    "ListBill",
    "ListBillLine",
    "ListBillStatus",
    "PaymentMethod",
    "Refund",
    "RefundStatus",
    "Remittance",
    "RemittanceLine",
    "RemittanceSource",
    "Variance",
    "VarianceKind",
    "VarianceStatus",
]
