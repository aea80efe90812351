"""Formulary import (service, page, API, CLI), versions, and the drug search."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from payerdesk.core.errors import InvalidInput, NotPermitted
from payerdesk.priorauth.models import Drug, FormularyDrug, FormularyVersion
from payerdesk.priorauth.selectors import reference as reference_selectors
from payerdesk.priorauth.services.formulary import formulary_import
from tests.priorauth.conftest import BRAND_X, FORMULARY, HEADER, NAMES, ROWS, SEMAGLUTIDE


def run(formulary: str, names: str = NAMES, actor=None):
    return formulary_import(
        actor=actor,
        formulary_name="basic.txt",
        formulary_content=formulary.encode(),
        names_name="names.txt",
        names_content=names.encode(),
    )


def test_import_reads_columns_by_header_name_and_ignores_extra_ones(db):
    # Columns in another order, with an extra column in the middle.
    columns = HEADER.split("|")
    order = list(reversed(range(len(columns))))
    lines = ["|".join(line.split("|")[i] for i in order) for line in [HEADER, *ROWS]]
    result = run("\n".join(lines))
    assert result.created
    version = result.formulary
    assert (version.formulary_id, version.formulary_version, version.contract_year) == (
        "00026123",
        "8",
        "2026",
    )
    row = FormularyDrug.objects.get(drug__rxcui=SEMAGLUTIDE)
    assert (row.ndc, row.tier, row.prior_authorization, row.step_therapy) == (
        "00169413212",
        3,
        True,
        True,
    )
    assert row.quantity_limit and row.quantity_limit_amount == 3 and row.quantity_limit_days == 28
    assert Drug.objects.get(rxcui=BRAND_X).name.startswith("Brandex")


def test_the_same_file_twice_changes_nothing_and_says_so(db):
    first = run(FORMULARY)
    again = run(FORMULARY)
    assert not again.created and again.formulary == first.formulary
    assert "already imported" in again.message and "nothing changed" in again.message
    assert FormularyVersion.objects.count() == 1 and FormularyDrug.objects.count() == 3


def test_versions_are_kept_and_the_latest_is_current(db):
    first = run(FORMULARY).formulary
    second = run(FORMULARY.replace("|8|2026|", "|9|2026|").replace("|3|Y|3|28|", "|2|Y|3|28|"))
    assert FormularyVersion.objects.count() == 2
    assert reference_selectors.current_formulary() == second.formulary != first
    [hit] = [h for h in reference_selectors.drug_search("ozempic") if h.ndc]
    assert hit.tier == 2


@pytest.mark.parametrize(
    ("formulary", "says"),
    [
        ("", "basic.txt, line 1: the file is empty"),
        (HEADER + "\n", "basic.txt, line 2: the file has a header but no rows"),
        (
            HEADER.replace("|TIER_LEVEL_VALUE", "") + "\n" + ROWS[0],
            "basic.txt, line 1, column TIER_LEVEL_VALUE: missing column(s) TIER_LEVEL_VALUE",
        ),
        (
            HEADER + "\n" + ROWS[0] + "\n" + ROWS[1].replace("|Y|N|x", "|Yes|N|x"),
            "basic.txt, line 3, column PRIOR_AUTHORIZATION_YN: expected Y or N, found 'Yes'",
        ),
        (
            HEADER + "\n" + ROWS[0].replace("|3|Y|3|28|", "|9|Y|3|28|"),
            "basic.txt, line 2, column TIER_LEVEL_VALUE: expected a tier from 1 to 7, found '9'",
        ),
        (
            HEADER + "\n" + ROWS[0].replace("|3|Y|3|28|", "|three|Y|3|28|"),
            "column TIER_LEVEL_VALUE: expected a tier from 1 to 7, found 'three'",
        ),
        (
            HEADER + "\n" + ROWS[0].replace("00169413212", "169-4132"),
            "basic.txt, line 2, column NDC: expected 11 digits",
        ),
        (
            HEADER + "\n" + ROWS[0].replace(SEMAGLUTIDE, "5555555"),
            "basic.txt, line 2, column RXCUI: 5555555 has no name in names.txt",
        ),
        (
            HEADER + "\n" + ROWS[0] + "\n00026123|8|2026",
            "basic.txt, line 3, column RXCUI: the line has too few fields",
        ),
    ],
)
def test_bad_formulary_files_are_refused_with_line_and_column(db, formulary, says):
    with pytest.raises(InvalidInput) as refused:
        run(formulary)
    assert says in refused.value.message
    assert refused.value.field == "formulary_file"
    assert not FormularyVersion.objects.exists() and not Drug.objects.exists()


def test_a_bad_names_file_is_refused(db):
    with pytest.raises(InvalidInput) as refused:
        run(FORMULARY, names="CODE|TEXT\n1|x\n")
    assert refused.value.field == "names_file" and "names.txt, line 1" in refused.value.message
    assert not FormularyVersion.objects.exists()


def test_only_administrators_import(users):
    with pytest.raises(NotPermitted):
        run(FORMULARY, actor=users["rep"])
    assert run(FORMULARY, actor=users["admin"]).created


def test_search_by_name_rxcui_and_ndc_shows_tier_and_flags(formulary, criteria):
    by_name = reference_selectors.drug_search("OZEMPIC")
    by_rxcui = reference_selectors.drug_search(SEMAGLUTIDE)
    by_ndc = reference_selectors.drug_search("00169413212")
    assert by_name == by_rxcui == by_ndc
    [hit] = by_name
    assert (hit.tier, hit.prior_authorization, hit.step_therapy, hit.quantity_limit) == (
        3,
        True,
        True,
        True,
    )
    assert hit.quantity_limit_text == "3 per 28 days" and hit.has_criteria and hit.on_formulary
    [brand] = reference_selectors.drug_search("brandex")
    assert not brand.on_formulary and brand.tier is None


@pytest.mark.parametrize("label", ["00169-4132-12", "0169-4132-12"])
def test_search_takes_the_ndc_as_printed_on_the_label(formulary, label):
    [hit] = reference_selectors.drug_search(label)
    assert hit.ndc == "00169413212"


@pytest.mark.parametrize("code", [SEMAGLUTIDE, "00169413212", "00169-4132-12", "0169-4132-12"])
def test_a_request_names_its_drug_by_rxcui_or_ndc_as_printed(formulary, code):
    assert reference_selectors.drug_resolve(code).rxcui == SEMAGLUTIDE


@pytest.mark.parametrize("code", ["0169-4132-13", "0169413212", "123-4567-89", "", "ozempic"])
def test_an_unknown_drug_code_is_refused_naming_the_field(formulary, code):
    with pytest.raises(InvalidInput, match="No drug with RXCUI or NDC") as refused:
        reference_selectors.drug_resolve(code)
    assert refused.value.field == "drug"


@pytest.mark.parametrize(
    ("text", "ndc"),
    [
        ("0169-4132-12", "00169413212"),  # 4-4-2
        ("12345-678-90", "12345067890"),  # 5-3-2
        ("12345-6789-1", "12345678901"),  # 5-4-1
        ("12345-6789-01", "12345678901"),  # 5-4-2
        ("123-4567-89", None),  # nine digits
        ("123456-789-01", None),
        ("ozempic", None),
        ("00169413212", None),  # plain digits are searched as they are
    ],
)
def test_ndc_11(text, ndc):
    assert reference_selectors.ndc_11(text) == ndc


def test_command_imports_and_says_when_nothing_changed(db, tmp_path, capsys):
    formulary, names = tmp_path / "basic.txt", tmp_path / "names.txt"
    formulary.write_text(FORMULARY)
    names.write_text(NAMES)
    call_command("import_formulary", str(formulary), str(names))
    call_command("import_formulary", str(formulary), str(names))
    out = capsys.readouterr().out
    assert "Imported Formulary 00026123 v8 (2026): 3 drug rows." in out
    assert "nothing changed" in out


def test_command_reports_the_located_error(db, tmp_path):
    formulary, names = tmp_path / "basic.txt", tmp_path / "names.txt"
    formulary.write_text(HEADER + "\n" + ROWS[0].replace("|Y|Y|x", "|Y|maybe|x"))
    names.write_text(NAMES)
    with pytest.raises(CommandError, match="line 2, column STEP_THERAPY_YN"):
        call_command("import_formulary", str(formulary), str(names))
    assert not FormularyVersion.objects.exists()


def _files(formulary: str = FORMULARY):
    return {
        "formulary_file": SimpleUploadedFile("basic.txt", formulary.encode()),
        "names_file": SimpleUploadedFile("names.txt", NAMES.encode()),
    }


def test_page_imports_then_says_nothing_changed(users, client_for):
    client = client_for(users["admin"])
    response = client.post(reverse("priorauth:formulary-import"), _files(), follow=True)
    assert b"Imported Formulary 00026123 v8" in response.content
    response = client.post(reverse("priorauth:formulary-import"), _files(), follow=True)
    assert b"nothing changed" in response.content


def test_page_shows_the_located_error(users, client_for):
    client = client_for(users["admin"])
    response = client.post(reverse("priorauth:formulary-import"), _files(HEADER + "\n"))
    assert response.status_code == 422
    assert b"line 2: the file has a header but no rows" in response.content


def test_api_imports_201_then_200(users, api_client):
    client = api_client("admin")
    first = client.post("/api/priorauth/formularies", _files())
    again = client.post("/api/priorauth/formularies", _files())
    assert first.status_code == 201 and first.json()["drug_count"] == 3
    assert again.status_code == 200 and again.json()["created"] is False


def test_api_refuses_a_bad_file_naming_the_field(users, api_client):
    response = api_client("admin").post("/api/priorauth/formularies", _files(""))
    assert response.status_code == 422
    assert response.json()["field"] == "formulary_file"
    assert "the file is empty" in response.json()["detail"]


def test_drug_search_page_and_api(formulary, users, client_for, api_client):
    page = client_for(users["rep"]).get(reverse("priorauth:drugs"), {"q": "ozem"})
    assert b"00169413212" in page.content and b"3 per 28 days" in page.content
    partial = client_for(users["rep"]).get(
        reverse("priorauth:drugs"), {"q": "brandex"}, headers={"HX-Request": "true"}
    )
    assert b"not on formulary" in partial.content and b"<html" not in partial.content
    api = api_client("rep").get("/api/priorauth/drugs?q=00169413212")
    assert api.json()[0]["rxcui"] == SEMAGLUTIDE
