"""`payerdesk generate-list-bills`, `payerdesk review-delinquency` and the jobs."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from payerdesk.billing import tasks
from payerdesk.billing.models import Delinquency, ListBill
from payerdesk.billing.services import listbills

JAN = date(2026, 1, 1)


@pytest.fixture
def scene(group, make_member, cover, accident):
    cover(make_member("M1"), accident)
    listbills.billing_schedule_set(actor=None, group=group, mode="monthly", first_period_start=JAN)
    return group


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_generate_a_period_then_again(scene):
    assert "G2001 2026-01-01..2026-01-31: generated, 1 line(s), total 12.40" in run(
        "generate_list_bills", "--group", "g2001", "--period", "2026-01-20"
    )
    assert ": exists" in run("generate_list_bills", "--period", "2026-01-01")
    assert ListBill.objects.count() == 1


def test_generate_what_is_due(scene):
    assert "No list bills due." in run("generate_list_bills", "--today", "2025-12-01")
    assert "2026-02-01..2026-02-28: generated" in run(
        "generate_list_bills", "--today", "2026-01-20"
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--period", "2026-13-01"), "not a date"),
        (("--group", "NOPE", "--period", "2026-01-01"), "No group 'NOPE'"),
        (("--period", "2025-01-01"), "starts 2026-01-01"),
    ],
)
def test_bad_arguments_are_refused(scene, args, says):
    with pytest.raises(CommandError, match=says):
        run("generate_list_bills", *args)
    assert not ListBill.objects.exists()


def test_review_delinquency_from_the_command_line(scene):
    run("generate_list_bills", "--period", "2026-01-01")
    assert "Lapsed: none" in run("review_delinquency", "--today", "2026-02-01")
    assert "Lapsed: G2001" in run("review_delinquency", "--today", "2026-02-02")
    assert Delinquency.objects.get().stage == "lapsed"
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("review_delinquency", "--today", "soon")


def test_the_jobs_are_idempotent(scene):
    first = tasks.generate_due_list_bills.enqueue("2025-12-20")
    assert first.return_value == {"generated": 1, "existing": 0}
    again = tasks.generate_due_list_bills.enqueue("2025-12-21")
    assert again.return_value == {"generated": 0, "existing": 1}
    lapse = tasks.review_delinquency.enqueue("2026-02-02")
    assert lapse.return_value == {"lapsed": 1, "cancelled": 0, "reinstated": 0}
    later = tasks.review_delinquency.enqueue("2026-02-03").return_value
    assert later == {"lapsed": 0, "cancelled": 0, "reinstated": 0}


def test_the_demo_bills_each_covered_group_and_runs_again_harmlessly(group, make_member, cover,
                                                                     accident):  # fmt: skip
    from payerdesk.billing import demo

    assert demo.load(today=date(2026, 3, 10)) == 0  # no coverage yet: nothing to bill
    cover(make_member("M1"), accident)
    assert demo.load(today=date(2026, 3, 10)) == 3  # January to March
    assert demo.load(today=date(2026, 3, 10)) == 0
    assert sorted(ListBill.objects.values_list("period_start", flat=True)) == [
        date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    ]  # fmt: skip
