"""Prescribers: registering, changing, and linking portal users to them."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from payerdesk.core.errors import Conflict, ErrorCode, NotFound, NotPermitted
from payerdesk.core.models import User
from payerdesk.core.roles import is_staff_member
from payerdesk.priorauth import rules
from payerdesk.priorauth.models import (
    Prescriber,
    PrescriberChange,
)
from payerdesk.priorauth.selectors import reference as reference_selectors
from payerdesk.priorauth.services.common import fields_set, invalid


def npi_check(npi: str, field: str = "prescriber_npi") -> str:
    text = npi.strip()
    if not rules.npi_is_valid(text):
        raise invalid(
            f"{text!r} is not a valid NPI: ten digits with a Luhn check digit (prefix 80840).",
            field,
        )
    return text


def _prescriber_name(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise invalid("Give the prescriber's name.", "name")
    if len(text) > 120:
        raise invalid("The name is longer than 120 characters.", "name")
    return text


def _prescriber_email(email: str) -> str:
    text = email.strip()
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise invalid(f"{text!r} is not an email address.", "email") from None
    return text


def _may_manage_prescribers(actor: User | None, permission: str, what: str) -> None:
    if actor is not None and not (is_staff_member(actor) and actor.has_perm(permission)):
        raise NotPermitted(f"Your role does not {what} prescribers.")


def prescriber_register(*, actor: User | None, npi: str, name: str, email: str = "") -> Prescriber:
    """Register a prescriber by NPI (check digit verified); an NPI already registered is
    refused, naming who holds it. `actor` is None from the demo and the CLI."""
    _may_manage_prescribers(actor, "priorauth.add_prescriber", "register")
    number = npi_check(npi, "npi")
    clean_name, clean_email = _prescriber_name(name), _prescriber_email(email)
    with transaction.atomic():
        existing = Prescriber.objects.select_for_update().filter(npi=number).first()
        if existing is not None:
            raise Conflict(
                ErrorCode.INVALID,
                f"NPI {number} is already registered, as {existing.name}.",
                field="npi",
            )
        prescriber = Prescriber.objects.create(npi=number, name=clean_name, email=clean_email)
        PrescriberChange.objects.create(
            prescriber=prescriber,
            action=PrescriberChange.Action.REGISTERED,
            changes={"name": [None, clean_name], "email": [None, clean_email]},
            actor=actor,
        )
    return prescriber


def prescriber_update(
    *, actor: User, npi: str, name: str | None = None, email: str | None = None
) -> Prescriber:
    """Change a prescriber's name or email (letters and notices go to the email). The NPI
    is who the prescriber is: it does not change."""
    _may_manage_prescribers(actor, "priorauth.change_prescriber", "change")
    wanted: dict[str, str] = {}
    if name is not None:
        wanted["name"] = _prescriber_name(name)
    if email is not None:
        wanted["email"] = _prescriber_email(email)
    with transaction.atomic():
        prescriber = Prescriber.objects.select_for_update().filter(npi=npi.strip()).first()
        if prescriber is None:
            raise NotFound(ErrorCode.NOT_FOUND, f"No prescriber with NPI {npi.strip()}.")
        changes = fields_set(prescriber, wanted)
        if not changes:
            return prescriber
        PrescriberChange.objects.create(
            prescriber=prescriber,
            action=PrescriberChange.Action.CHANGED,
            changes=changes,
            actor=actor,
        )
    return prescriber


def _linked_prescriber(actor: User | None, npi: str, verb: str) -> Prescriber:
    """The prescriber whose provider users an administrator (or the CLI) links or unlinks."""
    if actor is not None and not actor.has_perm("priorauth.link_portal_user"):
        raise NotPermitted(f"Only an administrator {verb} provider users.")
    prescriber = reference_selectors.prescriber_get(npi_check(npi, "npi"))
    if prescriber is None:
        raise invalid(f"No prescriber with NPI {npi} is registered.", "npi")
    return prescriber


def provider_link(*, actor: User | None, user: User, npi: str) -> Prescriber:
    """Let a provider user act for an NPI and see its requests."""
    prescriber = _linked_prescriber(actor, npi, "links")
    prescriber.portal_users.add(user)
    return prescriber


def provider_unlink(*, actor: User | None, user: User, npi: str) -> Prescriber:
    """Stop a provider user acting for an NPI: its requests close to them."""
    prescriber = _linked_prescriber(actor, npi, "unlinks")
    prescriber.portal_users.remove(user)
    return prescriber
