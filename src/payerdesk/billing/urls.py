from django.urls import URLPattern, URLResolver

from payerdesk.billing import remit_urls

app_name = "billing"

urlpatterns: list[URLPattern | URLResolver] = [
    *remit_urls.urlpatterns,
]
