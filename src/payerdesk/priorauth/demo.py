"""Demo data for `payerdesk demo`: the formulary sample, the five criteria sets, three
prescribers (the `provider` user acts for the first) and requests through every door."""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import TYPE_CHECKING

from django.db import transaction

from payerdesk.core.models import User
from payerdesk.groups import selectors as group_selectors
from payerdesk.groups.services import groups as group_services
from payerdesk.priorauth.criteria_sets import demo_criteria_sets
from payerdesk.priorauth.models import Prescriber, PriorAuthRequest
from payerdesk.priorauth.services.criteria import criteria_upload
from payerdesk.priorauth.services.formulary import formulary_import
from payerdesk.priorauth.services.prescribers import prescriber_register, provider_link
from payerdesk.priorauth.services.requests import (
    prior_auth_deny,
    prior_auth_pend,
    prior_auth_submit,
)

if TYPE_CHECKING:
    from payerdesk.groups.models import Member

PRESCRIBERS = [
    ("1234567893", "Dr. Paul Reyes", "reyes@riverside-clinic.invalid"),
    ("1245319599", "Dr. Chidi Okafor", "okafor@lakeside-rheum.invalid"),
    ("1326046517", "Dr. Mei Tanaka", "tanaka@northside-cardio.invalid"),
]
SEMAGLUTIDE, ADALIMUMAB, EVOLOCUMAB, LIPITOR, SUMATRIPTAN = (
    "1991302",
    "327361",
    "1665684",
    "153165",
    "37418",
)
MEETS_GLP1 = {
    "diagnosis": "E11",
    "weight_loss_only": False,
    "a1c": "8.4",
    "a1c_date": "2026-10-30",
    "metformin_tried": True,
    "metformin_days": 180,
}
SHORT_GLP1 = {
    "diagnosis": "E66",
    "weight_loss_only": True,
    "a1c": "5.6",
    "metformin_tried": False,
    "metformin_contraindication": "none",
}
MEETS_RA = {
    "diagnosis": "M05",
    "prescriber_rheumatologist": True,
    "methotrexate_tried": True,
    "methotrexate_months": 4,
    "tb_test": "negative",
    "tb_test_date": "2026-09-01",
}
SHORT_PCSK9 = {
    "indication": "ascvd",
    "ldl": 64,
    "statin_intolerant": False,
    "max_statin_8_weeks": True,
    "ezetimibe_tried": False,
}
MEETS_SUMATRIPTAN = {
    "diagnosis": "G43",
    "requested_quantity": 18,
    "migraine_days": 8,
    "prophylaxis_tried": True,
    "prophylaxis_months": 3,
    "overuse_assessed": True,
}
MEETS_LIPITOR = {
    "generic_tried": True,
    "generic_days": 60,
    "adverse_reaction": True,
    "reaction_description": "Urticaria after each dose of the generic",
    "other_statin_tried": True,
}


def _data(name: str) -> bytes:
    return resources.files("payerdesk.priorauth").joinpath("demo_data", name).read_bytes()


def _members() -> list[Member]:
    members = group_selectors.members_first(4)
    if members:
        return members
    # The groups demo made none: enrol a few through the groups services.
    from payerdesk.core.models import Market

    admin = User.objects.get(username="groupadmin")
    group = group_services.group_create(
        actor=admin,
        group_number="PA100",
        legal_name="Harbor Freight Logistics LLC",
        situs_state="NY",
        market=Market.objects.get(code="TRI"),
        effective_date=date(2026, 1, 1),
        billing_contact_name="Lena Ortiz",
        billing_contact_email="billing@harbor.invalid",
    )
    people = [
        ("PA1001", "Maria", "Lopez", date(1961, 4, 2), "F"),
        ("PA1002", "James", "Carter", date(1955, 9, 17), "M"),
        ("PA1003", "Aisha", "Khan", date(1978, 1, 23), "F"),
        ("PA1004", "Tom", "Becker", date(1949, 6, 5), "M"),
    ]
    return [
        group_services.member_add(
            actor=admin,
            group=group,
            member_id=member_id,
            first_name=first,
            last_name=last,
            birth_date=born,
            sex=sex,
        )
        for member_id, first, last, born, sex in people
    ]


@transaction.atomic
def demo_load() -> None:
    if Prescriber.objects.exists():
        return
    formulary_import(
        actor=None,
        formulary_name="formulary_2026.txt",
        formulary_content=_data("formulary_2026.txt"),
        names_name="drug_names.txt",
        names_content=_data("drug_names.txt"),
    )
    for criteria in demo_criteria_sets():
        criteria_upload(
            actor=None,
            code=criteria.slug,
            title=criteria.title,
            rxcuis=[drug.rxcui for drug in criteria.drugs],
            questionnaire=criteria.questionnaire,
            decision=criteria.decision,
        )
    for npi, name, email in PRESCRIBERS:
        prescriber_register(actor=None, npi=npi, name=name, email=email)
    provider = User.objects.filter(username="provider").first()
    if provider is not None:
        provider_link(actor=None, user=provider, npi=PRESCRIBERS[0][0])
    _requests(_members())


def _requests(members: list[Member]) -> None:
    rep = User.objects.get(username="rep")
    pharmacist = User.objects.get(username="pharmacist")
    provider = User.objects.filter(username="provider").first() or rep
    first, second, third, fourth = (members * 4)[:4]

    def submit(
        actor: User,
        member: Member,
        npi: str,
        drug: str,
        answers: dict[str, object],
        *,
        urgency: str = "standard",
        line_of_business: str = "medicare_part_d",
        channel: str = "phone",
    ) -> PriorAuthRequest:
        return prior_auth_submit(
            actor=actor,
            member_id=member.member_id,
            group_number=member.group.group_number,
            prescriber_npi=npi,
            drug=drug,
            answers=answers,
            urgency=urgency,
            line_of_business=line_of_business,
            channel=channel,
        )

    reyes, okafor, tanaka = (npi for npi, _, _ in PRESCRIBERS)
    submit(rep, first, reyes, SEMAGLUTIDE, MEETS_GLP1)  # approved at once
    mine = submit(
        provider, second, reyes, SEMAGLUTIDE, SHORT_GLP1, channel="online", urgency="expedited"
    )
    # Pended: the provider sends what is asked from the request's page (or the API).
    prior_auth_pend(
        actor=pharmacist,
        request_id=mine.pk,
        information="Confirm the diagnosis and send the latest A1c result.",
    )
    submit(rep, third, okafor, ADALIMUMAB, MEETS_RA, line_of_business="commercial")
    review = submit(
        rep, fourth, tanaka, EVOLOCUMAB, SHORT_PCSK9, line_of_business="medicare_advantage"
    )
    prior_auth_pend(
        actor=pharmacist,
        request_id=review.pk,
        information="Send the lipid panels since January and the statin history.",
    )
    submit(rep, first, tanaka, SUMATRIPTAN, MEETS_SUMATRIPTAN, channel="fax")
    # A non-formulary exception still waiting for the prescriber's statement.
    submit(rep, third, reyes, LIPITOR, MEETS_LIPITOR, line_of_business="commercial")
    denied = submit(rep, second, okafor, EVOLOCUMAB, SHORT_PCSK9)
    prior_auth_deny(
        actor=pharmacist,
        request_id=denied.pk,
        reason="LDL-C of 64 mg/dL is below the 70 mg/dL the criteria require on maximally "
        "tolerated statin, and ezetimibe has not been tried.",
    )
