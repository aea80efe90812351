"""Forms for the prior authorization pages; the services do the business checks."""

from typing import Any

from django import forms

from payerdesk.priorauth.models import LineOfBusiness, Urgency
from payerdesk.priorauth.services.requests import DEFAULT_APPROVAL_DAYS, MAX_APPROVAL_DAYS


class IntakeForm(forms.Form):
    """The request's frame; the drug's questions are rendered from its criteria."""

    channel = forms.ChoiceField(choices=[("phone", "Phone"), ("fax", "Fax")], initial="phone")
    member_id = forms.CharField(label="Member ID", max_length=30)
    group_number = forms.CharField(
        label="Group number",
        max_length=20,
        required=False,
        help_text="Only when the member ID is in more than one group",
    )
    prescriber_npi = forms.CharField(label="Prescriber NPI", max_length=10)
    drug = forms.CharField(
        label="Drug (RXCUI or NDC)",
        max_length=20,
        help_text="Find it on the drug search page; the drug's questions follow",
    )
    urgency = forms.ChoiceField(choices=Urgency.choices)
    line_of_business = forms.ChoiceField(choices=LineOfBusiness.choices)
    supporting_statement = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
        help_text="Non-formulary exceptions: the prescriber's statement "
        "(the clock starts when it arrives)",
    )
    fax = forms.FileField(required=False, help_text="Faxed form, PDF or TIFF")


class ApproveForm(forms.Form):
    approval_days = forms.IntegerField(
        min_value=1, max_value=MAX_APPROVAL_DAYS, initial=DEFAULT_APPROVAL_DAYS
    )


class DenyForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="The specific criterion not met and what the record shows",
    )


class PendForm(forms.Form):
    information = forms.CharField(
        label="Information needed from the prescriber",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class StatementForm(forms.Form):
    statement = forms.CharField(
        label="Prescriber's supporting statement",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
    )


class InformationForm(forms.Form):
    """What arrived after a pend; the changed answers come from the criteria questions."""

    note = forms.CharField(
        label="What arrived",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
        help_text="e.g. lab results faxed by the office on this date",
    )
    document = forms.FileField(
        label="Document received", required=False, help_text="The fax or chart note: PDF or TIFF"
    )


class ProviderInformationForm(InformationForm):
    """The same fields, worded for the provider who sends them through the portal."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        note, document = self.fields["note"], self.fields["document"]
        note.label, note.help_text = (
            "Note for the pharmacist",
            "What the answers and the document show",
        )
        document.label, document.help_text = "Document", "Chart note or lab results: PDF or TIFF"
