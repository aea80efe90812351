"""Reference data reads: drugs, formulary rows, criteria sets (compiled and cached for
intake) and prescribers."""

from dataclasses import dataclass
from threading import Lock

from django.db.models import Count, Max, Q, QuerySet

from payerdesk.core.errors import ErrorCode, InvalidInput
from payerdesk.core.models import Queue
from payerdesk.priorauth.criteria.engine import Criteria
from payerdesk.priorauth.models import (
    ClockRule,
    CriteriaSet,
    Drug,
    FormularyDrug,
    FormularyVersion,
    Prescriber,
)

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
    """What intake reads fresh for every request: the reference data's stamp, the
    determination clock rule (admins change it), the queues intake routes to and the
    prescriber by NPI."""

    stamp: tuple[object, ...]
    clock_rule: tuple[int, int] | None  # (hours, escalate before) of the ClockRule row
    queues: dict[str, Queue]  # by slug, only those that exist
    prescriber: Prescriber | None  # None: no such NPI registered


def intake_state(
    *, line_of_business: str, urgency: str, queues: tuple[str, ...], npi: str
) -> IntakeState:
    rule = (
        ClockRule.objects.filter(line_of_business=line_of_business, urgency=urgency)
        .values_list("hours", "escalate_before_hours")
        .first()
    )
    return IntakeState(
        stamp=reference_stamp(),
        clock_rule=rule,
        queues={queue.slug: queue for queue in Queue.objects.filter(slug__in=queues)},
        prescriber=Prescriber.objects.filter(npi=npi).first(),
    )


def reference_stamp() -> tuple[object, ...]:
    """What `drug_reference` keys its cache by: the newest formulary and criteria set, and
    how many criteria sets there are (a deleted one changes the count)."""
    formulary = FormularyVersion.objects.aggregate(newest=Max("id"))
    criteria = CriteriaSet.objects.aggregate(newest=Max("id"), count=Count("id"))
    return (formulary["newest"], criteria["newest"], criteria["count"])


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
