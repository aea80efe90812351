from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet

from payerdesk.billing.models import BillingMode, BillingSchedule, ListBillStatus

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup


class GenerateForm(forms.Form):
    # The queryset is the user's visible groups, given to the form.
    group: forms.ModelChoiceField[EmployerGroup] = forms.ModelChoiceField(
        queryset=None, to_field_name="group_number"
    )
    period = forms.DateField(
        label="Any day of the period", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, groups: QuerySet[EmployerGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = groups


class BillFilterForm(forms.Form):
    group = forms.CharField(required=False, label="Group number")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *ListBillStatus.choices]
    )


class ScheduleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = BillingSchedule
        fields = [
            "mode", "first_period_start", "bill_day", "lead_days", "tolerance",
            "refund_routing_number", "refund_account_number", "refund_account_type",
        ]  # fmt: skip
        widgets = {"first_period_start": forms.DateInput(attrs={"type": "date"})}

    mode = forms.ChoiceField(choices=BillingMode.choices)


class MarketFilterForm(forms.Form):
    market = forms.CharField(required=False, label="Market code")


class PortalUploadForm(forms.Form):
    """The employer's returned list bill: their own groups only."""

    # The queryset is the user's visible groups, given to the form.
    group: forms.ModelChoiceField[EmployerGroup] = forms.ModelChoiceField(
        queryset=None, to_field_name="group_number"
    )
    file = forms.FileField(help_text="The list bill sent back: CSV or Excel")
    period = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The bill's period start, for lines that do not say their period",
    )  # fmt: skip

    def __init__(self, *args: Any, groups: QuerySet[EmployerGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = groups
        if len(groups) == 1:
            field.initial = groups[0].group_number
