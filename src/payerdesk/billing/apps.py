from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "payerdesk.billing"
    label = "billing"
    verbose_name = "Premium billing"

    def ready(self) -> None:
        from payerdesk.billing import remit_work, work
        from payerdesk.core.roles import Role, grant

        work.register_kinds()
        remit_work.register_kinds()
        managed = (
            "billingschedule", "listbill", "journalentry", "delinquency",
            "remittance", "variance", "refund",
        )  # fmt: skip
        managing = [
            f"billing.{verb}_{model}" for model in managed for verb in ("add", "change", "view")
        ]
        for role in (Role.GROUP_ADMIN, Role.SUPERVISOR, Role.ADMIN):
            grant(role, *managing)
        grant(Role.AUDITOR, *(f"billing.view_{model}" for model in managed))
