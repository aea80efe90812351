"""A group billed monthly for one $12.40 accident plan, its employees covered from
January 2026: the scene the billing pages are driven through."""

from datetime import date
from decimal import Decimal

from payerdesk.billing.services import listbills
from payerdesk.core.models import Market, User
from payerdesk.groups.models import EmployerGroup, Member, PlanDesign, Product, RateRow
from payerdesk.groups.services import groups as group_services

START = date(2026, 1, 1)


def billed_group(
    users: dict[str, User], market: Market, *, number: str, name: str, employees: list[str]
) -> EmployerGroup:
    group = group_services.group_create(
        actor=users["groupadmin"], group_number=number, legal_name=name, situs_state="NY",
        market=market, effective_date=START, billing_contact_name="Pat",
        billing_contact_email=f"pay@{number.lower()}.example",
    )  # fmt: skip
    product = Product.objects.create(code="acc", name="Accident", insurance_line="AH")
    plan = PlanDesign.objects.create(
        group=group, product=product, name="Accident", effective_date=START, tiers=["EMP"],
        rate_basis="tier",
    )  # fmt: skip
    RateRow.objects.create(plan=plan, tier="EMP", rate=Decimal("12.40"))
    for ref in employees:
        member = Member.objects.create(
            group=group, subscriber_id=ref, member_id=ref, relationship="18", first_name="Sam",
            last_name="Ortiz", birth_date=date(1980, 5, 1), sex="M",
        )  # fmt: skip
        group_services.coverage_add(actor=None, member=member, plan=plan, tier="EMP",
                                    benefit_amount=None, start_date=START)  # fmt: skip
    listbills.billing_schedule_set(
        actor=None, group=group, mode="monthly", first_period_start=START
    )
    return group
