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
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import defaults
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payerdesk.core import permissions, selectors, services
from payerdesk.core.access import log_access_log_view, log_phi_view
from payerdesk.core.access_export import access_log_csv
from payerdesk.core.charts import queue_health_chart
from payerdesk.core.errors import NotFound, NotPermitted, ServiceError
from payerdesk.core.forms import (
    AccessLogFilterForm,
    AssignForm,
    AttachmentForm,
    FollowUpForm,
    NoteForm,
    TransitionForm,
    WorkItemCreateForm,
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


def may_write_page(request: StaffRequest, *, read: str, write: str) -> bool:
    """A page that shows a record and saves changes to it: opening it needs `read`, a
    POST needs `write` (PermissionDenied otherwise). Answers whether the user may write;
    a reader without it (the auditor) is shown the page read only."""
    may_write = request.user.has_perm(write)
    needed = write if request.method == "POST" else read
    if not request.user.has_perm(needed):
        raise PermissionDenied("Your role does not open this page.")
    return may_write


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
    can_open = permissions.can_work(request.user)
    if form.is_bound and not form.is_valid():
        invalid = {"form": form, "page": None, "queue": None, "can_open": can_open}
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
        "can_open": can_open,
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


def _service_error(form: Form, error: ServiceError) -> None:
    """Put a refused action's message on the field it names (else above the form)."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def form_post(
    request: HttpRequest, form: Form, action: Callable[[dict[str, Any]], HttpResponseBase]
) -> tuple[HttpResponseBase | None, int]:
    """On a POST, validate `form` and run `action` (which calls the service) with its
    data: answers the action's response, or None and the status to show the form again
    with (200 for a GET, 400 for an invalid form, the service's refusal on its field).
    A refusal for want of permission is a 403."""
    if request.method != "POST":
        return None, 200
    if not form.is_valid():
        return None, 400
    try:
        return action(form.cleaned_data), 200
    except NotPermitted as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        _service_error(form, error)
        return None, error.http_status


@require_http_methods(["GET", "POST"])
@staff_required
def work_item_new(request: StaffRequest) -> HttpResponseBase:
    """Open a work item by hand; the service checks the kind, queue, market and link."""
    if not permissions.can_work(request.user):
        raise PermissionDenied("Only staff who work a queue open work items")
    form = WorkItemCreateForm(request.POST or None, user=request.user)

    def open_item(data: dict[str, Any]) -> HttpResponseBase:
        item = services.work_item_create(
            actor=request.user,
            kind=data["kind"],
            title=data["title"],
            description=data["description"],
            queue=selectors.queue_by_slug(data["queue"]),
            market=selectors.market_by_code(data["market"]),
            priority=data["priority"],
            record_type=data["record_type"],
            record_id=data["record_id"],
        )
        messages.success(request, f"Work item #{item.pk} opened in {item.queue.name}.")
        return redirect("core:work-item", item_id=item.pk)

    done, status = form_post(request, form, open_item)
    return done or render(request, "core/work_item_new.html", {"form": form}, status=status)


def _access_log_read(
    request: StaffRequest, *, action: str
) -> tuple[AccessLogFilterForm, QuerySet[AccessLogEntry] | None]:
    """The filter form as sent, and the entries it asks for, this look at them logged
    (None when a field is wrong: the form says which, and nothing is logged)."""
    try:
        permissions.require_access_log_reader(request.user)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from None
    form = AccessLogFilterForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    try:
        filters = selectors.access_log_filter(
            username=data["user"],
            record_type=data["record_type"],
            record_id=data["record_id"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    except ServiceError as error:
        _service_error(form, error)
        return form, None
    log_access_log_view(
        request, request.user, filters, channel=AccessLogEntry.Channel.WEB, action=action
    )
    return form, selectors.access_log_list(user=request.user, filters=filters)


def _access_log_refused(request: StaffRequest, form: AccessLogFilterForm) -> HttpResponse:
    """The page with the filter's errors, and no rows."""
    context: dict[str, object] = {"form": form, "page": None, "record_types": []}
    return render(request, "core/access_log.html", context, status=400)


@require_GET
@staff_required
def access_log(request: StaffRequest) -> HttpResponse:
    form, entries = _access_log_read(request, action=AccessLogEntry.Action.VIEW)
    if entries is None:
        return _access_log_refused(request, form)
    context = {
        "form": form,
        "page": Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": _query_without_page(request),
        "record_types": selectors.access_log_record_types(),
    }
    return render(request, "core/access_log.html", context)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@staff_required
def access_log_export(request: StaffRequest) -> HttpResponseBase:
    form, entries = _access_log_read(request, action=AccessLogEntry.Action.EXPORT)
    if entries is None:
        return _access_log_refused(request, form)
    response = StreamingHttpResponse(
        access_log_csv(entries.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
    return response
