"""Reference data an administrator keeps: clock rules and prescribers (with the provider
users who act for them). Requests stay out of the admin: they hold PHI and their views
must be access-logged."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from payerdesk.core.admin import ReadOnlyAdmin, sync_through_services
from payerdesk.core.models import User
from payerdesk.core.roles import Role, group_name
from payerdesk.priorauth.models import ClockRule, Prescriber
from payerdesk.priorauth.services.prescribers import provider_link, provider_unlink


@admin.register(ClockRule)
class ClockRuleAdmin(ReadOnlyAdmin[ClockRule]):
    """The clocks change on the Determination clocks page, whose service checks them and
    keeps who changed what and why."""

    list_display = (
        "line_of_business",
        "urgency",
        "hours",
        "escalate_before_hours",
        "source",
        "page",
    )
    readonly_fields = ("page",)

    @admin.display(description="Change on")
    def page(self, rule: ClockRule) -> SafeString:
        url = reverse("priorauth:clock-rule", args=[rule.line_of_business, rule.urgency])
        return format_html('<a href="{}">its page</a>', url)


@admin.register(Prescriber)
class PrescriberAdmin(admin.ModelAdmin[Prescriber]):
    """Here an administrator links provider users to an NPI. Prescribers are registered and
    their details changed on the Prescribers page (or the API), which checks the NPI and keeps
    every change in the prescriber's history: the admin would skip both."""

    list_display = ("name", "npi", "email")
    search_fields = ("name", "npi")
    filter_horizontal = ("portal_users",)
    readonly_fields = ("npi", "name", "email")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Linking a provider opens the NPI's requests to them: administrators only.
        return request.user.has_perm("priorauth.link_portal_user")

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Prescriber, form: Any, change: bool) -> None:
        """Name, NPI and email are read-only here: nothing of the row to save."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        npi = form.instance.npi
        actor: User = request.user  # type: ignore[assignment]
        sync_through_services(
            form.cleaned_data["portal_users"],
            form.instance.portal_users.all(),
            add=lambda user: provider_link(actor=actor, user=user, npi=npi),
            remove=lambda user: provider_unlink(actor=actor, user=user, npi=npi),
        )

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "portal_users":
            kwargs["queryset"] = User.objects.filter(groups__name=group_name(Role.PROVIDER))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
