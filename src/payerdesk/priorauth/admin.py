"""Reference data an administrator keeps: clock rules and prescribers (with the provider
users who act for them). Requests stay out of the admin: they hold PHI and their views
must be access-logged."""

from django.contrib import admin
from django.http import HttpRequest

from payerdesk.priorauth.models import ClockRule, Prescriber


@admin.register(ClockRule)
class ClockRuleAdmin(admin.ModelAdmin[ClockRule]):
    list_display = ("line_of_business", "urgency", "hours", "escalate_before_hours", "source")
    list_editable = ("hours", "escalate_before_hours")


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
