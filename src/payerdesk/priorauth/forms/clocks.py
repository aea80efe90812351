"""The determination clock rule form."""

from django import forms


class ClockRuleForm(forms.Form):
    hours = forms.IntegerField(min_value=1, help_text="Calendar hours from the clock's start")
    escalate_before_hours = forms.IntegerField(
        min_value=0, label="Escalate this many hours before the end"
    )
    source = forms.CharField(max_length=120, required=False, help_text="The rule this follows")
    reason = forms.CharField(max_length=300, help_text="Kept in the clock's history")
