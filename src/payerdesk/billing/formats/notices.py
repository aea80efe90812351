"""The billing documents: the list bill and the lapse notice, as `core.documents`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from payerdesk.billing.models import Delinquency, ListBill
from payerdesk.core.documents import Document, Table

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup

SENDER = "payerdesk premium billing"


def _addressee(group: EmployerGroup) -> list[str]:
    return [group.billing_contact_name, group.legal_name, group.billing_contact_email]


def list_bill_document(bill: ListBill, rows: list[list[str]]) -> Document:
    """`rows` as from `exports.list_bill_rows` (header first)."""
    group = bill.group
    header, *body = rows
    return Document(
        title=f"List bill: {bill.period_start:%m/%d/%Y} to {bill.period_end:%m/%d/%Y}",
        issued_on=bill.bill_date,
        sender=SENDER,
        addressee=_addressee(group),
        reference=f"Group {group.group_number}, bill {bill.pk}",
        blocks=[
            f"Amount due: {bill.total:,} by {bill.due_date:%m/%d/%Y}. Please pay one amount "
            "and mark any changes on the returned list.",
            Table(header=header, rows=body, widths=(2, 3, 2, 2, 1.6, 1.6, 3)),
            f"Total due: {bill.total:,}",
        ],
    )


def lapse_notice(delinquency: Delinquency, *, issued_on: date) -> Document:
    group, bill, member = delinquency.group, delinquency.bill, delinquency.member
    whose = f"member {member.member_id} of group" if member else "group"
    covered = "That member's coverage" if member else "Your group's coverage"
    return Document(
        title="Notice of lapse for non-payment of premium",
        issued_on=issued_on,
        sender=SENDER,
        addressee=_addressee(group),
        reference=f"Group {group.group_number}"
        + (f", member {member.member_id}" if member else ""),
        blocks=[
            f"Premium of {delinquency.amount_due:,} for {whose} {group.group_number} was due "
            f"on {bill.due_date:%m/%d/%Y}, starting with the list bill for "
            f"{bill.period_start:%m/%d/%Y} to {bill.period_end:%m/%d/%Y}, and is unpaid "
            f"after the grace period that ended on {delinquency.grace_ended_on:%m/%d/%Y}.",
            "# What happens next",
            f"{covered} has lapsed. Unless the premium due is paid, coverage "
            f"will be cancelled for non-payment on {delinquency.cancel_on:%m/%d/%Y}, "
            f"effective from the paid-through date of {delinquency.paid_through:%m/%d/%Y}.",
            "Paying the premium due reinstates the coverage from the paid-through date, "
            "without a gap.",
        ],
    )
