"""Pages for policy changes, underwriting, terminations and reinstatements.

Staff and employer group administrators (for their own group's members) start changes
and follow them; only staff terminate and reinstate. Pages that show a member write
the PHI access log.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payerdesk.core.access import log_record_view
from payerdesk.core.errors import ServiceError
from payerdesk.core.models import AccessLogEntry
from payerdesk.core.roles import Role, has_role, is_staff_member
from payerdesk.core.views import StaffRequest, is_htmx, staff_required
from payerdesk.groups import selectors
from payerdesk.groups.forms.changes import (
    FIELD_OF,
    DecideForm,
    DeclineForm,
    MemberReinstateForm,
    MemberTerminateForm,
    PolicyChangeForm,
    ReinstateForm,
    RuleSetForm,
    TerminateForm,
)
from payerdesk.groups.models import (
    ChangeStatus,
    CoverageStatus,
    EmployerGroup,
    Member,
    PolicyChange,
    PolicyEvent,
    PremiumChange,
    UnderwritingRuleSet,
)
from payerdesk.groups.services import policy_changes, terminations

View = Callable[..., HttpResponseBase]


def staff_or_portal(view: View) -> View:
    """Staff, or an employer group administrator; providers are refused."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not (is_staff_member(request.user) or has_role(request.user, Role.EMPLOYER)):
            raise PermissionDenied("Staff and employer administrators only")
        return view(request, *args, **kwargs)

    return wrapper


def _require(request: StaffRequest, perm: str) -> None:
    if not (request.user.has_perm(perm) or has_role(request.user, Role.EMPLOYER)):
        raise PermissionDenied("Your role does not administer employer groups.")


def _member(request: StaffRequest, member_pk: int) -> Member:
    member = selectors.members_visible_to(request.user).filter(pk=member_pk).first()
    if member is None:
        raise Http404("No such member")
    log_record_view(
        request,
        request.user,
        record_type="member",
        record_id=str(member.pk),
        channel=AccessLogEntry.Channel.WEB,
    )
    return member


def _group(request: StaffRequest, group_number: str) -> EmployerGroup:
    group = selectors.groups_visible_to(request.user).filter(group_number=group_number).first()
    if group is None:
        raise Http404("No such group")
    return group


def _form_error(form: Form, error: ServiceError, rename: dict[str, str] | None = None) -> None:
    name = (rename or {}).get(error.field or "", error.field)
    form.add_error(name if name in form.fields else None, error.message)


def changes_visible_to(request: StaffRequest) -> QuerySet[PolicyChange]:
    members = selectors.members_visible_to(request.user)
    return PolicyChange.objects.filter(member__in=members).select_related(
        "member__group", "plan__product", "work_item"
    )


# --- policy changes ------------------------------------------------------------------------


@require_GET
@staff_or_portal
def change_list(request: StaffRequest) -> HttpResponse:
    _require(request, "groups.view_member")
    changes = changes_visible_to(request)
    status = request.GET.get("status", "")
    if status in ChangeStatus.values:
        changes = changes.filter(status=status)
    context = {"changes": changes[:200], "status": status, "statuses": ChangeStatus.choices}
    return render(request, "groups/changes/list.html", context)


@require_http_methods(["GET", "POST"])
@staff_or_portal
def change_new(request: StaffRequest, member_pk: int) -> HttpResponse:
    """Fill in a change, see old and new premium and the rules' answer, then confirm."""
    _require(request, "groups.change_coverage")
    member = _member(request, member_pk)
    form = PolicyChangeForm(request.POST or None, member=member)
    context: dict[str, Any] = {"member": member, "form": form, "preview": None}
    if request.method == "GET":
        return render(request, "groups/changes/new.html", context)
    status = 200
    if not form.is_valid():
        status = 400
    else:
        try:
            if request.POST.get("confirm") == "yes":
                change = policy_changes.policy_change_request(
                    actor=request.user, member=member, request=form.change_request()
                )
                messages.success(request, _done(change))
                return redirect("groups:change", change_id=change.pk)
            context["preview"] = policy_changes.policy_change_preview(
                actor=request.user, member=member, request=form.change_request()
            )
        except ServiceError as error:
            _form_error(form, error, FIELD_OF)
            status = error.http_status
    template = (
        "groups/changes/partials/quote.html" if is_htmx(request) else "groups/changes/new.html"
    )
    return render(request, template, context, status=status)


def _done(change: PolicyChange) -> str:
    if change.status == ChangeStatus.APPLIED:
        return f"Change #{change.pk} applied: premium {change.old_premium} → {change.new_premium}."
    return f"Change #{change.pk} sent to underwriting: {change.rule}"


def _change(request: StaffRequest, change_id: int) -> PolicyChange:
    change = changes_visible_to(request).filter(pk=change_id).first()
    if change is None:
        raise Http404("No such change")
    return change


def _render_change(
    request: StaffRequest, change: PolicyChange, status: int = 200, **forms: Form
) -> HttpResponse:
    log_record_view(
        request,
        request.user,
        record_type="member",
        record_id=str(change.member_id),
        channel=AccessLogEntry.Channel.WEB,
    )
    context = {
        "change": change,
        "can_decide": change.status == ChangeStatus.REFERRED
        and policy_changes.may_underwrite(request.user, change),
        "staff": is_staff_member(request.user),
        "premium_changes": PremiumChange.objects.filter(policy_change=change).select_related(
            "coverage__plan"
        ),
        "approve_form": forms.get("approve_form") or DecideForm(),
        "decline_form": forms.get("decline_form") or DeclineForm(),
    }
    return render(request, "groups/changes/detail.html", context, status=status)


@require_GET
@staff_or_portal
def change_detail(request: StaffRequest, change_id: int) -> HttpResponse:
    _require(request, "groups.view_member")
    return _render_change(request, _change(request, change_id))


@require_POST
@staff_required
def change_approve(request: StaffRequest, change_id: int) -> HttpResponse:
    change = _change(request, change_id)
    form = DecideForm(request.POST)
    form.is_valid()
    try:
        policy_changes.policy_change_approve(
            actor=request.user, change_id=change.pk, note=form.cleaned_data.get("note", "")
        )
    except ServiceError as error:
        if error.http_status == 403:
            raise PermissionDenied(error.message) from None
        _form_error(form, error)
        return _render_change(request, change, error.http_status, approve_form=form)
    messages.success(request, f"Change #{change.pk} approved and applied.")
    return redirect("groups:change", change_id=change.pk)


@require_POST
@staff_required
def change_decline(request: StaffRequest, change_id: int) -> HttpResponse:
    change = _change(request, change_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _render_change(request, change, 400, decline_form=form)
    try:
        policy_changes.policy_change_decline(
            actor=request.user, change_id=change.pk, reason=form.cleaned_data["reason"]
        )
    except ServiceError as error:
        if error.http_status == 403:
            raise PermissionDenied(error.message) from None
        _form_error(form, error)
        return _render_change(request, change, error.http_status, decline_form=form)
    messages.success(request, f"Change #{change.pk} declined.")
    return redirect("groups:change", change_id=change.pk)


# --- terminations and reinstatements -------------------------------------------------------


def _staff_changer(request: StaffRequest) -> None:
    if not request.user.has_perm("groups.change_coverage"):
        raise PermissionDenied("Your role does not administer employer groups.")


def _member_page(
    request: StaffRequest, member: Member, form: Form, action: str, status: int = 200
) -> HttpResponse:
    people = [member, *member.dependents.all()] if member.employee_id is None else [member]
    coverages = (
        member.coverages.model.objects.filter(member__in=people)
        .select_related("plan__product", "member")
        .order_by("member_id", "plan_id", "start_date")
    )
    context = {
        "member": member,
        "form": form,
        "action": action,
        "coverages": coverages,
        "events": PolicyEvent.objects.filter(member__in=people).select_related("actor"),
    }
    return render(request, "groups/changes/member_status.html", context, status=status)


def _run(
    request: StaffRequest,
    form: Form,
    act: Callable[[dict[str, Any]], object],
    done: str,
    page: Callable[[int], HttpResponse],
    back: HttpResponse,
) -> HttpResponse:
    """Validate, run the service, and go back to the page, or show the errors."""
    if request.method == "GET":
        return page(200)
    if not form.is_valid():
        return page(400)
    try:
        act(form.cleaned_data)
    except ServiceError as error:
        if error.http_status == 403:
            raise PermissionDenied(error.message) from None
        _form_error(form, error)
        return page(error.http_status)
    messages.success(request, done)
    return back


@require_http_methods(["GET", "POST"])
@staff_required
def terminate_member(request: StaffRequest, member_pk: int) -> HttpResponse:
    _staff_changer(request)
    member = _member(request, member_pk)
    form = MemberTerminateForm(request.POST or None, group=member.group)
    return _run(
        request,
        form,
        lambda data: terminations.member_terminate(
            actor=request.user,
            member=member,
            termination_date=data["termination_date"],
            reason=data["reason"],
            plan=data["plan"],
        ),
        "Coverage terminated.",
        lambda status: _member_page(request, member, form, "terminate", status),
        redirect("groups:terminate-member", member_pk=member.pk),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def reinstate_member(request: StaffRequest, member_pk: int) -> HttpResponse:
    _staff_changer(request)
    member = _member(request, member_pk)
    form = MemberReinstateForm(request.POST or None, group=member.group)
    return _run(
        request,
        form,
        lambda data: terminations.member_reinstate(
            actor=request.user,
            member=member,
            reason=data["reason"],
            plan=data["plan"],
            reinstatement_date=data["reinstatement_date"],
        ),
        "Coverage reinstated and re-rated.",
        lambda status: _member_page(request, member, form, "reinstate", status),
        redirect("groups:reinstate-member", member_pk=member.pk),
    )


def _group_page(
    request: StaffRequest, group: EmployerGroup, form: Form, action: str, status: int
) -> HttpResponse:
    in_force = group.members.filter(coverages__status=CoverageStatus.ACTIVE).distinct().count()
    context = {
        "group": group,
        "form": form,
        "action": action,
        "in_force": in_force,
        "events": PolicyEvent.objects.filter(group=group, member__isnull=True),
    }
    return render(request, "groups/changes/group_status.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def terminate_group(request: StaffRequest, group_number: str) -> HttpResponse:
    _staff_changer(request)
    group = _group(request, group_number)
    form = TerminateForm(request.POST or None)
    return _run(
        request,
        form,
        lambda data: terminations.group_terminate(
            actor=request.user,
            group=group,
            termination_date=data["termination_date"],
            reason=data["reason"],
        ),
        f"Group {group.group_number} terminated.",
        lambda status: _group_page(request, group, form, "terminate", status),
        redirect("groups:terminate-group", group_number=group.group_number),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def reinstate_group(request: StaffRequest, group_number: str) -> HttpResponse:
    _staff_changer(request)
    group = _group(request, group_number)
    form = ReinstateForm(request.POST or None)
    return _run(
        request,
        form,
        lambda data: terminations.group_reinstate(
            actor=request.user,
            group=group,
            reason=data["reason"],
            reinstatement_date=data["reinstatement_date"],
        ),
        f"Group {group.group_number} reinstated.",
        lambda status: _group_page(request, group, form, "reinstate", status),
        redirect("groups:reinstate-group", group_number=group.group_number),
    )


# --- underwriting rule sets ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def rule_sets(request: StaffRequest) -> HttpResponse:
    """The stored rule set versions, and (supervisors, administrators) an upload."""
    if not request.user.has_perm("groups.view_underwritingruleset"):
        raise PermissionDenied("Underwriting rules are for group administration")
    if request.method == "POST" and not request.user.has_perm("groups.add_underwritingruleset"):
        raise PermissionDenied("Only supervisors and administrators upload rules")
    form = RuleSetForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = policy_changes.rule_set_upload(
                    actor=request.user,
                    content=data["file"].read(),
                    name=data["name"],
                    group=data["group"],
                    product=data["product"],
                    state=data["state"],
                )
            except ServiceError as error:
                _form_error(form, error, {"content": "file"})
                status = error.http_status
            else:
                saved = result.rule_set
                messages.success(
                    request,
                    f"Stored {saved}."
                    if result.created
                    else f"Unchanged: this table is already {saved}.",
                )
                return redirect("groups:underwriting-rules")
    context = {
        "form": form,
        "rule_sets": UnderwritingRuleSet.objects.select_related("group", "product", "uploaded_by"),
        "can_upload": request.user.has_perm("groups.add_underwritingruleset"),
    }
    return render(request, "groups/changes/rule_sets.html", context, status=status)
