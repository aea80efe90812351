from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "payerdesk.groups"
    label = "groups"
    verbose_name = "Group and worksite administration"
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
        # Policy changes and underwriting (services/policy_changes.py, rules/underwriting.py).
        work.register_policy_kinds()
        register_menus()
        rule_sets = ("groups.add_underwritingruleset", "groups.view_underwritingruleset")
        grant(Role.SUPERVISOR, *rule_sets)
        grant(Role.ADMIN, *rule_sets)
        grant(Role.GROUP_ADMIN, "groups.view_underwritingruleset")
        grant(Role.AUDITOR, "groups.view_underwritingruleset")

    def demo_load(self) -> None:
        from payerdesk.core.models import User
        from payerdesk.groups import demo
        from payerdesk.groups.services.policy_changes import underwriting_queue

        demo.load(
            actor=User.objects.get(username="groupadmin"),
            employer=User.objects.filter(username="employer").first(),
        )
        underwriting_queue()
        demo.policy_changes_load(actor=User.objects.get(username="groupadmin"))


def register_menus() -> None:
    """Groups in the staff top bar, and the employer portal's own."""
    from payerdesk.core import menus
    from payerdesk.core.menus import HasRole, MenuLink, Perm
    from payerdesk.groups import work

    add_member = Perm("groups.add_member")
    menus.register(
        menus.Menu(
            code="groups",
            label="Groups",
            allowed=Perm("groups.view_employergroup"),
            home="groups:groups",
            links=(
                MenuLink("Groups", "groups:groups"),
                MenuLink("Eligibility", "groups:eligibility", Perm("groups.view_member")),
                MenuLink("834 enrollment", "groups:enrollment-upload", add_member),
                MenuLink("Census import", "groups:census-upload", add_member),
                MenuLink("Policy changes", "groups:changes", Perm("groups.view_member")),
                MenuLink(
                    "Underwriting rules",
                    "groups:underwriting-rules",
                    Perm("groups.view_underwritingruleset"),
                ),
            ),
            work_kinds=frozenset({work.WELCOME_CALL.code, work.POLICY_CHANGE.code}),
            position=30,
        )
    )
    menus.register(
        menus.Menu(
            code="groups-portal",
            label="Your groups",
            allowed=HasRole("employer"),
            links=(MenuLink("Your groups", "groups:portal"),),
            flat=True,
            position=31,
        )
    )
