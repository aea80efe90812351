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
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="payerdesk-roles")
