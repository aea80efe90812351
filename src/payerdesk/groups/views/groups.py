"""Group administration pages: case set-up, members, eligibility, the group contract and
the employer portal (read only). The enrollment import pages are in `views.imports`."""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payerdesk.core import permissions
from payerdesk.core.access import log_record_view
from payerdesk.core.errors import NotFound, NotPermitted, ServiceError
from payerdesk.core.landing import Figure, module_summary
from payerdesk.core.models import AccessLogEntry, Market, User
from payerdesk.core.money import ZERO
from payerdesk.core.roles import Role, has_role, is_staff_member
from payerdesk.core.views import StaffRequest, is_htmx, may_write_page, staff_required
from payerdesk.groups import selectors
from payerdesk.groups.formats import contract
from payerdesk.groups.forms.groups import (
    AsOfForm,
    CoverageForm,
    EligibilityForm,
    GroupForm,
    GroupMarketForm,
    GroupSearchForm,
    MemberForm,
    PlanDesignForm,
    RateRowForm,
)
from payerdesk.groups.models import ChangeStatus, EmployerGroup, GroupStatus, Member, PlanDesign
from payerdesk.groups.services import groups as services

T = TypeVar("T")


# --- Case set-up, members, eligibility, contract and the employer portal ----------------


def _require(request: StaffRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied("Group administration pages are for group administrators")


def _or_404(call: Callable[[], T]) -> T:
    try:
        return call()
    except NotFound as error:
        raise Http404(error.message) from None


# Rating names the benefit "benefit"; the forms and the API call it `benefit_amount`.
FIELD_ALIASES = {"benefit": "benefit_amount"}


def _form_error(form: forms.Form, error: ServiceError) -> None:
    field = FIELD_ALIASES.get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)


def _form_page(
    request: StaffRequest,
    form: forms.Form,
    *,
    title: str,
    back: str,
    save: Callable[[dict[str, Any]], str],
    done: str,
    read_only: bool = False,
) -> HttpResponse:
    """Show `form`; on a valid POST call the service, then go where `save` answers.
    `read_only`: the record is shown to a reader who changes nothing (no Save)."""
    for field in form.fields.values() if read_only else ():
        field.disabled = True
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                url = save(form.cleaned_data)
            except NotPermitted as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                _form_error(form, error)
                status = error.http_status
            else:
                messages.success(request, done)
                return redirect(url)
    context = {"form": form, "title": title, "back": back, "read_only": read_only}
    return render(request, "groups/setup/form_page.html", context, status=status)


def _group_url(group: EmployerGroup) -> str:
    return reverse("groups:group", args=[group.group_number])


def _member_url(member: Member) -> str:
    return reverse("groups:member", args=[member.pk])


@require_GET
@staff_required
def group_list(request: StaffRequest) -> HttpResponse:
    _require(request, "groups.view_employergroup")
    form = GroupSearchForm(request.GET)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    groups = selectors.group_list(user=request.user, search=search)
    page = Paginator(groups, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_add": request.user.has_perm("groups.add_employergroup"),
    }
    if is_htmx(request):
        return render(request, "groups/setup/partials/group_table.html", context)
    # The module's landing page: its figures and pages above the list.
    context["summary"] = module_summary(request.user, "groups", _home_figures)
    return render(request, "groups/setup/group_list.html", context)


def _home_figures(user: User) -> list[Figure]:
    by_status = [
        Figure(f"Groups {GroupStatus(status).label.lower()}", str(count))
        for status, count in selectors.group_counts_by_status(user).items()
    ]
    referred = Figure(
        "Policy changes waiting for underwriting",
        str(selectors.changes_referred_count(user)),
        f"{reverse('groups:changes')}?status={ChangeStatus.REFERRED}",
    )
    return [*by_status, referred]


def _markets_for(user: User) -> QuerySet[Market]:
    markets = Market.objects.all()
    if permissions.is_market_scoped(user):
        markets = markets.filter(pk__in=permissions.market_ids_of(user))
    return markets


@require_http_methods(["GET", "POST"])
@staff_required
def group_create(request: StaffRequest) -> HttpResponse:
    _require(request, "groups.add_employergroup")
    form = GroupForm(request.POST or None, markets=_markets_for(request.user))

    def save(data: dict[str, Any]) -> str:
        return _group_url(services.group_create(actor=request.user, **data))

    return _form_page(
        request, form, title="New employer group", back=reverse("groups:groups"), save=save,
        done="Group installed: its welcome call is on the group administration queue.",
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@staff_required
def group_market(request: StaffRequest, group_number: str) -> HttpResponse:
    """Move a group to another market of the user's (the service keeps the move in the
    group's audit trail)."""
    _require(request, "groups.change_employergroup")
    group = _or_404(lambda: selectors.group_get(user=request.user, group_number=group_number))
    markets = _markets_for(request.user).exclude(pk=group.market_id)
    form = GroupMarketForm(request.POST or None, markets=markets)

    def save(data: dict[str, Any]) -> str:
        services.group_market_change(actor=request.user, group=group, **data)
        return _group_url(group)

    return _form_page(
        request, form, title=f"Move group {group.group_number} from {group.market}",
        back=_group_url(group), save=save, done="Group moved to its new market.",
    )  # fmt: skip


def _log_members_view(request: HttpRequest, user: User, group: EmployerGroup) -> None:
    # The members list shows names: a view of PHI, logged against the group's roster.
    log_record_view(
        request, user, record_type="group_members", record_id=str(group.pk),
        channel=AccessLogEntry.Channel.WEB,
    )  # fmt: skip


def _group_context(group: EmployerGroup) -> dict[str, Any]:
    employees = (
        group.members.filter(employee__isnull=True)
        .prefetch_related("dependents")
        .order_by("last_name", "first_name")
    )
    return {
        "group": group,
        "steps": group.setup_steps.select_related("done_by"),
        "plans": selectors.plans_of(group),
        "employees": employees,
        "member_count": group.members.count(),
    }


@require_GET
@staff_required
def group_detail(request: StaffRequest, group_number: str) -> HttpResponse:
    _require(request, "groups.view_employergroup")
    group = _or_404(lambda: selectors.group_get(user=request.user, group_number=group_number))
    _log_members_view(request, request.user, group)
    context = _group_context(group)
    context["can_change"] = request.user.has_perm("groups.change_employergroup")
    return render(request, "groups/setup/group_detail.html", context)


@require_POST
@staff_required
def setup_step_mark(request: StaffRequest, group_number: str, position: int) -> HttpResponse:
    _require(request, "groups.change_employergroup")
    group = _or_404(lambda: selectors.group_get(user=request.user, group_number=group_number))
    step = get_object_or_404(group.setup_steps, position=position)
    try:
        services.setup_step_mark(
            actor=request.user, step=step, done=request.POST.get("done") == "1"
        )
    except NotPermitted as error:
        raise PermissionDenied(error.message) from None
    if is_htmx(request):
        context = {"group": group, "steps": group.setup_steps.select_related("done_by"),
                   "can_change": True}  # fmt: skip
        return render(request, "groups/setup/partials/checklist.html", context)
    return redirect(_group_url(group))


def _plan_initial(plan: PlanDesign) -> dict[str, Any]:
    values = {name: getattr(plan, name) for name in services.PLAN_FIELDS}
    return {**values, "product": plan.product.code, "tiers": plan.tiers}


@require_http_methods(["GET", "POST"])
@staff_required
def plan_create(request: StaffRequest, group_number: str) -> HttpResponse:
    _require(request, "groups.add_plandesign")
    group = _or_404(lambda: selectors.group_get(user=request.user, group_number=group_number))
    form = PlanDesignForm(request.POST or None, initial={"effective_date": group.effective_date})

    def save(data: dict[str, Any]) -> str:
        services.plan_design_save(actor=request.user, group=group, **data)
        return _group_url(group)

    return _form_page(
        request, form, title=f"New plan design for {group}", back=_group_url(group), save=save,
        done="Plan design added.",
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@staff_required
def plan_edit(request: StaffRequest, plan_id: int) -> HttpResponse:
    writer = may_write_page(
        request, read="groups.view_plandesign", write="groups.change_plandesign"
    )
    plan = _or_404(lambda: selectors.plan_get(user=request.user, plan_id=plan_id))
    form = PlanDesignForm(request.POST or None, initial=_plan_initial(plan))

    def save(data: dict[str, Any]) -> str:
        services.plan_design_save(actor=request.user, group=plan.group, plan=plan, **data)
        return _group_url(plan.group)

    return _form_page(
        request, form, title=f"Edit {plan.name}" if writer else plan.name,
        back=_group_url(plan.group), save=save, done="Plan design saved.", read_only=not writer,
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@staff_required
def rate_create(request: StaffRequest, plan_id: int) -> HttpResponse:
    _require(request, "groups.add_raterow")
    plan = _or_404(lambda: selectors.plan_get(user=request.user, plan_id=plan_id))
    form = RateRowForm(request.POST or None, tiers=plan.tiers)

    def save(data: dict[str, Any]) -> str:
        services.rate_row_save(actor=request.user, plan=plan, **data)
        return _group_url(plan.group) + f"#plan-{plan.pk}"

    return _form_page(
        request, form, title=f"New rate for {plan.name}", back=_group_url(plan.group),
        save=save, done="Rate added.",
    )  # fmt: skip


def _tobacco_choice(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


@require_http_methods(["GET", "POST"])
@staff_required
def rate_edit(request: StaffRequest, rate_id: int) -> HttpResponse:
    writer = may_write_page(request, read="groups.view_raterow", write="groups.change_raterow")
    row = _or_404(lambda: selectors.rate_get(user=request.user, rate_id=rate_id))
    initial = {"age_min": row.age_min, "age_max": row.age_max, "tier": row.tier,
               "tobacco": _tobacco_choice(row.tobacco), "rate": row.rate}  # fmt: skip
    form = RateRowForm(request.POST or None, initial=initial, tiers=row.plan.tiers)

    def save(data: dict[str, Any]) -> str:
        services.rate_row_save(actor=request.user, plan=row.plan, row=row, **data)
        return _group_url(row.plan.group) + f"#plan-{row.plan.pk}"

    return _form_page(
        request, form, title=f"{'Edit a' if writer else 'A'} rate of {row.plan.name}",
        back=_group_url(row.plan.group), save=save, done="Rate saved.", read_only=not writer,
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@staff_required
def member_create(request: StaffRequest, group_number: str) -> HttpResponse:
    _require(request, "groups.add_member")
    group = _or_404(lambda: selectors.group_get(user=request.user, group_number=group_number))
    employee = None
    if request.GET.get("employee"):
        employee = get_object_or_404(
            group.members.filter(employee__isnull=True), pk=request.GET["employee"]
        )
    form = MemberForm(request.POST or None, dependent=employee is not None)

    def save(data: dict[str, Any]) -> str:
        member = services.member_add(actor=request.user, group=group, employee=employee, **data)
        return _member_url(member)

    title = f"New dependent of member {employee.member_id}" if employee else "New employee"
    return _form_page(
        request, form, title=f"{title} in {group}", back=_group_url(group), save=save,
        done="Member added.",
    )  # fmt: skip


def _member_context(request: HttpRequest, member: Member) -> dict[str, Any]:
    """Demographics, dependents, history and coverage on the as-of date (today by default)."""
    form = AsOfForm(request.GET)
    as_of = (form.cleaned_data.get("as_of") if form.is_valid() else None) or timezone.localdate()
    in_force = selectors.coverage_as_of(member=member, on=as_of)
    return {
        "member": member,
        "dependents": member.dependents.all(),
        "history": selectors.coverage_history(member),
        "as_of_form": form,
        "as_of": as_of,
        "in_force": in_force,
        "in_force_premium": sum((row.monthly_premium for row in in_force), ZERO),
    }


@require_GET
@staff_required
def member_detail(request: StaffRequest, member_pk: int) -> HttpResponse:
    _require(request, "groups.view_member")
    member = _or_404(lambda: selectors.member_get(user=request.user, member_pk=member_pk))
    log_record_view(
        request, request.user, record_type="member", record_id=str(member.pk),
        channel=AccessLogEntry.Channel.WEB,
    )  # fmt: skip
    context = _member_context(request, member)
    context["can_change"] = request.user.has_perm("groups.add_coverage")
    status = 400 if context["as_of_form"].errors else 200
    return render(request, "groups/members/member_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def coverage_create(request: StaffRequest, member_pk: int) -> HttpResponse:
    _require(request, "groups.add_coverage")
    member = _or_404(lambda: selectors.member_get(user=request.user, member_pk=member_pk))
    form = CoverageForm(request.POST or None, plans=member.group.plans.select_related("product"))

    def save(data: dict[str, Any]) -> str:
        services.coverage_add(actor=request.user, member=member, **data)
        return _member_url(member)

    return _form_page(
        request, form, title=f"New coverage for member {member.member_id}",
        back=_member_url(member), save=save, done="Coverage added and rated.",
    )  # fmt: skip


@require_GET
@staff_required
def eligibility(request: StaffRequest) -> HttpResponse:
    """The claims department's question: is this person covered on that date, for what?"""
    form = EligibilityForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "member": None}
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        data = form.cleaned_data
        try:
            member = selectors.member_find(
                user=request.user, member_id=data["member"], group_number=data["group"] or None
            )
        except ServiceError as error:
            _form_error(form, error)
            status = error.http_status
        else:
            log_record_view(
                request, request.user, record_type="member", record_id=str(member.pk),
                channel=AccessLogEntry.Channel.WEB,
            )  # fmt: skip
            coverages = selectors.coverage_as_of(member=member, on=data["date"])
            context.update(member=member, on=data["date"], coverages=coverages)
    return render(request, "groups/members/eligibility.html", context, status=status)


@require_GET
@login_required
def contract_pdf(request: HttpRequest, group_number: str) -> HttpResponse:
    """The group contract, for staff who administer the group and its employer."""
    user = cast(User, request.user)
    if not has_role(user, Role.EMPLOYER) and not (
        is_staff_member(user) and user.has_perm("groups.view_employergroup")
    ):
        raise PermissionDenied("The group contract is for the group and its administrators")
    group = _or_404(lambda: selectors.group_get(user=user, group_number=group_number))
    response = HttpResponse(contract.group_contract_pdf(group), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contract-{group.group_number}.pdf"'
    return response


# The employer portal: outside users see their own group(s), read only.


def _employer(request: HttpRequest) -> User:
    user = cast(User, request.user)
    if not has_role(user, Role.EMPLOYER):
        raise PermissionDenied("The employer portal is for employer group administrators")
    return user


@require_GET
@login_required
def portal(request: HttpRequest) -> HttpResponse:
    groups = selectors.groups_visible_to(_employer(request))
    return render(request, "groups/portal/portal.html", {"groups": groups})


@require_GET
@login_required
def portal_group(request: HttpRequest, group_number: str) -> HttpResponse:
    user = _employer(request)
    group = _or_404(lambda: selectors.group_get(user=user, group_number=group_number))
    _log_members_view(request, user, group)
    return render(request, "groups/portal/portal_group.html", _group_context(group))


@require_GET
@login_required
def portal_member(request: HttpRequest, member_pk: int) -> HttpResponse:
    user = _employer(request)
    member = _or_404(lambda: selectors.member_get(user=user, member_pk=member_pk))
    log_record_view(
        request, user, record_type="member", record_id=str(member.pk),
        channel=AccessLogEntry.Channel.WEB,
    )  # fmt: skip
    context = {**_member_context(request, member), "portal": True}
    status = 400 if context["as_of_form"].errors else 200
    return render(request, "groups/members/member_detail.html", context, status=status)
