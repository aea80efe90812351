"""Start-up checks of the core settings: a value that would fail at the first email or
upload is reported when the process starts."""

from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def check_base_url(**_: Any) -> list[CheckMessage]:
    """Links in emails start with PAYERDESK_BASE_URL."""
    value = settings.PAYERDESK_BASE_URL
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc and not (parts.query or parts.fragment):
        return []
    return [
        Error(
            f"PAYERDESK_BASE_URL {value!r} is not an http(s) address of the site.",
            hint="Links in emails start with it, e.g. https://payerdesk.example.com",
            id="core.E001",
        )
    ]


def check_attachment_limit(**_: Any) -> list[CheckMessage]:
    value = settings.PAYERDESK_ATTACHMENT_MAX_BYTES
    if isinstance(value, int) and value > 0:
        return []
    return [
        Error(
            f"PAYERDESK_ATTACHMENT_MAX_BYTES {value!r} is not a positive number of bytes.",
            id="core.E002",
        )
    ]


def check_from_email(**_: Any) -> list[CheckMessage]:
    """Every notice and determination letter is sent from DEFAULT_FROM_EMAIL."""
    value = settings.DEFAULT_FROM_EMAIL
    try:
        validate_email(parseaddr(value)[1])
    except ValidationError:
        return [
            Error(
                f"DEFAULT_FROM_EMAIL {value!r} is not an email address.",
                hint='e.g. "payerdesk <noreply@example.com>"',
                id="core.E003",
            )
        ]
    return []


def check_email_security(**_: Any) -> list[CheckMessage]:
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        return [
            Error(
                "EMAIL_USE_TLS and EMAIL_USE_SSL are both on: choose one (every send would fail).",
                id="core.E004",
            )
        ]
    return []
