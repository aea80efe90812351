from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from payerdesk.api import api
from payerdesk.priorauth.urls import fhir_urlpatterns

handler400 = "payerdesk.core.views.bad_request"

admin.site.site_header = "payerdesk administration"
admin.site.site_title = "payerdesk admin"

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("groups/", include("payerdesk.groups.urls")),
    path("billing/", include("payerdesk.billing.urls")),
    path("priorauth/", include("payerdesk.priorauth.urls")),
    path("fhir/", include((fhir_urlpatterns, "fhir"))),
    path("", include("payerdesk.core.urls")),
]
