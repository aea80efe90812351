"""Applying an X12 834 to groups, members and coverages: all or nothing.

The file is streamed (`payerdesk.edi`) and applied a chunk of member loops at a time,
set-based (`enrollment_batch.Batch`), inside one transaction: any problem, including one the
trailer reveals at the end, rolls the whole file back and is reported with the segment
it comes from. A dry run does the same work and rolls back on purpose, so it shows
exactly what applying would change. The same file twice (same ISA13 and SHA-256)
changes nothing and says so.

INS03 030 (audit) makes a full file: it is compared with what is stored and the
differences reported; with `apply_audit` they are applied. What a full file's silence
means is stated in `ABSENCE_MEANS`.
"""

import hashlib
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import transaction

from payerdesk.core.db import statements_unprepared
from payerdesk.core.errors import ErrorCode, InvalidInput, NotPermitted
from payerdesk.core.models import User
from payerdesk.edi import EnrollmentHeader, X12Error, read_834
from payerdesk.edi import Member as Member834
from payerdesk.edi.x834 import Coverage as Coverage834
from payerdesk.groups.models import (
    Coverage,
    CoverageStatus,
    EnrollmentFile,
    Member,
    TerminationReason,
)
from payerdesk.groups.services.enrollment_batch import Batch, CoverageFacts, PersonFacts, refused

CHUNK = 1000
AUDIT = "030"
HIRED = "336"  # DTP*336 (loop 2000): employment begin, the hire date
ABSENCE_MEANS = (
    "A member of an audited group (REF*1L) who is stored with coverage in force but is "
    "absent from the full file is no longer enrolled: applying the audit ends all their "
    "open coverages on the day before the file's effective date (header DTP*007, else "
    "BGN03). A coverage line stored but absent from a member's loop ends the same way. "
    "Groups the file does not name are not touched."
)
Progress = Callable[[int], None]
# INS04 maintenance reason codes (005010X220A1) a termination records, as the services'
# reasons; any other code (07 termination of benefits, AI no reason given) is "other".
TERMINATION_REASONS = {
    "01": TerminationReason.DIVORCE,
    "03": TerminationReason.DEATH,
    "04": TerminationReason.EMPLOYMENT_ENDED,  # retirement
    "08": TerminationReason.EMPLOYMENT_ENDED,
    "14": TerminationReason.VOLUNTARY,
    "59": TerminationReason.NONPAYMENT,
}


@dataclass
class EnrollmentResult:
    interchange_control_number: str
    dry_run: bool
    already_imported: bool = False
    by_maintenance_type: Counter[str] = field(default_factory=Counter)
    changes: list[str] = field(default_factory=list)
    audit: bool = False  # a full (030) file: `changes` are its differences
    audit_applied: bool = False
    absence_means: str = ""

    @property
    def members(self) -> int:
        return sum(self.by_maintenance_type.values())


class _Rollback(Exception):
    """Raised inside the transaction to undo a dry run or an audit report."""


def enrollment_834_apply(
    *,
    actor: User | None,
    name: str,
    content: bytes,
    dry_run: bool = False,
    apply_audit: bool = False,
    progress: Progress | None = None,
) -> EnrollmentResult:
    """Apply (or, with `dry_run`, rehearse) an 834. `actor` None: a trusted batch.

    A full (030) file is reported and only applied with `apply_audit`."""
    if actor is not None and not actor.has_perm("groups.add_member"):
        raise NotPermitted("Your role does not apply enrollment files.")
    digest = hashlib.sha256(content).hexdigest()
    items = _items(name, content)
    header = next(items)
    assert isinstance(header, EnrollmentHeader)  # read_834 yields a header first
    result = EnrollmentResult(header.interchange_control_number, dry_run=dry_run)
    earlier = EnrollmentFile.objects.filter(
        interchange_control_number=result.interchange_control_number, sha256=digest
    ).first()
    if earlier is not None:
        result.already_imported = True
        result.changes.append(
            f"Already imported on {earlier.received_at:%Y-%m-%d %H:%M}: nothing changed."
        )
        return result
    try:
        with transaction.atomic(), statements_unprepared():
            _Apply(actor, header, result, progress).run(items)
            keep = not dry_run and (not result.audit or apply_audit)
            result.audit_applied = result.audit and keep
            if not keep:
                raise _Rollback
            _keep(actor, name, content, digest, result)
    except _Rollback:
        pass
    return result


def _items(name: str, content: bytes) -> Iterator[EnrollmentHeader | Member834]:
    """The file's items; a reader error becomes a located InvalidInput."""

    def located() -> Iterator[EnrollmentHeader | Member834]:
        try:
            yield from read_834(io.BytesIO(content))
        except X12Error as error:
            raise InvalidInput(ErrorCode.INVALID, f"{name}: {error}", field="file") from None

    items = located()
    first = next(items, None)  # the reader raises on an empty or headless file
    if first is None:
        raise InvalidInput(ErrorCode.INVALID, f"{name}: no transaction set", field="file")
    return _chain(first, items)


def _chain(
    first: EnrollmentHeader | Member834, rest: Iterator[EnrollmentHeader | Member834]
) -> Iterator[EnrollmentHeader | Member834]:
    yield first
    yield from rest


def _keep(
    actor: User | None, name: str, content: bytes, digest: str, result: EnrollmentResult
) -> None:
    record = EnrollmentFile(
        name=name[:200],
        sha256=digest,
        interchange_control_number=result.interchange_control_number,
        size=len(content),
        received_by=actor,
        summary={"members": dict(result.by_maintenance_type), "changes": len(result.changes)},
    )
    record.content.save(digest, ContentFile(content), save=False)
    record.save()


def _where(item: Member834 | Coverage834, segment_id: str = "INS") -> str:
    return f"segment {item.segment_number} ({segment_id})"


def person_facts(loop: Member834) -> PersonFacts:
    lines = (*loop.address_lines, "", "")
    return PersonFacts(
        where=_where(loop), group_number=loop.group_policy_number,
        subscriber_id=loop.subscriber_id, member_id=loop.member_id or loop.subscriber_id,
        relationship=loop.relationship, last_name=loop.last_name, first_name=loop.first_name,
        birth_date=loop.birth_date, sex=loop.sex, address_line1=lines[0],
        address_line2=lines[1], city=loop.city, state=loop.state, postal_code=loop.postal_code,
        hire_date=loop.dates.get(HIRED),
    )  # fmt: skip


def coverage_facts(hd: Coverage834) -> CoverageFacts:
    where = _where(hd, "HD")
    return CoverageFacts(
        where=where, insurance_line=hd.insurance_line, plan_description=hd.plan_description,
        tier=hd.coverage_level, benefit=hd.benefit_amount, start=hd.begin, end=hd.end,
        field_where={"tier": f"{where}, HD05", "plan_description": f"{where}, HD04"},
    )  # fmt: skip


class _Apply:
    """One file's walk: chunks of member loops, each applied by its INS03."""

    def __init__(
        self, actor: User | None, header: EnrollmentHeader, result: EnrollmentResult,
        progress: Progress | None,
    ) -> None:  # fmt: skip
        self.batch = Batch(actor)
        self.header = header
        self.result = result
        self.progress = progress
        self.seen: dict[int, set[str]] = {}  # audited group id -> member ids in the file

    def run(self, items: Iterator[EnrollmentHeader | Member834]) -> None:
        chunk: list[Member834] = []
        for item in items:
            if isinstance(item, EnrollmentHeader):
                self.header = item
                continue
            chunk.append(item)
            if len(chunk) >= CHUNK:
                self._chunk(chunk)
                chunk = []
        self._chunk(chunk)  # the reader has checked the trailers by now
        if self.result.audit:
            self._absent()
            self.result.absence_means = ABSENCE_MEANS
            self.batch.flush()
        self.batch.families_check()

    def _chunk(self, loops: list[Member834]) -> None:
        if not loops:
            return
        people = [person_facts(loop) for loop in loops]
        self.batch.load(people)
        for loop, person in zip(loops, people, strict=True):
            self._mode(loop)
            self.result.by_maintenance_type[loop.maintenance_type] += 1
            self.result.changes.extend(self._one(loop, person))
        self.batch.flush()
        self.batch.forget()
        if self.progress is not None:
            self.progress(self.result.members)

    def _mode(self, loop: Member834) -> None:
        audit = loop.maintenance_type == AUDIT
        if self.result.members == 0:
            self.result.audit = audit
        elif audit != self.result.audit:
            raise refused(_where(loop), "a full (030 audit) file holds only 030 member loops; "
                                        "send changes in another file")  # fmt: skip

    def _one(self, loop: Member834, person: PersonFacts) -> list[str]:
        code = loop.maintenance_type
        if code == "021":
            return self._add(loop, person)
        member = self.batch.member(person)
        if code == AUDIT:
            return self._audit(loop, person, member)
        if member is None:
            action = {"001": "a change", "024": "a termination", "025": "a reinstatement"}
            group = self.batch.group(person.where, person.group_number)
            raise refused(
                person.where,
                f"member {person.member_id} is not enrolled in group {group.group_number}: "
                f"it cannot take {action[code]}",
            )
        if code == "001":
            return self._change(loop, person, member)
        if code == "024":
            return self._terminate(loop, member)
        return self._reinstate(loop, member)

    # ---- 021 add -------------------------------------------------------------------
    def _add(self, loop: Member834, person: PersonFacts) -> list[str]:
        if self.batch.member(person) is not None:
            raise refused(person.where, f"member {person.member_id} is already enrolled "
                                        "(send 001 to change)")  # fmt: skip
        member = self.batch.member_add(person)
        changes = [f"Enrolled member {member.member_id} in group {member.group.group_number}"]
        for hd in loop.coverages:
            changes.append(self._cover(loop, member, hd))
        return changes

    def _effective(self, loop: Member834, hd: Coverage834, what: str) -> date:
        day = hd.begin or loop.maintenance_effective
        if day is None:
            raise refused(_where(hd, "HD"), f"DTP*348 (coverage begin) or DTP*303 (maintenance "
                                            f"effective) is needed to {what}")  # fmt: skip
        return day

    def _cover(self, loop: Member834, member: Member, hd: Coverage834) -> str:
        facts = coverage_facts(hd)
        row = self.batch.coverage_add(member, facts, self._effective(loop, hd, "add coverage"))
        if hd.end is not None:
            self.batch.coverage_end(row, hd.end)
        return (
            f"Covered member {member.member_id} under {row.plan.name} ({row.tier}) from "
            f"{row.start_date}, {row.monthly_premium}/month"
        )

    # ---- 001 change ----------------------------------------------------------------
    def _change(self, loop: Member834, person: PersonFacts, member: Member) -> list[str]:
        changes = []
        changed = self.batch.member_update(member, person)
        if changed:
            changes.append(f"Updated member {member.member_id}: {', '.join(changed)}")
        for hd in loop.coverages:
            changes.append(self._coverage_change(loop, member, hd))
        return changes or [f"No change for member {member.member_id}"]

    def _coverage_change(self, loop: Member834, member: Member, hd: Coverage834) -> str:
        code = hd.maintenance_type
        if code == "021":
            return self._cover(loop, member, hd)
        if code == "024":
            return self._end_plan(loop, member, hd)
        if code == "001":
            return self._rerate(loop, member, hd)
        if code == "025":
            return self._reinstate_plan(loop, member, hd)
        raise refused(_where(hd, "HD"), f"HD01 {code} is not applied in a change; send 001 "
                                        "(change), 021, 024 or 025")  # fmt: skip

    def _end_plan(self, loop: Member834, member: Member, hd: Coverage834) -> str:
        plan = self.batch.plan(member, coverage_facts(hd))
        begin = hd.begin or loop.maintenance_effective
        last_day = hd.end or (begin - timedelta(days=1) if begin else None)
        rows = self.batch.rows_in_force_after(member, last_day, plan) if last_day else []
        if not rows or last_day is None:
            raise refused(_where(hd, "HD"), f"no {plan.name} coverage in force to end, or no "
                                            "DTP*349 / DTP*348 / DTP*303 date")  # fmt: skip
        reason = _termination_reason(loop)
        for row in rows:
            self.batch.coverage_terminate(member, row, last_day, reason)
        family = self.batch.family_end(member, last_day, reason, plan)
        with_them = f" (and {family} dependent coverage(s) with it)" if family else ""
        return f"Ended member {member.member_id}'s {plan.name} on {last_day}{with_them}"

    def _rerate(
        self, loop: Member834, member: Member, hd: Coverage834, effective: date | None = None
    ) -> str:
        """HD01 001: the coverage changes (tier or benefit) from its effective date: the
        old row ends the day before and a new, re-rated row starts."""
        facts = coverage_facts(hd)
        plan = self.batch.plan(member, facts)
        effective = effective or self._effective(loop, hd, "change coverage")
        rows = self.batch.open_rows(member, plan)
        if not rows:
            raise refused(facts.where, f"member {member.member_id} has no open {plan.name} "
                                       "coverage to change")  # fmt: skip
        old = rows[-1]
        facts.tier = facts.tier or old.tier
        facts.benefit = facts.benefit if facts.benefit is not None else old.benefit_amount
        if (facts.tier, facts.benefit) == (old.tier, old.benefit_amount):
            return f"No change to member {member.member_id}'s {plan.name}"
        if effective <= old.start_date:
            raise refused(facts.where, f"the change is effective {effective}, not after the "
                                       f"coverage began {old.start_date}")  # fmt: skip
        self.batch.coverage_end(old, effective - timedelta(days=1))
        new = self.batch.coverage_add(member, facts, effective)
        family = ""
        if new.tier != old.tier:
            moved = self.batch.family_follow(facts.field_where["tier"], member, plan, effective)
            family = f"; {moved} dependent coverage(s) move to {new.tier}" if moved else ""
        return (
            f"Changed member {member.member_id}'s {plan.name} from {effective}: "
            f"{old.tier} {old.benefit_amount or ''} {old.monthly_premium}/month -> "
            f"{new.tier} {new.benefit_amount or ''} {new.monthly_premium}/month{family}"
        ).replace("  ", " ")

    # ---- 024 terminate, 025 reinstate ------------------------------------------------
    def _terminate(self, loop: Member834, member: Member) -> list[str]:
        # DTP*357 is the last covered day; DTP*303 is the day the termination takes
        # effect, so the member is covered until the day before.
        last_day = loop.eligibility_end
        if last_day is None and loop.maintenance_effective is not None:
            last_day = loop.maintenance_effective - timedelta(days=1)
        if last_day is None:
            raise refused(_where(loop), "a termination needs DTP*357 (eligibility end) "
                                        "or DTP*303 (maintenance effective)")  # fmt: skip
        rows = self.batch.rows_in_force_after(member, last_day)
        if not rows:  # a termination sent again: files repeat, and it changes nothing
            return [f"Member {member.member_id} has no coverage in force after {last_day}: "
                    "nothing to terminate"]  # fmt: skip
        reason = _termination_reason(loop)
        for row in rows:
            self.batch.coverage_terminate(member, row, last_day, reason)
        family = self.batch.family_end(member, last_day, reason)
        with_them = f", and {family} of their dependents'" if family else ""
        return [
            f"Terminated member {member.member_id}: {len(rows)} coverage(s){with_them} "
            f"end {last_day}"
        ]

    def _reinstate(self, loop: Member834, member: Member) -> list[str]:
        if loop.coverages:
            return [self._reinstate_plan(loop, member, hd) for hd in loop.coverages]
        latest = _last_ended(self.batch.coverages(member))
        if not latest:
            raise refused(_where(loop), f"member {member.member_id} has no terminated "
                                        "coverage to reinstate")  # fmt: skip
        family = self.batch.family_reopen(member, list(latest.values()))
        for row in latest.values():
            self.batch.coverage_reopen(member, row)
        with_them = f", and {family} of their dependents'" if family else ""
        return [
            f"Reinstated member {member.member_id}: {len(latest)} coverage(s){with_them} restored"
        ]

    def _reinstate_plan(self, loop: Member834, member: Member, hd: Coverage834) -> str:
        """Restore the plan's last ended row; with none, cover from the HD begin date."""
        plan = self.batch.plan(member, coverage_facts(hd))
        row = _last_ended(self.batch.coverages(member)).get(plan.pk)
        if row is None or self.batch.open_rows(member, plan):
            return self._cover(loop, member, hd)
        family = self.batch.family_reopen(member, [row])
        self.batch.coverage_reopen(member, row)
        with_them = f" (and {family} dependent coverage(s) with it)" if family else ""
        return (
            f"Reinstated member {member.member_id}'s {plan.name} from {row.start_date}{with_them}"
        )

    # ---- 030 audit -----------------------------------------------------------------
    def _audit(self, loop: Member834, person: PersonFacts, member: Member | None) -> list[str]:
        group = self.batch.group(person.where, person.group_number)
        self.seen.setdefault(group.pk, set()).add(person.member_id)
        if member is None:
            added = self._add(loop, person)
            return [f"Not stored: member {person.member_id} is in the file", *added[1:]]
        changes = []
        differs = self.batch.member_update(member, person)
        if differs:
            changes.append(f"Differs: member {member.member_id} {', '.join(differs)}")
        as_of = self._as_of()
        lines = set()
        for hd in loop.coverages:
            plan_id, change = self._audit_line(loop, member, hd, as_of)
            lines.add(plan_id)
            if change:
                changes.append(change)
        for row in self.batch.in_force(member, as_of):
            if row.plan_id not in lines and row.end_date is None:
                self.batch.coverage_terminate(
                    member, row, as_of - timedelta(days=1), TerminationReason.OTHER
                )
                changes.append(f"Coverage not in the file: member {member.member_id} "
                               f"{row.plan.name} ends {as_of - timedelta(days=1)}")  # fmt: skip
        return changes

    def _audit_line(
        self, loop: Member834, member: Member, hd: Coverage834, as_of: date
    ) -> tuple[int, str]:
        """Compare one HD loop with the stored coverage: (the plan, the difference)."""
        facts = coverage_facts(hd)
        plan = self.batch.plan(member, facts)
        rows = [row for row in self.batch.in_force(member, as_of) if row.plan_id == plan.pk]
        rows = rows or self.batch.open_rows(member, plan)
        if not rows:
            added = self._cover(loop, member, hd)
            return plan.pk, f"Coverage not stored: member {member.member_id} {plan.name}. {added}"
        stored = rows[-1]
        same_tier = not facts.tier or facts.tier == stored.tier
        same_benefit = facts.benefit is None or facts.benefit == stored.benefit_amount
        if same_tier and same_benefit:
            return plan.pk, ""
        later = hd.begin if hd.begin and hd.begin > stored.start_date else None
        return plan.pk, f"Coverage differs: {self._rerate(loop, member, hd, later or as_of)}"

    def _as_of(self) -> date:
        as_of = self.header.as_of
        if as_of is None:
            raise refused(f"segment {self.header.segment_number} (ST)", "a full (030) file "
                          "needs its effective date (DTP*007) or BGN03")  # fmt: skip
        return as_of

    def _absent(self) -> None:
        """Stored members with coverage in force whom the full file leaves out."""
        as_of = self._as_of()
        last_day = as_of - timedelta(days=1)
        for group_id, present in self.seen.items():
            open_rows = (
                Coverage.objects.filter(member__group_id=group_id, status=CoverageStatus.ACTIVE)
                .exclude(end_date__lt=as_of)
                .select_related("member", "plan")
                .order_by("member__member_id", "pk")
            )
            ended: Counter[str] = Counter()
            for row in open_rows.iterator(chunk_size=2000):
                if row.member.member_id in present:
                    continue
                self.batch.coverage_terminate(row.member, row, last_day, TerminationReason.OTHER)
                ended[row.member.member_id] += 1
            for member_id, count in ended.items():
                self.result.changes.append(
                    f"Missing from the file: member {member_id}; {count} coverage(s) end {last_day}"
                )


def _termination_reason(loop: Member834) -> str:
    return TERMINATION_REASONS.get(loop.maintenance_reason, TerminationReason.OTHER)


def _last_ended(rows: list[Coverage]) -> dict[int, Coverage]:
    """The last terminated row of each plan."""
    ended = sorted(
        (row for row in rows if row.status == CoverageStatus.TERMINATED),
        key=lambda row: (row.end_date or date.min, row.pk or 0),
    )
    return {row.plan_id: row for row in ended}


__all__ = ["ABSENCE_MEANS", "EnrollmentResult", "Member", "enrollment_834_apply"]
