"""Settings for `make run`: debug on, embedded SQLite, mail written to files."""

from payerdesk.settings.base import *  # noqa: F403
from payerdesk.settings.base import DATA_DIR
from payerdesk.settings.env import env_bool, env_str

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-for-any-real-deployment")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)

# Refunds by ACH: a sample originator (a public test routing number), for the demo/tests.
BILLING_ACH_ODFI_ROUTING = env_str("BILLING_ACH_ODFI_ROUTING", "011000015")
BILLING_ACH_ODFI_NAME = env_str("BILLING_ACH_ODFI_NAME", "FEDERAL RESERVE BANK")
BILLING_ACH_COMPANY_NAME = env_str("BILLING_ACH_COMPANY_NAME", "PAYERDESK BENEFITS")
BILLING_ACH_COMPANY_ID = env_str("BILLING_ACH_COMPANY_ID", "1234567890")
