from django.apps import AppConfig

from payerdesk.core.modules import NavLink


class GroupsConfig(AppConfig):
    name = "payerdesk.groups"
    label = "groups"
    verbose_name = "Group and worksite administration"
    nav_links = (
        NavLink("Groups", "groups:groups", "groups.view_employergroup"),
        NavLink("Eligibility", "groups:eligibility", "groups.view_member"),
        NavLink("834 enrollment", "groups:enrollment-upload", "groups.add_member"),
        NavLink("Census import", "groups:census-upload", "groups.add_member"),
        NavLink("Policy changes", "groups:changes", "groups.view_member"),
        NavLink(
            "Underwriting rules", "groups:underwriting-rules", "groups.view_underwritingruleset"
        ),
    )
    # Where an outside role lands after signing in (it has no staff My work).
    landing_pages = {"employer": "groups:portal"}

    def ready(self) -> None:
        from django.core import checks

        from payerdesk.core.roles import Role, grant
        from payerdesk.groups import work
        from payerdesk.groups.checks import check_import_background_bytes

        checks.register(check_import_background_bytes)
        work.register_kinds()
        models = ("employergroup", "plandesign", "raterow", "member", "coverage", "product")
        managing = [
            f"groups.{verb}_{model}" for model in models for verb in ("add", "change", "view")
        ]
        for role in (Role.GROUP_ADMIN, Role.SUPERVISOR, Role.ADMIN):
            grant(role, *managing)
        grant(Role.AUDITOR, *(f"groups.view_{model}" for model in models))
        # Policy changes and underwriting (groups/policy_changes.py, underwriting.py).
        work.register_policy_kinds()
        rule_sets = ("groups.add_underwritingruleset", "groups.view_underwritingruleset")
        grant(Role.SUPERVISOR, *rule_sets)
        grant(Role.ADMIN, *rule_sets)
        grant(Role.GROUP_ADMIN, "groups.view_underwritingruleset")
        grant(Role.AUDITOR, "groups.view_underwritingruleset")

    def demo_load(self) -> None:
        from payerdesk.core.models import User
        from payerdesk.groups import demo, demo_changes
        from payerdesk.groups.policy_changes import underwriting_queue

        demo.load(
            actor=User.objects.get(username="groupadmin"),
            employer=User.objects.filter(username="employer").first(),
        )
        underwriting_queue()
        demo_changes.load(actor=User.objects.get(username="groupadmin"))
