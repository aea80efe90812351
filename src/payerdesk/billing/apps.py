from django.apps import AppConfig

from payerdesk.core.modules import NavLink


class BillingConfig(AppConfig):
    name = "payerdesk.billing"
    label = "billing"
    verbose_name = "Premium billing"
    nav_links = (
        NavLink("List bills", "billing:list-bills", "billing.view_listbill"),
        NavLink("Aging", "billing:aging", "billing.view_journalentry"),
        NavLink("Remittances", "billing:remittances", "billing.view_remittance"),
        NavLink("Refunds", "billing:refunds", "billing.view_refund"),
    )

    def ready(self) -> None:
        from django.core import checks

        from payerdesk.billing import remit_work, work
        from payerdesk.billing.checks import check_ach_origin, check_refund_approval_limit
        from payerdesk.core.roles import Role, grant

        checks.register(check_refund_approval_limit)
        checks.register(check_ach_origin)
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

    def demo_load(self) -> None:
        from payerdesk.billing.demo import load

        load()
