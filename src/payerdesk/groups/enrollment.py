"""Applying an X12 834 to groups, members and coverages: all or nothing.

The whole file is read and checked first (`payerdesk.edi`); then every member loop is
applied in one transaction. Any problem rolls the file back and is reported with the
segment it comes from. A dry run does the same work and rolls back on purpose, so it
shows exactly what applying would change. The same file twice (same ISA13 and
SHA-256) changes nothing and says so.
"""

import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import transaction

from payerdesk.core.errors import ErrorCode, InvalidInput, NotPermitted
from payerdesk.core.models import User
from payerdesk.edi import EnrollmentHeader, X12Error, read_834
from payerdesk.edi import Member as Member834
from payerdesk.edi.x834 import Coverage as Coverage834
from payerdesk.groups import services
from payerdesk.groups.models import (
    Coverage,
    CoverageStatus,
    EmployerGroup,
    EnrollmentFile,
    Member,
    PlanDesign,
    Tier,
)


@dataclass
class EnrollmentResult:
    interchange_control_number: str
    dry_run: bool
    already_imported: bool = False
    by_maintenance_type: Counter[str] = field(default_factory=Counter)
    changes: list[str] = field(default_factory=list)


class _Rollback(Exception):
    """Raised inside the transaction to undo a dry run."""


def _located(item: Member834 | Coverage834, message: str, segment_id: str = "INS") -> InvalidInput:
    return InvalidInput(
        ErrorCode.INVALID, f"segment {item.segment_number} ({segment_id}): {message}", field="file"
    )


def enrollment_834_apply(
    *, actor: User | None, name: str, content: bytes, dry_run: bool = False
) -> EnrollmentResult:
    """Apply (or, with `dry_run`, rehearse) an 834. `actor` None: a trusted batch."""
    if actor is not None and not actor.has_perm("groups.add_member"):
        raise NotPermitted("Your role does not apply enrollment files.")
    try:
        items = list(read_834(io.BytesIO(content)))
    except X12Error as error:
        raise InvalidInput(ErrorCode.INVALID, f"{name}: {error}", field="file") from None
    control = next(i for i in items if isinstance(i, EnrollmentHeader)).interchange_control_number
    result = EnrollmentResult(interchange_control_number=control, dry_run=dry_run)
    digest = hashlib.sha256(content).hexdigest()
    earlier = EnrollmentFile.objects.filter(
        interchange_control_number=control, sha256=digest
    ).first()
    if earlier is not None:
        result.already_imported = True
        result.changes.append(
            f"Already imported on {earlier.received_at:%Y-%m-%d %H:%M}: nothing changed."
        )
        return result
    members = [item for item in items if isinstance(item, Member834)]
    try:
        with transaction.atomic():
            for member in members:
                result.by_maintenance_type[member.maintenance_type] += 1
                result.changes.extend(_apply(actor, member))
            if dry_run:
                raise _Rollback
            _keep(actor, name, content, digest, control, result)
    except _Rollback:
        pass
    return result


def _keep(
    actor: User | None, name: str, content: bytes, digest: str, control: str,
    result: EnrollmentResult,
) -> None:  # fmt: skip
    record = EnrollmentFile(
        name=name[:200],
        sha256=digest,
        interchange_control_number=control,
        size=len(content),
        received_by=actor,
        summary={"members": dict(result.by_maintenance_type), "changes": len(result.changes)},
    )
    record.content.save(digest, ContentFile(content), save=False)
    record.save()


def _apply(actor: User | None, loop: Member834) -> list[str]:
    group = _group(loop)
    if actor is not None:
        services.require_market_permission(actor, "groups.add_member", group.market)
    if loop.maintenance_type == "021":
        return _add(actor, group, loop)
    member = _existing(group, loop)
    if loop.maintenance_type == "001":
        return _change(actor, member, loop)
    if loop.maintenance_type == "024":
        return _terminate(member, loop)
    if loop.maintenance_type == "025":
        return _reinstate(actor, member, loop)
    raise _located(loop, "030 audit files are compared, not applied: use the audit report")


def _group(loop: Member834) -> EmployerGroup:
    number = loop.group_policy_number.upper()
    group = EmployerGroup.objects.filter(group_number=number).first()
    if group is None:
        raise _located(loop, f"no employer group {number!r} (REF*1L)")
    return group


def _member_id(loop: Member834) -> str:
    return loop.member_id or loop.subscriber_id


def _existing(group: EmployerGroup, loop: Member834) -> Member:
    member = Member.objects.filter(group=group, member_id=_member_id(loop)).first()
    if member is None:
        action = {"001": "a change", "024": "a termination", "025": "a reinstatement"}
        raise _located(
            loop,
            f"member {_member_id(loop)} is not enrolled in group {group.group_number}: "
            f"it cannot take {action.get(loop.maintenance_type, 'this')}",
        )
    return member


def _add(actor: User | None, group: EmployerGroup, loop: Member834) -> list[str]:
    member_id = _member_id(loop)
    if Member.objects.filter(group=group, member_id=member_id).exists():
        raise _located(loop, f"member {member_id} is already enrolled (send 001 to change)")
    if loop.birth_date is None:
        raise _located(loop, "DMG (date of birth) is needed to enroll a member")
    employee = None
    if not loop.subscriber:
        employee = Member.objects.filter(
            group=group, member_id=loop.subscriber_id, employee__isnull=True
        ).first()
        if employee is None:
            raise _located(
                loop, f"dependent of subscriber {loop.subscriber_id}, who is not enrolled"
            )
    member = Member.objects.create(
        group=group,
        employee=employee,
        subscriber_id=loop.subscriber_id,
        member_id=member_id,
        relationship=loop.relationship,
        first_name=loop.first_name,
        last_name=loop.last_name,
        birth_date=loop.birth_date,
        sex=loop.sex or "U",
        address_line1=(*loop.address_lines, "", "")[0],
        address_line2=(*loop.address_lines, "", "")[1],
        city=loop.city,
        state=loop.state,
        postal_code=loop.postal_code,
    )
    changes = [f"Enrolled member {member_id} in group {group.group_number}"]
    for coverage in loop.coverages:
        changes.append(_cover(actor, member, coverage))
    return changes


def _plan(member: Member, coverage: Coverage834) -> PlanDesign:
    plan = PlanDesign.objects.filter(
        group=member.group, product__insurance_line=coverage.insurance_line
    ).first()
    if plan is None:
        raise _located(
            coverage,
            f"group {member.group.group_number} has no plan for insurance line "
            f"{coverage.insurance_line!r} (HD03)",
            "HD",
        )
    return plan


def _tier(coverage: Coverage834) -> str:
    level = coverage.coverage_level or Tier.EMPLOYEE
    if level not in Tier.values:
        raise _located(coverage, f"coverage level {level!r} (HD05) is not one of "
                                 f"{', '.join(Tier.values)}", "HD")  # fmt: skip
    return level


def _cover(actor: User | None, member: Member, coverage: Coverage834) -> str:
    plan = _plan(member, coverage)
    if coverage.begin is None:
        raise _located(coverage, "DTP*348 (coverage begin) is needed to add coverage", "HD")
    try:
        added = services.coverage_add(
            actor=actor, member=member, plan=plan, tier=_tier(coverage), benefit_amount=None,
            start_date=coverage.begin,
        )  # fmt: skip
    except InvalidInput as error:
        raise _located(coverage, error.message, "HD") from None
    if coverage.end is not None:
        _end(added, coverage.end)
    return (
        f"Covered member {member.member_id} under {plan.name} ({added.tier}) from "
        f"{added.start_date}, {added.monthly_premium}/month"
    )


def _end(row: Coverage, last_day: date) -> None:
    if last_day < row.start_date:
        # Ending before it began: the coverage was never in force.
        row.status = CoverageStatus.CANCELLED
        row.end_date = row.start_date
    else:
        row.status, row.end_date = CoverageStatus.TERMINATED, last_day
    row.save(update_fields=["status", "end_date"])


def _open_rows(member: Member) -> list[Coverage]:
    return list(
        member.coverages.filter(status=CoverageStatus.ACTIVE, end_date__isnull=True).select_related(
            "plan"
        )
    )


def _change(actor: User | None, member: Member, loop: Member834) -> list[str]:
    changes = []
    updates = {
        "last_name": loop.last_name, "first_name": loop.first_name, "city": loop.city,
        "state": loop.state, "postal_code": loop.postal_code, "birth_date": loop.birth_date,
        "sex": loop.sex,
    }  # fmt: skip
    changed = [name for name, value in updates.items() if value and getattr(member, name) != value]
    for name in changed:
        setattr(member, name, updates[name])
    if changed:
        member.save(update_fields=changed)
        changes.append(f"Updated member {member.member_id}: {', '.join(changed)}")
    for coverage in loop.coverages:
        if coverage.maintenance_type == "021":
            changes.append(_cover(actor, member, coverage))
        elif coverage.maintenance_type == "024":
            changes.append(_end_plan(member, coverage))
        else:
            raise _located(coverage, f"HD01 {coverage.maintenance_type} is not applied yet "
                                     "in a change; send 024 then 021", "HD")  # fmt: skip
    if not changes:
        changes.append(f"No change for member {member.member_id}")
    return changes


def _end_plan(member: Member, coverage: Coverage834) -> str:
    plan = _plan(member, coverage)
    rows = [row for row in _open_rows(member) if row.plan_id == plan.pk]
    last_day = coverage.end or (coverage.begin - timedelta(days=1) if coverage.begin else None)
    if not rows or last_day is None:
        raise _located(coverage, f"no open {plan.name} coverage to end, or no DTP*349", "HD")
    for row in rows:
        _end(row, last_day)
    return f"Ended member {member.member_id}'s {plan.name} on {last_day}"


def _terminate(member: Member, loop: Member834) -> list[str]:
    last_day = loop.eligibility_end or loop.maintenance_effective
    if last_day is None:
        raise _located(loop, "a termination needs DTP*357 (eligibility end) or DTP*303")
    rows = _open_rows(member)
    for row in rows:
        _end(row, last_day)
    return [f"Terminated member {member.member_id}: {len(rows)} coverage(s) end {last_day}"]


def _reinstate(actor: User | None, member: Member, loop: Member834) -> list[str]:
    if loop.coverages:
        return [_cover(actor, member, coverage) for coverage in loop.coverages]
    ended = list(member.coverages.filter(status=CoverageStatus.TERMINATED).order_by("-end_date"))
    latest = {row.plan_id: row for row in reversed(ended)}  # the last-ended row per plan
    if not latest:
        raise _located(loop, f"member {member.member_id} has no terminated coverage to reinstate")
    for row in latest.values():
        row.status, row.end_date = CoverageStatus.ACTIVE, None
        row.save(update_fields=["status", "end_date"])
    return [f"Reinstated member {member.member_id}: {len(latest)} coverage(s) restored"]
