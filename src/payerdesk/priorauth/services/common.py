"""Helpers the priorauth services share."""

from collections.abc import Mapping

from django.db.models import Model

from payerdesk.core.errors import ErrorCode, InvalidInput


def invalid(message: str, field: str) -> InvalidInput:
    return InvalidInput(ErrorCode.INVALID, message, field=field)


def fields_set(row: Model, wanted: Mapping[str, object]) -> dict[str, list[object]]:
    """Save the fields of `wanted` that differ on `row`; answer them as field -> [before,
    after], the history rows' form (empty when nothing changed)."""
    changes = {
        field: [getattr(row, field), value]
        for field, value in wanted.items()
        if getattr(row, field) != value
    }
    for field, (_, value) in changes.items():
        setattr(row, field, value)
    if changes:
        row.save(update_fields=list(changes))
    return changes
