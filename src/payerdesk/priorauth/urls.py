from django.urls import path

from payerdesk.priorauth.views import clocks, fhir, metrics, reference, requests

app_name = "priorauth"

urlpatterns = [
    path("", requests.home, name="home"),
    path("requests/", requests.request_list, name="requests"),
    path("requests/new/", requests.request_new, name="request-new"),
    path("requests/new/questions", requests.request_questions, name="request-questions"),
    path("requests/<int:request_id>/", requests.request_detail, name="request-detail"),
    path("requests/<int:request_id>/approve", requests.request_approve, name="request-approve"),
    path("requests/<int:request_id>/deny", requests.request_deny, name="request-deny"),
    path("requests/<int:request_id>/pend", requests.request_pend, name="request-pend"),
    path(
        "requests/<int:request_id>/statement", requests.request_statement, name="request-statement"
    ),
    path(
        "requests/<int:request_id>/information",
        requests.request_information,
        name="request-information",
    ),
    path(
        "requests/<int:request_id>/information/questions",
        requests.request_information_questions,
        name="request-information-questions",
    ),
    path(
        "requests/<int:request_id>/letters/<int:letter_id>",
        requests.letter_download,
        name="request-letter",
    ),
    path("drugs/", reference.drug_search, name="drugs"),
    path("prescribers/", reference.prescriber_list, name="prescribers"),
    path("prescribers/new", reference.prescriber_new, name="prescriber-new"),
    path("prescribers/<str:npi>/", reference.prescriber_detail, name="prescriber"),
    path("prescribers/<str:npi>/edit", reference.prescriber_edit, name="prescriber-edit"),
    path("clock-rules/", clocks.clock_rule_list, name="clock-rules"),
    path(
        "clock-rules/<str:line_of_business>/<str:urgency>/",
        clocks.clock_rule_detail,
        name="clock-rule",
    ),
    path(
        "clock-rules/<str:line_of_business>/<str:urgency>/edit",
        clocks.clock_rule_edit,
        name="clock-rule-edit",
    ),
    path("formulary/", reference.formulary_import, name="formulary-import"),
    path("criteria/", reference.criteria_upload, name="criteria-upload"),
    path("metrics/", metrics.metrics, name="metrics"),
    path("metrics.csv", metrics.metrics_csv, name="metrics-csv"),
]

# Mounted under /fhir/ by the project's urls, in the "fhir" namespace.
fhir_urlpatterns = [path("Claim/$submit", fhir.claim_submit, name="claim-submit")]
