from django.urls import path

from payerdesk.groups.views import changes, groups, imports

app_name = "groups"

urlpatterns = [
    path("enrollment/", imports.enrollment_upload, name="enrollment-upload"),
    path("census/", imports.census_upload, name="census-upload"),
    path("imports/<int:job_id>/", imports.import_job, name="import-job"),
    path("", groups.group_list, name="groups"),
    path("new/", groups.group_create, name="group-new"),
    path("group/<str:group_number>/", groups.group_detail, name="group"),
    path(
        "group/<str:group_number>/steps/<int:position>",
        groups.setup_step_mark,
        name="setup-step",
    ),
    path("group/<str:group_number>/market/", groups.group_market, name="group-market"),
    path("group/<str:group_number>/plans/new/", groups.plan_create, name="plan-new"),
    path("group/<str:group_number>/members/new/", groups.member_create, name="member-new"),
    path("group/<str:group_number>/contract.pdf", groups.contract_pdf, name="contract"),
    path("plans/<int:plan_id>/", groups.plan_edit, name="plan-edit"),
    path("plans/<int:plan_id>/rates/new/", groups.rate_create, name="rate-new"),
    path("rates/<int:rate_id>/", groups.rate_edit, name="rate-edit"),
    path("members/<int:member_pk>/", groups.member_detail, name="member"),
    path("members/<int:member_pk>/coverages/new/", groups.coverage_create, name="coverage-new"),
    path("eligibility/", groups.eligibility, name="eligibility"),
    path("portal/", groups.portal, name="portal"),
    path("portal/group/<str:group_number>/", groups.portal_group, name="portal-group"),
    path("portal/members/<int:member_pk>/", groups.portal_member, name="portal-member"),
    # Policy changes, underwriting, terminations and reinstatements.
    path("changes/", changes.change_list, name="changes"),
    path("changes/<int:change_id>/", changes.change_detail, name="change"),
    path("changes/<int:change_id>/approve/", changes.change_approve, name="change-approve"),
    path("changes/<int:change_id>/decline/", changes.change_decline, name="change-decline"),
    path("members/<int:member_pk>/changes/new/", changes.change_new, name="change-new"),
    path("members/<int:member_pk>/terminate/", changes.terminate_member,
         name="terminate-member"),
    path("members/<int:member_pk>/reinstate/", changes.reinstate_member,
         name="reinstate-member"),
    path("group/<str:group_number>/terminate/", changes.terminate_group,
         name="terminate-group"),
    path("group/<str:group_number>/reinstate/", changes.reinstate_group,
         name="reinstate-group"),
    path("underwriting-rules/", changes.rule_sets, name="underwriting-rules"),
]  # fmt: skip
