"""Forms of the reference data pages: drugs, formulary, criteria, prescribers."""

from django import forms


class DrugSearchForm(forms.Form):
    q = forms.CharField(label="Name, RXCUI or NDC", max_length=100)


class FormularyImportForm(forms.Form):
    formulary_file = forms.FileField(help_text="CMS basic formulary file, pipe-delimited")
    names_file = forms.FileField(help_text="Drug names by RXCUI (RXCUI|DRUG_NAME)")


class CriteriaUploadForm(forms.Form):
    code = forms.SlugField(max_length=60, help_text="The drug or drug group, e.g. glp1-t2d")
    title = forms.CharField(max_length=200)
    rxcuis = forms.CharField(label="RXCUIs", max_length=500, help_text="Comma separated")
    questionnaire = forms.FileField(help_text="FHIR R4 Questionnaire (JSON)")
    decision = forms.FileField(help_text="GoRules JDM decision graph (JSON)")


class PrescriberSearchForm(forms.Form):
    q = forms.CharField(label="Name, NPI or email", max_length=100, required=False)


class PrescriberForm(forms.Form):
    npi = forms.CharField(label="NPI", max_length=10, help_text="Ten digits, Luhn check digit")
    name = forms.CharField(max_length=120)
    email = forms.CharField(
        max_length=254, required=False, help_text="Determination letters and notices go here"
    )


class PrescriberEditForm(forms.Form):
    name = forms.CharField(max_length=120)
    email = forms.CharField(
        max_length=254, required=False, help_text="Determination letters and notices go here"
    )
