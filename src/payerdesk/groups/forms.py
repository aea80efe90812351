from django import forms


class EnrollmentUploadForm(forms.Form):
    file = forms.FileField(label="834 file", help_text="X12 005010X220A1 benefit enrollment")
    dry_run = forms.BooleanField(
        label="Dry run: show what would change, apply nothing", required=False, initial=True
    )


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
