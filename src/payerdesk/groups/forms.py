from django import forms


class EnrollmentUploadForm(forms.Form):
    file = forms.FileField(label="834 file", help_text="X12 005010X220A1 benefit enrollment")
    dry_run = forms.BooleanField(
        label="Dry run: show what would change, apply nothing", required=False, initial=True
    )
