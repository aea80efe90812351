from django.urls import path

from payerdesk.groups import views

app_name = "groups"

urlpatterns = [
    path("enrollment/", views.enrollment_upload, name="enrollment-upload"),
]
