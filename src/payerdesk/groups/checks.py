"""Start-up checks of the groups settings."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error


def check_import_background_bytes(**_: Any) -> list[CheckMessage]:
    """Uploads above PAYERDESK_IMPORT_BACKGROUND_BYTES run as background jobs."""
    value = getattr(settings, "PAYERDESK_IMPORT_BACKGROUND_BYTES", None)
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return []
    return [
        Error(
            f"PAYERDESK_IMPORT_BACKGROUND_BYTES {value!r} is not a number of bytes (0 or more).",
            id="groups.E001",
        )
    ]
