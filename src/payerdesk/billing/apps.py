from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "payerdesk.billing"
    label = "billing"
    verbose_name = "Premium billing"

    def ready(self) -> None:
        from django.core import checks

        from payerdesk.billing import work
        from payerdesk.billing.checks import check_ach_origin, check_refund_approval_limit
        from payerdesk.core.roles import Role, grant

        checks.register(check_refund_approval_limit)
        checks.register(check_ach_origin)
        work.register_kinds()
        register_menus()
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


def register_menus() -> None:
    """Billing in the staff top bar, and the employer's bills beside their groups."""
    from payerdesk.billing import work
    from payerdesk.core import menus
    from payerdesk.core.menus import HasRole, MenuLink, Perm

    menus.register(
        menus.Menu(
            code="billing",
            label="Billing",
            allowed=Perm("billing.view_listbill"),
            home="billing:home",
            links=(
                MenuLink("List bills", "billing:list-bills"),
                MenuLink("Aging", "billing:aging", Perm("billing.view_journalentry")),
                MenuLink("Remittances", "billing:remittances", Perm("billing.view_remittance")),
                MenuLink("Refunds", "billing:refunds", Perm("billing.view_refund")),
            ),
            work_kinds=frozenset(
                {work.DELINQUENCY.code, work.MEMBER_DELINQUENCY.code, work.SUSPENSE}
            ),
            position=40,
        )
    )
    menus.register(
        menus.Menu(
            code="billing-portal",
            label="Your bills",
            allowed=HasRole("employer"),
            links=(
                MenuLink("List bills", "billing:portal"),
                MenuLink("Send back a list bill", "billing:portal", fragment="send-back"),
            ),
            flat=True,
            position=41,
        )
    )
