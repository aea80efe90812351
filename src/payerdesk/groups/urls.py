from django.urls import path

from payerdesk.groups import views

app_name = "groups"

urlpatterns = [
    path("enrollment/", views.enrollment_upload, name="enrollment-upload"),
]

# Policy changes, underwriting, terminations and reinstatements (views_changes.py).
from payerdesk.groups import views_changes  # noqa: E402

urlpatterns += [
    path("changes/", views_changes.change_list, name="changes"),
    path("changes/<int:change_id>/", views_changes.change_detail, name="change"),
    path("changes/<int:change_id>/approve/", views_changes.change_approve, name="change-approve"),
    path("changes/<int:change_id>/decline/", views_changes.change_decline, name="change-decline"),
    path("members/<int:member_pk>/changes/new/", views_changes.change_new, name="change-new"),
    path("members/<int:member_pk>/terminate/", views_changes.terminate_member,
         name="terminate-member"),
    path("members/<int:member_pk>/reinstate/", views_changes.reinstate_member,
         name="reinstate-member"),
    path("<int:group_pk>/terminate/", views_changes.terminate_group, name="terminate-group"),
    path("<int:group_pk>/reinstate/", views_changes.reinstate_group, name="reinstate-group"),
    path("underwriting-rules/", views_changes.rule_sets, name="underwriting-rules"),
]  # fmt: skip
