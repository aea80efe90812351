"""Eligibility for the claims department: covered on that date, for what."""

from datetime import date
from decimal import Decimal

from payerdesk.core.models import AccessLogEntry
from payerdesk.groups.services import groups as services
from tests.groups.services.test_enrollment import enrolled


def test_eligibility_answers_for_a_date_and_logs_the_look(
    users, api_client, employee, accident, term_life
):
    services.coverage_add(
        actor=users["groupadmin"], member=employee, plan=accident, tier="FAM",
        benefit_amount=None, start_date=date(2026, 2, 1),
    )  # fmt: skip
    services.coverage_add(
        actor=users["groupadmin"], member=employee, plan=term_life, tier="EMP",
        benefit_amount=Decimal("20000"), start_date=date(2026, 3, 1),
    )  # fmt: skip
    client = api_client("groupadmin")
    before = client.get("/api/eligibility?member=100200300&date=2026-01-31").json()
    assert (before["covered"], before["coverages"]) == (False, [])
    later = client.get("/api/eligibility?member=100200300&date=2026-03-01").json()
    assert later["covered"] is True and later["group"] == "G1001"
    assert sorted((c["insurance_line"], c["tier"]) for c in later["coverages"]) == [
        ("AH", "FAM"), ("LIF", "EMP"),
    ]  # fmt: skip
    entries = AccessLogEntry.objects.filter(record_type="member", record_id=str(employee.pk))
    assert list(entries.values_list("channel", flat=True)) == ["api", "api"]


def test_eligibility_bad_input_and_scope(users, markets, api_client, employee):
    admin = api_client("groupadmin")
    assert admin.get("/api/eligibility?member=100200300&date=31/01/2026").status_code == 422
    assert admin.get("/api/eligibility?date=2026-01-31").status_code == 422
    missing = admin.get("/api/eligibility?member=999&date=2026-01-31")
    assert missing.status_code == 404
    # Another market's group administrator, and a rep, get the same 404.
    employee.group.market = markets["SE"]
    employee.group.save()
    hidden = admin.get("/api/eligibility?member=100200300&date=2026-01-31")
    assert hidden.status_code == 404
    assert (
        api_client("rep").get("/api/eligibility?member=100200300&date=2026-01-31").status_code
        == 404
    )
    assert (
        api_client("supervisor")
        .get("/api/eligibility?member=100200300&date=2026-01-31")
        .status_code
        == 200
    )
    assert not AccessLogEntry.objects.filter(username__in=["groupadmin", "rep"]).exists()


def test_a_member_id_in_two_groups_needs_the_group(users, api_client, group, employee):
    other = services.group_create(
        actor=users["supervisor"], group_number="G3003", legal_name="Gamma LLC",
        situs_state="NY", market=group.market, effective_date=date(2026, 1, 1),
        billing_contact_name="Kim", billing_contact_email="kim@gamma.example",
    )  # fmt: skip
    enrolled(other, "100200300")
    client = api_client("supervisor")
    ambiguous = client.get("/api/eligibility?member=100200300&date=2026-03-01")
    assert ambiguous.status_code == 422 and ambiguous.json()["field"] == "group"
    assert (
        client.get("/api/eligibility?member=100200300&date=2026-03-01&group=g3003").json()["group"]
        == "G3003"
    )
