from django.urls import path

from payerdesk.groups import import_views

app_name = "groups"

urlpatterns = [
    path("enrollment/", import_views.enrollment_upload, name="enrollment-upload"),
    path("census/", import_views.census_upload, name="census-upload"),
    path("imports/<int:job_id>/", import_views.import_job, name="import-job"),
]
