"""The issue's "done when": a stretch of a group's life, through the services and at
least one page, API call or command per stage, with the ledger balanced at every step.

Bill (API) -> pay by 820 with a difference (CLI) -> reconciled (API summary) -> next
bill (CLI) -> apply suspense (page) -> refund a retroactive termination (API reversal,
NACHA export) -> pay by check (API) -> go delinquent and lapse (CLI) -> cancelled ->
reinstated on the back premium (API payment, page)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from payerdesk.billing.models import Account, Delinquency, JournalLine, ListBill, Refund, Variance
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services import delinquency
from payerdesk.groups import selectors as group_selectors
from payerdesk.groups.models import Member
from payerdesk.groups.services.terminations import member_terminate
from tests.billing.support import x820

JAN, FEB, MAR, APR, MAY = (date(2026, m, 1) for m in (1, 2, 3, 4, 5))


@pytest.fixture
def clock(monkeypatch):
    now = {"today": date(2025, 12, 20)}
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: now["today"])
    return now


def balanced(group) -> dict[str, Decimal]:
    """Debits equal credits, every entry and overall; member receivables add up to the
    group's; returns the balances by account."""
    rows = listbill_selectors.trial_balance(group)
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
    entries = JournalLine.objects.filter(group=group).values_list("entry_id", flat=True)
    for entry_id in entries.distinct():
        lines = JournalLine.objects.filter(entry_id=entry_id)
        assert sum(x.debit for x in lines) == sum(x.credit for x in lines)
    receivable = listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=group)
    unassigned = JournalLine.objects.filter(
        group=group, account=Account.PREMIUM_RECEIVABLE, member__isnull=True
    ).count()
    by_member = sum(listbill_selectors.member_balances(group).values(), Decimal(0))
    assert unassigned == 0 and by_member == receivable
    return {account: listbill_selectors.balance(account, group=group) for account in Account.values}


def test_a_month_of_a_group(
    users, group, make_member, cover, accident, api_client, client_for, tmp_path, clock,
    mailoutbox, django_capture_on_commit_callbacks,
):  # fmt: skip
    admin, api = users["groupadmin"], api_client("groupadmin")
    one, two, three = make_member("M1"), make_member("M2"), make_member("M3")
    cover(one, accident)
    cover(two, accident, tier="FAM")
    cover(three, accident)
    schedule = api.put(
        "/api/billing/groups/G2001/schedule",
        {"mode": "monthly", "first_period_start": "2026-01-01",
         "refund_routing_number": "021000021", "refund_account_number": "55501234"},
        content_type="application/json",
    )  # fmt: skip
    assert schedule.status_code == 200

    # 1. January is billed (API): 12.40 + 33.65 + 12.40.
    made = api.post("/api/list-bills", {"group": "G2001", "period": "2026-01-01"},
                    content_type="application/json")  # fmt: skip
    assert made.status_code == 201 and made.json()["bill"]["total"] == "58.45"
    assert balanced(group)[Account.PREMIUM_RECEIVABLE] == Decimal("58.45")

    # 2. The employer pays by 820 (CLI): every member, and 12.40 for "M9", a member we
    # do not know; the difference waits in suspense with a work item.
    clock["today"] = date(2026, 1, 5)
    path = tmp_path / "jan.820"
    path.write_bytes(x820([("M1", "12.40", "20260101"), ("M2", "33.65", "20260101"),
                           ("M3", "12.40", "20260101"), ("M9", "12.40", "20260101")]))  # fmt: skip
    call_command("import_820", str(path), "--group", "G2001")
    now = balanced(group)
    assert now[Account.CASH] == Decimal("70.85") and now[Account.SUSPENSE] == Decimal("12.40")
    assert now[Account.PREMIUM_RECEIVABLE] == Decimal("0.00")
    [held] = Variance.objects.filter(status="suspense")
    assert held.kind == "unknown_member" and held.work_item_id is not None
    call_command("import_820", str(path), "--group", "G2001")  # the same file: nothing
    assert balanced(group) == now

    # 3. Reconciled, member by member (API summary).
    summary = api.get("/api/reconciliation/G2001").json()
    assert [(r["billed"], r["paid"]) for r in summary if r["period_start"] == "2026-01-01"] == [
        ("58.45", "58.45")
    ]

    # 4. February is billed (CLI).
    clock["today"] = date(2026, 1, 20)
    call_command("generate_list_bills", "--group", "G2001", "--period", "2026-02-01")
    assert balanced(group)[Account.PREMIUM_RECEIVABLE] == Decimal("58.45")

    # 5. "M9" was M3's February: the administrator applies the suspense (page).
    page = client_for(admin).post(
        reverse("billing:variance-resolve", args=[held.pk]),
        {"action": "apply", "member": "M3", "period_start": "2026-02-01"},
    )
    assert page.status_code == 302
    now = balanced(group)
    assert now[Account.SUSPENSE] == Decimal("0.00")
    assert listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, member=three, period=FEB) == 0

    # 6. M3 left at the end of January (retroactive): February is reversed and, as it
    # was paid, refunded (API), then paid out by ACH (NACHA export, API).
    clock["today"] = date(2026, 2, 10)
    member_terminate(actor=admin, member=three, termination_date=date(2026, 1, 31),
                     reason="employment_ended")  # fmt: skip
    reversal = api.post(
        "/api/reversals", {"member": "M3", "group": "G2001", "since": "2026-02-01",
                           "reason": "Left 01/31"}, content_type="application/json",
    )  # fmt: skip
    assert reversal.status_code == 200 and reversal.json()["reversed"] == "12.40"
    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (Decimal("12.40"), "approved")
    assert balanced(group)[Account.REFUNDS_PAYABLE] == Decimal("12.40")
    ach = api.post("/api/refunds/export?format=nacha")
    assert ach.status_code == 200 and ach["X-Refunds"] == "1"
    assert b"000000001240" in ach.content
    now = balanced(group)
    assert now[Account.REFUNDS_PAYABLE] == Decimal("0.00")
    assert now[Account.CASH] == Decimal("58.45")
    assert now[Account.PREMIUM_RECEIVABLE] == Decimal("46.05")  # February: M1 and M2

    # 7. February paid by check against its bill (API); March billed and not paid.
    paid = api.post(
        "/api/remittances/payments", {"group": "G2001", "amount": "46.05",
                                      "payment_date": "2026-02-12", "method": "check",
                                      "reference": "CHK 1001", "bill_period": "2026-02-01"},
        content_type="application/json",
    )  # fmt: skip
    assert paid.status_code == 200, paid.content
    assert balanced(group)[Account.PREMIUM_RECEIVABLE] == Decimal("0.00")
    clock["today"] = date(2026, 2, 20)
    call_command("generate_list_bills", "--group", "G2001", "--period", "2026-03-01")
    march = ListBill.objects.get(group=group, period_start=MAR)
    assert march.total == Decimal("46.05")

    # 8. Nothing comes for March: the group lapses the day after its grace (CLI).
    clock["today"] = date(2026, 4, 2)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("review_delinquency", "--group", "G2001", "--today", "2026-04-01")
        assert not Delinquency.objects.exists()
        call_command("review_delinquency", "--group", "G2001", "--today", "2026-04-02")
    case = Delinquency.objects.get()
    group.refresh_from_db()
    assert (group.status, case.stage, case.paid_through) == ("lapsed", "lapsed", date(2026, 2, 28))
    assert mailoutbox[-1].to == ["payroll@acme.example"]
    assert balanced(group)[Account.PREMIUM_RECEIVABLE] == Decimal("46.05")

    # 9. Still unpaid a month on: cancelled for non-payment, coverage ended 02/28.
    clock["today"] = date(2026, 5, 2)
    assert delinquency.delinquency_review(today=date(2026, 5, 2), group=group).cancelled == [
        "G2001"
    ]
    group.refresh_from_db()
    assert group.status == "cancelled"
    assert group_selectors.coverage_as_of(member=one, on=MAR) == []
    assert balanced(group)[Account.PREMIUM_RECEIVABLE] == Decimal("46.05")

    # 10. The back premium comes (API): reinstated from 03/01 without a gap, the missed
    # April and May billed; the delinquency page says so.
    clock["today"] = date(2026, 5, 6)
    back = api.post(
        "/api/remittances/payments", {"group": "G2001", "amount": "46.05",
                                      "payment_date": "2026-05-06", "method": "ach",
                                      "reference": "TRACE 77", "bill_period": "2026-03-01"},
        content_type="application/json",
    )  # fmt: skip
    assert back.status_code == 200
    # Paid to a cancelled group, it waits in suspense until the administrator applies
    # it (API), member by member, to March.
    waiting = Variance.objects.filter(status="suspense", kind="group_cancelled")
    assert balanced(group)[Account.SUSPENSE] == Decimal("46.05") and waiting.count() == 2
    for variance in waiting.select_related("member"):
        assert variance.member is not None
        applied = api.post(
            f"/api/variances/{variance.pk}/resolve",
            {"action": "apply", "member": variance.member.member_id, "period_start": "2026-03-01"},
            content_type="application/json",
        )
        assert applied.status_code == 200, applied.content
    assert balanced(group)[Account.SUSPENSE] == Decimal("0.00")
    assert delinquency.delinquency_review(today=date(2026, 5, 6), group=group).reinstated == [
        "G2001"
    ]
    group.refresh_from_db()
    assert group.status == "active"
    for member in Member.objects.filter(pk__in=[one.pk, two.pk]):
        assert group_selectors.coverage_as_of(member=member, on=MAR)
    assert not group_selectors.coverage_as_of(member=three, on=MAR)
    assert sorted(
        ListBill.objects.filter(group=group, period_start__gte=APR).values_list("period_start",
                                                                               "total")
    ) == [(APR, Decimal("46.05")), (MAY, Decimal("46.05"))]  # fmt: skip
    now = balanced(group)
    assert now[Account.PREMIUM_RECEIVABLE] == Decimal("92.10")  # April and May, due now
    assert now[Account.CASH] == Decimal("150.55")
    case.refresh_from_db()
    assert case.stage == "reinstated" and case.work_item.closed_at is not None
    page = client_for(admin).get(reverse("billing:delinquency", args=[case.pk]))
    assert page.status_code == 200 and b"Reinstated" in page.content
