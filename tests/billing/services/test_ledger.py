"""The premium ledger: balanced entries only, append-only, balances derived from lines."""

from datetime import date
from decimal import Decimal

import pytest

from payerdesk.billing.models import Account, JournalEntry, JournalLine
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services.ledger import Line, journal_post, journal_reverse
from payerdesk.core.errors import Conflict, InvalidInput

R, CASH, INCOME = Account.PREMIUM_RECEIVABLE, Account.CASH, Account.PREMIUM_INCOME
JAN = date(2026, 1, 1)


def bill(group, member, amount: str) -> JournalEntry:
    return journal_post(
        group=group,
        memo="January premium",
        source="list_bill",
        source_id="1",
        lines=[
            Line(R, debit=Decimal(amount), member_id=member.pk, period_start=JAN),
            Line(INCOME, credit=Decimal(amount)),
        ],
    )


def test_a_bill_and_a_payment_leave_the_member_balance_billed_minus_paid(group, make_member):
    member = make_member("M1")
    bill(group, member, "12.40")
    journal_post(
        group=group, memo="check 1001", source="payment", source_id="p1",
        lines=[Line(CASH, debit=Decimal("10.00")),
               Line(R, credit=Decimal("10.00"), member_id=member.pk, period_start=JAN)],
    )  # fmt: skip
    assert listbill_selectors.balance(R, group=group, member=member) == Decimal("2.40")
    assert listbill_selectors.balance(R, group=group, period=JAN) == Decimal("2.40")
    assert listbill_selectors.balance(CASH) == Decimal("10.00")
    assert listbill_selectors.balance(INCOME, group=group) == Decimal("12.40")
    assert listbill_selectors.member_balances(group) == {member.pk: Decimal("2.40")}


@pytest.mark.parametrize(
    ("lines", "field", "says"),
    [
        ([], "lines", "needs lines"),
        ([Line(R, debit=Decimal("5")), Line(INCOME, credit=Decimal("4"))], "lines", "Unbalanced"),
        ([Line(R, debit=Decimal("-5")), Line(INCOME, debit=Decimal("5"))], "lines[0]", "negative"),
        ([Line("", debit=Decimal("5")), Line(INCOME, credit=Decimal("5"))], "lines[0]", "no acc"),
        ([Line(R, debit=Decimal("5")), Line("bank", credit=Decimal("5"))], "lines[1]", "unknown"),
        ([Line(R), Line(INCOME)], "lines[0]", "above zero"),
        ([Line(R, debit=Decimal("1"), credit=Decimal("1"))], "lines[0]", "not both"),
        ([Line(R, debit=Decimal("0.005")), Line(INCOME, credit=Decimal("0.005"))], "lines[0]",
         "whole cents"),
    ],
)  # fmt: skip
def test_a_bad_entry_is_refused_whole(group, lines, field, says):
    with pytest.raises(InvalidInput, match=says) as refused:
        journal_post(group=group, lines=lines, memo="bad", source="test")
    assert refused.value.field == field
    assert not JournalEntry.objects.exists() and not JournalLine.objects.exists()


def test_entries_and_lines_are_append_only(group, make_member):
    entry = bill(group, make_member("M1"), "12.40")
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        JournalLine.objects.filter(entry=entry).update(debit=Decimal("1"))
    with pytest.raises(ValueError, match="append-only"):
        entry.lines.all()[0].delete()


def test_a_reversal_mirrors_the_entry_once(group, make_member):
    member = make_member("M1")
    entry = bill(group, member, "12.40")
    reversal = journal_reverse(entry=entry, memo="billed in error")
    assert reversal.reverses == entry and reversal.source_id == entry.source_id
    assert listbill_selectors.balance(R, group=group, member=member) == Decimal("0.00")
    assert listbill_selectors.balance(INCOME) == Decimal("0.00")
    with pytest.raises(Conflict, match="already reversed"):
        journal_reverse(entry=entry, memo="again")
