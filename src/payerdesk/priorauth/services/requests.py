"""Every change to prior authorization data: one business action, one transaction.

Requests from every door (guided form, REST, FHIR, fax) go through
`prior_auth_submit`, so they are checked, decided and recorded the same way. The
system approves when the criteria say so and otherwise refers to a pharmacist; only
a pharmacist denies.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from payerdesk.core.access import Viewer
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import Queue, TimelineEvent, User, WorkItem
from payerdesk.core.notifications import email_on_commit, notice_email_on_commit, work_item_link
from payerdesk.core.roles import is_staff_member
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
from payerdesk.priorauth import letters, rules, selectors
from payerdesk.priorauth.criteria import AnswerError, Criteria, CriteriaError, DecisionError
from payerdesk.priorauth.formulary import FormularyError, drug_names_read, formulary_read
from payerdesk.priorauth.models import (
    Channel,
    ClockRule,
    ClockRuleChange,
    CriteriaDrug,
    CriteriaSet,
    Decision,
    Drug,
    FormularyDrug,
    FormularyVersion,
    InformationReceipt,
    Letter,
    LineOfBusiness,
    Prescriber,
    PrescriberChange,
    PriorAuthRequest,
    RequestType,
    Status,
    Urgency,
)
from payerdesk.priorauth.tasks import issue_letter
from payerdesk.priorauth.work import PRIOR_AUTH

INTAKE_QUEUE = "coverage-review"
REVIEW_QUEUE = "pharmacist-review"
DEFAULT_APPROVAL_DAYS = 365
MAX_APPROVAL_DAYS = 730
MIN_DENIAL_REASON = 30
RECORD_TYPE = "prior_auth_request"  # a request's name in the access log
NO_CRITERIA = "No approval criteria are on file for this drug: clinical review needed."


def _invalid(message: str, field: str) -> InvalidInput:
    return InvalidInput(ErrorCode.INVALID, message, field=field)


# --- formulary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FormularyImport:
    formulary: FormularyVersion
    created: bool

    @property
    def message(self) -> str:
        version = self.formulary
        if not self.created:
            return (
                f"This file was already imported as {version} on "
                f"{timezone.localtime(version.imported_at):%Y-%m-%d %H:%M}: nothing changed."
            )
        return f"Imported {version}: {version.drug_count} drug rows."


def formulary_import(
    *,
    actor: User | None,
    formulary_name: str,
    formulary_content: bytes,
    names_name: str,
    names_content: bytes,
) -> FormularyImport:
    """Import a CMS basic formulary file and its drug names as a new version.

    The same formulary file twice changes nothing. `actor` is None from the CLI.
    """
    if actor is not None and not actor.has_perm("priorauth.add_formularyversion"):
        raise NotPermitted("Only an administrator imports formularies.")
    digest = hashlib.sha256(formulary_content).hexdigest()
    existing = FormularyVersion.objects.filter(sha256=digest).first()
    if existing is not None:
        return FormularyImport(existing, created=False)
    try:
        names = drug_names_read(names_name, names_content)
    except FormularyError as error:
        raise _invalid(error.message, "names_file") from None
    try:
        rows = formulary_read(formulary_name, formulary_content)
    except FormularyError as error:
        raise _invalid(error.message, "formulary_file") from None
    for row in rows:
        if row.rxcui not in names:
            raise _invalid(
                f"{formulary_name}, line {row.line}, column RXCUI: {row.rxcui} has no name "
                f"in {names_name}",
                "formulary_file",
            )
    with transaction.atomic():
        first = rows[0]
        version = FormularyVersion.objects.create(
            formulary_id=first.formulary_id,
            formulary_version=first.formulary_version,
            contract_year=first.contract_year,
            file_name=formulary_name[:200],
            sha256=digest,
            names_sha256=hashlib.sha256(names_content).hexdigest(),
            drug_count=len(rows),
            imported_by=actor,
        )
        drugs = _drugs_upsert({row.rxcui: names[row.rxcui] for row in rows})
        FormularyDrug.objects.bulk_create(
            FormularyDrug(
                formulary=version,
                drug=drugs[row.rxcui],
                ndc=row.ndc,
                tier=row.tier,
                quantity_limit=row.quantity_limit,
                quantity_limit_amount=row.quantity_limit_amount,
                quantity_limit_days=row.quantity_limit_days,
                prior_authorization=row.prior_authorization,
                step_therapy=row.step_therapy,
            )
            for row in rows
        )
        # Names of drugs not on this formulary are kept too: exceptions ask for them.
        _drugs_upsert(names)
    return FormularyImport(version, created=True)


def _drugs_upsert(names: dict[str, str]) -> dict[str, Drug]:
    existing = {drug.rxcui: drug for drug in Drug.objects.filter(rxcui__in=list(names))}
    changed = []
    for rxcui, name in names.items():
        drug = existing.get(rxcui)
        if drug is None:
            existing[rxcui] = Drug.objects.create(rxcui=rxcui, name=name)
        elif drug.name != name:
            drug.name = name
            changed.append(drug)
    Drug.objects.bulk_update(changed, ["name"])
    return existing


# --- criteria ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CriteriaUpload:
    criteria: CriteriaSet
    created: bool


def _json(text: str | bytes, field: str) -> Any:
    try:
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = ""
        if isinstance(error, json.JSONDecodeError):
            where = f" at line {error.lineno}, column {error.colno}"
        raise _invalid(f"{field} is not valid JSON{where}: {error}", field) from None


def criteria_upload(
    *,
    actor: User | None,
    code: str,
    title: str,
    rxcuis: list[str],
    questionnaire: str | bytes,
    decision: str | bytes,
) -> CriteriaUpload:
    """Store a new version of the criteria for a drug or drug group, once checked.

    The same questionnaire and decision again for the same code change nothing.
    """
    if actor is not None and not actor.has_perm("priorauth.add_criteriaset"):
        raise NotPermitted("Only an administrator uploads criteria.")
    slug = code.strip().lower()
    if not slug or not all(c.isalnum() or c in "-_" for c in slug):
        raise _invalid("The code is letters, digits and hyphens, e.g. glp1-t2d.", "code")
    if not title.strip():
        raise _invalid("Give the criteria a title.", "title")
    wanted = sorted({rxcui.strip() for rxcui in rxcuis if rxcui.strip()})
    if not wanted:
        raise _invalid("Name at least one drug (RXCUI) the criteria apply to.", "rxcuis")
    known = set(Drug.objects.filter(rxcui__in=wanted).values_list("rxcui", flat=True))
    unknown = [rxcui for rxcui in wanted if rxcui not in known]
    if unknown:
        raise _invalid(f"Unknown RXCUI(s): {', '.join(unknown)}.", "rxcuis")
    questionnaire_json = _json(questionnaire, "questionnaire")
    decision_json = _json(decision, "decision")
    try:
        Criteria.load(questionnaire_json, decision_json)
    except CriteriaError as error:
        field = (
            "decision" if error.where.lower().startswith(("decision", "jdm")) else "questionnaire"
        )
        raise _invalid(f"{error.where}: {error.message}", field) from None
    canonical = json.dumps([questionnaire_json, decision_json, wanted], sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    with transaction.atomic():
        latest = (
            CriteriaSet.objects.select_for_update().filter(code=slug).order_by("-version").first()
        )
        if latest is not None and latest.sha256 == digest:
            return CriteriaUpload(latest, created=False)
        criteria = CriteriaSet.objects.create(
            code=slug,
            version=(latest.version + 1) if latest else 1,
            title=title.strip()[:200],
            rxcuis=wanted,
            questionnaire=questionnaire_json,
            decision=decision_json,
            sha256=digest,
            uploaded_by=actor,
        )
        CriteriaDrug.objects.bulk_create(
            CriteriaDrug(criteria=criteria, rxcui=rxcui) for rxcui in wanted
        )
    return CriteriaUpload(criteria, created=True)


# --- prescribers -------------------------------------------------------------------------


def npi_check(npi: str, field: str = "prescriber_npi") -> str:
    text = npi.strip()
    if not rules.npi_is_valid(text):
        raise _invalid(
            f"{text!r} is not a valid NPI: ten digits with a Luhn check digit (prefix 80840).",
            field,
        )
    return text


def _prescriber_name(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise _invalid("Give the prescriber's name.", "name")
    if len(text) > 120:
        raise _invalid("The name is longer than 120 characters.", "name")
    return text


def _prescriber_email(email: str) -> str:
    text = email.strip()
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise _invalid(f"{text!r} is not an email address.", "email") from None
    return text


def _fields_set(row: Model, wanted: Mapping[str, object]) -> dict[str, list[object]]:
    """Save the fields of `wanted` that differ on `row`; answer them as field -> [before,
    after], the history rows' form (empty when nothing changed)."""
    changes = {
        field: [getattr(row, field), value]
        for field, value in wanted.items()
        if getattr(row, field) != value
    }
    for field, (_, value) in changes.items():
        setattr(row, field, value)
    if changes:
        row.save(update_fields=list(changes))
    return changes


def _may_manage_prescribers(actor: User | None, permission: str, what: str) -> None:
    if actor is not None and not (is_staff_member(actor) and actor.has_perm(permission)):
        raise NotPermitted(f"Your role does not {what} prescribers.")


def prescriber_register(*, actor: User | None, npi: str, name: str, email: str = "") -> Prescriber:
    """Register a prescriber by NPI (check digit verified); an NPI already registered is
    refused, naming who holds it. `actor` is None from the demo and the CLI."""
    _may_manage_prescribers(actor, "priorauth.add_prescriber", "register")
    number = npi_check(npi, "npi")
    clean_name, clean_email = _prescriber_name(name), _prescriber_email(email)
    with transaction.atomic():
        existing = Prescriber.objects.select_for_update().filter(npi=number).first()
        if existing is not None:
            raise Conflict(
                ErrorCode.INVALID,
                f"NPI {number} is already registered, as {existing.name}.",
                field="npi",
            )
        prescriber = Prescriber.objects.create(npi=number, name=clean_name, email=clean_email)
        PrescriberChange.objects.create(
            prescriber=prescriber,
            action=PrescriberChange.Action.REGISTERED,
            changes={"name": [None, clean_name], "email": [None, clean_email]},
            actor=actor,
        )
    return prescriber


def prescriber_update(
    *, actor: User, npi: str, name: str | None = None, email: str | None = None
) -> Prescriber:
    """Change a prescriber's name or email (letters and notices go to the email). The NPI
    is who the prescriber is: it does not change."""
    _may_manage_prescribers(actor, "priorauth.change_prescriber", "change")
    wanted: dict[str, str] = {}
    if name is not None:
        wanted["name"] = _prescriber_name(name)
    if email is not None:
        wanted["email"] = _prescriber_email(email)
    with transaction.atomic():
        prescriber = Prescriber.objects.select_for_update().filter(npi=npi.strip()).first()
        if prescriber is None:
            raise NotFound(ErrorCode.NOT_FOUND, f"No prescriber with NPI {npi.strip()}.")
        changes = _fields_set(prescriber, wanted)
        if not changes:
            return prescriber
        PrescriberChange.objects.create(
            prescriber=prescriber,
            action=PrescriberChange.Action.CHANGED,
            changes=changes,
            actor=actor,
        )
    return prescriber


def _linked_prescriber(actor: User | None, npi: str, verb: str) -> Prescriber:
    """The prescriber whose provider users an administrator (or the CLI) links or unlinks."""
    if actor is not None and not actor.has_perm("priorauth.link_portal_user"):
        raise NotPermitted(f"Only an administrator {verb} provider users.")
    prescriber = selectors.prescriber_get(npi_check(npi, "npi"))
    if prescriber is None:
        raise _invalid(f"No prescriber with NPI {npi} is registered.", "npi")
    return prescriber


def provider_link(*, actor: User | None, user: User, npi: str) -> Prescriber:
    """Let a provider user act for an NPI and see its requests."""
    prescriber = _linked_prescriber(actor, npi, "links")
    prescriber.portal_users.add(user)
    return prescriber


def provider_unlink(*, actor: User | None, user: User, npi: str) -> Prescriber:
    """Stop a provider user acting for an NPI: its requests close to them."""
    prescriber = _linked_prescriber(actor, npi, "unlinks")
    prescriber.portal_users.remove(user)
    return prescriber


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
        raise _invalid(f"{value!r} is not one of {', '.join(choices.values)}.", field)
    return value


def _may_submit(actor: User, prescriber: Prescriber) -> None:
    if actor.has_perm("priorauth.add_priorauthrequest"):
        return
    if selectors.is_provider(actor) and selectors.acts_for(actor, prescriber):
        return
    if selectors.is_provider(actor):
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
    state = selectors.intake_state(
        line_of_business=line_of_business,
        urgency=urgency,
        queues=(INTAKE_QUEUE, REVIEW_QUEUE),
        npi=npi,
    )
    prescriber = state.prescriber
    if prescriber is None:
        raise _invalid(f"No prescriber with NPI {npi} is registered.", "prescriber_npi")
    _may_submit(actor, prescriber)
    _choice(urgency, Urgency, "urgency")
    _choice(line_of_business, LineOfBusiness, "line_of_business")
    _choice(channel, Channel, "channel")
    reference = selectors.drug_reference(drug, stamp=state.stamp)
    found, row, criteria = reference.drug, reference.formulary_row, reference.criteria
    member = member_lookup(member_id=member_id, group_number=group_number)
    duplicate_of_id = selectors.open_duplicate_id(member_id=member.pk, drug_id=found.pk)
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
            letters.append(_letter(request, Letter.Kind.APPROVAL))
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
    _letter(request, Letter.Kind.APPROVAL)


def _approval_reason(request: PriorAuthRequest) -> str:
    actor = request.decided_by
    how = "automatically: the answers meet the criteria" if actor is None else f"by {actor}"
    return f"approved {how}, through {request.approval_end}"


def _letter(request: PriorAuthRequest, kind: str) -> Letter:
    """Record that a letter is due, and queue its task in the same transaction (an outbox:
    the decision and its letter task commit together, or neither does). The worker makes,
    keeps and sends it (`letter_issue`) once they commit, not while the requester waits."""
    now = timezone.now()
    letter = Letter(
        request=request,
        kind=kind,
        file_name=letters.letter_file_name(request, kind, timezone.localdate(now)),
        text=letters.letter_text(request, kind),
        sent_to=request.prescriber.email,
        created_at=now,
    )
    letter.save()
    issue_letter.enqueue(letter.pk)
    return letter


@dataclass(frozen=True)
class LetterIssue:
    letter: Letter
    issued: bool  # False: it was issued before, and nothing changed


def letter_issue(*, letter_id: int) -> LetterIssue:
    """Make a due letter's PDF, keep it on the request and queue the prescriber's notice
    with it attached. A letter already issued changes nothing and sends nothing again."""
    with transaction.atomic():
        letter = (
            Letter.objects.select_for_update(of=("self",))
            .select_related("request__member", "request__prescriber", "request__drug")
            .filter(pk=letter_id)
            .first()
        )
        if letter is None:
            raise NotFound(ErrorCode.NOT_FOUND, f"Letter {letter_id} does not exist.")
        if letter.is_issued:
            return LetterIssue(letter, issued=False)
        request = letter.request
        content = letters.letter_render(letter)
        letter.content, letter.sha256 = content, hashlib.sha256(content).hexdigest()
        letter.issued_at = timezone.now()
        letter.save(update_fields=["content", "sha256", "issued_at"])
        label = letter.get_kind_display()
        notice_email_on_commit(
            [letter.sent_to],
            f"{request.number}: {label} for {request.drug.name}",
            f"Dear {request.prescriber.name},\n\nThe {label.lower()} letter for prior "
            f"authorization request {request.number} ({request.drug.name}) is attached.\n\n"
            "payerdesk Coverage Review",
            (letter.file_name, "application/pdf", content),
        )
    return LetterIssue(letter, issued=True)


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
        raise _invalid(f"Approve for 1 to {MAX_APPROVAL_DAYS} days.", "approval_days")
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
        raise _invalid(
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
        _letter(request, Letter.Kind.DENIAL)
    return request


def prior_auth_pend(*, actor: User, request_id: int, information: str) -> PriorAuthRequest:
    """Ask the prescriber for more information; the request stays with the pharmacist."""
    _require_pharmacist(actor, "pend")
    text = information.strip()
    if not text:
        raise _invalid("Say what information the prescriber should send.", "information")
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
        _letter(request, Letter.Kind.MORE_INFORMATION)
    return request


def _information_source(actor: User, prescriber: Prescriber) -> str:
    """The receipt's source for `actor`, or NotPermitted saying why they may not."""
    source = selectors.information_source(actor, prescriber)
    if source is not None:
        return source
    if actor.has_perm(selectors.SEND_INFORMATION):
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
        criteria = selectors.compiled(request.criteria) if request.criteria else None
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
            raise _invalid(
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
        raise _invalid("The supporting statement is empty.", "statement")
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
        criteria = selectors.compiled(request.criteria) if request.criteria else None
        cleaned = criteria.clean(request.answers) if criteria else {}
        _determine(request, criteria, cleaned)
    return request


# --- determination clocks ----------------------------------------------------------------

CLOCK_MAX_HOURS = 24 * 365
CLOCK_REASON_MAX = 300
CLOCK_SOURCE_MAX = 120


def _clock_values(hours: int, escalate_before_hours: int, source: str) -> dict[str, object]:
    if not 1 <= hours <= CLOCK_MAX_HOURS:
        raise _invalid(f"A clock runs from 1 to {CLOCK_MAX_HOURS} hours.", "hours")
    if not 0 <= escalate_before_hours < hours:
        raise _invalid(
            f"Escalation comes 0 to {hours - 1} hours before the clock ends.",
            "escalate_before_hours",
        )
    if len(source.strip()) > CLOCK_SOURCE_MAX:
        raise _invalid(f"The source is at most {CLOCK_SOURCE_MAX} characters.", "source")
    return {
        "hours": hours,
        "escalate_before_hours": escalate_before_hours,
        "source": source.strip(),
    }


def clock_rule_change(
    *,
    actor: User,
    line_of_business: str,
    urgency: str,
    hours: int,
    escalate_before_hours: int,
    source: str,
    reason: str,
) -> ClockRule:
    """Change how long determinations of a line of business and urgency may take. Requests
    already received keep the clock they started with; the change and its reason are kept
    in the rule's history."""
    if not (is_staff_member(actor) and actor.has_perm("priorauth.change_clockrule")):
        raise NotPermitted("Only an administrator changes the determination clocks.")
    wanted = _clock_values(hours, escalate_before_hours, source)
    why = reason.strip()
    if not why or len(why) > CLOCK_REASON_MAX:
        raise _invalid(
            f"Say why the clock changes (at most {CLOCK_REASON_MAX} characters).", "reason"
        )
    with transaction.atomic():
        rule = (
            ClockRule.objects.select_for_update()
            .filter(line_of_business=line_of_business, urgency=urgency)
            .first()
        )
        if rule is None:
            raise NotFound(ErrorCode.NOT_FOUND, f"No clock rule for {line_of_business} {urgency}.")
        changes = _fields_set(rule, wanted)
        if not changes:
            return rule
        ClockRuleChange.objects.create(rule=rule, changes=changes, reason=why, actor=actor)
    return rule
