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
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from payerdesk.core import permissions
from payerdesk.core.errors import ErrorCode, InvalidInput
from payerdesk.core.models import User
from payerdesk.core.money import ZERO
from payerdesk.groups.models import (
    Coverage,
    CoverageStatus,
    EmployerGroup,
    Member,
    PlanDesign,
    PolicyEvent,
    ReinstatementReason,
    Relationship,
    Tier,
)
from payerdesk.groups.rules import rating
from payerdesk.groups.selectors import end_before_termination
from payerdesk.groups.services.terminations import reinstatement_event, termination_event

# Fields a file may update on a stored member (when it gives a value).
MEMBER_FIELDS = (
    "first_name", "last_name", "birth_date", "sex", "address_line1", "address_line2", "city",
    "state", "postal_code", "hire_date", "employment_class", "tobacco", "relationship",
)  # fmt: skip


TIERS = frozenset(Tier.values)


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
    HD03, and HD04 when several of the group's plans share the line) or by product code
    (census)."""

    where: str
    insurance_line: str = ""
    plan_description: str = ""  # 834 HD04: tells apart plans on the same insurance line
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
    events: list[PolicyEvent] = field(default_factory=list)


class Batch:
    """Caches and pending writes for one file's apply, inside the caller's transaction."""

    def __init__(self, actor: User | None) -> None:
        self.actor = actor
        self.groups: dict[str, EmployerGroup] = {}
        self.plans: dict[tuple[int, str], PlanDesign | None] = {}
        self.lines: dict[tuple[int, str], list[PlanDesign]] = {}  # the plans on an HD03 line
        self.members: dict[tuple[int, str], Member] = {}
        self.rows: dict[tuple[int, str], list[Coverage]] = {}
        # (group id, subscriber id) -> the cached dependents of that employee
        self.families: dict[tuple[int, str], list[Member]] = {}
        # Dependents' rows moved to an employee's new tier that does not cover them, with
        # where the file moved it: `families_check` refuses any still open at the end.
        self.uncovered: list[tuple[str, Coverage]] = []
        # The end each row the chunk terminated had before (by id; the row is held so the
        # id stays its own): a reinstatement in the same chunk restores it, before the
        # termination's event is stored (or when there is none: a row the file added).
        self.ends_cut: dict[int, tuple[Coverage, date | None]] = {}
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
                permissions.require_market_permission(self.actor, "groups.add_member", found.market)
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
        # An employee's dependents come too: they are covered through the employee.
        employees = [m.pk for m in found.values() if m.employee_id is None]
        if employees:
            dependents = Member.objects.filter(employee_id__in=employees).exclude(pk__in=found)
            found.update((m.pk, m) for m in dependents)
        for member in found.values():
            self.members[(member.group_id, member.member_id)] = member
            self.rows[(member.group_id, member.member_id)] = []
            if member.employee_id is not None:
                self._family(member).append(member)
        for row in Coverage.objects.filter(member_id__in=found).order_by("start_date", "pk"):
            owner = found[row.member_id]
            row.member = owner
            self.rows[(owner.group_id, owner.member_id)].append(row)

    def member(self, person: PersonFacts) -> Member | None:
        group = self.group(person.group_where or person.where, person.group_number)
        return self.members.get((group.pk, person.member_id))

    def plan(self, member: Member, coverage: CoverageFacts) -> PlanDesign:
        if coverage.product_code:
            key = (member.group_id, f"product__code={coverage.product_code}")
            if key not in self.plans:
                plans = self._plans(member.group_id, product__code=coverage.product_code)
                self.plans[key] = plans[0] if plans else None
            plan = self.plans[key]
        else:
            plan = self._plan_on_line(member, coverage)
        if plan is None:
            raise refused(
                coverage.where,
                f"group {member.group.group_number} has no plan for {coverage.plan_label}",
            )
        return plan

    @staticmethod
    def _plans(group_id: int, **where: str) -> list[PlanDesign]:
        plans = PlanDesign.objects.filter(group_id=group_id, **where).order_by("pk")
        return list(plans.select_related("product").prefetch_related("rates"))

    def _plan_on_line(self, member: Member, coverage: CoverageFacts) -> PlanDesign | None:
        """The group's plan on the HD03 line; when several share it, the one HD04 names:
        by the product's 834 plan description, else by its code or name."""
        line_key = (member.group_id, coverage.insurance_line)
        if line_key not in self.lines:
            self.lines[line_key] = self._plans(
                member.group_id, product__insurance_line=coverage.insurance_line
            )
        plans = self.lines[line_key]
        if len(plans) <= 1:
            return plans[0] if plans else None
        described = _described(coverage.plan_description)
        key = (member.group_id, f"line={coverage.insurance_line} hd04={described}")
        if key not in self.plans:
            self.plans[key] = self._described_plan(member, coverage, plans, described)
        return self.plans[key]

    @staticmethod
    def _described_plan(
        member: Member, coverage: CoverageFacts, plans: list[PlanDesign], described: str
    ) -> PlanDesign:
        where = coverage.field_where.get("plan_description", coverage.where)
        line = coverage.insurance_line
        names = "; ".join(
            f"{plan.product.name} ({plan.product.x12_plan_description or plan.product.code})"
            for plan in plans
        )
        if not described:
            raise refused(
                where,
                f"HD04 (plan coverage description) is needed: group "
                f"{member.group.group_number} has several plans on insurance line {line!r}: "
                f"{names}",
            )
        found = [p for p in plans if _described(p.product.x12_plan_description) == described]
        if not found:
            found = [
                p for p in plans
                if described in (_described(p.product.code), _described(p.product.name))
            ]  # fmt: skip
        if len(found) == 1:
            return found[0]
        problem = "names none" if not found else "matches more than one"
        raise refused(
            where,
            f"HD04 {coverage.plan_description!r} {problem} of group "
            f"{member.group.group_number}'s plans on insurance line {line!r}: {names}",
        )

    def _family(self, dependent: Member) -> list[Member]:
        return self.families.setdefault((dependent.group_id, dependent.subscriber_id), [])

    def dependents(self, employee: Member) -> list[Member]:
        """The employee's dependents (the cache holds every dependent of an employee a
        chunk names, and those the file enrolls)."""
        if _is_dependent(employee):
            return []
        return self.families.get((employee.group_id, employee.member_id), [])

    def employee_of(self, dependent: Member) -> Member | None:
        if Member.employee.is_cached(dependent) or dependent.employee_id is None:
            return dependent.employee  # built by this batch, or no dependent: no query
        employee = self.members.get((dependent.group_id, dependent.subscriber_id))
        if employee is None or employee.pk != dependent.employee_id:
            employee = Member.objects.get(pk=dependent.employee_id)
            self.members[(employee.group_id, employee.member_id)] = employee
        return employee

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

    def rows_in_force_after(
        self, member: Member, last_day: date, plan: PlanDesign | None = None
    ) -> list[Coverage]:
        """The rows a termination after `last_day` ends (or cancels, not yet started):
        those that cover a day after it, open-ended or set to end later (a termination
        already scheduled, which an earlier one moves), as `terminations` ends them."""
        return [
            row
            for row in self.coverages(member)
            if row.runs_past(last_day) and (plan is None or row.plan_id == plan.pk)
        ]

    def in_force(self, member: Member, on: date) -> list[Coverage]:
        return [row for row in self.coverages(member) if row.covers(on)]

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
            group=group, employee=employee,
            subscriber_id=person.subscriber_id, member_id=person.member_id,
            relationship=person.relationship, first_name=person.first_name,
            last_name=person.last_name, birth_date=person.birth_date, sex=person.sex or "U",
            address_line1=person.address_line1, address_line2=person.address_line2,
            city=person.city, state=person.state, postal_code=person.postal_code,
            hire_date=person.hire_date, employment_class=person.employment_class,
            tobacco=bool(person.tobacco),
        )  # fmt: skip
        self.members[(group.pk, person.member_id)] = member
        self.rows[(group.pk, person.member_id)] = []
        if employee is not None:
            self._family(member).append(member)
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
        employee = self.employee_of(member)
        tier = coverage.tier or ("" if employee is not None else Tier.EMPLOYEE)
        if tier and tier not in TIERS:
            raise refused(coverage.field_where.get("tier", coverage.where),
                          f"coverage level {tier!r} is not one of "
                          f"{', '.join(Tier.values)}")  # fmt: skip
        try:
            rating.check_benefit(plan, coverage.benefit)
            rating.check_waiting_period(plan, member.hire_date, start)
            if employee is None:
                rated = rating.rate(
                    plan, tier=tier, benefit=coverage.benefit, birth_date=member.birth_date,
                    tobacco=member.tobacco, start=start,
                )  # fmt: skip
            else:
                rated = rating.rate_dependent(
                    plan, relationship=member.relationship, tier=tier,
                    employee_tier=self._tier_on(employee, plan, start),
                    benefit=coverage.benefit, birth_date=member.birth_date,
                    tobacco=member.tobacco, start=start,
                )  # fmt: skip
        except rating.RatingError as error:
            where = coverage.field_where.get(error.field, coverage.where)
            raise refused(where, error.message) from None
        return self._new_row(member, plan, rated, coverage.benefit, start)

    def _tier_on(self, employee: Member, plan: PlanDesign, on: date) -> str | None:
        rows = [row for row in self.in_force(employee, on) if row.plan_id == plan.pk]
        return rows[-1].tier if rows else None

    def _new_row(
        self, member: Member, plan: PlanDesign, rated: rating.Rated, benefit: Decimal | None,
        start: date,
    ) -> Coverage:  # fmt: skip
        row = Coverage(
            member=member, plan=plan, tier=rated.tier, benefit_amount=benefit,
            start_date=start, end_date=None, status=CoverageStatus.ACTIVE,
            monthly_premium=rated.monthly_premium, rated_age=rated.age,
            rated_tobacco=rated.tobacco,
        )  # fmt: skip
        self.coverages(member).append(row)
        self.pending.coverages.append(row)
        return row

    # ---- the family: dependents are covered through the employee ------------------------
    def family_follow(self, where: str, employee: Member, plan: PlanDesign, start: date) -> int:
        """The employee's tier-rated coverage under `plan` has a new tier from `start`:
        each dependent covered under it moves to that tier (still for no premium). The
        rows changed; whether the new tier covers them is checked at the end of the file
        (`families_check`), once the file's own dependent changes are in."""
        if not rating.priced_on_employee(plan):
            return 0
        tier = self._tier_on(employee, plan, start)
        if tier is None:
            return 0
        moved = 0
        for dependent in self.dependents(employee):
            for row in self.open_rows(dependent, plan):
                if row.tier == tier:
                    continue
                day = max(start, row.start_date)
                self.coverage_end(row, day - timedelta(days=1))
                rated = rating.Rated(ZERO, row.rated_age, row.rated_tobacco, tier)
                new = self._new_row(dependent, plan, rated, row.benefit_amount, day)
                if tier not in rating.tiers_covering(dependent.relationship):
                    self.uncovered.append((where, new))
                moved += 1
        return moved

    def family_end(
        self, employee: Member, last_day: date, reason: str, plan: PlanDesign | None = None
    ) -> int:
        """The employee's coverage (under `plan`, or all) is terminated after `last_day`:
        so is their dependents' (as `terminations.member_terminate` does). The rows ended."""
        ended = 0
        for dependent in self.dependents(employee):
            for row in self.rows_in_force_after(dependent, last_day, plan):
                self.coverage_terminate(dependent, row, last_day, reason)
                ended += 1
        return ended

    def family_reopen(self, employee: Member, ended: list[Coverage]) -> int:
        """The employee's `ended` rows are about to be in force again (call before
        reopening them): so are their dependents' rows that ended with them (same plan,
        same last day)."""
        keys = {(row.plan_id, row.end_date) for row in ended}
        reopened = 0
        for dependent in self.dependents(employee):
            latest: dict[int, Coverage] = {}
            for row in self.coverages(dependent):
                if row.status != CoverageStatus.CANCELLED:
                    latest[row.plan_id] = row  # rows are in start order
            for row in latest.values():
                if row.status == CoverageStatus.TERMINATED and (row.plan_id, row.end_date) in keys:
                    self.coverage_reopen(dependent, row)
                    reopened += 1
        return reopened

    def coverage_end(self, row: Coverage, last_day: date) -> None:
        if last_day < row.start_date:
            # Ending before it began: the coverage was never in force.
            row.status, row.end_date = CoverageStatus.CANCELLED, row.start_date
        else:
            row.status, row.end_date = CoverageStatus.TERMINATED, last_day
        self._touched(row)

    def coverage_terminate(
        self, member: Member, row: Coverage, last_day: date, reason: str
    ) -> None:
        """End `row` after `last_day` for a termination, recorded as the services record
        one (`terminations`): a `PolicyEvent` with the end the row had before, which a
        reinstatement restores, whether it comes by file or by a user."""
        was_end = row.end_date
        self.coverage_end(row, last_day)
        self.ends_cut[id(row)] = (row, was_end)
        if row.pk is not None:  # one this file added is not stored yet: no event
            event = termination_event(self.actor, member, row, last_day, reason, was_end)
            self.pending.events.append(event)

    def coverage_reopen(self, member: Member, row: Coverage) -> None:
        """Undo the termination that ended `row`: it runs on as it did before, open-ended
        or to the end that termination cut (a termination moved earlier still holds)."""
        held, was_end = self.ends_cut.pop(id(row), (None, None))
        if held is not row:
            was_end = end_before_termination(row) if row.pk is not None else None
        assert row.end_date is not None  # a terminated row
        back_from = row.end_date + timedelta(days=1)
        if was_end is None:
            row.status, row.end_date = CoverageStatus.ACTIVE, None
            self._touched(row)
        else:
            self.coverage_end(row, was_end)
        if row.pk is not None:  # the same row reopened: its event says to when
            ends: dict[str, object] = {"ends": was_end.isoformat() if was_end else None}
            event = reinstatement_event(
                self.actor, member, row, back_from, ReinstatementReason.OTHER, ends
            )
            self.pending.events.append(event)

    def _touched(self, row: Coverage) -> None:
        if row.pk is not None:
            self.pending.coverage_updates[row.pk] = row

    def flush(self) -> None:
        """Write what the chunk changed: new members (employees first, so dependents can
        point at them), new coverages, then the updated rows."""
        pending, self.pending = self.pending, _Pending()
        employees = [m for m in pending.members if m.employee is None]
        _insert_members(employees)
        for member in pending.members:
            if member.employee is not None:
                member.employee_id = member.employee.pk
        _insert_members([m for m in pending.members if m.employee is not None])
        _insert_coverages(pending.coverages)
        by_fields: dict[tuple[str, ...], list[Member]] = {}
        for member, names in pending.member_updates.values():
            by_fields.setdefault(tuple(sorted(names)), []).append(member)
        for fields, members in by_fields.items():
            Member.objects.bulk_update(members, fields, batch_size=500)
        _update_coverages(list(pending.coverage_updates.values()))
        PolicyEvent.objects.bulk_create(pending.events, batch_size=500)

    def forget(self) -> None:
        """Drop the chunk's cached members and rows (they are stored; memory stays flat)."""
        self.members.clear()
        self.rows.clear()
        self.families.clear()
        self.ends_cut.clear()  # stored now, with their terminations' events

    def families_check(self) -> None:
        """After the whole file: a dependent moved to a family tier that does not cover
        them (employee only, for a spouse) must have had their coverage ended by the file.
        (Rows are inserted without reading their keys back: found by what they hold.)"""
        for where, row in self.uncovered:
            still = Coverage.objects.filter(
                member_id=row.member.pk, plan_id=row.plan_id, start_date=row.start_date,
                tier=row.tier, status=CoverageStatus.ACTIVE, end_date__isnull=True,
            )  # fmt: skip
            if still.exists():
                member = row.member
                raise refused(
                    where,
                    f"coverage level {row.tier} leaves dependent {member.member_id} "
                    f"({member.get_relationship_display().lower()}) covered under "
                    f"{row.plan.name} at a tier that does not cover them: end their coverage "
                    "in the same file, or send a level that covers them",
                )


def _described(text: str) -> str:
    """An HD04 text or a product's name, compared without case or spacing."""
    return " ".join(text.split()).casefold()


def _is_dependent(member: Member) -> bool:
    """Stored with an employee, or built by this batch with one (not saved yet)."""
    return member.employee_id is not None or (
        Member.employee.is_cached(member) and member.employee is not None
    )


# ---- writing -------------------------------------------------------------------------
# Plain parameterised SQL, executemany: the ORM's bulk_create spends most of an import's
# time preparing values field by field. The columns are the models' own, listed here.

_MEMBER_COLUMNS = (
    "group_id", "employee_id", "subscriber_id", "member_id", "relationship", "first_name",
    "last_name", "birth_date", "sex", "address_line1", "address_line2", "city", "state",
    "postal_code", "hire_date", "employment_class", "tobacco",
)  # fmt: skip
_COVERAGE_COLUMNS = (
    "member_id", "plan_id", "tier", "benefit_amount", "start_date", "end_date", "status",
    "monthly_premium", "rated_age", "rated_tobacco", "created_at",
)  # fmt: skip


def _insert_sql(model: type[Member] | type[Coverage], columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    table = quote(model._meta.db_table)
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - names, not data


def _insert(
    model: type[Member] | type[Coverage], columns: tuple[str, ...], rows: list[tuple[object, ...]]
) -> None:
    """PostgreSQL takes the rows by COPY (one stream, no per-row statement); others by
    executemany. Either way inside the caller's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(connection.ops.quote_name(column) for column in columns)
            table = connection.ops.quote_name(model._meta.db_table)
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(_insert_sql(model, columns), rows)  # type: ignore[arg-type]


def _insert_members(members: list[Member]) -> None:
    """Insert, then read the new primary keys back by (group, member id), which is unique."""
    if not members:
        return
    rows = [tuple(getattr(m, column) for column in _MEMBER_COLUMNS) for m in members]
    _insert(Member, _MEMBER_COLUMNS, rows)
    by_group: dict[int, dict[str, Member]] = {}
    for member in members:
        by_group.setdefault(member.group_id, {})[member.member_id] = member
    for group_id, named in by_group.items():
        ids = list(named)
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            found = Member.objects.filter(group_id=group_id, member_id__in=ids[start : start + 900])
            for pk, member_id in found.values_list("pk", "member_id"):
                named[member_id].pk = pk
                named[member_id]._state.adding = False


def _insert_coverages(coverages: list[Coverage]) -> None:
    if not coverages:
        return
    created = connection.ops.adapt_datetimefield_value(timezone.now())
    for row in coverages:
        row.member_id = row.member.pk
    rows = [(*(getattr(c, column) for column in _COVERAGE_COLUMNS[:-1]), created)
            for c in coverages]  # fmt: skip
    _insert(Coverage, _COVERAGE_COLUMNS, rows)


def _update_coverages(coverages: list[Coverage]) -> None:
    if not coverages:
        return
    quote = connection.ops.quote_name
    table = quote(Coverage._meta.db_table)
    sql = f"UPDATE {table} SET status = %s, end_date = %s WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(c.status, c.end_date, c.pk) for c in coverages])
