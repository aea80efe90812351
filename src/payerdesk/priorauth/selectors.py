"""Read queries for the prior authorization pages, API and reports."""

from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from django.apps import apps
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from payerdesk.core.errors import ErrorCode, InvalidInput, NotFound
from payerdesk.core.models import Queue, TimelineEvent, User
from payerdesk.core.roles import Role, has_role, is_staff_member
from payerdesk.priorauth.criteria import Criteria
from payerdesk.priorauth.models import (
    ClockRule,
    CriteriaSet,
    Drug,
    FormularyDrug,
    FormularyVersion,
    InformationReceipt,
    Letter,
    Prescriber,
    PriorAuthRequest,
)
from payerdesk.priorauth.work import PRIOR_AUTH

SEARCH_LIMIT = 50


def current_formulary() -> FormularyVersion | None:
    return FormularyVersion.objects.order_by("-imported_at", "-id").first()


@dataclass(frozen=True)
class DrugHit:
    rxcui: str
    name: str
    ndc: str
    tier: int | None
    prior_authorization: bool
    step_therapy: bool
    quantity_limit: bool
    quantity_limit_text: str
    on_formulary: bool
    has_criteria: bool


def _ql_text(row: FormularyDrug) -> str:
    if not row.quantity_limit:
        return ""
    amount = f"{row.quantity_limit_amount.normalize():f}" if row.quantity_limit_amount else "?"
    return f"{amount} per {row.quantity_limit_days or '?'} days"


NDC_WIDTHS = (5, 4, 2)


def ndc_11(text: str) -> str | None:
    """An NDC as the formulary file holds it (11 digits, 5-4-2), from the label's
    hyphenated 10-digit forms (4-4-2, 5-3-2, 5-4-1) or an 11-digit 5-4-2; else None."""
    parts = text.strip().split("-")
    if len(parts) != len(NDC_WIDTHS) or not all(part.isdigit() for part in parts):
        return None
    if any(len(part) > width for part, width in zip(parts, NDC_WIDTHS, strict=True)):
        return None
    padded = [part.zfill(width) for part, width in zip(parts, NDC_WIDTHS, strict=True)]
    digits = sum(len(part) for part in parts)
    return "".join(padded) if digits in (10, 11) else None


def drug_search(query: str) -> list[DrugHit]:
    """Drugs by name (part of it), RXCUI or NDC (plain, or hyphenated as on the label),
    with their current formulary status."""
    text = query.strip()
    if not text:
        return []
    text = ndc_11(text) or text
    formulary = current_formulary()
    rows = FormularyDrug.objects.filter(formulary=formulary).select_related("drug")
    drugs = Drug.objects.all()
    if text.isdigit():
        rows = rows.filter(Q(drug__rxcui=text) | Q(ndc=text.zfill(11) if len(text) > 8 else text))
        drugs = drugs.filter(rxcui=text)
    else:
        rows = rows.filter(drug__name__icontains=text)
        drugs = drugs.filter(name__icontains=text)
    with_criteria = set(
        CriteriaSet.objects.values_list("drug_rows__rxcui", flat=True).exclude(
            drug_rows__rxcui__isnull=True
        )
    )
    hits = [
        DrugHit(
            rxcui=row.drug.rxcui,
            name=row.drug.name,
            ndc=row.ndc,
            tier=row.tier,
            prior_authorization=row.prior_authorization,
            step_therapy=row.step_therapy,
            quantity_limit=row.quantity_limit,
            quantity_limit_text=_ql_text(row),
            on_formulary=True,
            has_criteria=row.drug.rxcui in with_criteria,
        )
        for row in rows.order_by("drug__name", "ndc")[:SEARCH_LIMIT]
    ]
    listed = {hit.rxcui for hit in hits}
    on_formulary = set(
        FormularyDrug.objects.filter(formulary=formulary).values_list("drug__rxcui", flat=True)
    )
    for drug in drugs.order_by("name")[:SEARCH_LIMIT]:
        if drug.rxcui not in listed and drug.rxcui not in on_formulary:
            hits.append(
                DrugHit(
                    rxcui=drug.rxcui,
                    name=drug.name,
                    ndc="",
                    tier=None,
                    prior_authorization=False,
                    step_therapy=False,
                    quantity_limit=False,
                    quantity_limit_text="",
                    on_formulary=False,
                    has_criteria=drug.rxcui in with_criteria,
                )
            )
    return hits[:SEARCH_LIMIT]


def drug_resolve(code: str, *, field: str = "drug") -> Drug:
    """A drug by RXCUI, or by an NDC of the current formulary: 11 digits, or hyphenated as
    printed on the label (4-4-2, 5-3-2, 5-4-1, 5-4-2)."""
    text = code.strip()
    drug = Drug.objects.filter(rxcui=text).first() if text.isdigit() else None
    ndc = ndc_11(text) if "-" in text else text
    if drug is None and ndc and len(ndc) == 11 and ndc.isdigit():
        row = (
            FormularyDrug.objects.filter(formulary=current_formulary(), ndc=ndc)
            .select_related("drug")
            .first()
        )
        drug = row.drug if row else None
    if drug is None:
        raise InvalidInput(
            ErrorCode.INVALID, f"No drug with RXCUI or NDC {code!r} is known.", field=field
        )
    return drug


def formulary_row(drug: Drug) -> FormularyDrug | None:
    return (
        FormularyDrug.objects.filter(formulary=current_formulary(), drug=drug)
        .order_by("ndc")
        .first()
    )


def criteria_for(rxcui: str) -> CriteriaSet | None:
    """The newest version of the criteria set that covers the drug."""
    for candidate in CriteriaSet.objects.filter(drug_rows__rxcui=rxcui).order_by("-version", "-id"):
        newest = CriteriaSet.objects.filter(code=candidate.code).order_by("-version").first()
        if newest is not None and newest.pk == candidate.pk:
            return candidate
    return None


_compiled: dict[tuple[int, str], Criteria] = {}
_compiled_lock = Lock()


def compiled(criteria: CriteriaSet) -> Criteria:
    """One compiled Criteria per criteria version in this process (versions never change)."""
    key = (criteria.pk, criteria.sha256)
    found = _compiled.get(key)
    if found is None:
        with _compiled_lock:
            found = _compiled.get(key)
            if found is None:
                found = Criteria.load(criteria.questionnaire, criteria.decision)
                _compiled[key] = found
    return found


@dataclass(frozen=True)
class DrugReference:
    """What intake needs to know about a drug: its row on the current formulary (None: an
    exception request) and the newest criteria version covering it, compiled."""

    drug: Drug
    formulary_row: FormularyDrug | None
    criteria_set: CriteriaSet | None
    criteria: Criteria | None


# Reference data changes only when a formulary or a criteria version is added: cached per
# process, and thrown away when the stamp (newest ids, row count) read with each request
# differs, so an upload in another process is seen by the next request here. Saving any
# of these rows in this process empties it at once (signals in apps.py).
_REFERENCE_LIMIT = 10_000
_reference: dict[str, DrugReference] = {}
_reference_stamp: tuple[object, ...] | None = None
_reference_lock = Lock()


@dataclass(frozen=True)
class IntakeState:
    """What intake reads fresh for every request, in one query: the reference data's stamp,
    the determination clock rule (admins change it), the queues intake routes to and the
    prescriber by NPI."""

    stamp: tuple[object, ...]
    clock_rule: tuple[int, int] | None  # (hours, escalate before) of the ClockRule row
    queues: dict[str, Queue]  # by slug, only those that exist (id and name loaded)
    prescriber: Prescriber | None  # every field loaded; None: no such NPI registered


def _prescriber_fields() -> list[str]:
    return [field.attname for field in Prescriber._meta.concrete_fields]


def _stamp_columns() -> list[str]:
    # The reference data's stamp: the newest formulary and criteria ids, the criteria count.
    formularies = f"FROM {FormularyVersion._meta.db_table}"
    criteria_sets = f"FROM {CriteriaSet._meta.db_table}"
    return [
        f"(SELECT MAX(id) {formularies})",
        f"(SELECT MAX(id) {criteria_sets})",
        f"(SELECT COUNT(*) {criteria_sets})",
    ]


def _intake_sql(queue_count: int) -> str:
    # Table names come from the models; every value is a bound parameter.
    rule = f"FROM {ClockRule._meta.db_table} WHERE line_of_business = %s AND urgency = %s"
    queue = f"FROM {Queue._meta.db_table} WHERE slug = %s"
    prescriber = f"FROM {Prescriber._meta.db_table} WHERE npi = %s"
    columns = [
        *_stamp_columns(),
        f"(SELECT hours {rule})",
        f"(SELECT escalate_before_hours {rule})",
    ]
    columns += [f"(SELECT id {queue}), (SELECT name {queue})"] * queue_count
    columns += [f"(SELECT {name} {prescriber})" for name in _prescriber_fields()]
    return "SELECT " + ", ".join(columns)


def intake_state(
    *, line_of_business: str, urgency: str, queues: tuple[str, ...], npi: str
) -> IntakeState:
    params: list[str] = [line_of_business, urgency, line_of_business, urgency]
    for slug in queues:
        params += [slug, slug]
    fields = _prescriber_fields()
    params += [npi] * len(fields)
    with connection.cursor() as cursor:
        cursor.execute(_intake_sql(len(queues)), params)
        row = cursor.fetchone()
    assert row is not None  # a SELECT of scalar subqueries always returns one row
    hours, before = row[3], row[4]
    found: dict[str, Queue] = {}
    for n, slug in enumerate(queues):
        pk, name = row[5 + 2 * n], row[6 + 2 * n]
        if pk is not None:
            # Only what a work item needs; any other field is read from the row on use.
            found[slug] = Queue.from_db(connection.alias, ["id", "slug", "name"], [pk, slug, name])
    values = row[5 + 2 * len(queues) :]
    prescriber = None
    if values[0] is not None:
        prescriber = Prescriber.from_db(connection.alias, fields, list(values))
    return IntakeState(
        stamp=tuple(row[:3]),
        clock_rule=(hours, before) if hours is not None else None,
        queues=found,
        prescriber=prescriber,
    )


def reference_stamp() -> tuple[object, ...]:
    """The stamp `drug_reference` takes, read alone: for showing a drug's questions, which
    must be those intake would ask now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(_stamp_columns()))
        row = cursor.fetchone()
    assert row is not None  # a SELECT of scalar subqueries always returns one row
    return tuple(row)


def reference_cache_clear(**_: object) -> None:
    global _reference_stamp
    with _reference_lock:
        _reference.clear()
        _reference_stamp = None


def drug_reference(code: str, *, stamp: tuple[object, ...], field: str = "drug") -> DrugReference:
    """The drug by RXCUI or NDC with its formulary row and criteria, from the cache when
    `stamp` (IntakeState.stamp, read just now) is the one it was filled under;
    InvalidInput naming `field` when no such drug is known."""
    global _reference_stamp
    # Keyed as drug_resolve reads the code: 1234-5678-90 and 12345-678-90 are other NDCs.
    text = code.strip()
    key = (ndc_11(text) or text) if "-" in text else text
    with _reference_lock:
        if stamp != _reference_stamp:
            _reference.clear()
            _reference_stamp = stamp
        found = _reference.get(key)
    if found is not None:
        return found
    drug = drug_resolve(code, field=field)
    criteria_set = criteria_for(drug.rxcui)
    found = DrugReference(
        drug=drug,
        formulary_row=formulary_row(drug),
        criteria_set=criteria_set,
        criteria=compiled(criteria_set) if criteria_set else None,
    )
    with _reference_lock:
        if _reference_stamp == stamp:  # not emptied meanwhile
            if len(_reference) >= _REFERENCE_LIMIT:
                _reference.clear()
            _reference[key] = found
    return found


def prescriber_get(npi: str) -> Prescriber | None:
    return Prescriber.objects.filter(npi=npi).first()


def prescriber_list(query: str = "") -> QuerySet[Prescriber]:
    """Prescribers by part of the name or email, or by NPI (its start), by name."""
    rows = Prescriber.objects.annotate(request_count=Count("requests")).order_by("name", "npi")
    text = query.strip()
    if not text:
        return rows
    if text.isdigit():
        return rows.filter(npi__startswith=text)
    return rows.filter(Q(name__icontains=text) | Q(email__icontains=text))


def is_provider(user: User) -> bool:
    return has_role(user, Role.PROVIDER)


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    summary: str


def provider_history(pa: PriorAuthRequest, viewer: User) -> list[HistoryLine]:
    """What a provider sees of a request's timeline: when it came in, each status it moved
    to, and what they did themselves. The plan's inside work (claims, reassignments,
    escalations, notes, staff names and their reasons) stays with the plan's staff."""
    events = pa.work_item.timeline.filter(
        Q(event__in=[TimelineEvent.Event.CREATED, TimelineEvent.Event.STATUS_CHANGED])
        | Q(actor=viewer)
    ).order_by("at", "id")
    lines = []
    for event in events:
        if event.actor_id == viewer.pk:
            summary = event.summary
        elif event.event == TimelineEvent.Event.CREATED:
            summary = f"{pa.get_request_type_display()} received"
        else:
            summary = PRIOR_AUTH.status_label(event.data.get("status", ""))
        lines.append(HistoryLine(event.at, summary))
    return lines


def acts_for(user: User, prescriber: Prescriber) -> bool:
    """Whether a provider user is linked to the prescriber's NPI."""
    return prescriber.portal_users.filter(pk=user.pk).exists()


SEND_INFORMATION = "priorauth.send_information"


def information_source(user: User, prescriber: Prescriber) -> str | None:
    """How `user` may bring in the information asked for on a pended request of this
    prescriber: intake staff record what the office sent (`staff`), a provider sends it
    for an NPI they act for (`provider_portal`); None when they may not."""
    if is_staff_member(user) and user.has_perm("priorauth.change_priorauthrequest"):
        return InformationReceipt.Source.STAFF
    if user.has_perm(SEND_INFORMATION) and acts_for(user, prescriber):
        return InformationReceipt.Source.PROVIDER_PORTAL
    return None


def requests_visible_to(user: User) -> QuerySet[PriorAuthRequest]:
    """Staff who may read requests see all (one national queue); a provider sees only
    the requests of the NPIs they act for."""
    rows = PriorAuthRequest.objects.select_related(
        "member__group", "prescriber", "drug", "work_item__queue", "work_item__assignee"
    )
    if not user.is_authenticated or not user.is_active:
        return rows.none()
    if user.has_perm("priorauth.view_priorauthrequest"):
        return rows
    if is_provider(user):
        return rows.filter(prescriber__portal_users=user)
    return rows.none()


def request_get(*, user: User, request_id: int) -> PriorAuthRequest:
    found = requests_visible_to(user).filter(pk=request_id).first()
    if found is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"Request PA-{request_id} does not exist.")
    return found


OPEN_DUPLICATE = "open_duplicate_id"


def open_duplicate_annotation(drug_id: int) -> dict[str, RawSQL]:
    """For `member_lookup(annotate=...)`: the member row then carries, as
    `OPEN_DUPLICATE`, the id of the oldest open request for that member and the drug, if
    any (read with the member, one query less at intake; written out, as the ORM takes
    longer to compile it than to run it)."""
    from payerdesk.priorauth.models import OPEN_STATUSES

    marks = ", ".join(["%s"] * len(OPEN_STATUSES))
    sql = (
        f"SELECT r.id FROM {PriorAuthRequest._meta.db_table} r"  # noqa: S608 - no data
        f" WHERE r.member_id = {apps.get_model('groups', 'Member')._meta.db_table}.id"
        " AND r.drug_id = %s"
        f" AND r.status IN ({marks}) ORDER BY r.received_at, r.id LIMIT 1"
    )
    return {OPEN_DUPLICATE: RawSQL(sql, (drug_id, *OPEN_STATUSES))}  # noqa: S611


def letters_due() -> list[int]:
    """Ids of the letters decided but not yet made and sent, oldest first."""
    return list(
        Letter.objects.filter(issued_at__isnull=True).order_by("id").values_list("id", flat=True)
    )
