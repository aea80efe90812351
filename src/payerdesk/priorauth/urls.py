from django.urls import path

from payerdesk.priorauth import metrics_views, views

app_name = "priorauth"

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request-new"),
    path("requests/new/questions", views.request_questions, name="request-questions"),
    path("requests/<int:request_id>/", views.request_detail, name="request-detail"),
    path("requests/<int:request_id>/approve", views.request_approve, name="request-approve"),
    path("requests/<int:request_id>/deny", views.request_deny, name="request-deny"),
    path("requests/<int:request_id>/pend", views.request_pend, name="request-pend"),
    path("requests/<int:request_id>/statement", views.request_statement, name="request-statement"),
    path(
        "requests/<int:request_id>/information",
        views.request_information,
        name="request-information",
    ),
    path(
        "requests/<int:request_id>/information/questions",
        views.request_information_questions,
        name="request-information-questions",
    ),
    path(
        "requests/<int:request_id>/letters/<int:letter_id>",
        views.letter_download,
        name="request-letter",
    ),
    path("drugs/", views.drug_search, name="drugs"),
    path("prescribers/", views.prescriber_list, name="prescribers"),
    path("prescribers/new", views.prescriber_new, name="prescriber-new"),
    path("prescribers/<str:npi>/", views.prescriber_detail, name="prescriber"),
    path("prescribers/<str:npi>/edit", views.prescriber_edit, name="prescriber-edit"),
    path("clock-rules/", views.clock_rule_list, name="clock-rules"),
    path(
        "clock-rules/<str:line_of_business>/<str:urgency>/",
        views.clock_rule_detail,
        name="clock-rule",
    ),
    path(
        "clock-rules/<str:line_of_business>/<str:urgency>/edit",
        views.clock_rule_edit,
        name="clock-rule-edit",
    ),
    path("formulary/", views.formulary_import, name="formulary-import"),
    path("criteria/", views.criteria_upload, name="criteria-upload"),
    path("metrics/", metrics_views.metrics, name="metrics"),
    path("metrics.csv", metrics_views.metrics_csv, name="metrics-csv"),
]
