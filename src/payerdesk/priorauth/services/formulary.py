"""Formulary imports: a CMS formulary file and its drug names become a formulary version."""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from payerdesk.core.errors import NotPermitted
from payerdesk.core.models import User
from payerdesk.priorauth.formats.formulary_files import (
    FormularyError,
    drug_names_read,
    formulary_read,
)
from payerdesk.priorauth.models import (
    Drug,
    FormularyDrug,
    FormularyVersion,
)
from payerdesk.priorauth.services.common import invalid


@dataclass(frozen=True)
class FormularyImport:
    formulary: FormularyVersion
    created: bool

    @property
    def message(self) -> str:
        version = self.formulary
        if not self.created:
            return (
                f"This file was already imported as {version} on "
                f"{timezone.localtime(version.imported_at):%Y-%m-%d %H:%M}: nothing changed."
            )
        return f"Imported {version}: {version.drug_count} drug rows."


def formulary_import(
    *,
    actor: User | None,
    formulary_name: str,
    formulary_content: bytes,
    names_name: str,
    names_content: bytes,
) -> FormularyImport:
    """Import a CMS basic formulary file and its drug names as a new version.

    The same formulary file twice changes nothing. `actor` is None from the CLI.
    """
    if actor is not None and not actor.has_perm("priorauth.add_formularyversion"):
        raise NotPermitted("Only an administrator imports formularies.")
    digest = hashlib.sha256(formulary_content).hexdigest()
    existing = FormularyVersion.objects.filter(sha256=digest).first()
    if existing is not None:
        return FormularyImport(existing, created=False)
    try:
        names = drug_names_read(names_name, names_content)
    except FormularyError as error:
        raise invalid(error.message, "names_file") from None
    try:
        rows = formulary_read(formulary_name, formulary_content)
    except FormularyError as error:
        raise invalid(error.message, "formulary_file") from None
    for row in rows:
        if row.rxcui not in names:
            raise invalid(
                f"{formulary_name}, line {row.line}, column RXCUI: {row.rxcui} has no name "
                f"in {names_name}",
                "formulary_file",
            )
    with transaction.atomic():
        first = rows[0]
        version = FormularyVersion.objects.create(
            formulary_id=first.formulary_id,
            formulary_version=first.formulary_version,
            contract_year=first.contract_year,
            file_name=formulary_name[:200],
            sha256=digest,
            names_sha256=hashlib.sha256(names_content).hexdigest(),
            drug_count=len(rows),
            imported_by=actor,
        )
        drugs = _drugs_upsert({row.rxcui: names[row.rxcui] for row in rows})
        FormularyDrug.objects.bulk_create(
            FormularyDrug(
                formulary=version,
                drug=drugs[row.rxcui],
                ndc=row.ndc,
                tier=row.tier,
                quantity_limit=row.quantity_limit,
                quantity_limit_amount=row.quantity_limit_amount,
                quantity_limit_days=row.quantity_limit_days,
                prior_authorization=row.prior_authorization,
                step_therapy=row.step_therapy,
            )
            for row in rows
        )
        # Names of drugs not on this formulary are kept too: exceptions ask for them.
        _drugs_upsert(names)
    return FormularyImport(version, created=True)


def _drugs_upsert(names: dict[str, str]) -> dict[str, Drug]:
    existing = {drug.rxcui: drug for drug in Drug.objects.filter(rxcui__in=list(names))}
    changed = []
    for rxcui, name in names.items():
        drug = existing.get(rxcui)
        if drug is None:
            existing[rxcui] = Drug.objects.create(rxcui=rxcui, name=name)
        elif drug.name != name:
            drug.name = name
            changed.append(drug)
    Drug.objects.bulk_update(changed, ["name"])
    return existing
