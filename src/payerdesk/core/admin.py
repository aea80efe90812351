"""Reference data for administrators: markets, segments, teams, queues, SLA policies,
people and their roles, API tokens; the access log read-only.

Work items are not here: their pages write the PHI access log, the admin's would not."""

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.errors import NotPermitted
from payerdesk.core.models import (
    AccessLogEntry,
    ApiToken,
    Market,
    Queue,
    Segment,
    SlaPolicy,
    StaffProfile,
    Team,
    User,
)

M = TypeVar("M", bound=Model)


def sync_through_services(
    wanted: Iterable[M],
    current: Iterable[M],
    *,
    add: Callable[[M], object],
    remove: Callable[[M], object],
) -> None:
    """Apply an admin form's many-to-many choice by calling the services for what it adds
    and removes (never the relation's own add/remove); a refusal by role is a 403."""
    chosen, held = set(wanted), set(current)
    try:
        for row in chosen - held:
            add(row)
        for row in held - chosen:
            remove(row)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from None


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin[Market]):
    list_display = ["code", "name", "states", "active"]
    search_fields = ["code", "name"]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin[Segment]):
    list_display = ["code", "name"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "segment", "lead"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = ["name", "clock", "amount", "escalate_before_hours"]


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin[Queue]):
    list_display = ["name", "slug", "team", "sla_policy"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["worker_roles"]


class StaffProfileInline(admin.StackedInline[StaffProfile, User]):
    model = StaffProfile
    can_delete = False
    filter_horizontal = ["markets"]


@admin.register(User)
class PayerdeskUserAdmin(UserAdmin[User]):
    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "roles"]
    list_filter = ["groups", "is_active"]

    @admin.display(description="Roles")
    def roles(self, user: User) -> str:
        return ", ".join(group.name for group in user.groups.all())


class ApiTokenForm(forms.ModelForm[ApiToken]):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "expires_at"]

    def clean_expires_at(self) -> Any:
        # The service refuses a past expiry too; saying so here makes it a form error.
        value = self.cleaned_data["expires_at"]
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return value


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Issuing shows the token once; only its hash is kept."""

    form = ApiTokenForm

    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    fields = ["user", "name", "expires_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        return ["user", "name", "expires_at"] if obj else []

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        token, raw = services.api_token_issue(
            actor=request.user,  # type: ignore[arg-type]
            user=obj.user,
            name=obj.name,
            expires_at=obj.expires_at,
        )
        obj.pk = token.pk
        obj.__dict__.update(token.__dict__)
        messages.warning(
            request, f"Token for {token.user}: {raw} — copy it now, it is not shown again."
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            services.api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
        messages.success(request, f"Revoked {queryset.count()} token(s).")

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin[M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin[AccessLogEntry]):
    list_display = ["at", "username", "action", "channel", "record_type", "record_id", "ip_address"]
    list_filter = ["action", "channel", "record_type"]
    search_fields = ["username", "record_id"]
    date_hierarchy = "at"
