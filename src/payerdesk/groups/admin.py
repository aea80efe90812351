"""Group reference data in the admin: products, groups with plan designs and rate tables.

Members and coverages are PHI: they are not in the admin, whose views the access log
does not see; their pages come with the groups UI.

A group's status and market, its plan designs and rates are changed on the group pages,
through the services that check them and keep the audit trail: here they are read-only,
with links to those pages. Products and portal users are saved through their services.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from payerdesk.core.admin import ReadOnlyAdmin, sync_through_services
from payerdesk.core.errors import ServiceError
from payerdesk.core.models import User
from payerdesk.core.roles import Role, group_name
from payerdesk.groups.models import EmployerGroup, PlanDesign, Product, RateRow
from payerdesk.groups.services import groups as services


def _links(*pages: tuple[str, str]) -> SafeString:
    return format_html_join(" · ", '<a href="{}">{}</a>', pages)


PRODUCT_FIELDS = ["code", "name", "insurance_line", "x12_plan_description"]


class ProductForm(forms.ModelForm[Product]):
    """The service's checks as form errors; the service runs them again as it saves."""

    class Meta:
        model = Product
        fields = PRODUCT_FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            services.product_check(
                **{name: data.get(name) or "" for name in PRODUCT_FIELDS},
                product=self.instance if self.instance.pk else None,
            )
        except ServiceError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return data


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    form = ProductForm
    list_display = tuple(PRODUCT_FIELDS)
    fields = tuple(PRODUCT_FIELDS)

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        saved = services.product_save(
            actor=request.user,  # type: ignore[arg-type]
            code=obj.code,
            name=obj.name,
            insurance_line=obj.insurance_line,
            x12_plan_description=obj.x12_plan_description,
            product=Product.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk = saved.pk
        obj.__dict__.update(saved.__dict__)

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False


class RateRowInline(admin.TabularInline[RateRow, PlanDesign]):
    model = RateRow
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: PlanDesign | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PlanDesign | None = None) -> bool:
        return False


@admin.register(PlanDesign)
class PlanDesignAdmin(ReadOnlyAdmin[PlanDesign]):
    """Plans and rates are edited on the group's page, whose service refuses overlapping
    age bands and tiers the plan does not offer."""

    list_display = ["name", "group", "product", "rate_basis", "effective_date", "pages"]
    list_filter = ["product", "rate_basis"]
    inlines = [RateRowInline]
    readonly_fields = ["pages"]

    @admin.display(description="Edit on")
    def pages(self, plan: PlanDesign) -> SafeString:
        return _links(
            (reverse("groups:plan-edit", args=[plan.pk]), "plan design"),
            (reverse("groups:rate-new", args=[plan.pk]), "new rate"),
            (reverse("groups:group", args=[plan.group.group_number]), "group page"),
        )


@admin.register(EmployerGroup)
class EmployerGroupAdmin(admin.ModelAdmin[EmployerGroup]):
    """Only the employer's portal users are changed here (through the service); the
    group's status and market change on its pages, which end or restore coverage, tell
    billing and keep the audit trail."""

    list_display = ["group_number", "legal_name", "situs_state", "market", "status"]
    list_filter = ["status", "market"]
    search_fields = ["group_number", "legal_name"]
    readonly_fields = [
        "group_number", "legal_name", "situs_state", "market", "status", "pages",
        "effective_date", "billing_contact_name", "billing_contact_email",
        "billing_contact_phone", "welcome_call", "created_by", "created_at",
    ]  # fmt: skip
    fields = [*readonly_fields, "portal_users"]
    filter_horizontal = ["portal_users"]

    @admin.display(description="Change on")
    def pages(self, group: EmployerGroup) -> SafeString:
        number = group.group_number
        return _links(
            (reverse("groups:group", args=[number]), "group page"),
            (reverse("groups:group-market", args=[number]), "market"),
            (reverse("groups:terminate-group", args=[number]), "terminate"),
            (reverse("groups:reinstate-group", args=[number]), "reinstate"),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # installing a group opens its welcome call: use the service

    def has_delete_permission(self, request: HttpRequest, obj: EmployerGroup | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: EmployerGroup, form: Any, change: bool) -> None:
        """Every field but the portal users is read-only: nothing of the row to save."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        group: EmployerGroup = form.instance
        actor: User = request.user  # type: ignore[assignment]
        sync_through_services(
            form.cleaned_data["portal_users"],
            group.portal_users.all(),
            add=lambda user: services.portal_user_grant(actor=actor, group=group, user=user),
            remove=lambda user: services.portal_user_revoke(actor=actor, group=group, user=user),
        )

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "portal_users":
            # Only employer group administrators may hold a group's portal.
            kwargs["queryset"] = User.objects.filter(groups__name=group_name(Role.EMPLOYER))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
