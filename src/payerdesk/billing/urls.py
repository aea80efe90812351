"""Billing's pages, one URL namespace: list bills, schedules, aging and delinquencies;
remittances, suspense, refunds and reconciliation."""

from django.urls import URLPattern, URLResolver, path

from payerdesk.billing.views import listbills, remittances

app_name = "billing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", listbills.home, name="home"),
    path("remittances/", remittances.remittance_list, name="remittances"),
    path("remittances/upload/", remittances.remittance_upload, name="remittance-upload"),
    path("remittances/payment/", remittances.payment_create, name="payment-create"),
    path("remittances/<int:remittance_id>/", remittances.remittance_detail, name="remittance"),
    path(
        "variances/<int:variance_id>/resolve/",
        remittances.variance_resolve,
        name="variance-resolve",
    ),
    path("refunds/", remittances.refund_list, name="refunds"),
    path("refunds/<int:refund_id>/decide/", remittances.refund_decide, name="refund-decide"),
    path("refunds/export/", remittances.refunds_export, name="refunds-export"),
    path(
        "groups/<int:group_id>/reconciliation/",
        remittances.reconciliation,
        name="reconciliation",
    ),
    path("groups/<int:group_id>/reverse/", remittances.premium_reverse, name="premium-reverse"),
    path("bills/", listbills.list_bills, name="list-bills"),
    path("bills/generate", listbills.list_bill_generate, name="list-bill-generate"),
    path("bills/<int:bill_id>/", listbills.list_bill_detail, name="list-bill"),
    path("bills/<int:bill_id>/pdf", listbills.list_bill_pdf, name="list-bill-pdf"),
    path("bills/<int:bill_id>/csv", listbills.list_bill_csv, name="list-bill-csv"),
    path("bills/<int:bill_id>/xlsx", listbills.list_bill_xlsx, name="list-bill-xlsx"),
    path("portal/", listbills.portal, name="portal"),
    path(
        "portal/remittances",
        listbills.portal_remittance_upload,
        name="portal-remittance-upload",
    ),
    path("groups/<str:group_number>/schedule", listbills.schedule, name="schedule"),
    path("aging/", listbills.aging, name="aging"),
    path("delinquencies/<int:delinquency_id>/", listbills.delinquency_detail, name="delinquency"),
    path(
        "delinquencies/<int:delinquency_id>/notice",
        listbills.delinquency_notice,
        name="delinquency-notice",
    ),
    path(
        "delinquencies/<int:delinquency_id>/cancel",
        listbills.delinquency_cancel,
        name="delinquency-cancel",
    ),
    path(
        "delinquencies/<int:delinquency_id>/reinstate",
        listbills.delinquency_reinstate,
        name="delinquency-reinstate",
    ),
]
