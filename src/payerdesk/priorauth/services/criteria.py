"""Criteria uploads: a questionnaire and a decision graph become a criteria set."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from payerdesk.core.errors import NotPermitted
from payerdesk.core.models import User
from payerdesk.priorauth.criteria.engine import Criteria, CriteriaError
from payerdesk.priorauth.models import (
    CriteriaDrug,
    CriteriaSet,
    Drug,
)
from payerdesk.priorauth.services.common import invalid


@dataclass(frozen=True)
class CriteriaUpload:
    criteria: CriteriaSet
    created: bool


def _json(text: str | bytes, field: str) -> Any:
    try:
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = ""
        if isinstance(error, json.JSONDecodeError):
            where = f" at line {error.lineno}, column {error.colno}"
        raise invalid(f"{field} is not valid JSON{where}: {error}", field) from None


def criteria_upload(
    *,
    actor: User | None,
    code: str,
    title: str,
    rxcuis: list[str],
    questionnaire: str | bytes,
    decision: str | bytes,
) -> CriteriaUpload:
    """Store a new version of the criteria for a drug or drug group, once checked.

    The same questionnaire and decision again for the same code change nothing.
    """
    if actor is not None and not actor.has_perm("priorauth.add_criteriaset"):
        raise NotPermitted("Only an administrator uploads criteria.")
    slug = code.strip().lower()
    if not slug or not all(c.isalnum() or c in "-_" for c in slug):
        raise invalid("The code is letters, digits and hyphens, e.g. glp1-t2d.", "code")
    if not title.strip():
        raise invalid("Give the criteria a title.", "title")
    wanted = sorted({rxcui.strip() for rxcui in rxcuis if rxcui.strip()})
    if not wanted:
        raise invalid("Name at least one drug (RXCUI) the criteria apply to.", "rxcuis")
    known = set(Drug.objects.filter(rxcui__in=wanted).values_list("rxcui", flat=True))
    unknown = [rxcui for rxcui in wanted if rxcui not in known]
    if unknown:
        raise invalid(f"Unknown RXCUI(s): {', '.join(unknown)}.", "rxcuis")
    questionnaire_json = _json(questionnaire, "questionnaire")
    decision_json = _json(decision, "decision")
    try:
        Criteria.load(questionnaire_json, decision_json)
    except CriteriaError as error:
        field = (
            "decision" if error.where.lower().startswith(("decision", "jdm")) else "questionnaire"
        )
        raise invalid(f"{error.where}: {error.message}", field) from None
    canonical = json.dumps([questionnaire_json, decision_json, wanted], sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    with transaction.atomic():
        latest = (
            CriteriaSet.objects.select_for_update().filter(code=slug).order_by("-version").first()
        )
        if latest is not None and latest.sha256 == digest:
            return CriteriaUpload(latest, created=False)
        criteria = CriteriaSet.objects.create(
            code=slug,
            version=(latest.version + 1) if latest else 1,
            title=title.strip()[:200],
            rxcuis=wanted,
            questionnaire=questionnaire_json,
            decision=decision_json,
            sha256=digest,
            uploaded_by=actor,
        )
        CriteriaDrug.objects.bulk_create(
            CriteriaDrug(criteria=criteria, rxcui=rxcui) for rxcui in wanted
        )
    return CriteriaUpload(criteria, created=True)
