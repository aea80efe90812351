"""The work queue pages. Thin: forms parse, services act, selectors read.

Each list renders the whole page, or only its results when htmx asks for them; each
action on an item answers htmx with the refreshed item panel.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import defaults
from django.views.decorators.http import require_GET, require_POST

from payerdesk.core import permissions, selectors, services
from payerdesk.core.access import log_phi_view
from payerdesk.core.charts import queue_health_chart
from payerdesk.core.errors import NotFound, NotPermitted, ServiceError
from payerdesk.core.forms import (
    AssignForm,
    AttachmentForm,
    FollowUpForm,
    NoteForm,
    TransitionForm,
    WorkItemFilterForm,
)
from payerdesk.core.landing import module_summary
from payerdesk.core.models import AccessLogEntry, Queue, User, WorkItem
from payerdesk.core.modules import landing_for
from payerdesk.core.roles import is_staff_member
from payerdesk.core.uploads import body_too_large_message

PAGE_SIZE = 50
View = Callable[..., HttpResponseBase]


class StaffRequest(HttpRequest):
    user: User


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page, but a form over the body limit gets a 413 saying the limit (the
    API and FHIR answer it in their own formats)."""
    if isinstance(exception, RequestDataTooBig):
        return render(request, "413.html", {"message": body_too_large_message()}, status=413)
    return defaults.bad_request(request, exception)


def staff_required(view: View) -> View:
    """Signed-in staff only; the outside roles (employer, provider) are refused."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_staff_member(request.user):
            raise PermissionDenied("Staff only")
        return view(request, *args, **kwargs)

    return wrapper


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def _page(request: HttpRequest, items: QuerySet[WorkItem]) -> Page[WorkItem]:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


@require_GET
@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    """Staff's home page; an outside role is sent to the home its module gives it."""
    if not is_staff_member(request.user):
        landing = landing_for(cast(User, request.user))
        if landing is None:
            raise PermissionDenied("Staff only")
        return redirect(landing)
    return _my_work(cast(StaffRequest, request))


def _my_work(request: StaffRequest) -> HttpResponse:
    page = _page(request, selectors.my_work(user=request.user))
    context: dict[str, object] = {"page": page, "show_queue": True}
    if is_htmx(request):
        return render(request, "core/partials/work_item_table.html", context)
    # My work is the Work module's landing page: the queues' counts and pages above the list.
    context["summary"] = module_summary(request.user, "work")
    return render(request, "core/my_work.html", context)


@require_GET
@staff_required
def work_item_list(request: StaffRequest) -> HttpResponse:
    queues = selectors.queues_for(request.user)
    form = WorkItemFilterForm(request.GET or None, queues=queues)
    if form.is_bound and not form.is_valid():
        invalid = {"form": form, "page": None, "queue": None}
        return render(request, "core/work_item_list.html", invalid, status=400)
    data = form.cleaned_data if form.is_bound else {}
    queue: Queue | None = data.get("queue")
    market = data.get("market")
    filters = selectors.WorkItemFilter(
        queue=queue.slug if queue else None,
        status=data.get("status") or None,
        market=market.code if market else None,
        kind=data.get("kind") or None,
        assignee=data.get("assignee") or None,
        due=data.get("due") or None,
    )
    page = _page(request, selectors.work_item_list(user=request.user, filters=filters))
    context: dict[str, object] = {
        "form": form,
        "page": page,
        "queue": queue,
        "can_claim_next": queue is not None and permissions.may_work_queue(request.user, queue),
        "show_queue": queue is None,
    }
    template = (
        "core/partials/work_item_table.html" if is_htmx(request) else "core/work_item_list.html"
    )
    return render(request, template, context)


@require_GET
@staff_required
def queue_list(request: StaffRequest) -> HttpResponse:
    user = request.user
    counts = selectors.open_counts_by_queue(user=user)
    worked = set(permissions.queues_worked_by(user).values_list("pk", flat=True))
    queues = [
        {"queue": queue, "open": counts.get(queue.pk, 0), "can_claim": queue.pk in worked}
        for queue in selectors.queues_for(user).select_related("sla_policy", "team")
    ]
    return render(request, "core/queue_list.html", {"queues": queues})


@require_POST
@staff_required
def claim_next(request: StaffRequest, slug: str) -> HttpResponse:
    queue = get_object_or_404(Queue, slug=slug)
    try:
        item = services.work_item_claim_next(actor=request.user, queue=queue)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('core:work-items')}?queue={queue.slug}")
    messages.success(request, f"You claimed #{item.pk}.")
    return redirect("core:work-item", item_id=item.pk)


def _get_item(request: StaffRequest, item_id: int) -> WorkItem:
    try:
        return selectors.work_item_get(user=request.user, item_id=item_id)
    except NotFound:
        raise Http404(f"Work item {item_id} does not exist") from None


def _panel_context(request: StaffRequest, item: WorkItem, **forms: Form) -> dict[str, Any]:
    user = request.user
    return {
        "item": item,
        "timeline": selectors.timeline(item),
        "notes": item.notes.select_related("author"),
        "attachments": item.attachments.select_related("uploaded_by"),
        "follow_ups": item.follow_ups.filter(sent_at__isnull=True).select_related("owner"),
        "can_work": permissions.may(user, "transition", item),
        "can_claim": item.is_open
        and item.assignee_id is None
        and permissions.is_eligible_assignee(user, item),
        "can_assign": item.is_open and permissions.may(user, "assign", item),
        "note_form": forms.get("note_form") or NoteForm(),
        "transition_form": forms.get("transition_form") or TransitionForm(item=item),
        "assign_form": forms.get("assign_form")
        or AssignForm(candidates=selectors.eligible_assignees(item)),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
        "claim_form": forms.get("claim_form"),
    }


def _render_item(
    request: StaffRequest, item_id: int, status: int = 200, **forms: Any
) -> HttpResponse:
    item = _get_item(request, item_id)
    context = _panel_context(request, item, **forms)
    if is_htmx(request):
        return render(request, "core/partials/work_item_panel.html", context, status=status)
    return render(request, "core/work_item_detail.html", context, status=status)


@require_GET
@staff_required
def work_item_detail(request: StaffRequest, item_id: int) -> HttpResponse:
    item = _get_item(request, item_id)
    log_phi_view(request, request.user, item, channel=AccessLogEntry.Channel.WEB)
    return render(request, "core/work_item_detail.html", _panel_context(request, item))


def _act(
    request: StaffRequest,
    item_id: int,
    *,
    form: Form,
    form_name: str,
    action: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Validate `form`, run the service, and answer with the item (or its errors)."""
    if not form.is_valid():
        return _render_item(request, item_id, status=400, **{form_name: form})
    try:
        action(form.cleaned_data)
    except ServiceError as error:
        if error.field and error.field in form.fields:
            form.add_error(error.field, error.message)
        else:
            form.add_error(None, error.message)
        return _render_item(request, item_id, status=error.http_status, **{form_name: form})
    if is_htmx(request):
        return _render_item(request, item_id)
    messages.success(request, done)
    return redirect("core:work-item", item_id=item_id)


@require_POST
@staff_required
def claim(request: StaffRequest, item_id: int) -> HttpResponse:
    return _act(
        request,
        item_id,
        form=Form(request.POST),
        form_name="claim_form",
        action=lambda _: services.work_item_claim(actor=request.user, item_id=item_id),
        done="Claimed: it is on your My work list.",
    )


@require_POST
@staff_required
def assign(request: StaffRequest, item_id: int) -> HttpResponse:
    item = _get_item(request, item_id)
    form = AssignForm(request.POST, candidates=selectors.eligible_assignees(item))
    return _act(
        request,
        item_id,
        form=form,
        form_name="assign_form",
        action=lambda data: services.work_item_assign(
            actor=request.user, item_id=item_id, assignee=data["assignee"]
        ),
        done="Assignment saved.",
    )


@require_POST
@staff_required
def transition(request: StaffRequest, item_id: int) -> HttpResponse:
    item = _get_item(request, item_id)
    return _act(
        request,
        item_id,
        form=TransitionForm(request.POST, item=item),
        form_name="transition_form",
        action=lambda data: services.work_item_transition(
            actor=request.user, item_id=item_id, to_status=data["status"], reason=data["reason"]
        ),
        done="Status changed.",
    )


@require_POST
@staff_required
def add_note(request: StaffRequest, item_id: int) -> HttpResponse:
    return _act(
        request,
        item_id,
        form=NoteForm(request.POST),
        form_name="note_form",
        action=lambda data: services.work_item_note_add(
            actor=request.user, item_id=item_id, body=data["body"]
        ),
        done="Note added.",
    )


@require_POST
@staff_required
def add_attachment(request: StaffRequest, item_id: int) -> HttpResponse:
    return _act(
        request,
        item_id,
        form=AttachmentForm(request.POST, request.FILES),
        form_name="attachment_form",
        action=lambda data: services.work_item_attach(
            actor=request.user, item_id=item_id, upload=data["file"]
        ),
        done="File attached.",
    )


@require_POST
@staff_required
def add_follow_up(request: StaffRequest, item_id: int) -> HttpResponse:
    return _act(
        request,
        item_id,
        form=FollowUpForm(request.POST),
        form_name="follow_up_form",
        action=lambda data: services.follow_up_schedule(
            actor=request.user,
            item_id=item_id,
            remind_at=data["remind_at"],
            message=data["message"],
        ),
        done="Follow-up scheduled.",
    )


@require_GET
@staff_required
def attachment_download(request: StaffRequest, item_id: int, attachment_id: int) -> FileResponse:
    item = _get_item(request, item_id)
    attachment = get_object_or_404(item.attachments, pk=attachment_id)
    log_phi_view(
        request,
        request.user,
        item,
        channel=AccessLogEntry.Channel.WEB,
        action=AccessLogEntry.Action.DOWNLOAD,
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@require_GET
@staff_required
def queue_health(request: StaffRequest) -> HttpResponse:
    if not permissions.sees_all_work(request.user):
        raise PermissionDenied("Queue health is for supervisors")
    rows = selectors.queue_health(user=request.user)
    totals = {
        "open": sum(row.open for row in rows),
        "due_today": sum(row.due_today for row in rows),
        "overdue": sum(row.overdue for row in rows),
        "unassigned": sum(row.unassigned for row in rows),
    }
    context = {"rows": rows, "totals": totals, "chart": queue_health_chart(rows)}
    return render(request, "core/queue_health.html", context)
