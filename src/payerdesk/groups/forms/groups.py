"""Forms for the group administration pages; the services do the business checks."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from payerdesk.core.models import Market
from payerdesk.groups.models import AgeRule, PlanDesign, Product, RateBasis, Relationship, Tier


class EnrollmentUploadForm(forms.Form):
    file = forms.FileField(label="834 file", help_text="X12 005010X220A1 benefit enrollment")
    dry_run = forms.BooleanField(
        label="Dry run: show what would change, apply nothing", required=False, initial=True
    )


def _date(**kwargs: Any) -> forms.DateField:
    return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def _money(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, max_digits=12, decimal_places=2, **kwargs)


class GroupSearchForm(forms.Form):
    q = forms.CharField(label="Group number or name", required=False, max_length=200)


class GroupForm(forms.Form):
    group_number = forms.CharField(max_length=20)
    legal_name = forms.CharField(max_length=200)
    situs_state = forms.CharField(max_length=2, help_text="Two-letter USPS code, e.g. NY")
    market = forms.ModelChoiceField(Market.objects.none(), to_field_name="code")
    effective_date = _date()
    billing_contact_name = forms.CharField(max_length=120)
    billing_contact_email = forms.CharField(max_length=254)
    billing_contact_phone = forms.CharField(max_length=30, required=False)

    def __init__(self, *args: Any, markets: QuerySet[Market], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["market"].queryset = markets  # type: ignore[attr-defined]


class GroupMarketForm(forms.Form):
    market = forms.ModelChoiceField(Market.objects.none(), to_field_name="code", label="New market")
    reason = forms.CharField(max_length=300, help_text="Kept in the group's audit trail")

    def __init__(self, *args: Any, markets: QuerySet[Market], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["market"].queryset = markets  # type: ignore[attr-defined]


class PlanDesignForm(forms.Form):
    product = forms.ModelChoiceField(Product.objects.all(), to_field_name="code")
    name = forms.CharField(max_length=120)
    effective_date = _date()
    eligibility_class = forms.CharField(max_length=120, initial="All full-time employees")
    waiting_period_days = forms.IntegerField(initial=0, label="Waiting period (days)")
    grace_period_days = forms.IntegerField(
        initial=31,
        required=False,
        label="Grace period (days)",
        help_text="Premium unpaid this long after it is due lapses the coverage (empty: 31)",
    )
    tiers = forms.MultipleChoiceField(
        choices=Tier.choices, widget=forms.CheckboxSelectMultiple, label="Coverage tiers offered"
    )
    rate_basis = forms.ChoiceField(choices=RateBasis.choices)
    unit_amount = _money("Benefit per unit", required=False, help_text="Per-unit plans, e.g. 1000")
    min_benefit = _money("Minimum benefit", required=False)
    max_benefit = _money("Maximum benefit", required=False)
    guaranteed_issue = _money(
        "Guaranteed-issue amount", required=False, help_text="Above it, evidence of insurability"
    )
    age_rule = forms.ChoiceField(choices=AgeRule.choices, label="Age for rating taken on")

    def clean_grace_period_days(self) -> int:
        days = self.cleaned_data.get("grace_period_days")
        return 31 if days is None else int(days)


TOBACCO_CHOICES = [("", "Both"), ("no", "Non-tobacco"), ("yes", "Tobacco")]


class RateRowForm(forms.Form):
    age_min = forms.IntegerField(initial=0, label="Age from")
    age_max = forms.IntegerField(initial=120, label="Age to")
    tobacco = forms.TypedChoiceField(
        choices=TOBACCO_CHOICES, required=False, empty_value=None,
        coerce=lambda value: value == "yes",
    )  # fmt: skip
    tier = forms.ChoiceField(required=False, help_text="Empty: every tier")
    rate = forms.DecimalField(
        max_digits=10, decimal_places=4, help_text="Monthly premium, or the rate per unit"
    )

    def __init__(self, *args: Any, tiers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Tier.choices)
        self.fields["tier"].choices = [("", "Any tier")] + [  # type: ignore[attr-defined]
            (tier, labels.get(tier, tier)) for tier in tiers
        ]


class MemberForm(forms.Form):
    member_id = forms.CharField(max_length=30, label="Member id")
    first_name = forms.CharField(max_length=60)
    last_name = forms.CharField(max_length=60)
    birth_date = _date(label="Date of birth")
    sex = forms.ChoiceField(choices=[("F", "Female"), ("M", "Male"), ("U", "Unknown")])
    relationship = forms.ChoiceField(choices=Relationship.choices)
    address_line1 = forms.CharField(max_length=100, required=False, label="Address")
    address_line2 = forms.CharField(max_length=100, required=False, label="Address line 2")
    city = forms.CharField(max_length=60, required=False)
    state = forms.CharField(max_length=2, required=False)
    postal_code = forms.CharField(max_length=10, required=False)
    hire_date = _date(required=False)
    employment_class = forms.CharField(max_length=60, required=False)
    tobacco = forms.BooleanField(required=False, label="Uses tobacco")

    def __init__(self, *args: Any, dependent: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if dependent:
            for name in ("hire_date", "employment_class"):
                del self.fields[name]
            self.fields["relationship"].choices = [  # type: ignore[attr-defined]
                pair for pair in Relationship.choices if pair[0] != Relationship.SELF
            ]
        else:
            self.fields["relationship"].choices = [  # type: ignore[attr-defined]
                (Relationship.SELF.value, Relationship.SELF.label)
            ]


class CoverageForm(forms.Form):
    plan = forms.ModelChoiceField(PlanDesign.objects.none())
    tier = forms.ChoiceField(
        choices=[("", "The employee's tier (a dependent on a tier-rated plan)"), *Tier.choices],
        required=False,
        help_text="A dependent on a tier-rated plan is covered at the employee's tier, "
        "for no premium of their own",
    )
    benefit_amount = _money("Benefit amount", required=False, help_text="Per-unit plans")
    start_date = _date(label="Effective date")

    def __init__(self, *args: Any, plans: QuerySet[PlanDesign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans  # type: ignore[attr-defined]


class AsOfForm(forms.Form):
    as_of = _date(label="Coverage as of", required=False)


class EligibilityForm(forms.Form):
    member = forms.CharField(max_length=30, label="Member id")
    group = forms.CharField(max_length=20, required=False, label="Group number")
    date = _date(label="Date of service")


class Enrollment834Form(EnrollmentUploadForm):
    apply_audit = forms.BooleanField(
        label="Apply a full (030 audit) file's differences (without it they are only reported)",
        required=False,
    )


class CensusUploadForm(forms.Form):
    file = forms.FileField(label="Census file", help_text="CSV (UTF-8) or Excel (.xlsx)")
    dry_run = forms.BooleanField(
        label="Dry run: show what would change, apply nothing", required=False, initial=True
    )
