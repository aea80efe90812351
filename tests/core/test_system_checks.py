"""Settings that can be wrong are checked at start-up: each bad value gives its check's id
and a message naming the setting and what it expects; good settings give nothing."""

import pytest
from django.core.checks import run_checks
from django.test import override_settings

ACH = {
    "BILLING_ACH_ODFI_ROUTING": "011000015",
    "BILLING_ACH_ODFI_NAME": "FEDERAL RESERVE BANK",
    "BILLING_ACH_COMPANY_NAME": "PAYERDESK BENEFITS",
    "BILLING_ACH_COMPANY_ID": "1234567890",
}


def _messages(check_id: str) -> list[str]:
    return [message.msg for message in run_checks() if message.id == check_id]


def test_the_shipped_settings_pass_every_check():
    assert [message.id for message in run_checks()] == []


@pytest.mark.parametrize("limit", ["five hundred", "-1", "10.001", "NaN", ""])
def test_a_bad_refund_approval_limit_is_reported(limit):
    with override_settings(BILLING_REFUND_APPROVAL_LIMIT=limit):
        (message,) = _messages("billing.E001")
    assert message.startswith(f"BILLING_REFUND_APPROVAL_LIMIT: {limit!r} is not a ")


def test_the_refund_approval_limit_is_read_by_the_same_rule():
    from payerdesk.billing.services.refunds import approval_limit

    with override_settings(BILLING_REFUND_APPROVAL_LIMIT=" 750.5 "):
        assert not _messages("billing.E001")
        assert str(approval_limit()) == "750.5"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"BILLING_ACH_ODFI_ROUTING": "011000016"}, "fails its check digit"),
        ({"BILLING_ACH_COMPANY_ID": "12345678901"}, "not 1-10 characters"),
        ({"BILLING_ACH_ODFI_NAME": ""}, "BILLING_ACH_ODFI_NAME not set"),
    ],
)
def test_incomplete_or_wrong_ach_settings_are_reported(changes, expected):
    with override_settings(**{**ACH, **changes}):
        (message,) = _messages("billing.E002")
    assert "BILLING_ACH_" in message and expected in message


def test_ach_settings_all_unset_turn_ach_off_without_a_message():
    with override_settings(**dict.fromkeys(ACH, "")):
        assert not _messages("billing.E002")


@pytest.mark.parametrize("url", ["payerdesk.example.com", "ftp://x.example", "https://x/?a=1"])
def test_a_base_url_that_is_not_a_site_address_is_reported(url):
    with override_settings(PAYERDESK_BASE_URL=url):
        (message,) = _messages("core.E001")
    assert message.startswith(f"PAYERDESK_BASE_URL {url!r}") and "http(s)" in message


@pytest.mark.parametrize("limit", [0, -5, "10MB"])
def test_a_bad_attachment_limit_is_reported(limit):
    with override_settings(PAYERDESK_ATTACHMENT_MAX_BYTES=limit):
        (message,) = _messages("core.E002")
    assert "PAYERDESK_ATTACHMENT_MAX_BYTES" in message and "positive number of bytes" in message


def test_a_from_address_that_is_not_an_email_is_reported():
    with override_settings(DEFAULT_FROM_EMAIL="payerdesk <noreply>"):
        (message,) = _messages("core.E003")
    assert "DEFAULT_FROM_EMAIL" in message and "not an email address" in message


def test_tls_and_ssl_together_are_reported():
    with override_settings(EMAIL_USE_TLS=True, EMAIL_USE_SSL=True):
        (message,) = _messages("core.E004")
    assert "EMAIL_USE_TLS" in message and "EMAIL_USE_SSL" in message


@pytest.mark.parametrize("value", [-1, "1MB", True])
def test_a_bad_import_background_threshold_is_reported(value):
    with override_settings(PAYERDESK_IMPORT_BACKGROUND_BYTES=value):
        (message,) = _messages("groups.E001")
    assert "PAYERDESK_IMPORT_BACKGROUND_BYTES" in message and "number of bytes" in message
