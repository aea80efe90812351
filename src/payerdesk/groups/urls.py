from django.urls import path

from payerdesk.groups import import_views, views

app_name = "groups"

urlpatterns = [
    path("enrollment/", import_views.enrollment_upload, name="enrollment-upload"),
    path("census/", import_views.census_upload, name="census-upload"),
    path("imports/<int:job_id>/", import_views.import_job, name="import-job"),
    path("", views.group_list, name="groups"),
    path("new/", views.group_create, name="group-new"),
    path("group/<str:group_number>/", views.group_detail, name="group"),
    path(
        "group/<str:group_number>/steps/<int:position>",
        views.setup_step_mark,
        name="setup-step",
    ),
    path("group/<str:group_number>/market/", views.group_market, name="group-market"),
    path("group/<str:group_number>/plans/new/", views.plan_create, name="plan-new"),
    path("group/<str:group_number>/members/new/", views.member_create, name="member-new"),
    path("group/<str:group_number>/contract.pdf", views.contract_pdf, name="contract"),
    path("plans/<int:plan_id>/", views.plan_edit, name="plan-edit"),
    path("plans/<int:plan_id>/rates/new/", views.rate_create, name="rate-new"),
    path("rates/<int:rate_id>/", views.rate_edit, name="rate-edit"),
    path("members/<int:member_pk>/", views.member_detail, name="member"),
    path("members/<int:member_pk>/coverages/new/", views.coverage_create, name="coverage-new"),
    path("eligibility/", views.eligibility, name="eligibility"),
    path("portal/", views.portal, name="portal"),
    path("portal/group/<str:group_number>/", views.portal_group, name="portal-group"),
    path("portal/members/<int:member_pk>/", views.portal_member, name="portal-member"),
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
    path("group/<str:group_number>/terminate/", views_changes.terminate_group,
         name="terminate-group"),
    path("group/<str:group_number>/reinstate/", views_changes.reinstate_group,
         name="reinstate-group"),
    path("underwriting-rules/", views_changes.rule_sets, name="underwriting-rules"),
]  # fmt: skip
