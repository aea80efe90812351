from django.urls import URLPattern, URLResolver, path

from payerdesk.billing import remit_urls, views

app_name = "billing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    *remit_urls.urlpatterns,
    path("bills/", views.list_bills, name="list-bills"),
    path("bills/generate", views.list_bill_generate, name="list-bill-generate"),
    path("bills/<int:bill_id>/", views.list_bill_detail, name="list-bill"),
    path("bills/<int:bill_id>/pdf", views.list_bill_pdf, name="list-bill-pdf"),
    path("bills/<int:bill_id>/csv", views.list_bill_csv, name="list-bill-csv"),
    path("bills/<int:bill_id>/xlsx", views.list_bill_xlsx, name="list-bill-xlsx"),
    path("portal/", views.portal, name="portal"),
    path(
        "portal/remittances",
        views.portal_remittance_upload,
        name="portal-remittance-upload",
    ),
    path("groups/<str:group_number>/schedule", views.schedule, name="schedule"),
    path("aging/", views.aging, name="aging"),
    path("delinquencies/<int:delinquency_id>/", views.delinquency_detail, name="delinquency"),
    path(
        "delinquencies/<int:delinquency_id>/notice",
        views.delinquency_notice,
        name="delinquency-notice",
    ),
    path(
        "delinquencies/<int:delinquency_id>/cancel",
        views.delinquency_cancel,
        name="delinquency-cancel",
    ),
    path(
        "delinquencies/<int:delinquency_id>/reinstate",
        views.delinquency_reinstate,
        name="delinquency-reinstate",
    ),
]
