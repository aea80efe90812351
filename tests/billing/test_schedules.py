"""Billing periods and premium per deduction: a year always sums to the annual premium."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payerdesk.billing import schedules

MODES = sorted(schedules.PERIODS_PER_YEAR)
money = st.decimals(min_value=0, max_value=Decimal("50000"), places=2)
anchors = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 28)).filter(
    lambda day: day.day <= 28
)


@given(monthly=money, mode=st.sampled_from(MODES))
def test_a_year_of_deductions_sums_to_the_annual_premium(monthly, mode):
    count = schedules.PERIODS_PER_YEAR[mode]
    amounts = [schedules.deduction(monthly, mode, n) for n in range(1, count + 1)]
    assert sum(amounts) == monthly * 12
    assert all(amount >= 0 and amount == amount.quantize(Decimal("0.01")) for amount in amounts)
    # Every period but the stated last one is the same half-up (or truncated) deduction.
    assert len(set(amounts[:-1])) == 1
    exact = monthly * 12 / count
    assert abs(amounts[0] - exact) <= Decimal("0.01")


@given(anchor=anchors, mode=st.sampled_from(MODES))
def test_the_periods_of_a_year_cover_it_day_by_day(anchor, mode):
    periods = schedules.periods_of_year(mode, anchor)
    assert len(periods) == schedules.PERIODS_PER_YEAR[mode]
    assert periods[0].start == anchor
    for earlier, later in itertools.pairwise(periods):
        assert later.start == earlier.end + timedelta(days=1)
        assert earlier.start <= earlier.end
    assert periods[-1].end == schedules.add_months(anchor, 12) - timedelta(days=1)


@given(anchor=anchors, mode=st.sampled_from(MODES), offset=st.integers(0, 3000))
def test_every_day_lies_in_exactly_one_period(anchor, mode, offset):
    day = anchor + timedelta(days=offset)
    period = schedules.period_containing(mode, anchor, day)
    assert period.start <= day <= period.end


def test_the_leftover_pennies_land_on_the_last_period():
    # 12.40 a month is 148.80 a year: 52 x 2.86 = 148.72, the last week 2.94.
    weekly = [schedules.deduction(Decimal("12.40"), "weekly", n) for n in (1, 51, 52)]
    assert weekly == [Decimal("2.86"), Decimal("2.86"), Decimal("2.94")]
    assert schedules.deduction(Decimal("33.65"), "semimonthly", 1) == Decimal("16.83")
    assert schedules.deduction(Decimal("33.65"), "semimonthly", 24) == Decimal("16.71")
    assert schedules.deduction(Decimal("33.65"), "monthly", 7) == Decimal("33.65")


def test_a_tiny_premium_is_truncated_rather_than_leaving_a_negative_last_period():
    amounts = schedules.deductions(Decimal("0.26"), 52)
    assert amounts[0] == Decimal("0.00") and amounts[-1] == Decimal("0.26")


def test_semimonthly_splits_each_month_at_the_sixteenth():
    periods = schedules.periods_of_year("semimonthly", date(2026, 1, 1))
    assert [(p.start, p.end) for p in periods[:3]] == [
        (date(2026, 1, 1), date(2026, 1, 15)),
        (date(2026, 1, 16), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 15)),
    ]


def test_a_schedule_cannot_start_after_the_28th():
    with pytest.raises(ValueError, match="1 to 28"):
        schedules.periods_of_year("monthly", date(2026, 1, 31))
