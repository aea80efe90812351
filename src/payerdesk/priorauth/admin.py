"""Reference data an administrator keeps: clock rules and prescribers (with the provider
users who act for them). Requests stay out of the admin: they hold PHI and their views
must be access-logged."""

from django.contrib import admin

from payerdesk.priorauth.models import ClockRule, Prescriber


@admin.register(ClockRule)
class ClockRuleAdmin(admin.ModelAdmin[ClockRule]):
    list_display = ("line_of_business", "urgency", "hours", "escalate_before_hours", "source")
    list_editable = ("hours", "escalate_before_hours")


@admin.register(Prescriber)
class PrescriberAdmin(admin.ModelAdmin[Prescriber]):
    list_display = ("name", "npi", "email")
    search_fields = ("name", "npi")
    filter_horizontal = ("portal_users",)
