"""Receiving remittances: an 820, a returned list bill (CSV or Excel), or a payment keyed
by hand. Each is read and checked whole first; then, in one transaction, it is stored,
reconciled and posted. A file with any error posts nothing. The same file twice (same
ISA13 and SHA-256, or the same sheet) changes nothing and says so.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from payerdesk.billing import bulk
from payerdesk.billing.formats import remittance_files
from payerdesk.billing.formats.remittance_files import PaidLine, SheetError
from payerdesk.billing.models import (
    ListBill,
    PaymentMethod,
    Remittance,
    RemittanceLine,
    RemittanceSource,
    Variance,
    VarianceStatus,
)
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services import reconciliation, suspense
from payerdesk.billing.services.status import list_bills_refresh
from payerdesk.core.errors import ErrorCode, InvalidInput, NotPermitted
from payerdesk.core.models import User
from payerdesk.core.money import ZERO, is_cents
from payerdesk.core.permissions import require_market_permission
from payerdesk.core.roles import Role, has_role
from payerdesk.edi import Remittance as Remittance820
from payerdesk.edi import X12Error
from payerdesk.groups import selectors as group_selectors

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup

PERMISSION = "billing.add_remittance"


@dataclass
class RemittanceResult:
    remittance: Remittance
    already_received: bool = False
    lines: int = 0
    applied: Decimal = ZERO
    written_off: Decimal = ZERO
    held: Decimal = ZERO
    by_kind: Counter[str] = field(default_factory=Counter)
    work_item_id: int | None = None

    def summary(self) -> str:
        if self.already_received:
            return f"already received as remittance {self.remittance.pk}: nothing changed"
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.by_kind.items()))
        return (
            f"remittance {self.remittance.pk}: {self.lines} line(s), total "
            f"{self.remittance.total}, applied {self.applied}, written off "
            f"{self.written_off}, in suspense {self.held}; variances: {kinds or 'none'}"
        )


def _invalid(message: str, where: str = "file") -> InvalidInput:
    return InvalidInput(ErrorCode.INVALID, message, field=where)


def _authorise(actor: User | None, group: EmployerGroup) -> None:
    if actor is not None:
        if not actor.has_perm(PERMISSION):
            raise NotPermitted("Your role does not receive premium payments.")
        require_market_permission(actor, PERMISSION, group.market)


def _group_for(group: EmployerGroup | None, remittance: Remittance820 | None) -> EmployerGroup:
    if group is not None:
        return group
    policy = remittance.headers[0].master_policy if remittance else ""
    found = group_selectors.group_by_number(policy) if policy else None
    if found is None:
        raise _invalid(
            "Say which group the payment is for (REF*38 names no group we know).", "group"
        )
    return found


def _with_period(lines: list[PaidLine], period: date | None) -> list[PaidLine]:
    """Lines without a period are for the bill the upload names."""
    missing = [line for line in lines if line.period_start is None]
    if missing and period is None:
        raise _invalid(
            f"row {missing[0].position}: no period on the line and no list bill chosen", "period"
        )
    return [
        PaidLine(line.position, line.member_ref, period, line.paid, note=line.note)
        if line.period_start is None
        else line
        for line in lines
    ]


def remittance_portal_upload(
    *, actor: User, group: EmployerGroup, name: str, content: bytes, period: date | None = None
) -> RemittanceResult:
    """An employer group administrator sends back their own group's list bill (CSV or
    Excel) from the portal: read, reconciled and posted like any remittance, whole or
    not at all; the same file twice changes nothing."""
    if not has_role(actor, Role.EMPLOYER) or not group_selectors.is_portal_user(
        user=actor, group=group
    ):
        raise NotPermitted("You may send remittances only for your own group.")
    if remittance_files.kind_of(name, content) == "820":
        raise _invalid(f"{name}: send an 820 through your EDI channel; here, the list bill.")
    return _receive(actor, name, content, group, period)


def remittance_file_receive(
    *,
    actor: User | None,
    name: str,
    content: bytes,
    group: EmployerGroup | None = None,
    period: date | None = None,
) -> RemittanceResult:
    """Read an 820, CSV or Excel remittance, then store, reconcile and post it, whole."""
    return _receive(actor, name, content, group, period, staff=True)


def _receive(
    actor: User | None,
    name: str,
    content: bytes,
    group: EmployerGroup | None,
    period: date | None,
    *,
    staff: bool = False,
) -> RemittanceResult:
    kind = remittance_files.kind_of(name, content)
    x820: Remittance820 | None = None
    try:
        if kind == "820":
            x820 = remittance_files.read_820_bytes(content)
            lines = remittance_files.lines_from_820(x820)
        else:
            sheet = (
                remittance_files.read_csv(content)
                if kind == "csv"
                else remittance_files.read_excel(content)
            )
            lines = sheet.lines
    except (X12Error, SheetError) as error:
        raise _invalid(f"{name}: {error}") from None
    group = _group_for(group, x820)
    if staff:
        _authorise(actor, group)
    digest = hashlib.sha256(content).hexdigest()
    control = x820.interchange_control_number if x820 else ""
    source = {"820": RemittanceSource.X12_820, "csv": RemittanceSource.CSV}.get(
        kind, RemittanceSource.EXCEL
    )
    earlier = Remittance.objects.filter(
        source=source, interchange_control_number=control, sha256=digest
    ).first()
    if earlier is not None:
        return RemittanceResult(earlier, already_received=True)
    lines = _with_period(lines, period)
    header = x820.headers[0] if x820 else None
    total = x820.total if x820 else sum((line.paid for line in lines), Decimal(0))
    if total < 0:
        raise _invalid(f"{name}: the lines add up to {total}; a payment cannot be negative")
    remittance = Remittance(
        group=group,
        source=source,
        name=name[:200],
        sha256=digest,
        interchange_control_number=control,
        total=total,
        payment_method=_method_of(header.payment_method if header else ""),
        payment_date=(
            header.payment_date if header and header.payment_date else timezone.localdate()
        ),
        reference=(header.trace_number if header else "")[:80],
        received_by=actor,
    )
    return _post(remittance, lines, content)


def _method_of(bpr04: str) -> str:
    return {"ACH": PaymentMethod.ACH, "CHK": PaymentMethod.CHECK}.get(bpr04, PaymentMethod.OTHER)


def payment_record(
    *,
    actor: User | None,
    group: EmployerGroup,
    amount: Decimal,
    payment_date: date,
    method: str,
    reference: str,
    bill: ListBill | None = None,
) -> RemittanceResult:
    """A check or ACH keyed by hand. With a bill it pays, and for exactly what is open on
    it, it is applied member by member; any other amount waits in suspense."""
    _authorise(actor, group)
    if amount <= 0:
        raise _invalid(f"The amount {amount} must be above zero.", "amount")
    if not is_cents(amount):
        raise _invalid(f"The amount {amount} is not in whole cents.", "amount")
    if method not in {PaymentMethod.CHECK, PaymentMethod.ACH}:
        raise _invalid(f"Payment method {method!r} is not check or ach.", "method")
    if not reference.strip():
        raise _invalid("Give the check number or ACH trace.", "reference")
    if bill is not None and bill.group_id != group.pk:
        raise _invalid(f"List bill {bill.pk} is not a bill of {group.group_number}.", "bill")
    remittance = Remittance(
        group=group,
        source=RemittanceSource.KEYED,
        name=reference.strip()[:200],
        total=amount,
        payment_method=method,
        payment_date=payment_date,
        reference=reference.strip()[:80],
        received_by=actor,
    )
    return _post(remittance, _keyed_lines(group, amount, bill), None)


def _keyed_lines(group: EmployerGroup, amount: Decimal, bill: ListBill | None) -> list[PaidLine]:
    if bill is None:
        return [PaidLine(1, "", None, amount, note="keyed payment, no bill named")]
    due = listbill_selectors.member_period_balances(group)
    refs = {pk: ref for ref, pk in group_selectors.member_ids(group=group).items()}
    owed = {key: value for key, value in due.items() if key[1] == bill.period_start and value > 0}
    if sum(owed.values(), Decimal(0)) != amount:
        return [PaidLine(1, "", bill.period_start, amount, note=f"keyed against bill {bill.pk}")]
    return [
        PaidLine(n, refs[member], period, value)
        for n, ((member, period), value) in enumerate(sorted(owed.items()), start=1)
    ]


def _post(remittance: Remittance, lines: list[PaidLine], content: bytes | None) -> RemittanceResult:
    group = remittance.group
    tolerance = reconciliation.tolerance_of(group)
    with transaction.atomic():
        outcome = reconciliation.reconcile(
            group=group, lines=lines, total=remittance.total, tolerance=tolerance
        )
        if content is not None:
            remittance.content.save(f"{remittance.sha256}.txt", ContentFile(content), save=False)
        remittance.save()
        _store_lines(remittance, lines, outcome.members)
        if outcome.lines:
            bulk.journal_post_many(
                group=group, lines=outcome.lines, memo=f"remittance {remittance.pk}",
                source="remittance", source_id=str(remittance.pk),
                effective_date=remittance.payment_date, created_by=remittance.received_by,
            )  # fmt: skip
        item_id = _variances(remittance, outcome)
        list_bills_refresh(group=group, periods=outcome.periods)
    return RemittanceResult(
        remittance, lines=len(lines), applied=outcome.applied, written_off=outcome.written_off,
        held=outcome.held, by_kind=Counter(found.kind for found in outcome.variances),
        work_item_id=item_id,
    )  # fmt: skip


def _store_lines(remittance: Remittance, lines: list[PaidLine], members: dict[str, int]) -> None:
    bulk.insert_rows(
        RemittanceLine._meta.db_table,
        ("remittance_id", "position", "member_ref", "member_id", "period_start", "period_end",
         "paid", "billed", "note"),
        (
            (remittance.pk, line.position, line.member_ref[:30], members.get(line.member_ref),
             line.period_start or remittance.payment_date, line.period_end, line.paid,
             line.billed, line.note[:200])
            for line in lines
        ),
    )  # fmt: skip


def _variances(remittance: Remittance, outcome: reconciliation.Outcome) -> int | None:
    held = [found for found in outcome.variances if found.status == VarianceStatus.SUSPENSE]
    item = (
        suspense.suspense_item_open(remittance=remittance, count=len(held), held=outcome.held)
        if held
        else None
    )
    bulk.insert_rows(
        Variance._meta.db_table,
        ("remittance_id", "group_id", "member_id", "member_ref", "period_start", "kind",
         "billed", "paid", "held", "status", "reason", "work_item_id"),
        (
            (remittance.pk, remittance.group_id, found.member_id, found.member_ref[:30],
             found.period_start, found.kind, found.billed, found.paid, found.held,
             found.status, "", item.pk if item and found.status == VarianceStatus.SUSPENSE
             else None)
            for found in outcome.variances
        ),
    )  # fmt: skip
    return item.pk if item else None
