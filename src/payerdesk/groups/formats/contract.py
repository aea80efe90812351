"""The group contract: the group's details, each plan design and its rate table, as a PDF."""

from decimal import Decimal

from django.utils import timezone

from payerdesk.core.documents import Document, Table, render_pdf
from payerdesk.groups.models import AgeRule, EmployerGroup, PlanDesign, RateBasis, Tier

TIER_LABELS = dict(Tier.choices)


def _money(amount: Decimal | None) -> str:
    return "-" if amount is None else f"${amount:,.2f}"


def _plan_blocks(plan: PlanDesign) -> list[str | Table]:
    per_unit = plan.rate_basis == RateBasis.PER_UNIT
    terms = [
        ("Effective date", plan.effective_date.isoformat()),
        ("Eligibility class", plan.eligibility_class),
        ("Waiting period", f"{plan.waiting_period_days} days"),
        ("Grace period for premium", f"{plan.grace_period_days} days"),
        ("Coverage tiers", ", ".join(TIER_LABELS.get(t, t) for t in plan.tiers)),
        ("Rated", RateBasis(plan.rate_basis).label
         + (f" ({_money(plan.unit_amount)} a unit)" if per_unit else "")),
        ("Benefit", f"{_money(plan.min_benefit)} to {_money(plan.max_benefit)}"),
        ("Guaranteed issue", _money(plan.guaranteed_issue)),
        ("Age for rating taken on", AgeRule(plan.age_rule).label),
    ]  # fmt: skip
    rows = [
        [
            f"{row.age_min}-{row.age_max}",
            "Both" if row.tobacco is None else "Tobacco" if row.tobacco else "Non-tobacco",
            TIER_LABELS.get(row.tier, "Any tier"),
            f"${row.rate:,.4f}" if per_unit else _money(row.rate),
        ]
        for row in plan.rates.all()
    ]
    rate_heading = "Monthly rate per unit" if per_unit else "Monthly premium"
    return [
        f"# {plan.product.name}: {plan.name}",
        Table(header=["Term", "Value"], rows=[list(pair) for pair in terms], widths=(1, 2)),
        Table(header=["Ages", "Tobacco", "Tier", rate_heading], rows=rows)
        if rows
        else "No rates are loaded for this plan yet.",
    ]


def group_contract_document(group: EmployerGroup) -> Document:
    blocks: list[str | Table] = [
        f"This contract sets out the products, plan designs and monthly rates agreed with "
        f"{group.legal_name}, group number {group.group_number}, effective "
        f"{group.effective_date.isoformat()}, situs state {group.situs_state}.",
        "# Group",
        Table(
            header=["Term", "Value"],
            rows=[
                ["Group number", group.group_number],
                ["Legal name", group.legal_name],
                ["Situs state", group.situs_state],
                ["Effective date", group.effective_date.isoformat()],
                [
                    "Billing contact",
                    f"{group.billing_contact_name}, {group.billing_contact_email}"
                    + (f", {group.billing_contact_phone}" if group.billing_contact_phone else ""),
                ],
            ],
            widths=(1, 2),
        ),
    ]
    plans = group.plans.select_related("product").prefetch_related("rates")
    for plan in plans:
        blocks.extend(_plan_blocks(plan))
    if not plans:
        blocks.append("No plan designs are set up for this group yet.")
    return Document(
        title=f"Group contract: {group.legal_name}",
        issued_on=timezone.localdate(),
        addressee=[group.billing_contact_name, group.legal_name],
        reference=f"Group {group.group_number}",
        blocks=blocks,
    )


def group_contract_pdf(group: EmployerGroup) -> bytes:
    return render_pdf(group_contract_document(group))
