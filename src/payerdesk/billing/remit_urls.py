"""Routes for remittances, suspense, refunds and reconciliation; included by
`billing.urls` under its namespace."""

from django.urls import path

from payerdesk.billing import remit_views as views

urlpatterns = [
    path("remittances/", views.remittance_list, name="remittances"),
    path("remittances/upload/", views.remittance_upload, name="remittance-upload"),
    path("remittances/payment/", views.payment_create, name="payment-create"),
    path("remittances/<int:remittance_id>/", views.remittance_detail, name="remittance"),
    path("variances/<int:variance_id>/resolve/", views.variance_resolve, name="variance-resolve"),
    path("refunds/", views.refund_list, name="refunds"),
    path("refunds/<int:refund_id>/decide/", views.refund_decide, name="refund-decide"),
    path("refunds/export/", views.refunds_export, name="refunds-export"),
    path("groups/<int:group_id>/reconciliation/", views.reconciliation, name="reconciliation"),
    path("groups/<int:group_id>/reverse/", views.premium_reverse, name="premium-reverse"),
]
