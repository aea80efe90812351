"""Matching what an employer paid to what was billed, member by member and period by
period, in a handful of queries whatever the size of the group.

The open receivable per (member, period) is read once; the paid lines are summed per
(member id, period) in memory; every key on either side is classified. One journal
entry posts the whole remittance: cash in, receivable applied, tolerance written off,
and the rest held in suspense against its variance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from payerdesk.billing.formats.remittance_files import PaidLine
from payerdesk.billing.models import Account, BillingSchedule, VarianceKind, VarianceStatus
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services.ledger import Line
from payerdesk.core.money import ZERO
from payerdesk.groups import selectors as group_selectors

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup

Key = tuple[int, date]


@dataclass(slots=True)
class Found:
    """A variance before it is saved."""

    kind: str
    status: str
    member_id: int | None
    member_ref: str
    period_start: date | None
    billed: Decimal
    paid: Decimal
    held: Decimal = ZERO


@dataclass
class Outcome:
    """What reconciling a remittance decided; `lines` is the journal entry's lines."""

    lines: list[Line] = field(default_factory=list)
    variances: list[Found] = field(default_factory=list)
    applied: Decimal = ZERO
    written_off: Decimal = ZERO
    held: Decimal = ZERO
    matched: int = 0
    periods: set[date] = field(default_factory=set)
    members: dict[str, int] = field(default_factory=dict)  # member id -> row id


def tolerance_of(group: EmployerGroup) -> Decimal:
    found = BillingSchedule.objects.filter(group=group).values_list("tolerance", flat=True).first()
    return found if found is not None else ZERO


def _paid_by_key(
    lines: Sequence[PaidLine], members: dict[str, int]
) -> tuple[dict[Key, Decimal], list[PaidLine]]:
    paid: dict[Key, Decimal] = defaultdict(Decimal)
    unknown: list[PaidLine] = []
    for line in lines:
        member = members.get(line.member_ref) if line.member_ref else None
        if member is None or line.period_start is None:
            unknown.append(line)
        else:
            paid[(member, line.period_start)] += line.paid
    return paid, unknown


def _same_side(due: Decimal, paid: Decimal) -> bool:
    return due != 0 and (due > 0) == (paid > 0)


class _Builder:
    """Collects the entry's lines and the variances as keys are classified."""

    def __init__(self, outcome: Outcome, refs: dict[int, str], group: EmployerGroup) -> None:
        self.outcome, self.refs, self.group = outcome, refs, group

    def apply(self, member: int, period: date, amount: Decimal) -> None:
        if amount:
            self.outcome.lines.append(
                signed_line(Account.PREMIUM_RECEIVABLE, -amount, member, period)
            )
            self.outcome.applied += amount

    def write_off(self, member: int, period: date, amount: Decimal) -> None:
        """`amount` short (positive) is an expense; over (negative) reduces it."""
        if amount:
            self.outcome.lines.append(signed_line(Account.WRITE_OFF, amount, member, period))
            self.outcome.written_off += amount

    def hold(self, found: Found, held: Decimal | None = None) -> None:
        found.held = found.paid - found.billed if held is None else held
        self.outcome.lines.append(
            signed_line(Account.SUSPENSE, -found.held, found.member_id, found.period_start)
        )
        self.outcome.held += found.held
        self.variance(found)

    def variance(self, found: Found) -> None:
        self.outcome.variances.append(found)

    def found(self, kind: str, status: str, key: Key, billed: Decimal, paid: Decimal) -> Found:
        return Found(kind, status, key[0], self.refs.get(key[0], ""), key[1], billed, paid)


def signed_line(account: str, debit: Decimal, member: int | None, period: date | None) -> Line:
    """A line with `debit` on the debit side when positive, else as a credit."""
    if debit >= 0:
        return Line(account, debit=debit, member_id=member, period_start=period)
    return Line(account, credit=-debit, member_id=member, period_start=period)


def reconcile(
    *, group: EmployerGroup, lines: Sequence[PaidLine], total: Decimal, tolerance: Decimal
) -> Outcome:
    """Classify every paid line and every open bill of the periods paid for."""
    outcome = Outcome()
    if total:
        outcome.lines.append(Line(Account.CASH, debit=total))
    members = outcome.members = group_selectors.member_ids(group=group)
    refs = {pk: ref for ref, pk in members.items()}
    build = _Builder(outcome, refs, group)
    if group_selectors.group_ended(group):
        _hold_all(build, lines, members)
        return outcome
    paid, unknown = _paid_by_key(lines, members)
    due = listbill_selectors.member_period_balances(group)
    for line in unknown:
        if line.member_ref:
            _hold_unmatched_line(build, line, members.get(line.member_ref))
        else:
            _hold_group_level(build, line, due)
    outcome.periods = {period for _, period in paid}
    _classify_paid(build, paid, due, tolerance)
    _billed_not_paid(build, paid, due, outcome.periods)
    return outcome


def _hold_unmatched_line(build: _Builder, line: PaidLine, member: int | None) -> None:
    """A member id we do not know, or a known member with no period on the line."""
    kind = VarianceKind.UNKNOWN_MEMBER if member is None else VarianceKind.PERIOD_MISMATCH
    found = Found(kind, VarianceStatus.SUSPENSE, member, line.member_ref, line.period_start,
                  ZERO, line.paid)  # fmt: skip
    build.hold(found, held=line.paid)


def _hold_group_level(build: _Builder, line: PaidLine, due: dict[Key, Decimal]) -> None:
    """An amount for the group as a whole (a keyed check, an organisation-level RMR):
    compared with what the period owes, and held until someone says whom it pays."""
    period = line.period_start
    owed = sum((v for (_, p), v in due.items() if p == period and v > 0), ZERO) if period else ZERO
    if not owed:
        kind = VarianceKind.PAID_NOT_BILLED
    else:
        kind = VarianceKind.SHORT_PAID if line.paid < owed else VarianceKind.OVER_PAID
    found = Found(kind, VarianceStatus.SUSPENSE, None, "", period, owed, line.paid)
    build.hold(found, held=line.paid)


def _hold_all(build: _Builder, lines: Sequence[PaidLine], members: dict[str, int]) -> None:
    for line in lines:
        build.hold(
            Found(
                VarianceKind.GROUP_CANCELLED, VarianceStatus.SUSPENSE,
                members.get(line.member_ref), line.member_ref, line.period_start, ZERO, line.paid,
            ),
            held=line.paid,
        )  # fmt: skip


def _classify_paid(
    build: _Builder, paid: dict[Key, Decimal], due: dict[Key, Decimal], tolerance: Decimal
) -> None:
    unmatched: list[Key] = []
    for key, amount in paid.items():
        owed = due.get(key, ZERO)
        if not _same_side(owed, amount):
            if amount:
                unmatched.append(key)
            continue
        build.outcome.matched += 1
        difference = amount - owed
        member, period = key
        if abs(difference) <= tolerance:
            build.apply(member, period, owed)
            build.write_off(member, period, -difference)
            if difference:
                build.variance(
                    build.found(_over_or_short(owed, difference), VarianceStatus.APPLIED,
                                key, owed, amount)
                )  # fmt: skip
        elif abs(amount) < abs(owed):
            build.apply(member, period, amount)
            build.variance(
                build.found(VarianceKind.SHORT_PAID, VarianceStatus.OPEN, key, owed, amount)
            )
        else:
            build.apply(member, period, owed)
            build.hold(
                build.found(VarianceKind.OVER_PAID, VarianceStatus.SUSPENSE, key, owed, amount)
            )
    _classify_unmatched(build, unmatched, paid, due)


def _over_or_short(owed: Decimal, difference: Decimal) -> str:
    over = (difference > 0) == (owed > 0)
    return VarianceKind.OVER_PAID if over else VarianceKind.SHORT_PAID


def _classify_unmatched(
    build: _Builder, keys: list[Key], paid: dict[Key, Decimal], due: dict[Key, Decimal]
) -> None:
    """Paid where nothing is owed: a terminated member, another period, or never billed."""
    if not keys:
        return
    by_period: dict[date, set[int]] = defaultdict(set)
    for member, period in keys:
        by_period[period].add(member)
    covered = {
        period: group_selectors.members_covered(group=build.group, on=period, among=members)
        for period, members in by_period.items()
    }
    owing = {member for (member, _), owed in due.items() if owed > 0}
    for key in keys:
        member, period = key
        if member not in covered[period]:
            kind = VarianceKind.TERMINATED_MEMBER
        elif member in owing:
            kind = VarianceKind.PERIOD_MISMATCH
        else:
            kind = VarianceKind.PAID_NOT_BILLED
        found = build.found(kind, VarianceStatus.SUSPENSE, key, due.get(key, ZERO), paid[key])
        build.hold(found, held=paid[key])


def _billed_not_paid(
    build: _Builder, paid: dict[Key, Decimal], due: dict[Key, Decimal], periods: set[date]
) -> None:
    for key, owed in due.items():
        if owed > 0 and key[1] in periods and key not in paid:
            build.variance(
                build.found(VarianceKind.BILLED_NOT_PAID, VarianceStatus.OPEN, key, owed, ZERO)
            )
