from django.urls import path

from payerdesk.priorauth import fhir_views

app_name = "fhir"

urlpatterns = [path("Claim/$submit", fhir_views.claim_submit, name="claim-submit")]
