"""Policy changes, underwriting, terminations and reinstatements over REST (staff)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from payerdesk.core.access import log_record_view
from payerdesk.core.api import staff_user
from payerdesk.core.errors import ErrorCode, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.groups import selectors
from payerdesk.groups.models import (
    Coverage,
    EmployerGroup,
    Member,
    PlanDesign,
    PolicyChange,
    PremiumChange,
    Product,
    UnderwritingRuleSet,
)
from payerdesk.groups.services import policy_changes, terminations
from payerdesk.groups.services.policy_changes import ChangeRequest

router = Router(tags=["policy changes"])


def _member(user: User, member_pk: int, request: HttpRequest) -> Member:
    member = selectors.members_visible_to(user).filter(pk=member_pk).first()
    if member is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"Member {member_pk} does not exist.")
    log_record_view(
        request,
        user,
        record_type="member",
        record_id=str(member.pk),
        channel=AccessLogEntry.Channel.API,
    )
    return member


def _plan(member: Member, plan_id: int | None) -> PlanDesign | None:
    if plan_id is None:
        return None
    plan = PlanDesign.objects.filter(pk=plan_id, group=member.group_id).first()
    if plan is None:
        raise InvalidInput(
            ErrorCode.INVALID, f"Plan {plan_id} is not a plan of this member's group.", field="plan"
        )
    return plan


class DependentIn(Schema):
    member_id: str = ""
    first_name: str = ""
    last_name: str = ""
    birth_date: str = ""
    sex: str = ""
    relationship: str = ""


class ChangeIn(Schema):
    member: int
    change_type: str
    effective_date: date
    plan: int | None = None
    benefit_amount: Decimal | None = None
    tier: str = ""
    tobacco: bool | None = None
    signed_statement: bool = False
    qualifying_event_date: date | None = None
    dependent: int | None = None
    new_dependent: DependentIn | None = None


class PremiumChangeOut(Schema):
    coverage: int
    period: date
    old_amount: Decimal
    new_amount: Decimal
    difference: Decimal


class ChangeOut(Schema):
    id: int
    member: int
    group: str
    change_type: str
    effective_date: date
    plan: int | None
    channel: str
    status: str
    rule_outcome: str
    rule: str
    rule_set: str
    old_premium: Decimal
    new_premium: Decimal
    work_item: int | None
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decline_reason: str
    premium_changes: list[PremiumChangeOut]

    @staticmethod
    def of(change: PolicyChange) -> "ChangeOut":
        diffs = PremiumChange.objects.filter(policy_change=change)
        return ChangeOut(
            id=change.pk,
            member=change.member_id,
            group=change.member.group.group_number,
            change_type=change.change_type,
            effective_date=change.effective_date,
            plan=change.plan_id,
            channel=change.channel,
            status=change.status,
            rule_outcome=change.rule_outcome,
            rule=change.rule,
            rule_set=change.rule_set,
            old_premium=change.old_premium,
            new_premium=change.new_premium,
            work_item=change.work_item_id,
            requested_by=change.requested_by.username,
            requested_at=change.requested_at,
            decided_by=change.decided_by.username if change.decided_by else None,
            decline_reason=change.decline_reason,
            premium_changes=[
                PremiumChangeOut(
                    coverage=d.coverage_id,
                    period=d.period,
                    old_amount=d.old_amount,
                    new_amount=d.new_amount,
                    difference=d.difference,
                )
                for d in diffs
            ],
        )


class QuoteOut(Schema):
    old_premium: Decimal
    new_premium: Decimal
    rule_outcome: str
    rule: str
    rule_set: str
    goes_to_review: bool


def _change_request(
    user: User, body: ChangeIn, request: HttpRequest
) -> tuple[Member, ChangeRequest]:
    member = _member(user, body.member, request)
    dependent = None
    if body.dependent is not None:
        dependent = member.dependents.filter(pk=body.dependent).first()
        if dependent is None:
            raise InvalidInput(
                ErrorCode.INVALID,
                f"Member {body.dependent} is not a dependent of this employee.",
                field="dependent",
            )
    return member, ChangeRequest(
        change_type=body.change_type,
        effective_date=body.effective_date,
        plan=_plan(member, body.plan),
        benefit_amount=body.benefit_amount,
        tier=body.tier,
        tobacco=body.tobacco,
        signed_statement=body.signed_statement,
        qualifying_event_date=body.qualifying_event_date,
        dependent=dependent,
        dependent_details=body.new_dependent.dict() if body.new_dependent else {},
    )


@router.post("/policy-changes/preview", response=QuoteOut, summary="Quote a policy change")
def change_preview(request: HttpRequest, body: ChangeIn) -> QuoteOut:
    """Old and new premium and the rules' answer; nothing is saved."""
    user = staff_user(request)
    member, change_request = _change_request(user, body, request)
    preview = policy_changes.policy_change_preview(
        actor=user, member=member, request=change_request
    )
    return QuoteOut(
        old_premium=preview.quote.old_premium,
        new_premium=preview.quote.new_premium,
        rule_outcome=preview.decision.outcome,
        rule=preview.decision.rule,
        rule_set=preview.decision.rule_set,
        goes_to_review=preview.goes_to_review,
    )


@router.post("/policy-changes", response={201: ChangeOut}, summary="Request a policy change")
def change_create(request: HttpRequest, body: ChangeIn) -> Status[ChangeOut]:
    """Applied and re-rated when the rules allow it; otherwise referred to underwriting."""
    user = staff_user(request)
    member, change_request = _change_request(user, body, request)
    change = policy_changes.policy_change_request(actor=user, member=member, request=change_request)
    return Status(201, ChangeOut.of(change))


def _change(user: User, change_id: int, request: HttpRequest) -> PolicyChange:
    members = selectors.members_visible_to(user)
    change = (
        PolicyChange.objects.filter(pk=change_id, member__in=members)
        .select_related("member__group", "requested_by", "decided_by")
        .first()
    )
    if change is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"Policy change {change_id} does not exist.")
    log_record_view(
        request,
        user,
        record_type="member",
        record_id=str(change.member_id),
        channel=AccessLogEntry.Channel.API,
    )
    return change


class ChangeListQuery(Schema):
    status: Literal["referred", "applied", "declined"] | None = None
    limit: int = 50
    offset: int = 0


@router.get("/policy-changes", response=list[ChangeOut], summary="Policy changes")
def change_list(request: HttpRequest, query: Query[ChangeListQuery]) -> list[ChangeOut]:
    user = staff_user(request)
    changes = PolicyChange.objects.filter(member__in=selectors.members_visible_to(user))
    if query.status:
        changes = changes.filter(status=query.status)
    page = changes.select_related("member__group", "requested_by", "decided_by")[
        max(query.offset, 0) : max(query.offset, 0) + min(max(query.limit, 1), 200)
    ]
    return [ChangeOut.of(change) for change in page]


@router.get("/policy-changes/{change_id}", response=ChangeOut, summary="A policy change")
def change_get(request: HttpRequest, change_id: int) -> ChangeOut:
    return ChangeOut.of(_change(staff_user(request), change_id, request))


class ApproveIn(Schema):
    note: str = ""


class DeclineIn(Schema):
    reason: str


@router.post("/policy-changes/{change_id}/approve", response=ChangeOut, summary="Approve")
def change_approve(request: HttpRequest, change_id: int, body: ApproveIn) -> ChangeOut:
    """An underwriter approves a referred change: it is applied and re-rated."""
    user = staff_user(request)
    change = _change(user, change_id, request)
    policy_changes.policy_change_approve(actor=user, change_id=change.pk, note=body.note)
    return ChangeOut.of(_change(user, change_id, request))


@router.post("/policy-changes/{change_id}/decline", response=ChangeOut, summary="Decline")
def change_decline(request: HttpRequest, change_id: int, body: DeclineIn) -> ChangeOut:
    user = staff_user(request)
    change = _change(user, change_id, request)
    policy_changes.policy_change_decline(actor=user, change_id=change.pk, reason=body.reason)
    return ChangeOut.of(_change(user, change_id, request))


# --- terminations and reinstatements ------------------------------------------------------


class CoverageOut(Schema):
    id: int
    member: int
    plan: int
    tier: str
    benefit_amount: Decimal | None
    start_date: date
    end_date: date | None
    status: str
    monthly_premium: Decimal

    @staticmethod
    def of(row: Coverage) -> "CoverageOut":
        return CoverageOut(
            id=row.pk,
            member=row.member_id,
            plan=row.plan_id,
            tier=row.tier,
            benefit_amount=row.benefit_amount,
            start_date=row.start_date,
            end_date=row.end_date,
            status=row.status,
            monthly_premium=row.monthly_premium,
        )


class OutcomeOut(Schema):
    ended: list[CoverageOut]
    cancelled: list[CoverageOut]
    opened: list[CoverageOut]

    @staticmethod
    def of(outcome: terminations.Outcome) -> "OutcomeOut":
        return OutcomeOut(
            ended=[CoverageOut.of(row) for row in outcome.ended],
            cancelled=[CoverageOut.of(row) for row in outcome.cancelled],
            opened=[CoverageOut.of(row) for row in outcome.opened],
        )


class TerminateIn(Schema):
    termination_date: date
    reason: str
    plan: int | None = None


class ReinstateIn(Schema):
    reason: str
    reinstatement_date: date | None = None
    plan: int | None = None


@router.post("/members/{member_pk}/terminate", response=OutcomeOut, summary="Terminate")
def member_terminate(request: HttpRequest, member_pk: int, body: TerminateIn) -> OutcomeOut:
    """End a member's coverage (one plan, or all) after the termination date."""
    user = staff_user(request)
    member = _member(user, member_pk, request)
    outcome = terminations.member_terminate(
        actor=user,
        member=member,
        termination_date=body.termination_date,
        reason=body.reason,
        plan=_plan(member, body.plan),
    )
    return OutcomeOut.of(outcome)


@router.post("/members/{member_pk}/reinstate", response=OutcomeOut, summary="Reinstate")
def member_reinstate(request: HttpRequest, member_pk: int, body: ReinstateIn) -> OutcomeOut:
    user = staff_user(request)
    member = _member(user, member_pk, request)
    outcome = terminations.member_reinstate(
        actor=user,
        member=member,
        reason=body.reason,
        plan=_plan(member, body.plan),
        reinstatement_date=body.reinstatement_date,
    )
    return OutcomeOut.of(outcome)


def _group(user: User, group_number: str) -> EmployerGroup:
    group = selectors.groups_visible_to(user).filter(group_number=group_number.upper()).first()
    if group is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"No group {group_number!r} found.")
    return group


class GroupTerminateIn(Schema):
    termination_date: date
    reason: str


class GroupReinstateIn(Schema):
    reason: str
    reinstatement_date: date | None = None


@router.post("/groups/{group_number}/terminate", response=OutcomeOut, summary="Terminate a group")
def group_terminate(request: HttpRequest, group_number: str, body: GroupTerminateIn) -> OutcomeOut:
    user = staff_user(request)
    outcome = terminations.group_terminate(
        actor=user,
        group=_group(user, group_number),
        termination_date=body.termination_date,
        reason=body.reason,
    )
    return OutcomeOut.of(outcome)


@router.post("/groups/{group_number}/reinstate", response=OutcomeOut, summary="Reinstate a group")
def group_reinstate(request: HttpRequest, group_number: str, body: GroupReinstateIn) -> OutcomeOut:
    user = staff_user(request)
    outcome = terminations.group_reinstate(
        actor=user,
        group=_group(user, group_number),
        reason=body.reason,
        reinstatement_date=body.reinstatement_date,
    )
    return OutcomeOut.of(outcome)


# --- underwriting rule sets --------------------------------------------------------------


class RuleSetOut(Schema):
    id: int
    scope: str
    group: str | None
    product: str | None
    state: str
    version: int
    name: str
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    created: bool = True

    @staticmethod
    def of(rule_set: UnderwritingRuleSet, created: bool = True) -> "RuleSetOut":
        return RuleSetOut(
            id=rule_set.pk,
            scope=rule_set.scope_label,
            group=rule_set.group.group_number if rule_set.group else None,
            product=rule_set.product.code if rule_set.product else None,
            state=rule_set.state,
            version=rule_set.version,
            name=rule_set.name,
            sha256=rule_set.sha256,
            uploaded_by=rule_set.uploaded_by.username,
            uploaded_at=rule_set.uploaded_at,
            created=created,
        )


@router.get("/underwriting-rules", response=list[RuleSetOut], summary="Underwriting rule sets")
def rule_set_list(request: HttpRequest) -> list[RuleSetOut]:
    user = staff_user(request)
    if not user.has_perm("groups.view_underwritingruleset"):
        raise NotPermitted("Underwriting rules are for group administration.")
    rows = UnderwritingRuleSet.objects.select_related("group", "product", "uploaded_by")
    return [RuleSetOut.of(row) for row in rows]


class RuleSetScope(Schema):
    name: str = ""
    group: str | None = None
    product: str | None = None
    state: str = ""


@router.post(
    "/underwriting-rules",
    response={200: RuleSetOut, 201: RuleSetOut},
    summary="Upload a rule set version",
)
def rule_set_create(
    request: HttpRequest, file: File[UploadedFile], scope: Form[RuleSetScope]
) -> Status[RuleSetOut]:
    """Validated first; the same table as the scope's newest version answers 200 and
    stores nothing."""
    user = staff_user(request)
    group = product = None
    if scope.group:
        group = EmployerGroup.objects.filter(group_number=scope.group.upper()).first()
        if group is None:
            raise InvalidInput(ErrorCode.INVALID, f"No group {scope.group!r}.", field="group")
    if scope.product:
        product = Product.objects.filter(code=scope.product).first()
        if product is None:
            raise InvalidInput(ErrorCode.INVALID, f"No product {scope.product!r}.", field="product")
    result = policy_changes.rule_set_upload(
        actor=user,
        content=file.read(),
        name=scope.name,
        group=group,
        product=product,
        state=scope.state,
    )
    return Status(201 if result.created else 200, RuleSetOut.of(result.rule_set, result.created))
