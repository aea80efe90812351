"""Forms for the work queue pages; the services do the business checks."""

from typing import Any

from django import forms
from django.utils import timezone

from payerdesk.core import kinds
from payerdesk.core.models import Market, Queue, User, WorkItem
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
