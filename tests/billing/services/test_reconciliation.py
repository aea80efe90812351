"""Receiving remittances and reconciling them member by member and period by period."""

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from payerdesk.billing.models import (
    Account,
    BillingSchedule,
    JournalEntry,
    ListBill,
    Remittance,
    RemittanceLine,
    Variance,
)
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services.remittances import payment_record, remittance_file_receive
from payerdesk.core.errors import InvalidInput, NotPermitted
from payerdesk.core.models import WorkItem
from payerdesk.groups.models import Coverage
from tests.billing.support import bill, csv_bytes, x820

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
D = Decimal


@pytest.fixture
def setup(group, make_member, cover, accident):
    BillingSchedule.objects.create(group=group, first_period_start=JAN, tolerance=D("0.50"))
    members = {}
    for ref in "ABCDEFGH":
        members[ref] = make_member(f"M{ref}")
        cover(members[ref], accident)
    Coverage.objects.filter(member=members["E"]).update(
        start_date=date(2025, 6, 1), end_date=date(2025, 12, 31)
    )
    jan = bill(group, JAN, {members[r]: "100.00" for r in "ABCDFH"})
    return group, members, jan


def test_an_820_is_reconciled_into_every_class_of_variance(setup, users):
    group, members, jan = setup
    content = x820([
        ("MA", "100.00", "20260101"),  # paid as billed
        ("MB", "60.00", "20260101"),  # short paid
        ("MC", "150.00", "20260101"),  # over paid: 50 to suspense
        # MD billed, not paid
        ("MX", "30.00", "20260101"),  # unknown member
        ("ME", "40.00", "20260101"),  # coverage ended last year
        ("MF", "100.00", "20260201"),  # billed for January, paid for February
        ("MG", "25.00", "20260101"),  # covered, never billed
        ("MH", "99.70", "20260101"),  # within the 0.50 tolerance
    ])  # fmt: skip
    result = remittance_file_receive(actor=users["groupadmin"], name="jan.820", content=content)
    kinds = {(v.member_ref, v.kind, v.status, v.held) for v in Variance.objects.all()}
    assert kinds == {
        ("MB", "short_paid", "open", D("0.00")),
        ("MC", "over_paid", "suspense", D("50.00")),
        ("MD", "billed_not_paid", "open", D("0.00")),
        ("MX", "unknown_member", "suspense", D("30.00")),
        ("ME", "terminated_member", "suspense", D("40.00")),
        ("MF", "period_mismatch", "suspense", D("100.00")),
        ("MF", "billed_not_paid", "open", D("0.00")),  # and January is still due
        ("MG", "paid_not_billed", "suspense", D("25.00")),
        ("MH", "short_paid", "applied", D("0.00")),
    }
    assert result.held == D("245.00") == listbill_selectors.balance(Account.SUSPENSE, group=group)
    assert result.written_off == D("0.30")
    assert listbill_selectors.balance(Account.CASH, group=group) == D("604.70")
    balances = listbill_selectors.member_period_balances(group)
    assert balances[(members["A"].pk, JAN)] == 0 == balances[(members["H"].pk, JAN)]
    assert balances[(members["B"].pk, JAN)] == D("40.00")
    assert balances[(members["D"].pk, JAN)] == D("100.00")
    jan.refresh_from_db()
    assert jan.status == "partially_paid"
    item = WorkItem.objects.get(kind="premium-suspense")
    assert item.queue.slug == "group-administration"
    assert item.kind_spec.record_url(item) == f"/billing/remittances/{result.remittance.pk}/"
    assert RemittanceLine.objects.count() == 8
    assert all(e.lines.count() for e in JournalEntry.objects.all())
    _assert_balanced(group)


def _assert_balanced(group):
    rows = listbill_selectors.trial_balance(group)
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)


def test_the_same_file_twice_changes_nothing_and_says_so(setup, users):
    content = x820([("MA", "100.00", "20260101")])
    remittance_file_receive(actor=users["groupadmin"], name="a.820", content=content)
    entries = JournalEntry.objects.count()
    again = remittance_file_receive(actor=users["groupadmin"], name="a.820", content=content)
    assert again.already_received and "nothing changed" in again.summary()
    assert (Remittance.objects.count(), JournalEntry.objects.count()) == (1, entries)


def test_paid_in_full_makes_the_bill_reconciled(setup, users):
    _group, _members, jan = setup
    lines = [(f"M{r}", "100.00", "20260101") for r in "ABCDFH"]
    remittance_file_receive(actor=users["groupadmin"], name="j.820", content=x820(lines))
    jan.refresh_from_db()
    assert jan.status == "reconciled"
    assert not Variance.objects.exists()


def test_an_820_whose_total_differs_posts_nothing(setup, users):
    content = x820([("MA", "100.00", "20260101")]).replace(b"BPR*C*100.00", b"BPR*C*90.00")
    with pytest.raises(InvalidInput) as refused:
        remittance_file_receive(actor=users["groupadmin"], name="bad.820", content=content)
    assert "BPR02 total 90.00 does not equal the sum of the 1 RMR04 amount(s) 100.00" in str(
        refused.value.message
    )
    assert "differs by -10.00" in refused.value.message
    assert not Remittance.objects.exists() and JournalEntry.objects.count() == 1


def test_a_csv_with_a_bad_amount_on_row_4312_posts_nothing(setup, users):
    rows = [("MA", "1.00", "2026-01", "") for _ in range(4320)]
    rows[4310] = ("MA", "l2.50", "2026-01", "")  # row 4312: the header is row 1
    with pytest.raises(InvalidInput) as refused:
        remittance_file_receive(actor=users["groupadmin"], name="b.csv", content=csv_bytes(rows))
    assert "row 4312, column amount: 'l2.50' is not an amount" in refused.value.message
    assert not Remittance.objects.exists() and not RemittanceLine.objects.exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("MA", "-5.00", "2026-01", "")], "row 2, column amount: -5.00 is negative"),
        ([("", "5.00", "2026-01", "")], "row 2, column member id: empty"),
        ([("MA", "5.00", "Jan", "")], "row 2, column period: 'Jan' is not a date"),
    ],
)
def test_bad_rows_are_named_by_row_and_column(setup, users, rows, message):
    with pytest.raises(InvalidInput, match=message):
        remittance_file_receive(actor=users["groupadmin"], name="b.csv", content=csv_bytes(rows))
    assert not Remittance.objects.exists()


def test_a_csv_without_the_amount_column_is_refused(setup, users):
    with pytest.raises(InvalidInput, match="row 1: the header names no amount column"):
        remittance_file_receive(
            actor=users["groupadmin"], name="b.csv", content=b"member id,paid to\nMA,1\n"
        )


def test_a_returned_list_bill_in_excel_for_the_chosen_bill(setup, users):
    group, members, _jan = setup
    book = Workbook()
    sheet = book.active
    sheet.append(["Member ID", "Amount", "Change notes"])
    sheet.append(["MA", 100, ""])
    sheet.append(["MB", 100.0, ""])
    sheet.append(["MF", -20, "terminated 2025-12-31"])  # a credit with its note
    buffer = io.BytesIO()
    book.save(buffer)
    result = remittance_file_receive(
        actor=users["groupadmin"], name="back.xlsx", content=buffer.getvalue(), group=group,
        period=JAN,
    )  # fmt: skip
    assert result.remittance.source == "excel" and result.remittance.total == D("180.00")
    assert result.by_kind["short_paid"] == 0
    balances = listbill_selectors.member_period_balances(group)
    assert balances[(members["A"].pk, JAN)] == 0
    _assert_balanced(group)


def test_a_sheet_needs_its_group_and_lines_without_a_period_a_chosen_bill(setup, users):
    group = setup[0]
    content = csv_bytes([("MA", "100.00")], header="member id,amount")
    with pytest.raises(InvalidInput, match="Say which group the payment is for"):
        remittance_file_receive(actor=users["groupadmin"], name="b.csv", content=content)
    with pytest.raises(InvalidInput, match="row 2: no period on the line and no list bill"):
        remittance_file_receive(
            actor=users["groupadmin"], name="b.csv", content=content, group=group
        )


def test_a_keyed_payment_of_the_open_bill_is_applied_member_by_member(setup, users):
    group, _members, jan = setup
    result = payment_record(
        actor=users["groupadmin"], group=group, amount=D("600.00"), payment_date=JAN,
        method="check", reference="CHK 1001", bill=jan,
    )  # fmt: skip
    assert result.applied == D("600.00") and result.held == 0
    jan.refresh_from_db()
    assert jan.status == "reconciled"


def test_a_keyed_payment_of_another_amount_waits_in_suspense(setup, users):
    group, _members, jan = setup
    result = payment_record(
        actor=users["groupadmin"], group=group, amount=D("550.00"), payment_date=JAN,
        method="ach", reference="ACH 77", bill=jan,
    )  # fmt: skip
    [variance] = Variance.objects.all()
    assert (variance.kind, variance.held, variance.billed) == ("short_paid", D("550.00"), D("600"))
    assert result.held == listbill_selectors.balance(Account.SUSPENSE, group=group)


@pytest.mark.parametrize(
    ("amount", "method", "reference", "field"),
    [
        ("-10.00", "check", "1", "amount"),
        ("0", "check", "1", "amount"),
        ("10.001", "check", "1", "amount"),
        ("10.00", "wire", "1", "method"),
        ("10.00", "check", " ", "reference"),
    ],
)
def test_bad_keyed_payments_are_refused(setup, users, amount, method, reference, field):
    group, _, _ = setup
    with pytest.raises(InvalidInput) as refused:
        payment_record(
            actor=users["groupadmin"], group=group, amount=D(amount), payment_date=JAN,
            method=method, reference=reference,
        )  # fmt: skip
    assert refused.value.field == field
    assert not Remittance.objects.exists()


def test_a_payment_for_a_cancelled_group_is_held_whole(setup, users):
    group, _, _ = setup
    group.status = "cancelled"
    group.save()
    result = remittance_file_receive(
        actor=users["groupadmin"], name="c.820", content=x820([("MA", "100.00", "20260101")])
    )
    [variance] = Variance.objects.all()
    assert (variance.kind, variance.held) == ("group_cancelled", D("100.00"))
    assert result.held == listbill_selectors.balance(Account.SUSPENSE, group=group)


def test_roles_without_billing_cannot_post_payments(setup, users):
    with pytest.raises(NotPermitted):
        remittance_file_receive(
            actor=users["rep"], name="a.820", content=x820([("MA", "100.00", "20260101")])
        )
    with pytest.raises(NotPermitted):  # a group admin of another market
        remittance_file_receive(
            actor=users["salesadmin"], name="a.820", content=x820([("MA", "1.00", "20260101")])
        )
    assert not Remittance.objects.exists() and ListBill.objects.count() == 1


def test_a_payment_for_a_coverage_cancelled_before_it_began_is_a_terminated_member(
    setup, make_member, cover, accident, users
):
    """A cancelled coverage (stored ending on its start date) was never in force: the
    member was not covered on that day, so what is paid for them is not "paid, not
    billed" but a payment for a terminated member."""
    cancelled = make_member("MK")
    cover(cancelled, accident)
    Coverage.objects.filter(member=cancelled).update(status="cancelled", end_date=JAN)
    remittance_file_receive(
        actor=users["groupadmin"], name="k.820", content=x820([("MK", "12.40", "20260101")])
    )
    found = Variance.objects.get(member_ref="MK")
    assert (found.kind, found.status, found.held) == ("terminated_member", "suspense", D("12.40"))
