"""Census import from CSV and Excel: the documented header, dry run, errors by row and
column, all or nothing, the same file twice."""

import io
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from payerdesk.core.errors import InvalidInput
from payerdesk.groups.models import CensusFile, Coverage, Member, PolicyEvent
from payerdesk.groups.services.census import COLUMNS, census_apply

HEADER = "group_number,subscriber_id,member_id,relationship,first_name,last_name,birth_date,sex,address_line1,city,state,postal_code,hire_date,employment_class,tobacco,product_code,tier,benefit_amount,effective_date"  # noqa: E501
EMPLOYEE = "G1001,500,500,employee,Ana,Lopez,1986-03-15,F,1 Main St,Albany,NY,12207,2020-02-01,Full-time,N,term-life,EMP,50000,2026-01-01"  # noqa: E501
ACCIDENT = "G1001,500,500,employee,Ana,Lopez,1986-03-15,F,1 Main St,Albany,NY,12207,2020-02-01,Full-time,N,accident,FAM,,2026-01-01"  # noqa: E501
CHILD = "G1001,500,501,child,Leo,Lopez,2015-06-01,M,1 Main St,Albany,NY,12207,,,N,accident,FAM,,2026-01-01"  # noqa: E501


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows]).encode()


def apply(content: bytes, *, name: str = "census.csv", dry_run: bool = False):
    return census_apply(actor=None, name=name, content=content, dry_run=dry_run)


@pytest.fixture
def plans(term_life, accident):
    return term_life, accident


def test_a_census_enrolls_members_and_covers_them_rated(plans):
    result = apply(csv_file(EMPLOYEE, ACCIDENT, CHILD))
    assert (result.rows, result.members_added) == (3, 2)
    ana = Member.objects.get(member_id="500")
    assert (ana.hire_date, ana.employment_class, ana.city) == (date(2020, 2, 1), "Full-time",
                                                              "Albany")  # fmt: skip
    assert Member.objects.get(member_id="501").employee == ana
    life = Coverage.objects.get(member=ana, plan__product__code="term-life")
    assert (life.benefit_amount, life.monthly_premium) == (Decimal("50000"), Decimal("4.25"))
    assert CensusFile.objects.count() == 1


def test_a_dry_run_shows_the_changes_and_applies_none(plans):
    result = apply(csv_file(EMPLOYEE, ACCIDENT), dry_run=True)
    assert result.dry_run and "covered member 500 under Term life" in "\n".join(result.changes)
    assert not Member.objects.exists() and not CensusFile.objects.exists()


def test_the_same_file_twice_changes_nothing(plans):
    content = csv_file(EMPLOYEE, ACCIDENT)
    apply(content)
    again = apply(content)
    assert again.already_imported and Coverage.objects.count() == 2


def test_a_resent_census_changes_only_what_differs(plans):
    apply(csv_file(EMPLOYEE, ACCIDENT))
    raised = EMPLOYEE.replace(",50000,2026-01-01", ",100000,2026-07-01").replace("Albany", "Troy")
    result = apply(csv_file(raised, ACCIDENT.replace("Albany", "Troy")))
    text = "\n".join(result.changes)
    assert "Row 2: updated member 500: city" in text and "(EMP 100000) from 2026-07-01" in text
    assert "Row 3" not in text  # the accident line is unchanged
    life = Coverage.objects.filter(plan__product__code="term-life").order_by("start_date")
    assert [(c.end_date, c.benefit_amount) for c in life] == [
        (date(2026, 6, 30), Decimal("50000.00")), (None, Decimal("100000.00"))]  # fmt: skip
    assert Coverage.objects.filter(plan__product__code="accident").count() == 1


def test_a_termination_date_ends_the_coverage(plans):
    header = HEADER + ",termination_date"
    apply(csv_file(EMPLOYEE + ",2026-09-30", header=header))
    assert Coverage.objects.get().end_date == date(2026, 9, 30)


def test_a_census_termination_of_stored_coverage_is_recorded_with_the_end_it_cut(plans):
    header = HEADER + ",termination_date"
    apply(csv_file(EMPLOYEE + ",2026-09-30", header=header), name="first.csv")
    apply(csv_file(EMPLOYEE + ",2026-05-31", header=header), name="second.csv")
    assert Coverage.objects.get().end_date == date(2026, 5, 31)
    [event] = PolicyEvent.objects.filter(event="coverage_terminated")
    assert (event.effective_date, event.reason, event.data["ends_before"]) == (
        date(2026, 5, 31),
        "other",
        "2026-09-30",
    )


def test_excel_columns_are_found_by_name_in_any_order(plans):
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    names = HEADER.split(",")
    values = EMPLOYEE.split(",")
    order = list(reversed(range(len(names))))
    sheet.append([names[i].replace("_", " ").title() for i in order])
    typed: list[object] = list(values)
    typed[names.index("birth_date")] = date(1986, 3, 15)
    typed[names.index("member_id")] = 500  # a number typed into Excel
    typed[names.index("benefit_amount")] = 50000
    sheet.append([typed[i] for i in order])
    out = io.BytesIO()
    book.save(out)
    result = apply(out.getvalue(), name="census.xlsx")
    assert result.members_added == 1 and Member.objects.get().birth_date == date(1986, 3, 15)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (csv_file(EMPLOYEE.replace("1986-03-15", "1985-13-01")),
         "row 2, column birth_date: '1985-13-01' is not a date"),
        (csv_file(EMPLOYEE, header=HEADER + ",shoe_size,Favourite Color"),
         "row 1: unknown column(s) 'shoe_size', 'favourite_color'"),
        (csv_file(EMPLOYEE, header=HEADER.replace(",tier", "")), "missing column(s) tier"),
        (csv_file(EMPLOYEE.replace(",N,term-life", ",maybe,term-life")),
         "row 2, column tobacco: 'maybe' is not Y or N"),
        (csv_file(EMPLOYEE.replace("term-life", "pet-insurance")),
         "row 2, column product_code: group G1001 has no plan for product code 'pet-insurance'"),
        (csv_file(EMPLOYEE.replace(",EMP,", ",XYZ,")), "row 2, column tier: 'XYZ' is not one"),
        (csv_file(EMPLOYEE.replace(",50000,", ",900000,")),
         "row 2, column benefit_amount: the benefit 900000 is above the plan maximum"),
        (csv_file(EMPLOYEE.replace(",50000,", ",50000.123,")),
         "row 2, column benefit_amount: '50000.123' is not an amount"),
        (csv_file(ACCIDENT.replace("G1001", "G9999")),
         "row 2, column group_number: no employer group 'G9999'"),
        (csv_file(CHILD), "row 2: dependent of subscriber 500, who is not enrolled"),
        (csv_file(EMPLOYEE.replace("Lopez", "")), "row 2, column last_name: is empty"),
        (csv_file(EMPLOYEE + ",2025-12-31", header=HEADER + ",termination_date"),
         "row 2, column termination_date: 2025-12-31 is before the effective_date"),
        (csv_file(EMPLOYEE.replace("2026-01-01", "2025-06-01")),
         "Term life 10-150K starts 2026-01-01; coverage cannot start 2025-06-01"),
        (csv_file(), "has a header but no rows"),
        (b"", "the file is empty"),
        (b"PK\x03\x04not really a workbook", "not a readable Excel workbook"),
        (b"\xff\xfe" + HEADER.encode("utf-16-le"), "is not UTF-8 text"),
    ],
)  # fmt: skip
def test_bad_census_files_are_refused_with_row_and_column(plans, content, says):
    with pytest.raises(InvalidInput) as refused:
        apply(content)
    assert says in refused.value.message
    assert not Member.objects.exists() and not CensusFile.objects.exists()


def test_a_bad_row_late_in_the_file_rolls_back_the_good_ones(plans):
    rows = [EMPLOYEE.replace(",500,500,", f",{n},{n},") for n in range(600, 610)]
    rows.append(EMPLOYEE.replace("1986-03-15", "not a date").replace(",500,500,", ",700,700,"))
    with pytest.raises(InvalidInput, match="row 12, column birth_date"):
        apply(csv_file(*rows))
    assert not Member.objects.exists()


def test_a_change_that_contradicts_the_plan_design_is_refused(plans):
    apply(csv_file(EMPLOYEE))
    with pytest.raises(InvalidInput, match="row 2, column tier: Term life 10-150K does not offer"):
        apply(csv_file(EMPLOYEE.replace(",EMP,", ",FAM,").replace("2026-01-01", "2026-07-01")))
    assert Coverage.objects.get().tier == "EMP"


def test_the_header_documents_every_column():
    assert set(HEADER.split(",")) | {"address_line2", "termination_date"} == set(COLUMNS)


def test_the_command_rehearses_applies_and_refuses(plans, tmp_path):
    path = tmp_path / "census.csv"
    path.write_bytes(csv_file(EMPLOYEE, ACCIDENT))
    out = StringIO()
    call_command("import_census", str(path), "--dry-run", stdout=out, stderr=StringIO())
    assert "Dry run: nothing applied" in out.getvalue() and not Member.objects.exists()
    call_command("import_census", str(path), stdout=out, stderr=StringIO())
    assert Member.objects.count() == 1
    path.write_bytes(csv_file(CHILD.replace("2015-06-01", "2015-02-30")))
    with pytest.raises(CommandError, match="row 2, column birth_date: '2015-02-30'"):
        call_command("import_census", str(path), stdout=StringIO(), stderr=StringIO())
