"""Reference data over REST: drugs, formulary imports, criteria uploads, prescribers."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from payerdesk.priorauth.api.access import (
    staff_with,
)
from payerdesk.priorauth.api.schemas import (
    CriteriaOut,
    DrugOut,
    DrugQuery,
    FormularyOut,
    PrescriberIn,
    PrescriberOut,
    PrescriberPatch,
    PrescriberQuery,
)
from payerdesk.priorauth.selectors import reference as reference_selectors
from payerdesk.priorauth.services import criteria as criteria_services
from payerdesk.priorauth.services import formulary as formulary_services
from payerdesk.priorauth.services import prescribers as prescriber_services

router = Router()


@router.get("/priorauth/drugs", response=list[DrugOut], summary="Search drugs")
def drug_search(request: HttpRequest, query: Query[DrugQuery]) -> list[DrugOut]:
    """By name (any part), RXCUI or NDC, with tier and PA/ST/QL flags of the current formulary."""
    staff_with(request, "priorauth.view_formularydrug", "search the formulary")
    return [DrugOut(**hit.__dict__) for hit in reference_selectors.drug_search(query.q)]


@router.post(
    "/priorauth/formularies",
    response={200: FormularyOut, 201: FormularyOut},
    summary="Import a CMS basic formulary file",
)
def formulary_upload(
    request: HttpRequest, formulary_file: File[UploadedFile], names_file: File[UploadedFile]
) -> Status[FormularyOut]:
    """Pipe-delimited, columns by header name. The same file again changes nothing (200)."""
    user = staff_with(request, "priorauth.add_formularyversion", "import formularies")
    result = formulary_services.formulary_import(
        actor=user,
        formulary_name=formulary_file.name or "formulary.txt",
        formulary_content=formulary_file.read(),
        names_name=names_file.name or "names.txt",
        names_content=names_file.read(),
    )
    version = result.formulary
    out = FormularyOut(
        id=version.pk,
        formulary_id=version.formulary_id,
        formulary_version=version.formulary_version,
        contract_year=version.contract_year,
        drug_count=version.drug_count,
        sha256=version.sha256,
        created=result.created,
        message=result.message,
    )
    return Status(201 if result.created else 200, out)


@router.post(
    "/priorauth/criteria",
    response={200: CriteriaOut, 201: CriteriaOut},
    summary="Upload a criteria version (Questionnaire + JDM decision)",
)
def criteria_upload(
    request: HttpRequest,
    questionnaire: File[UploadedFile],
    decision: File[UploadedFile],
    code: Form[str],
    title: Form[str],
    rxcuis: Form[str],
) -> Status[CriteriaOut]:
    """`rxcuis` is comma separated. The same content again for a code changes nothing (200)."""
    user = staff_with(request, "priorauth.add_criteriaset", "upload criteria")
    result = criteria_services.criteria_upload(
        actor=user,
        code=code,
        title=title,
        rxcuis=rxcuis.split(","),
        questionnaire=questionnaire.read(),
        decision=decision.read(),
    )
    criteria = result.criteria
    out = CriteriaOut(
        id=criteria.pk,
        code=criteria.code,
        version=criteria.version,
        title=criteria.title,
        rxcuis=criteria.rxcuis,
        sha256=criteria.sha256,
        created=result.created,
        uploaded_at=timezone.localtime(criteria.uploaded_at),
    )
    return Status(201 if result.created else 200, out)


@router.get("/priorauth/prescribers", response=list[PrescriberOut], summary="Find prescribers")
def prescriber_list(request: HttpRequest, query: Query[PrescriberQuery]) -> list[PrescriberOut]:
    staff_with(request, "priorauth.view_prescriber", "see prescribers")
    rows = reference_selectors.prescriber_list(query.q)[query.offset : query.offset + query.limit]
    return [PrescriberOut.of(row) for row in rows]


@router.post(
    "/priorauth/prescribers", response={201: PrescriberOut}, summary="Register a prescriber"
)
def prescriber_register(request: HttpRequest, body: PrescriberIn) -> Status[PrescriberOut]:
    """The NPI's check digit is verified; an NPI already registered is refused (409)."""
    user = staff_with(request, "priorauth.add_prescriber", "register prescribers")
    prescriber = prescriber_services.prescriber_register(
        actor=user, npi=body.npi, name=body.name, email=body.email
    )
    return Status(201, PrescriberOut.of(prescriber))


@router.patch(
    "/priorauth/prescribers/{npi}", response=PrescriberOut, summary="Change name or email"
)
def prescriber_update(request: HttpRequest, npi: str, body: PrescriberPatch) -> PrescriberOut:
    user = staff_with(request, "priorauth.change_prescriber", "change prescribers")
    prescriber = prescriber_services.prescriber_update(
        actor=user, npi=npi, name=body.name, email=body.email
    )
    return PrescriberOut.of(prescriber)
