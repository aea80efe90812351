"""Settings for the test suite: fast hashing, mail and tasks kept in memory."""

import tempfile
from pathlib import Path

from payerdesk.settings.base import *  # noqa: F403
from payerdesk.settings.env import env_str

DEBUG = False
SECRET_KEY = "test-only-key-that-is-long-enough-to-not-matter-0123456789"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in this process, when the change that enqueued them commits (as the worker
# only sees the database backend's row then).
TASKS = {"default": {"BACKEND": "payerdesk.core.task_backends.OnCommitImmediateBackend"}}
# Uploaded and generated files stay in memory: a run leaves nothing on disk. The few
# folders that must be real (import progress files, static files the middleware scans) are
# set by tests/conftest.py to a temporary folder it removes when the session ends.
MEDIA_ROOT = Path(tempfile.gettempdir()) / "payerdesk-test-unset" / "media"
STATIC_ROOT = Path(tempfile.gettempdir()) / "payerdesk-test-unset" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if not env_str("DATABASE_URL"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

# Refunds by ACH: a sample originator (a public test routing number), for the demo/tests.
BILLING_ACH_ODFI_ROUTING = env_str("BILLING_ACH_ODFI_ROUTING", "011000015")
BILLING_ACH_ODFI_NAME = env_str("BILLING_ACH_ODFI_NAME", "FEDERAL RESERVE BANK")
BILLING_ACH_COMPANY_NAME = env_str("BILLING_ACH_COMPANY_NAME", "PAYERDESK BENEFITS")
BILLING_ACH_COMPANY_ID = env_str("BILLING_ACH_COMPANY_ID", "1234567890")
