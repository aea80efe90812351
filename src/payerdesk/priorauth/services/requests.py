"""Every change to prior authorization data: one business action, one transaction.

Requests from every door (guided form, REST, FHIR, fax) go through
`prior_auth_submit`, so they are checked, decided and recorded the same way. The
system approves when the criteria say so and otherwise refers to a pharmacist; only
a pharmacist denies.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from payerdesk.core.access import Viewer
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import Queue, TimelineEvent, User, WorkItem
from payerdesk.core.notifications import email_on_commit, work_item_link
from payerdesk.core.selectors import moved_to_by
from payerdesk.core.services import (
    recorded_event,
    status_change_event,
    work_item_attach,
    work_item_close,
    work_item_create,
    work_item_record,
    work_item_reschedule,
    work_item_route,
)
from payerdesk.core.uploads import attachment_check
from payerdesk.groups.selectors import member_lookup
from payerdesk.priorauth import rules
from payerdesk.priorauth.criteria.engine import AnswerError, Criteria, DecisionError
from payerdesk.priorauth.models import (
    Channel,
    Decision,
    InformationReceipt,
    Letter,
    LineOfBusiness,
    Prescriber,
    PriorAuthRequest,
    RequestType,
    Status,
    Urgency,
)
from payerdesk.priorauth.selectors import reference as reference_selectors
from payerdesk.priorauth.selectors import requests as request_selectors
from payerdesk.priorauth.services.common import invalid
from payerdesk.priorauth.services.letters import letter_schedule
from payerdesk.priorauth.services.prescribers import npi_check
from payerdesk.priorauth.work import PRIOR_AUTH

INTAKE_QUEUE = "coverage-review"
REVIEW_QUEUE = "pharmacist-review"
DEFAULT_APPROVAL_DAYS = 365
MAX_APPROVAL_DAYS = 730
MIN_DENIAL_REASON = 30
RECORD_TYPE = "prior_auth_request"  # a request's name in the access log
NO_CRITERIA = "No approval criteria are on file for this drug: clinical review needed."


# --- intake ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fax:
    name: str
    content: bytes


def _jsonable(answers: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in answers.items():
        if isinstance(value, Decimal):
            out[key] = str(value)
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


class AnswersInvalid(InvalidInput):
    """Answers refused: every (linkId, message) at once, so a form can mark each question."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        message = "; ".join(f"{link_id}: {text}" for link_id, text in errors)
        super().__init__(ErrorCode.INVALID, message, field=f"answers.{errors[0][0]}")
        self.errors = errors


def answers_clean(criteria: Criteria | None, answers: dict[str, object]) -> dict[str, object]:
    """Typed answers, or InvalidInput naming each question that is wrong and why."""
    if criteria is None:
        if answers:
            raise AnswersInvalid(
                [(key, "no such question (this drug has no criteria questions)") for key in answers]
            )
        return {}
    try:
        return criteria.clean(answers)
    except AnswerError as error:
        raise AnswersInvalid(error.errors) from None


def _choice(
    value: str, choices: type[LineOfBusiness] | type[Urgency] | type[Channel], field: str
) -> str:
    if value not in choices.values:
        raise invalid(f"{value!r} is not one of {', '.join(choices.values)}.", field)
    return value


def _may_submit(actor: User, prescriber: Prescriber) -> None:
    if actor.has_perm("priorauth.add_priorauthrequest"):
        return
    if request_selectors.is_provider(actor) and request_selectors.acts_for(actor, prescriber):
        return
    if request_selectors.is_provider(actor):
        raise NotPermitted(f"You do not act for NPI {prescriber.npi}.")
    raise NotPermitted("Your role does not take prior authorization requests.")


def prior_auth_submit(
    *,
    actor: User,
    member_id: str,
    prescriber_npi: str,
    drug: str,
    urgency: str,
    line_of_business: str,
    channel: str,
    answers: dict[str, object],
    group_number: str | None = None,
    supporting_statement: str = "",
    claim_identifier: str = "",
    fax: Fax | None = None,
    viewer: Viewer | None = None,
) -> PriorAuthRequest:
    """Take a request from any channel, record it and decide it when the criteria allow.

    `viewer`: the caller shows the request it made to this user (an API response), so the
    view goes to the access log in the same transaction."""
    npi = npi_check(prescriber_npi)
    state = reference_selectors.intake_state(
        line_of_business=line_of_business,
        urgency=urgency,
        queues=(INTAKE_QUEUE, REVIEW_QUEUE),
        npi=npi,
    )
    prescriber = state.prescriber
    if prescriber is None:
        raise invalid(f"No prescriber with NPI {npi} is registered.", "prescriber_npi")
    _may_submit(actor, prescriber)
    _choice(urgency, Urgency, "urgency")
    _choice(line_of_business, LineOfBusiness, "line_of_business")
    _choice(channel, Channel, "channel")
    reference = reference_selectors.drug_reference(drug, stamp=state.stamp)
    found, row, criteria = reference.drug, reference.formulary_row, reference.criteria
    member = member_lookup(member_id=member_id, group_number=group_number)
    duplicate_of_id = request_selectors.open_duplicate_id(member_id=member.pk, drug_id=found.pk)
    cleaned = answers_clean(criteria, answers)
    if fax is not None:
        attachment_check(fax.name, fax.content, field="fax")
    request_type = RequestType.PRIOR_AUTH if row is not None else RequestType.EXCEPTION
    statement = supporting_statement.strip()
    waiting = request_type == RequestType.EXCEPTION and not statement
    # Evaluating the criteria reads and writes nothing: done before the transaction, so
    # the request row is written once, decided.
    outcome = None if waiting else _outcome(criteria, cleaned)
    now = timezone.now()
    clock = rules.clock_from(
        state.clock_rule, line_of_business=line_of_business, urgency=urgency, start=now
    )
    intake_queue = _queue(INTAKE_QUEUE, state.queues)
    approved = outcome is not None and outcome.approval_days is not None
    with transaction.atomic():
        request = PriorAuthRequest(
            request_type=request_type,
            member=member,
            prescriber=prescriber,
            drug=found,
            formulary_drug=row,
            urgency=urgency,
            line_of_business=line_of_business,
            channel=channel,
            answers=_jsonable(cleaned),
            criteria=reference.criteria_set,
            status=Status.AWAITING_STATEMENT if waiting else Status.IN_REVIEW,
            received_at=now,
            # An exception's clock starts with the prescriber's supporting statement.
            clock_start=None if waiting else now,
            due_at=None if waiting else clock.due_at,
            supporting_statement=statement,
            statement_received_at=now if statement else None,
            duplicate_of_id=duplicate_of_id,
            claim_identifier=claim_identifier[:100],
            submitted_by=actor,
        )
        # Approved at once: the item is opened approved (closed), and the timeline says so.
        start = "awaiting_statement" if waiting else "approved" if approved else "in_review"
        then: list[TimelineEvent] = []
        queue = intake_queue
        if outcome is not None and outcome.approval_days is not None:
            _approval_set(request, actor=None, days=outcome.approval_days)
            then.append(
                status_change_event(
                    PRIOR_AUTH,
                    actor=None,
                    previous=None,  # decided as it came in: never in pharmacist review
                    status="approved",
                    reason=_approval_reason(request),
                )
            )
        elif outcome is not None:
            # Referred: opened where a pharmacist picks it up, saying why.
            request.unmet = outcome.unmet
            queue = _queue(REVIEW_QUEUE, state.queues)
            then.append(recorded_event(actor=None, summary=_referral(outcome.unmet)))
        # Until its statement arrives an exception has no regulatory clock: the item is due
        # by the intake queue's own policy, the time a rep has to chase the statement.
        item_clock = None if waiting else clock
        request.work_item = _open_item(request, item_clock, queue, status=start, then=then)
        request.save()
        if fax is not None:
            # The submitter may add to the request (`_may_submit`), whichever queue it is in.
            work_item_attach(
                actor=actor,
                item_id=request.work_item.pk,
                upload=ContentFile(fax.content, name=fax.name),
                module_checked=True,
            )
        letters = []
        if approved:
            letters.append(letter_schedule(request, Letter.Kind.APPROVAL))
        if viewer is not None:
            viewer.record(record_type=RECORD_TYPE, record_id=str(request.pk))
    request.letters_made = letters
    return request


def _queue(slug: str, found: dict[str, Queue]) -> Queue:
    queue = found.get(slug)
    if queue is None:
        raise Conflict(ErrorCode.INVALID, f"No {slug!r} queue is configured.", field="queue")
    return queue


def _received(request: PriorAuthRequest) -> str:
    """The item's description: how the request came in, and the open one it repeats."""
    text = f"{request.get_request_type_display()} received by {request.get_channel_display()}."
    if request.duplicate_of_id is not None:
        text += f" Duplicate: PA-{request.duplicate_of_id} for the same member and drug is open."
    return text


def _open_item(
    request: PriorAuthRequest,
    clock: rules.Clock | None,
    queue: Queue,
    *,
    status: str,
    then: list[TimelineEvent],
) -> WorkItem:
    return work_item_create(
        actor=None,
        kind=PRIOR_AUTH.code,
        # Titles show in every list: the drug and the clock, never the member.
        title=f"{request.get_request_type_display()}: {request.drug.name} "
        f"({request.get_line_of_business_display()}, {request.get_urgency_display()})",
        queue=queue,
        priority=2 if request.urgency == Urgency.EXPEDITED else 3,
        description=_received(request),
        due_at=clock.due_at if clock else None,
        escalate_at=clock.escalate_at if clock else None,
        status=status,
        then=then,
    )


def _start_clock(request: PriorAuthRequest, start: datetime) -> None:
    clock = rules.clock_for(
        line_of_business=request.line_of_business, urgency=request.urgency, start=start
    )
    request.clock_start, request.due_at = start, clock.due_at
    request.save(update_fields=["clock_start", "due_at"])
    request.work_item = work_item_reschedule(
        actor=None,
        item_id=request.work_item_id,
        due_at=clock.due_at,
        escalate_at=clock.escalate_at,
        reason="the exception's clock starts with the prescriber's supporting statement",
    )


@dataclass(frozen=True)
class _Outcome:
    approval_days: int | None  # approved for this many days, when set
    unmet: list[str]  # otherwise: why a pharmacist must look at it


def _outcome(criteria: Criteria | None, cleaned: dict[str, object]) -> _Outcome:
    if criteria is None:
        return _Outcome(None, [NO_CRITERIA])
    try:
        decision = criteria.decide(cleaned)
    except DecisionError as error:
        # A criteria set that misbehaves never decides: a pharmacist does.
        return _Outcome(
            None, [f"The criteria could not be evaluated ({error}): clinical review needed."]
        )
    if decision.outcome == "approve":
        return _Outcome(int(decision.approval_days or DEFAULT_APPROVAL_DAYS), [])
    return _Outcome(None, list(decision.unmet) or ["The criteria did not approve."])


def _determine(
    request: PriorAuthRequest, criteria: Criteria | None, cleaned: dict[str, object]
) -> None:
    outcome = _outcome(criteria, cleaned)
    if outcome.approval_days is not None:
        _approve(request, actor=None, days=outcome.approval_days)
    else:
        _refer(request, outcome.unmet)


def _refer(request: PriorAuthRequest, unmet: list[str]) -> None:
    request.status, request.unmet = Status.IN_REVIEW, unmet
    request.save(update_fields=["status", "unmet"])
    request.work_item = work_item_route(
        actor=None,
        item_id=request.work_item_id,
        to_status="in_review",
        queue=REVIEW_QUEUE,
        reason=_referral(unmet),
    )


def _referral(unmet: list[str]) -> str:
    return "Referred to pharmacist review: " + "; ".join(unmet)


def _approval_set(request: PriorAuthRequest, *, actor: User | None, days: int) -> None:
    today = timezone.localdate()
    request.status, request.decision = Status.APPROVED, Decision.APPROVED
    request.automatic = actor is None
    request.approval_start, request.approval_end = today, today + timedelta(days=days - 1)
    request.decided_at, request.decided_by = timezone.now(), actor


def _approve(request: PriorAuthRequest, *, actor: User | None, days: int) -> None:
    _approval_set(request, actor=actor, days=days)
    request.save()
    request.work_item = work_item_close(
        actor=actor,
        item_id=request.work_item_id,
        status="approved",
        reason=_approval_reason(request),
    )
    letter_schedule(request, Letter.Kind.APPROVAL)


def _approval_reason(request: PriorAuthRequest) -> str:
    actor = request.decided_by
    how = "automatically: the answers meet the criteria" if actor is None else f"by {actor}"
    return f"approved {how}, through {request.approval_end}"


# --- after intake ------------------------------------------------------------------------


def _locked(request_id: int) -> PriorAuthRequest:
    found = (
        PriorAuthRequest.objects.select_for_update(of=("self",))
        .select_related("member", "prescriber", "drug", "work_item__assignee")
        .filter(pk=request_id)
        .first()
    )
    if found is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"Request PA-{request_id} does not exist.")
    return found


def _require_pharmacist(actor: User, action: str) -> None:
    if not actor.has_perm("priorauth.decide_priorauthrequest"):
        raise NotPermitted(f"Only a pharmacist may {action} a request.")


def _require_undecided(request: PriorAuthRequest) -> None:
    if request.status in (Status.APPROVED, Status.DENIED):
        raise Conflict(
            ErrorCode.ITEM_CLOSED,
            f"{request.number} is already {request.get_status_display().lower()}.",
        )
    if request.status == Status.AWAITING_STATEMENT:
        raise Conflict(
            ErrorCode.TRANSITION_NOT_ALLOWED,
            f"{request.number} waits for the prescriber's supporting statement.",
        )


def prior_auth_approve(
    *, actor: User, request_id: int, approval_days: int = DEFAULT_APPROVAL_DAYS
) -> PriorAuthRequest:
    _require_pharmacist(actor, "approve")
    if not 1 <= approval_days <= MAX_APPROVAL_DAYS:
        raise invalid(f"Approve for 1 to {MAX_APPROVAL_DAYS} days.", "approval_days")
    with transaction.atomic():
        request = _locked(request_id)
        _require_undecided(request)
        _approve(request, actor=actor, days=approval_days)
    return request


def prior_auth_deny(*, actor: User, request_id: int, reason: str) -> PriorAuthRequest:
    """Deny, by a pharmacist only, with a reason specific enough to appeal against."""
    _require_pharmacist(actor, "deny")
    text = reason.strip()
    if len(text) < MIN_DENIAL_REASON:
        raise invalid(
            f"Give the specific reason (at least {MIN_DENIAL_REASON} characters): which "
            "criterion is not met and what the record shows.",
            "reason",
        )
    with transaction.atomic():
        request = _locked(request_id)
        _require_undecided(request)
        request.status, request.decision, request.denial_reason = (
            Status.DENIED,
            Decision.DENIED,
            text,
        )
        request.automatic = False
        request.decided_at, request.decided_by = timezone.now(), actor
        request.save()
        request.work_item = work_item_close(
            actor=actor, item_id=request.work_item_id, status="denied", reason=f"denied by {actor}"
        )
        letter_schedule(request, Letter.Kind.DENIAL)
    return request


def prior_auth_pend(*, actor: User, request_id: int, information: str) -> PriorAuthRequest:
    """Ask the prescriber for more information; the request stays with the pharmacist."""
    _require_pharmacist(actor, "pend")
    text = information.strip()
    if not text:
        raise invalid("Say what information the prescriber should send.", "information")
    with transaction.atomic():
        request = _locked(request_id)
        _require_undecided(request)
        request.status, request.information_requested = Status.PENDED, text
        request.save(update_fields=["status", "information_requested"])
        request.work_item = work_item_route(
            actor=actor,
            item_id=request.work_item_id,
            to_status="pended",
            reason=f"more information requested by {actor}",
        )
        letter_schedule(request, Letter.Kind.MORE_INFORMATION)
    return request


def _information_source(actor: User, prescriber: Prescriber) -> str:
    """The receipt's source for `actor`, or NotPermitted saying why they may not."""
    source = request_selectors.information_source(actor, prescriber)
    if source is not None:
        return source
    if actor.has_perm(request_selectors.SEND_INFORMATION):
        raise NotPermitted(f"You do not act for NPI {prescriber.npi}.")
    raise NotPermitted("Your role does not record information on requests.")


def prior_auth_information_receive(
    *,
    actor: User,
    request_id: int,
    answers: Mapping[str, object] | None = None,
    note: str = "",
    document: Fax | None = None,
) -> PriorAuthRequest:
    """Record the information the prescriber sent for a pended request, then decide again.

    Intake staff record what the office sent; a provider sends it themselves for a request
    of an NPI they act for (the receipt and the timeline say it came through the provider
    portal). Anyone else is refused, and so is a request that is not pended.

    `answers` change the recorded ones by linkId (None or "" takes an answer away); the
    result must pass the checks of the criteria version the request was taken on, which
    it keeps. The request is then evaluated again against that version, as at intake:
    approved automatically when the criteria now approve, otherwise back to pharmacist
    review with the unmet criteria (a note or document alone goes to the pharmacist).

    The clock is not touched: pending for information does not stop it. Part D allows no
    extension of a coverage determination's time frame (42 CFR 423.568, 423.572), and we
    take no extension for the other lines of business either, so the due time, escalation
    and overdue flag stay those of the original receipt.
    """
    text = note.strip()
    with transaction.atomic():
        request = _locked(request_id)
        source = _information_source(actor, request.prescriber)
        if document is not None:
            attachment_check(document.name, document.content, field="document")
        if request.status != Status.PENDED:
            raise Conflict(
                ErrorCode.TRANSITION_NOT_ALLOWED,
                f"{request.number} is not pended for more information "
                f"(it is {request.get_status_display().lower()}).",
            )
        criteria = reference_selectors.compiled(request.criteria) if request.criteria else None
        merged = dict(request.answers)
        for link_id, value in (answers or {}).items():
            if value is None or (isinstance(value, str) and not value.strip()):
                merged.pop(link_id, None)
            else:
                merged[link_id] = value
        cleaned = answers_clean(criteria, merged)
        recorded = _jsonable(cleaned)
        changed = {
            link_id: {"before": request.answers.get(link_id), "after": recorded.get(link_id)}
            for link_id in sorted(set(request.answers) | set(recorded))
            if request.answers.get(link_id) != recorded.get(link_id)
        }
        if not (changed or text or document):
            raise invalid(
                "Record what arrived: a changed answer, a note or the document received.",
                "note",
            )
        request.answers = recorded
        request.save(update_fields=["answers"])
        attachment = None
        if document is not None:
            attachment = work_item_attach(
                actor=actor,
                item_id=request.work_item_id,
                upload=ContentFile(document.content, name=document.name),
                module_checked=True,
            )
        what = [f"answers changed: {', '.join(changed)}"] if changed else []
        what += ["a note"] if text else []
        what += ["a document"] if document else []
        how = (
            f"sent by {actor} through the provider portal"
            if source == InformationReceipt.Source.PROVIDER_PORTAL
            else f"received by {actor}"
        )
        work_item_record(
            actor=actor,
            item_id=request.work_item_id,
            summary=f"More information {how} ({'; '.join(what)})",
            data={
                "answers_changed": list(changed),
                "attachment": attachment.pk if attachment else None,
                "source": source,
            },
            module_checked=True,
        )
        # Who waits for it: the pharmacist who asked, and whoever holds the item now.
        asked_by = moved_to_by(request.work_item_id, Status.PENDED)
        waiting = {request.work_item.assignee, asked_by}
        if changed:
            _determine(request, criteria, cleaned)
        else:
            _refer(request, list(request.unmet) or [NO_CRITERIA])
        _tell_information_arrived([u for u in waiting if u is not None and u != actor], request)
        InformationReceipt.objects.create(
            request=request,
            requested=request.information_requested,
            note=text,
            changed_answers=changed,
            attachment=attachment,
            outcome=request.status,
            source=source,
            received_by=actor,
        )
    return request


def _tell_information_arrived(pharmacists: list[User], request: PriorAuthRequest) -> None:
    """The pharmacists waiting on a pended request hear that its information came and where
    the request went (by item and request number only: no member data in email)."""
    item = request.work_item
    where = (
        "it was approved automatically"
        if request.status == Status.APPROVED
        else "it is back in pharmacist review"
    )
    email_on_commit(
        pharmacists,
        f"Information received: work item #{item.pk} ({request.number})",
        f"The information requested for {PRIOR_AUTH.label.lower()} {request.number} "
        f"(work item #{item.pk}) has arrived: {where}.\n{work_item_link(item)}",
    )


def prior_auth_statement_add(*, actor: User, request_id: int, statement: str) -> PriorAuthRequest:
    """Record the prescriber's supporting statement of an exception; its clock starts now."""
    text = statement.strip()
    if not text:
        raise invalid("The supporting statement is empty.", "statement")
    with transaction.atomic():
        request = _locked(request_id)
        _may_submit(actor, request.prescriber)
        if request.status != Status.AWAITING_STATEMENT:
            raise Conflict(
                ErrorCode.TRANSITION_NOT_ALLOWED,
                f"{request.number} is not waiting for a supporting statement.",
            )
        now = timezone.now()
        request.supporting_statement, request.statement_received_at = text, now
        request.save(update_fields=["supporting_statement", "statement_received_at"])
        work_item_record(
            actor=actor,
            item_id=request.work_item_id,
            summary="Supporting statement received",
            module_checked=True,
        )
        _start_clock(request, now)
        criteria = reference_selectors.compiled(request.criteria) if request.criteria else None
        cleaned = criteria.clean(request.answers) if criteria else {}
        _determine(request, criteria, cleaned)
    return request
