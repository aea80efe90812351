"""The premium ledger's group and member references are database foreign keys; list
bill lines carry none (a large bill would lock every row it names at commit), so a
command reports the lines whose member or coverage is gone."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Model

from payerdesk.billing.models import JournalLine, ListBill, ListBillLine


def _foreign_keys(model: type[Model]) -> dict[str, str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        spec["columns"][0]: spec["foreign_key"][0] for spec in found.values() if spec["foreign_key"]
    }


@pytest.mark.django_db
def test_journal_lines_reference_groups_and_members_by_foreign_key():
    keys = _foreign_keys(JournalLine)
    assert keys["group_id"] == "groups_employergroup"
    assert keys["member_id"] == "groups_member"


@pytest.fixture
def bill_line(group, accident, make_member, cover) -> ListBillLine:
    coverage = cover(make_member("100200300"), accident)
    bill = ListBill.objects.create(
        group=group, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31),
        bill_date=date(2025, 12, 15), due_date=date(2026, 1, 1), total=Decimal("12.40"),
    )  # fmt: skip
    return ListBillLine.objects.create(
        bill=bill, member=coverage.member, coverage=coverage, period_start=bill.period_start,
        period_end=bill.period_end, kind="premium", amount=Decimal("12.40"),
    )  # fmt: skip


def test_the_check_passes_when_every_line_has_its_rows(bill_line, capsys):
    call_command("check_list_bill_lines")
    assert "Every list bill line" in capsys.readouterr().out


def test_the_check_finds_a_line_whose_member_is_gone(bill_line, capsys):
    gone = ListBillLine.objects.create(
        bill=bill_line.bill, member_id=bill_line.member_id + 1000,
        coverage_id=bill_line.coverage_id, period_start=bill_line.period_start,
        period_end=bill_line.period_end, kind="premium", amount=Decimal("1.00"),
    )  # fmt: skip
    with pytest.raises(CommandError, match="1 list bill line"):
        call_command("check_list_bill_lines")
    out = capsys.readouterr().out
    assert f"line {gone.pk} " in out and f"line {bill_line.pk} " not in out
