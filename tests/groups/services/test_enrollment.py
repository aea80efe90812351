"""Applying 834 files: every public sample gives the result its name describes."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from payerdesk.core.errors import InvalidInput
from payerdesk.groups.models import (
    Coverage,
    EmployerGroup,
    EnrollmentFile,
    Member,
    PlanDesign,
    Product,
    RateRow,
)
from payerdesk.groups.selectors import coverage_as_of
from payerdesk.groups.services.enrollment import enrollment_834_apply
from tests import samples

SAMPLES = samples.X834


@pytest.fixture
def sample_group(users, markets, queues) -> EmployerGroup:
    """Group 123456001, the REF*1L of the samples, with the lines they enroll in."""
    group = EmployerGroup.objects.create(
        group_number="123456001", legal_name="Penn Sample Employer", situs_state="PA",
        market=markets["TRI"], effective_date=date(1990, 1, 1), billing_contact_name="Pat",
        billing_contact_email="pat@example.test", created_by=users["groupadmin"],
    )  # fmt: skip
    for line, premium in (("HLT", "410.00"), ("DEN", "32.50"), ("VIS", "8.75"), ("HMO", "388.00")):
        product = Product.objects.create(code=line.lower(), name=line, insurance_line=line)
        plan = PlanDesign.objects.create(
            group=group, product=product, name=f"{line} plan", effective_date=date(1990, 1, 1),
            tiers=["EMP", "ESP", "ECH", "FAM"], rate_basis="tier",
        )  # fmt: skip
        RateRow.objects.create(plan=plan, rate=premium)
    return group


def enrolled(
    group, member_id, *, birth=date(1970, 1, 1), employee=None, lines=(), tier="EMP",
    premium="1.00",
) -> Member:  # fmt: skip
    member = Member.objects.create(
        group=group, employee=employee, subscriber_id="123456789", member_id=member_id,
        relationship="18" if employee is None else "19", first_name="PAT", last_name="DOE",
        birth_date=birth, sex="M",
    )  # fmt: skip
    for line in lines:
        plan = PlanDesign.objects.get(group=group, product__insurance_line=line)
        Coverage.objects.create(
            member=member, plan=plan, tier=tier, start_date=date(1996, 1, 1),
            monthly_premium=Decimal(premium), rated_age=30, rated_tobacco=False,
        )  # fmt: skip
    return member


def apply(name: str, *, dry_run: bool = False):
    return enrollment_834_apply(
        actor=None, name=name, content=(SAMPLES / name).read_bytes(), dry_run=dry_run
    )


def lines_on(member: Member, day: date) -> list[str]:
    return sorted(c.plan.product.insurance_line for c in coverage_as_of(member=member, on=day))


def test_enroll_employee_in_multiple_products(sample_group):
    result = apply("enroll-employee-multiple-products.834")
    member = Member.objects.get(member_id="123456789")
    assert (member.last_name, member.birth_date, member.city) == (
        "DOE",
        date(1940, 8, 16),
        "CAMP HILL",
    )
    assert lines_on(member, date(1996, 6, 1)) == ["HLT", "VIS"]
    assert lines_on(member, date(1996, 5, 31)) == []
    assert dict(result.by_maintenance_type) == {"021": 1}
    assert any("410.00/month" in change for change in result.changes)


def test_enroll_employee_in_managed_care(sample_group):
    apply("enroll-employee-managed-care.834")
    assert lines_on(Member.objects.get(member_id="202443307"), date(1996, 6, 1)) == ["HMO"]


def test_add_dependent_needs_and_links_the_employee(sample_group):
    with pytest.raises(InvalidInput, match="subscriber 123456789, who is not enrolled"):
        apply("add-dependent.834")
    employee = enrolled(sample_group, "123456789", lines=["HLT"], tier="ECH", premium="410.00")
    result = apply("add-dependent.834")
    child = Member.objects.get(member_id="103229876")
    assert child.employee == employee and child.relationship == "19"
    assert lines_on(child, date(1996, 6, 1)) == ["HLT"]
    # HLT is rated by tier: the child is covered at the family's tier (the employee's,
    # as the file gives no HD05), and the family's premium is billed once, on the employee.
    (row,) = coverage_as_of(member=child, on=date(1996, 6, 1))
    assert (row.tier, row.monthly_premium) == ("ECH", Decimal("0.00"))
    family = Coverage.objects.filter(member__subscriber_id="123456789")
    assert sum(c.monthly_premium for c in family) == Decimal("410.00")
    assert "ECH" in result.changes[-1] and "0.00/month" in result.changes[-1]


@pytest.mark.parametrize(
    ("employee_lines", "tier", "says"),
    [
        ((), "EMP", r"segment 15 \(HD\): HLT plan is rated by tier: .* the employee has none"),
        (("HLT",), "ESP", r"segment 15 \(HD\), HD05: .*tier ESP .* does not cover a child"),
    ],
)
def test_a_dependent_on_a_tier_plan_needs_the_employee_covered_at_a_tier_for_them(
    sample_group, employee_lines, tier, says
):
    enrolled(sample_group, "123456789", lines=employee_lines, tier=tier)
    with pytest.raises(InvalidInput, match=says):
        apply("add-dependent.834")
    assert not Member.objects.filter(member_id="103229876").exists()


def test_add_subscriber_coverage_adds_dental_to_an_enrolled_member(sample_group):
    member = enrolled(sample_group, "2024433307", lines=["HLT"])
    apply("add-subscriber-coverage.834")
    assert lines_on(member, date(2002, 7, 1)) == ["DEN", "HLT"]


def test_change_subscriber_information_updates_the_date_of_birth(sample_group):
    member = enrolled(sample_group, "103229876", birth=date(1950, 4, 16))
    result = apply("change-subscriber-information.834")
    member.refresh_from_db()
    assert (member.birth_date, member.first_name) == (date(1950, 4, 15), "JAMES")
    assert "birth_date" in result.changes[0]


@pytest.mark.parametrize(
    ("name", "member_id"),
    [("terminate-subscriber-eligibility.834", "103229876"), ("cancel-dependent.834", "103229876")],
)
def test_terminations_end_coverage_on_the_eligibility_end_date(sample_group, name, member_id):
    member = enrolled(sample_group, member_id, lines=["HLT", "DEN"])
    apply(name)
    assert lines_on(member, date(1996, 8, 1)) == ["DEN", "HLT"]
    assert lines_on(member, date(1996, 8, 2)) == []


@pytest.mark.parametrize(
    ("name", "member_id", "day"),
    [
        ("reinstate-employee.834", "103229876", date(1997, 1, 1)),
        ("reinstate-member-eligiblity-ins.834", "202443307", date(1997, 1, 1)),
    ],
)
def test_reinstatements_restore_the_ended_coverage(sample_group, name, member_id, day):
    member = enrolled(sample_group, member_id, lines=["HLT"])
    member.coverages.update(status="terminated", end_date=date(1996, 8, 1))
    assert lines_on(member, day) == []
    apply(name)
    assert lines_on(member, day) == ["HLT"]
    assert lines_on(member, date(1996, 3, 1)) == ["HLT"]  # restored from its original start


def test_reinstate_employee_coverage_level_restores_dental(sample_group):
    member = enrolled(sample_group, "202443307")
    apply("reinstate-employee-coverage-level.834")
    assert lines_on(member, date(2002, 7, 1)) == ["DEN"]


def test_a_dry_run_shows_the_changes_and_applies_none(sample_group):
    result = apply("enroll-employee-multiple-products.834", dry_run=True)
    assert result.dry_run and len(result.changes) == 3
    assert not Member.objects.exists() and not EnrollmentFile.objects.exists()


def test_the_same_file_twice_changes_nothing_the_second_time(sample_group):
    apply("enroll-employee-multiple-products.834")
    again = apply("enroll-employee-multiple-products.834")
    assert again.already_imported and "nothing changed" in again.changes[0]
    assert Member.objects.count() == 1 and Coverage.objects.count() == 2
    stored = EnrollmentFile.objects.get()
    assert stored.content.read() == (SAMPLES / "enroll-employee-multiple-products.834").read_bytes()


@pytest.mark.parametrize(
    ("name", "says"),
    [
        (
            "terminate-subscriber-eligibility.834",
            r"segment 7 \(INS\): member 103229876 is not enrolled",
        ),
        (
            "add-subscriber-coverage.834",
            "is not enrolled in group 123456001: it cannot take a change",
        ),
    ],
)
def test_changes_for_unknown_members_are_refused(sample_group, name, says):
    with pytest.raises(InvalidInput, match=says):
        apply(name)


def test_an_unknown_product_rolls_the_whole_file_back(sample_group):
    PlanDesign.objects.filter(product__insurance_line="VIS").delete()
    with pytest.raises(
        InvalidInput, match=r"segment 18 \(HD\): .*no plan for insurance line 'VIS'"
    ):
        apply("enroll-employee-multiple-products.834")
    assert not Member.objects.exists() and not Coverage.objects.exists()


def test_the_command_checks_without_the_database_and_applies_with_it(sample_group):
    path = SAMPLES / "enroll-employee-multiple-products.834"
    out = StringIO()
    call_command("import_834", str(path), "--check", stdout=out)
    assert "1 member(s)" in out.getvalue() and "021 add" in out.getvalue()
    assert not Member.objects.exists()
    out = StringIO()
    call_command("import_834", str(path), stdout=out)
    assert "Applied." in out.getvalue() and Member.objects.count() == 1
    with pytest.raises(CommandError, match="is not enrolled"):
        call_command("import_834", str(SAMPLES / "reinstate-employee.834"), stdout=StringIO())


def _upload(api_client, username: str, content: bytes, query: str = ""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api_client(username).post(
        f"/api/enrollment/files{query}", {"file": SimpleUploadedFile("in.834", content)}
    )


def test_the_api_applies_and_rehearses_834s(sample_group, api_client):
    content = (SAMPLES / "enroll-employee-multiple-products.834").read_bytes()
    rehearsal = _upload(api_client, "groupadmin", content, "?dry_run=true")
    assert rehearsal.status_code == 200 and rehearsal.json()["dry_run"] is True
    assert not Member.objects.exists()
    applied = _upload(api_client, "groupadmin", content).json()
    assert applied["by_maintenance_type"] == {"021": 1} and len(applied["changes"]) == 3
    assert _upload(api_client, "groupadmin", content).json()["already_imported"] is True


def test_the_api_refuses_bad_files_and_other_markets(sample_group, markets, api_client):
    content = (SAMPLES / "enroll-employee-multiple-products.834").read_bytes()
    bad = _upload(api_client, "groupadmin", content.replace(b"SE*18*", b"SE*17*"))
    assert (
        bad.status_code == 422 and "SE01" in bad.json()["detail"] and bad.json()["field"] == "file"
    )
    sample_group.market = markets["SE"]
    sample_group.save()
    assert _upload(api_client, "groupadmin", content).status_code == 403
    assert _upload(api_client, "rep", content).status_code == 403
    assert not Member.objects.exists()


def test_the_upload_page_rehearses_applies_and_shows_errors(sample_group, users, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = (SAMPLES / "enroll-employee-multiple-products.834").read_bytes()
    client = client_for(users["groupadmin"])
    page = client.get("/groups/enrollment/")
    assert page.status_code == 200 and "834 enrollment" in page.content.decode()

    def post(data: bytes, dry_run: bool):
        form: dict[str, object] = {"file": SimpleUploadedFile("in.834", data)}
        if dry_run:
            form["dry_run"] = "on"
        return client.post("/groups/enrollment/", form)

    rehearsal = post(content, dry_run=True)
    assert rehearsal.status_code == 200 and "Dry run: nothing applied" in rehearsal.content.decode()
    assert not Member.objects.exists()
    applied = post(content, dry_run=False)
    assert "Applied" in applied.content.decode() and Member.objects.count() == 1
    bad = post(content.replace(b"INS*Y*18*021", b"INS*Y*18*099"), dry_run=False)
    assert bad.status_code == 422
    assert "segment 7 (INS), INS03" in bad.content.decode()
