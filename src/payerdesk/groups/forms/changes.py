"""Forms for policy changes, terminations, reinstatements and underwriting rule sets."""

from typing import Any

from django import forms

from payerdesk.groups.models import (
    ChangeType,
    EmployerGroup,
    Member,
    PlanDesign,
    Product,
    ReinstatementReason,
    Relationship,
    TerminationReason,
    Tier,
)
from payerdesk.groups.services.policy_changes import ChangeRequest

DATE = forms.DateInput(attrs={"type": "date"})
BLANK: list[tuple[str, str]] = [("", "—")]
TOBACCO = [("", "—"), ("yes", "Tobacco user"), ("no", "Non-tobacco")]
# Service field names that differ from the form's.
FIELD_OF = {
    f"dependent.{name}": f"dep_{name}"
    for name in ("member_id", "first_name", "last_name", "birth_date", "sex", "relationship")
}


def _dependent_label(member: Member) -> str:
    return f"{member.member_id} ({member.get_relationship_display()})"


class PolicyChangeForm(forms.Form):
    change_type = forms.ChoiceField(choices=ChangeType.choices)
    effective_date = forms.DateField(widget=DATE)
    plan = forms.ModelChoiceField(
        queryset=PlanDesign.objects.none(), required=False, label="Product (plan)"
    )
    benefit_amount = forms.DecimalField(
        required=False, max_digits=12, decimal_places=2, label="New benefit amount"
    )
    tier = forms.ChoiceField(choices=[*BLANK, *Tier.choices], required=False, label="Tier")
    tobacco = forms.ChoiceField(choices=TOBACCO, required=False, label="New tobacco status")
    signed_statement = forms.BooleanField(
        required=False, label="A signed non-tobacco statement is on file"
    )
    qualifying_event_date = forms.DateField(
        required=False, widget=DATE, help_text="For a dependent add: marriage, birth, adoption"
    )
    dependent = forms.ModelChoiceField(
        queryset=Member.objects.none(), required=False, label="Dependent to remove"
    )
    dep_member_id = forms.CharField(required=False, max_length=30, label="New dependent's id")
    dep_first_name = forms.CharField(required=False, max_length=60, label="First name")
    dep_last_name = forms.CharField(required=False, max_length=60, label="Last name")
    dep_birth_date = forms.DateField(required=False, widget=DATE, label="Date of birth")
    dep_sex = forms.ChoiceField(
        choices=[*BLANK, ("F", "Female"), ("M", "Male"), ("U", "Unknown")],
        required=False,
        label="Sex",
    )
    dep_relationship = forms.ChoiceField(
        choices=[*BLANK, *((r.value, r.label) for r in Relationship if r != Relationship.SELF)],
        required=False,
        label="Relationship",
    )

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan_field = self.fields["plan"]
        dependent_field = self.fields["dependent"]
        assert isinstance(plan_field, forms.ModelChoiceField)
        assert isinstance(dependent_field, forms.ModelChoiceField)
        plan_field.queryset = PlanDesign.objects.filter(group=member.group_id)
        dependent_field.queryset = member.dependents.all()
        # Dependents are labelled by id and relationship, never by name (labels may log).
        setattr(dependent_field, "label_from_instance", _dependent_label)  # noqa: B010

    def change_request(self) -> ChangeRequest:
        data = self.cleaned_data
        born = data.get("dep_birth_date")
        details = {
            "member_id": data.get("dep_member_id") or "",
            "first_name": data.get("dep_first_name") or "",
            "last_name": data.get("dep_last_name") or "",
            "birth_date": born.isoformat() if born else "",
            "sex": data.get("dep_sex") or "",
            "relationship": data.get("dep_relationship") or "",
        }
        tobacco = {"yes": True, "no": False}.get(data.get("tobacco") or "")
        return ChangeRequest(
            change_type=data["change_type"],
            effective_date=data["effective_date"],
            plan=data.get("plan"),
            benefit_amount=data.get("benefit_amount"),
            tier=data.get("tier") or "",
            tobacco=tobacco,
            signed_statement=bool(data.get("signed_statement")),
            qualifying_event_date=data.get("qualifying_event_date"),
            dependent=data.get("dependent"),
            dependent_details=details if data["change_type"] == ChangeType.DEPENDENT_ADD else {},
        )


class DecideForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DeclineForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why declined")


class TerminateForm(forms.Form):
    termination_date = forms.DateField(widget=DATE, help_text="The last day covered")
    reason = forms.ChoiceField(choices=TerminationReason.choices)


class MemberTerminateForm(TerminateForm):
    plan = forms.ModelChoiceField(
        queryset=PlanDesign.objects.none(), required=False, empty_label="All products"
    )

    def __init__(self, *args: Any, group: EmployerGroup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["plan"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = PlanDesign.objects.filter(group=group)


class ReinstateForm(forms.Form):
    reason = forms.ChoiceField(choices=ReinstatementReason.choices)
    reinstatement_date = forms.DateField(
        required=False, widget=DATE, help_text="Empty: the day after the coverage ended"
    )


class MemberReinstateForm(ReinstateForm):
    plan = forms.ModelChoiceField(
        queryset=PlanDesign.objects.none(), required=False, empty_label="All products"
    )

    def __init__(self, *args: Any, group: EmployerGroup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["plan"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = PlanDesign.objects.filter(group=group)


class RuleSetForm(forms.Form):
    file = forms.FileField(label="JDM decision graph (JSON)")
    name = forms.CharField(required=False, max_length=200)
    group = forms.ModelChoiceField(
        queryset=EmployerGroup.objects.all(), required=False, empty_label="Any group"
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.all(), required=False, empty_label="Any product"
    )
    state = forms.CharField(required=False, max_length=2, help_text="Two letters; empty: any")
