"""Forms for the work queue pages; the services do the business checks."""

from typing import Any

from django import forms
from django.utils import timezone

from payerdesk.core import kinds, permissions
from payerdesk.core.models import Market, Priority, Queue, User, WorkItem
from payerdesk.core.selectors import DueWindow


class WorkItemFilterForm(forms.Form):
    queue = forms.ModelChoiceField(
        Queue.objects.none(), to_field_name="slug", required=False, empty_label="All queues"
    )
    status = forms.ChoiceField(required=False)
    market = forms.ModelChoiceField(
        Market.objects.all(), to_field_name="code", required=False, empty_label="All markets"
    )
    kind = forms.ChoiceField(required=False)
    assignee = forms.CharField(
        required=False, max_length=150, help_text='A username, or "none" for unassigned'
    )
    due = forms.ChoiceField(
        required=False, choices=[("", "Any time"), *DueWindow.CHOICES], label="Due"
    )

    def __init__(self, *args: Any, queues: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = queues  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", "Any open status"), *kinds.status_choices()]  # type: ignore[attr-defined]
        self.fields["kind"].choices = [("", "All kinds"), *kinds.kind_choices()]  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note", widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000, strip=True
    )


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label="New status")
    reason = forms.CharField(label="Reason", required=False, max_length=1000)

    def __init__(self, *args: Any, item: WorkItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = item.next_statuses()  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        User.objects.none(),
        required=False,
        to_field_name="username",
        empty_label="Nobody (release to the queue)",
        label="Assign to",
    )

    def __init__(self, *args: Any, candidates: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[user.pk for user in candidates]
        ).order_by("username")


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="PDF, TIFF, PNG, JPEG, Excel, CSV, text or X12; 10 MB at most.",
    )


class FollowUpForm(forms.Form):
    remind_at = forms.DateTimeField(
        label="Remind me at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    message = forms.CharField(label="About", max_length=300)

    def clean_remind_at(self) -> Any:
        value = self.cleaned_data["remind_at"]
        if value <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return value


def _select(label: str, *, required: bool = True, help_text: str = "") -> forms.CharField:
    """A choice the service checks (so the page and the API refuse it in the same words):
    the select offers what the user may pick; the value is passed on as sent."""
    return forms.CharField(label=label, required=required, help_text=help_text, widget=forms.Select)


class WorkItemCreateForm(forms.Form):
    kind = _select("Kind")
    title = forms.CharField(label="Title", max_length=200)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    queue = _select("Queue", help_text="Its due time comes from the queue's SLA.")
    market = _select("Market", required=False)
    priority = forms.TypedChoiceField(
        label="Priority",
        choices=Priority.choices,
        coerce=int,
        initial=Priority.NORMAL,
        required=False,
    )
    record_type = _select("Linked record", required=False)
    record_id = forms.CharField(
        label="Record number",
        required=False,
        max_length=60,
        help_text="A group number, a member record or a request number (PA-12)",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queues = permissions.queues_worked_by(user).order_by("name")
        markets = Market.objects.filter(active=True).order_by("name")
        if permissions.is_market_scoped(user):
            markets = markets.filter(pk__in=permissions.market_ids_of(user))
        national = [] if permissions.is_market_scoped(user) else [("", "National (no market)")]
        choices = {
            "kind": kinds.manual_kind_choices(),
            "queue": [(q.slug, q.name) for q in queues],
            "market": [*national, *((m.code, m.name) for m in markets)],
            "record_type": [("", "None"), *kinds.record_type_choices()],
        }
        for name, options in choices.items():
            self.fields[name].widget.choices = options

    def clean_priority(self) -> int:
        return self.cleaned_data["priority"] or Priority.NORMAL


class AccessLogFilterForm(forms.Form):
    """The fields as sent: `selectors.access_log_filter` validates them, for the page
    and the API alike."""

    user = forms.CharField(label="User", required=False, max_length=150)
    record_type = forms.CharField(
        label="Record type",
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"list": "record-types"}),
    )
    record_id = forms.CharField(label="Record id", required=False, max_length=60)
    date_from = forms.CharField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.CharField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
