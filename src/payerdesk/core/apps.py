from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "payerdesk.core"
    label = "core"
    verbose_name = "payerdesk core"

    def ready(self) -> None:
        from django.core import checks as django_checks

        from payerdesk.core import checks, kinds, roles

        for check in (
            checks.check_base_url,
            checks.check_attachment_limit,
            checks.check_from_email,
            checks.check_email_security,
        ):
            django_checks.register(check)
        kinds.register_core_kinds()
        register_work_menu()
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="payerdesk-roles")


def register_work_menu() -> None:
    from payerdesk.core import menus, permissions
    from payerdesk.core.menus import MenuLink
    from payerdesk.core.roles import is_staff_member

    menus.register(
        menus.Menu(
            code="work",
            label="Work",
            allowed=is_staff_member,
            home="core:my-work",
            links=(
                MenuLink("My work", "core:my-work"),
                MenuLink("Queues", "core:queues"),
                MenuLink("Work items", "core:work-items"),
                MenuLink("New work item", "core:work-item-new", permissions.can_work),
                MenuLink("Queue health", "core:queue-health", permissions.sees_all_work),
                MenuLink("Access log", "core:access-log", permissions.may_read_access_log),
            ),
            position=0,
        )
    )
