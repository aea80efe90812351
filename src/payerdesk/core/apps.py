from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "payerdesk.core"
    label = "core"
    verbose_name = "payerdesk core"

    def ready(self) -> None:
        from payerdesk.core import kinds, roles

        kinds.register_core_kinds()
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="payerdesk-roles")
