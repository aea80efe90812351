"""Forms for the remittance pages: they parse; the services decide."""

from django import forms

from payerdesk.billing.models import PaymentMethod


class RemittanceUploadForm(forms.Form):
    file = forms.FileField(help_text="An X12 820, or the returned list bill (CSV or Excel)")
    group = forms.CharField(
        required=False, max_length=20, help_text="Group number (an 820's REF*38 may name it)"
    )
    period = forms.DateField(
        required=False, help_text="The bill's first day, for sheet lines without a period"
    )


class PaymentForm(forms.Form):
    group = forms.CharField(max_length=20)
    amount = forms.DecimalField(max_digits=12, decimal_places=2)
    payment_date = forms.DateField()
    method = forms.ChoiceField(choices=[(PaymentMethod.CHECK, "Check"), (PaymentMethod.ACH, "ACH")])
    reference = forms.CharField(max_length=80, help_text="Check number or ACH trace")
    bill_period = forms.DateField(required=False, help_text="The bill it pays (its first day)")


class ResolveForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("apply", "Apply"), ("refund", "Refund"), ("write_off", "Write off")]
    )
    member = forms.CharField(required=False, max_length=30)
    period_start = forms.DateField(required=False)
    reason = forms.CharField(required=False, max_length=200)


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", "Approve"), ("0", "Reject")], coerce=lambda v: v == "1"
    )


class ReversalForm(forms.Form):
    member = forms.CharField(max_length=30)
    since = forms.DateField(help_text="Effective date of the retroactive change")
    new_premium = forms.DecimalField(
        required=False, max_digits=10, decimal_places=2,
        help_text="For a decrease: the premium per period from then on",
    )  # fmt: skip
    reason = forms.CharField(max_length=200)


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=[("csv", "CSV payment instruction"), ("nacha", "NACHA (ACH) file")],
        initial="csv", required=False,
    )  # fmt: skip
    effective_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="NACHA: the settlement date wanted (today when empty)",
    )  # fmt: skip
    sec_code = forms.ChoiceField(
        choices=[("CCD", "CCD (to the employer)"), ("PPD", "PPD (to a person)")],
        required=False,
    )  # fmt: skip

    def clean_format(self) -> str:
        return str(self.cleaned_data.get("format") or "csv")
