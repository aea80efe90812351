"""Prior authorization pages. Thin: forms parse, services act, selectors read.

Providers (an outside role) reach only the request list, their requests and letters, and
send the information a pend asks for on them; every other page is for staff whose role
holds the page's permission.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payerdesk.core import selectors as core_selectors
from payerdesk.core.access import log_record_view, viewer
from payerdesk.core.errors import InvalidInput, NotFound, ServiceError
from payerdesk.core.landing import Figure, module_home
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.core.roles import is_staff_member
from payerdesk.core.views import StaffRequest, staff_required
from payerdesk.priorauth.criteria.questionnaire import Question
from payerdesk.priorauth.forms.requests import (
    ApproveForm,
    DenyForm,
    InformationForm,
    IntakeForm,
    PendForm,
    ProviderInformationForm,
    StatementForm,
)
from payerdesk.priorauth.models import (
    CriteriaSet,
    Drug,
    FormularyDrug,
    InformationReceipt,
    PriorAuthRequest,
    Status,
)
from payerdesk.priorauth.selectors import reference as reference_selectors
from payerdesk.priorauth.selectors import requests as request_selectors
from payerdesk.priorauth.services import requests as request_services
from payerdesk.priorauth.views.common import PAGE_SIZE, refused, require_perm

RECORD_TYPE = request_services.RECORD_TYPE


def _reader(request: StaffRequest) -> User:
    user = request.user
    if not (
        user.has_perm("priorauth.view_priorauthrequest") or request_selectors.is_provider(user)
    ):
        raise PermissionDenied("Your role does not see prior authorization requests.")
    return user


def _log(request: StaffRequest, pa: PriorAuthRequest, action: str = "view") -> None:
    log_record_view(
        request,
        request.user,
        record_type=RECORD_TYPE,
        record_id=str(pa.pk),
        channel=AccessLogEntry.Channel.WEB,
        action=action,
    )


def _get(request: StaffRequest, request_id: int) -> PriorAuthRequest:
    try:
        return request_selectors.request_get(user=request.user, request_id=request_id)
    except NotFound:
        raise Http404(f"Request PA-{request_id} does not exist") from None


# --- the module's landing page -----------------------------------------------------------


def _home_figures(user: User) -> list[Figure]:
    counts = request_selectors.open_counts_by_status(user)
    url = reverse("priorauth:requests")
    return [
        Figure(Status(status).label, str(count), f"{url}?status={status}")
        for status, count in counts.items()
    ]


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Open requests by status, the PA work due, and the module's pages."""
    return module_home(request, "priorauth", _home_figures)


# --- lists and the request page ------------------------------------------------------------


@require_GET
@login_required
def request_list(request: StaffRequest) -> HttpResponse:
    user = _reader(request)
    rows = request_selectors.requests_visible_to(user).select_related("duplicate_of")
    status = request.GET.get("status", "open")
    if status == "open":
        rows = rows.filter(status__in=[Status.AWAITING_STATEMENT, Status.IN_REVIEW, Status.PENDED])
    elif status in Status.values:
        rows = rows.filter(status=status)
    page = Paginator(rows.order_by("due_at", "-received_at"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for pa in page:
        _log(request, pa)
    context = {"page": page, "status": status, "statuses": Status.choices}
    return render(request, "priorauth/requests/list.html", context)


@dataclass(frozen=True)
class AnswerLine:
    question: str
    answer: str


@dataclass(frozen=True)
class ChangedAnswer:
    question: str
    before: str
    after: str


def _answer_text(question: Question | None, value: object) -> str:
    """An answer as people read it: Yes/No, a code with its meaning, a date as pages show
    dates; the stored value otherwise."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if question is not None:
        meaning = dict(question.options).get(str(value))
        if meaning and meaning != str(value):
            return f"{value} ({meaning})"
        if question.type == "date":
            try:
                return date_format(date.fromisoformat(str(value)))
            except ValueError:
                return str(value)
    return str(value)


def _questions_of(pa: PriorAuthRequest) -> dict[str, Question]:
    if pa.criteria is None:
        return {}
    return {q.link_id: q for q in reference_selectors.compiled(pa.criteria).questions}


def _answer_rows(pa: PriorAuthRequest, questions: dict[str, Question]) -> list[AnswerLine]:
    """The answers on file, each under its question's text (a request without criteria
    has only the keys it was sent with)."""
    if not questions:
        return [AnswerLine(key, _answer_text(None, value)) for key, value in pa.answers.items()]
    return [
        AnswerLine(q.text, _answer_text(q, pa.answers[q.link_id]))
        for q in questions.values()
        if q.link_id in pa.answers
    ]


def _receipt_rows(
    pa: PriorAuthRequest, questions: dict[str, Question]
) -> list[tuple[InformationReceipt, list[ChangedAnswer]]]:
    """Each information receipt with the answers it changed, in people's words."""
    receipts = pa.information_receipts.select_related("received_by", "attachment")
    rows = []
    for receipt in receipts:
        changed = []
        for link_id, change in receipt.changed_answers.items():
            question = questions.get(link_id)
            changed.append(
                ChangedAnswer(
                    question.text if question else link_id,
                    _answer_text(question, change.get("before")),
                    _answer_text(question, change.get("after")),
                )
            )
        rows.append((receipt, changed))
    return rows


def _records_information(user: User, pa: PriorAuthRequest) -> bool:
    return (
        pa.status == Status.PENDED
        and request_selectors.information_source(user, pa.prescriber) is not None
    )


def _information_form_class(user: User) -> type[InformationForm]:
    """Staff record what the office sent; a provider sends it, and reads the form so."""
    return InformationForm if is_staff_member(user) else ProviderInformationForm


def _require_records_information(user: User, pa: PriorAuthRequest) -> None:
    if not _records_information(user, pa):
        raise PermissionDenied("Your role does not record information on this request.")


def _recorded_answers(pa: PriorAuthRequest) -> dict[str, str]:
    """The request's answers as the form's fields hold them."""
    return {
        key: ("true" if value else "false") if isinstance(value, bool) else str(value)
        for key, value in pa.answers.items()
    }


def _information_questions(
    pa: PriorAuthRequest, data: QueryDict | None, errors: dict[str, str] | None
) -> dict[str, Any]:
    """The questions of the request's own criteria version (whatever the client sends),
    filled with what is on file (or with what was just sent), for recording the
    information received."""
    return _questions_context(
        _recorded_answers(pa) if data is None else _raw_answers(data),
        errors,
        reverse("priorauth:request-information-questions", args=[pa.pk]),
        drug=pa.drug,
        formulary_row=reference_selectors.formulary_row(pa.drug),
        criteria_set=pa.criteria,
    )


def _detail_context(
    request: StaffRequest,
    pa: PriorAuthRequest,
    forms: dict[str, Form] | None = None,
    *,
    posted: QueryDict | None = None,
    answer_errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    forms = forms or {}
    user = request.user
    decides = user.has_perm("priorauth.decide_priorauthrequest")
    records = _records_information(user, pa)
    provider = request_selectors.is_provider(user)
    questions = _questions_of(pa)
    return {
        "provider_view": provider,
        "can_record_information": records,
        "provider_sends": records and not is_staff_member(user),
        "information_form": forms.get("information_form") or _information_form_class(user)(),
        "information": _information_questions(pa, posted, answer_errors) if records else {},
        "receipts": _receipt_rows(pa, questions),
        "pa": pa,
        "answers": _answer_rows(pa, questions),
        "letters": pa.letters.all(),
        "timeline": core_selectors.timeline(pa.work_item) if not provider else [],
        "history": request_selectors.provider_history(pa, user) if provider else [],
        "attachments": pa.work_item.attachments.all() if not provider else [],
        "can_decide": decides and pa.status in (Status.IN_REVIEW, Status.PENDED),
        "can_add_statement": pa.status == Status.AWAITING_STATEMENT,
        "approve_form": forms.get("approve_form") or ApproveForm(),
        "deny_form": forms.get("deny_form") or DenyForm(),
        "pend_form": forms.get("pend_form") or PendForm(),
        "statement_form": forms.get("statement_form") or StatementForm(),
    }


@require_GET
@login_required
def request_detail(request: StaffRequest, request_id: int) -> HttpResponse:
    _reader(request)
    pa = _get(request, request_id)
    _log(request, pa)
    return render(request, "priorauth/requests/detail.html", _detail_context(request, pa))


@require_GET
@login_required
def letter_download(request: StaffRequest, request_id: int, letter_id: int) -> HttpResponse:
    _reader(request)
    pa = _get(request, request_id)
    letter = pa.letters.filter(pk=letter_id).first()
    if letter is None:
        raise Http404("No such letter")
    if not letter.is_issued:
        raise Http404("This letter is still being made: try again in a minute.")
    _log(request, pa, action=AccessLogEntry.Action.DOWNLOAD)
    response = HttpResponse(bytes(letter.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter.file_name}"'
    return response


def _act(
    request: StaffRequest,
    request_id: int,
    *,
    form: Form,
    form_name: str,
    action: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    _reader(request)
    pa = _get(request, request_id)
    status = 400
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ServiceError as error:
            _, status = refused(form, error)
        else:
            messages.success(request, done)
            return redirect("priorauth:request-detail", request_id=request_id)
    _log(request, pa)
    context = _detail_context(request, pa, {form_name: form})
    return render(request, "priorauth/requests/detail.html", context, status=status)


@require_POST
@login_required
def request_approve(request: StaffRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        form=ApproveForm(request.POST),
        form_name="approve_form",
        action=lambda data: request_services.prior_auth_approve(
            actor=request.user, request_id=request_id, approval_days=data["approval_days"]
        ),
        done="Approved: the letter is on the request and the prescriber is notified.",
    )


@require_POST
@login_required
def request_deny(request: StaffRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        form=DenyForm(request.POST),
        form_name="deny_form",
        action=lambda data: request_services.prior_auth_deny(
            actor=request.user, request_id=request_id, reason=data["reason"]
        ),
        done="Denied: the letter with appeal rights is on the request and sent.",
    )


@require_POST
@login_required
def request_pend(request: StaffRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        form=PendForm(request.POST),
        form_name="pend_form",
        action=lambda data: request_services.prior_auth_pend(
            actor=request.user, request_id=request_id, information=data["information"]
        ),
        done="Pended: the request for more information went to the prescriber.",
    )


@require_POST
@login_required
def request_statement(request: StaffRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        form=StatementForm(request.POST),
        form_name="statement_form",
        action=lambda data: request_services.prior_auth_statement_add(
            actor=request.user, request_id=request_id, statement=data["statement"]
        ),
        done="Statement recorded: the clock started and the request was decided or referred.",
    )


def _answers_posted(pa: PriorAuthRequest, data: QueryDict) -> dict[str, object]:
    """Every question of the request's criteria, as posted: a blank or a question no
    longer shown takes the answer away; questions the criteria lack are passed on, so the
    service names them."""
    answers: dict[str, object] = {}
    if pa.criteria is not None:
        for question in reference_selectors.compiled(pa.criteria).questions:
            answers[question.link_id] = None
    for key, value in _raw_answers(data).items():
        answers[key] = value
    return answers


@require_POST
@login_required
def request_information(request: StaffRequest, request_id: int) -> HttpResponse:
    _reader(request)
    pa = _get(request, request_id)
    form = _information_form_class(request.user)(request.POST, request.FILES)
    errors: dict[str, str] = {}
    status = 400
    if "refresh" in request.POST:
        # Without JavaScript: show the questions the answers so far enable.
        _require_records_information(request.user, pa)
        status = 200
    elif form.is_valid():
        upload = form.cleaned_data["document"]
        try:
            request_services.prior_auth_information_receive(
                actor=request.user,
                request_id=request_id,
                answers=_answers_posted(pa, request.POST),
                note=form.cleaned_data["note"],
                document=request_services.Fax(upload.name, upload.read()) if upload else None,
            )
        except ServiceError as error:
            errors, status = refused(form, error)
        else:
            done = "recorded" if is_staff_member(request.user) else "sent"
            messages.success(
                request, f"Information {done}: the request was decided again on its criteria."
            )
            return redirect("priorauth:request-detail", request_id=request_id)
    _log(request, pa)
    context = _detail_context(
        request, pa, {"information_form": form}, posted=request.POST, answer_errors=errors
    )
    return render(request, "priorauth/requests/detail.html", context, status=status)


# --- the guided intake form ------------------------------------------------------------------


def _raw_answers(data: QueryDict) -> dict[str, str]:
    answers = {}
    for key in data:
        value = str(data.get(key, ""))
        if key.startswith("q_") and value.strip():
            answers[key[2:]] = value
    return answers


def _questions_context(
    answers: dict[str, str],
    errors: dict[str, str] | None,
    url: str,
    *,
    drug: Drug | None = None,
    formulary_row: FormularyDrug | None = None,
    criteria_set: CriteriaSet | None = None,
    drug_error: str = "",
) -> dict[str, Any]:
    """The questions of `criteria_set` the answers so far enable, for the form; `url`
    renders them again when a branching answer changes (htmx)."""
    context: dict[str, Any] = {
        "questions_url": url,
        "drug": drug,
        "formulary_row": formulary_row,
        "criteria": criteria_set,
        "questions": [],
        "answers": answers,
        "errors": errors or {},
        "drug_error": drug_error,
        "branching": set(),
    }
    if criteria_set is not None:
        criteria = reference_selectors.compiled(criteria_set)
        context["questions"] = criteria.enabled(answers)
        # Answers other questions depend on re-render the questions when they change.
        context["branching"] = {
            condition.question for q in criteria.questions for condition in q.enable_when
        }
    return context


def _questions(data: QueryDict, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The questions of the drug entered, on the criteria intake would apply to it now
    (the client names the drug, never the criteria version)."""
    answers, url = _raw_answers(data), reverse("priorauth:request-questions")
    code = str(data.get("drug", "")).strip()
    if not code:
        return _questions_context(answers, errors, url)
    try:
        reference = reference_selectors.drug_reference(
            code, stamp=reference_selectors.reference_stamp()
        )
    except InvalidInput as error:
        return _questions_context(answers, errors, url, drug_error=error.message)
    return _questions_context(
        answers,
        errors,
        url,
        drug=reference.drug,
        formulary_row=reference.formulary_row,
        criteria_set=reference.criteria_set,
    )


@require_GET
@staff_required
def request_questions(request: StaffRequest) -> HttpResponse:
    require_perm(request, "priorauth.add_priorauthrequest")
    return render(request, "priorauth/requests/partials/questions.html", _questions(request.GET))


@require_GET
@login_required
def request_information_questions(request: StaffRequest, request_id: int) -> HttpResponse:
    """The information form's questions (htmx), of the request's own criteria version."""
    _reader(request)
    pa = _get(request, request_id)
    _require_records_information(request.user, pa)
    _log(request, pa)
    context = _information_questions(pa, request.GET, None)
    return render(request, "priorauth/requests/partials/questions.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def request_new(request: StaffRequest) -> HttpResponse:
    require_perm(request, "priorauth.add_priorauthrequest")
    if request.method == "GET":
        form = IntakeForm(initial=request.GET.dict())
        context = {"form": form, **_questions(request.GET)}
        return render(request, "priorauth/requests/new.html", context)
    form = IntakeForm(request.POST, request.FILES)
    if "refresh" in request.POST:
        context = {"form": IntakeForm(request.POST), **_questions(request.POST)}
        return render(request, "priorauth/requests/new.html", context)
    errors: dict[str, str] = {}
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        upload = data["fax"]
        try:
            pa = request_services.prior_auth_submit(
                actor=request.user,
                member_id=data["member_id"],
                group_number=data["group_number"] or None,
                prescriber_npi=data["prescriber_npi"],
                drug=data["drug"],
                urgency=data["urgency"],
                line_of_business=data["line_of_business"],
                channel=data["channel"],
                answers=dict(_raw_answers(request.POST)),
                supporting_statement=data["supporting_statement"],
                fax=request_services.Fax(upload.name, upload.read()) if upload else None,
                # The rep is shown the request made: logged in its transaction.
                viewer=viewer(request, request.user, channel=AccessLogEntry.Channel.WEB),
            )
        except ServiceError as error:
            errors, status = refused(form, error)
        else:
            messages.success(request, f"{pa.number}: {pa.get_status_display()}.")
            return redirect("priorauth:request-detail", request_id=pa.pk)
    context = {"form": form, **_questions(request.POST, errors)}
    return render(request, "priorauth/requests/new.html", context, status=status)
