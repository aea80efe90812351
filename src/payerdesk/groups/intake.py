"""What enrollment files do to members and coverages, set-based, shared by 834 and census.

A file (an X12 834 or a census) says things about people: who they are (`PersonFacts`)
and what they are covered for (`CoverageFacts`). A `Batch` turns those statements into
rows: it looks members and coverages up a chunk at a time, checks and rates in Python
from cached plans and rate tables, and writes with `bulk_create`/`bulk_update` when the
chunk is flushed. The caller holds the one transaction that makes the file all or
nothing; every refusal is an `InvalidInput` naming the place in the file (`where`).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q

from payerdesk.core.errors import ErrorCode, InvalidInput
from payerdesk.core.models import User
from payerdesk.groups import rating, services
from payerdesk.groups.models import (
    Coverage,
    CoverageStatus,
    EmployerGroup,
    Member,
    PlanDesign,
    Relationship,
    Tier,
)

# Fields a file may update on a stored member (when it gives a value).
MEMBER_FIELDS = (
    "first_name", "last_name", "birth_date", "sex", "address_line1", "address_line2", "city",
    "state", "postal_code", "hire_date", "employment_class", "tobacco", "relationship",
)  # fmt: skip


def refused(where: str, message: str) -> InvalidInput:
    return InvalidInput(ErrorCode.INVALID, f"{where}: {message}", field="file")


@dataclass(slots=True)
class PersonFacts:
    """One person as a file describes them; None or "" means the file does not say."""

    where: str  # "segment 7 (INS)", "row 12"
    group_number: str
    subscriber_id: str
    member_id: str
    relationship: str
    last_name: str = ""
    first_name: str = ""
    birth_date: date | None = None
    sex: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    hire_date: date | None = None
    employment_class: str = ""
    tobacco: bool | None = None
    group_where: str = ""  # where the group number is, if not `where`

    @property
    def is_employee(self) -> bool:
        return self.relationship == Relationship.SELF or self.member_id == self.subscriber_id


@dataclass(slots=True)
class CoverageFacts:
    """One coverage line as a file gives it. The plan is found by insurance line (834
    HD03) or by product code (census)."""

    where: str
    insurance_line: str = ""
    product_code: str = ""
    tier: str = ""  # empty: keep the stored tier (or employee only, when adding)
    benefit: Decimal | None = None
    start: date | None = None
    end: date | None = None
    # Where to point when the rating refuses one field ("benefit", "tier"), if not `where`.
    field_where: dict[str, str] = field(default_factory=dict)

    @property
    def plan_label(self) -> str:
        if self.product_code:
            return f"product code {self.product_code!r}"
        return f"insurance line {self.insurance_line!r} (HD03)"


@dataclass
class _Pending:
    members: list[Member] = field(default_factory=list)
    coverages: list[Coverage] = field(default_factory=list)
    member_updates: dict[int, tuple[Member, set[str]]] = field(default_factory=dict)
    coverage_updates: dict[int, Coverage] = field(default_factory=dict)


class Batch:
    """Caches and pending writes for one file's apply, inside the caller's transaction."""

    def __init__(self, actor: User | None) -> None:
        self.actor = actor
        self.groups: dict[str, EmployerGroup] = {}
        self.plans: dict[tuple[int, str], PlanDesign | None] = {}
        self.members: dict[tuple[int, str], Member] = {}
        self.rows: dict[tuple[int, str], list[Coverage]] = {}
        self.pending = _Pending()

    # ---- look-ups ------------------------------------------------------------------
    def group(self, where: str, number: str) -> EmployerGroup:
        number = number.strip().upper()
        if number not in self.groups:
            group = EmployerGroup.objects.select_related("market").filter(group_number=number)
            found = group.first()
            if found is None:
                raise refused(where, f"no employer group {number!r}")
            if self.actor is not None:
                services.require_market_permission(self.actor, "groups.add_member", found.market)
            self.groups[number] = found
        return self.groups[number]

    def load(self, people: Iterable[PersonFacts]) -> None:
        """Fetch, in two queries, the stored members a chunk names and their coverages."""
        wanted: dict[int, set[str]] = {}
        for person in people:
            group = self.group(person.group_where or person.where, person.group_number)
            ids = wanted.setdefault(group.pk, set())
            ids.update((person.member_id, person.subscriber_id))
        query = Q()
        for group_id, ids in wanted.items():
            ids -= {key[1] for key in self.members if key[0] == group_id}
            if ids:
                query |= Q(group_id=group_id, member_id__in=ids)
        if not query:
            return
        found = {m.pk: m for m in Member.objects.filter(query)}
        for member in found.values():
            self.members[(member.group_id, member.member_id)] = member
            self.rows[(member.group_id, member.member_id)] = []
        for row in Coverage.objects.filter(member_id__in=found).order_by("start_date", "pk"):
            owner = found[row.member_id]
            row.member = owner
            self.rows[(owner.group_id, owner.member_id)].append(row)

    def member(self, person: PersonFacts) -> Member | None:
        group = self.group(person.group_where or person.where, person.group_number)
        return self.members.get((group.pk, person.member_id))

    def plan(self, member: Member, coverage: CoverageFacts) -> PlanDesign:
        kind, value = (
            ("product__code", coverage.product_code)
            if coverage.product_code
            else ("product__insurance_line", coverage.insurance_line)
        )
        key = (member.group_id, f"{kind}={value}")
        if key not in self.plans:
            plans = PlanDesign.objects.filter(group_id=member.group_id, **{kind: value})
            self.plans[key] = plans.select_related("product").prefetch_related("rates").first()
        plan = self.plans[key]
        if plan is None:
            raise refused(
                coverage.where,
                f"group {member.group.group_number} has no plan for {coverage.plan_label}",
            )
        return plan

    def coverages(self, member: Member) -> list[Coverage]:
        return self.rows.setdefault((member.group_id, member.member_id), [])

    def open_rows(self, member: Member, plan: PlanDesign | None = None) -> list[Coverage]:
        return [
            row
            for row in self.coverages(member)
            if row.status == CoverageStatus.ACTIVE
            and row.end_date is None
            and (plan is None or row.plan_id == plan.pk)
        ]

    def in_force(self, member: Member, on: date) -> list[Coverage]:
        return [
            row
            for row in self.coverages(member)
            if row.status != CoverageStatus.CANCELLED and row.covers(on)
        ]

    # ---- changes -------------------------------------------------------------------
    def member_add(self, person: PersonFacts) -> Member:
        group = self.group(person.group_where or person.where, person.group_number)
        if (group.pk, person.member_id) in self.members:
            raise refused(person.where, f"member {person.member_id} is already enrolled")
        if person.birth_date is None:
            raise refused(person.where, "a date of birth is needed to enroll a member")
        if not person.last_name:
            raise refused(person.where, "a last name is needed to enroll a member")
        employee = None
        if not person.is_employee:
            employee = self.members.get((group.pk, person.subscriber_id))
            if employee is None or employee.employee_id is not None:
                raise refused(
                    person.where,
                    f"dependent of subscriber {person.subscriber_id}, who is not enrolled",
                )
        member = Member(
            group=group, employee=employee, subscriber_id=person.subscriber_id,
            member_id=person.member_id, relationship=person.relationship,
            first_name=person.first_name, last_name=person.last_name,
            birth_date=person.birth_date, sex=person.sex or "U",
            address_line1=person.address_line1, address_line2=person.address_line2,
            city=person.city, state=person.state, postal_code=person.postal_code,
            hire_date=person.hire_date, employment_class=person.employment_class,
            tobacco=bool(person.tobacco),
        )  # fmt: skip
        self.members[(group.pk, person.member_id)] = member
        self.rows[(group.pk, person.member_id)] = []
        self.pending.members.append(member)
        return member

    def member_update(self, member: Member, person: PersonFacts) -> list[str]:
        """Take what the file says where it differs; the names of the fields changed."""
        changed = []
        for name in MEMBER_FIELDS:
            value = getattr(person, name)
            if value is None or value == "" or getattr(member, name) == value:
                continue
            setattr(member, name, value)
            changed.append(name)
        if changed and member.pk is not None:
            _, fields = self.pending.member_updates.setdefault(member.pk, (member, set()))
            fields.update(changed)
        return changed

    def coverage_add(self, member: Member, coverage: CoverageFacts, start: date) -> Coverage:
        """Cover a member from `start`, checked and rated as `services.coverage_add` does."""
        plan = self.plan(member, coverage)
        if start < plan.effective_date:
            raise refused(
                coverage.where,
                f"{plan.name} starts {plan.effective_date}; coverage cannot start {start}",
            )
        if any(row.plan_id == plan.pk for row in self.in_force(member, start)):
            raise refused(
                coverage.where, f"member {member.member_id} is already covered under "
                f"{plan.name} on {start}",
            )  # fmt: skip
        tier = coverage.tier or Tier.EMPLOYEE
        if tier not in Tier.values:
            raise refused(coverage.where, f"coverage level {tier!r} is not one of "
                                          f"{', '.join(Tier.values)}")  # fmt: skip
        try:
            rating.check_benefit(plan, coverage.benefit)
            rated = rating.rate(
                plan, tier=tier, benefit=coverage.benefit, birth_date=member.birth_date,
                tobacco=member.tobacco, start=start,
            )  # fmt: skip
        except rating.RatingError as error:
            where = coverage.field_where.get(error.field, coverage.where)
            raise refused(where, error.message) from None
        row = Coverage(
            member=member, plan=plan, tier=tier, benefit_amount=coverage.benefit,
            start_date=start, monthly_premium=rated.monthly_premium, rated_age=rated.age,
            rated_tobacco=rated.tobacco,
        )  # fmt: skip
        self.coverages(member).append(row)
        self.pending.coverages.append(row)
        return row

    def coverage_end(self, row: Coverage, last_day: date) -> None:
        if last_day < row.start_date:
            # Ending before it began: the coverage was never in force.
            row.status, row.end_date = CoverageStatus.CANCELLED, row.start_date
        else:
            row.status, row.end_date = CoverageStatus.TERMINATED, last_day
        self._touched(row)

    def coverage_reopen(self, row: Coverage) -> None:
        row.status, row.end_date = CoverageStatus.ACTIVE, None
        self._touched(row)

    def _touched(self, row: Coverage) -> None:
        if row.pk is not None:
            self.pending.coverage_updates[row.pk] = row

    def flush(self) -> None:
        """Write what the chunk changed: new members (employees first, so dependents can
        point at them), new coverages, then the updated rows."""
        pending, self.pending = self.pending, _Pending()
        employees = [m for m in pending.members if m.employee is None]
        Member.objects.bulk_create(employees, batch_size=500)
        Member.objects.bulk_create([m for m in pending.members if m.employee], batch_size=500)
        for row in pending.coverages:
            row.member = row.member  # picks up the member's new primary key
        Coverage.objects.bulk_create(pending.coverages, batch_size=500)
        by_fields: dict[tuple[str, ...], list[Member]] = {}
        for member, names in pending.member_updates.values():
            by_fields.setdefault(tuple(sorted(names)), []).append(member)
        for fields, members in by_fields.items():
            Member.objects.bulk_update(members, fields, batch_size=500)
        if pending.coverage_updates:
            Coverage.objects.bulk_update(
                list(pending.coverage_updates.values()), ["status", "end_date"], batch_size=500
            )

    def forget(self) -> None:
        """Drop the chunk's cached members and rows (they are stored; memory stays flat)."""
        self.members.clear()
        self.rows.clear()
