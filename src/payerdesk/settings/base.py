"""Settings shared by every environment; each value can be set from the environment."""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from payerdesk.settings.env import env_bool, env_int, env_list, env_str

DATA_DIR = Path(env_str("PAYERDESK_DATA_DIR", str(Path.cwd() / "var"))).resolve()

SECRET_KEY = env_str("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "payerdesk.core",
    "payerdesk.groups",
    "payerdesk.priorauth",
    "payerdesk.billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "payerdesk.core.middleware.OutsideUserErrorPages",
]

ROOT_URLCONF = "payerdesk.urls"
WSGI_APPLICATION = "payerdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "payerdesk.core.context_processors.navigation",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    default_sqlite = f"sqlite:///{DATA_DIR / 'payerdesk.sqlite3'}"
    config = dict(dj_database_url.parse(env_str("DATABASE_URL", default_sqlite)))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web process read while the task worker writes; IMMEDIATE makes
        # every transaction take the write lock up front, so two writers queue
        # instead of failing with "database is locked" half-way through.
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    else:
        config["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
        # Server-side parameters: no Python quotes the values into the SQL. A statement a
        # connection runs five times becomes a prepared statement (psycopg's threshold):
        # PostgreSQL then parses and plans it once, which is most of the cost of a short
        # request's reads (`bench/priorauth.py`). A batch prepares nothing
        # (`core.db.statements_unprepared`).
        config["OPTIONS"] = {
            "server_side_binding": env_bool("DATABASE_SERVER_SIDE_BINDING", True),
            # psycopg's own default threshold; Django turns prepared statements off unless told.
            "prepare_threshold": 5 if env_bool("DATABASE_PREPARED_STATEMENTS", True) else None,
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "payerdesk.core.auth_backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:my-work"
LOGOUT_REDIRECT_URL = "login"

# Staff sessions end after 30 idle minutes: the screens show PHI.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Login throttling: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "en-us"
# Queues run on Eastern time (the coverage review floor works 8-8 Eastern); deadlines
# are stored in UTC and shown in this zone.
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True
# Dates and times on every page: payerdesk/settings/formats/en/formats.py.
FORMAT_MODULE_PATH = ["payerdesk.settings.formats"]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = Path(env_str("PAYERDESK_MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = DATA_DIR / "mail"
PAYERDESK_BASE_URL = env_str("PAYERDESK_BASE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "payerdesk <noreply@payerdesk.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# The jobs that run by themselves (core/schedule.py): `payerdesk scheduler` enqueues each
# on its crontab expression, in TIME_ZONE, and every one once at start-up, in this order;
# the task workers run them. The delinquency review goes before list bills: a group the
# review cancels gets no new bill that day. Weekdays by name (mon-sun).
PAYERDESK_SCHEDULE = {
    "escalations-and-reminders": {"cron": "* * * * *", "task": "payerdesk.core.tasks.tick"},
    "delinquency-review": {
        "cron": "30 0 * * *",
        "task": "payerdesk.billing.tasks.review_delinquency",
    },
    "list-bills": {"cron": "0 1 * * *", "task": "payerdesk.billing.tasks.generate_due_list_bills"},
    "letters-due": {"cron": "*/15 * * * *", "task": "payerdesk.priorauth.tasks.issue_due_letters"},
}

# Attachments: size limit and the file types a work item accepts.
PAYERDESK_ATTACHMENT_MAX_BYTES = env_int("PAYERDESK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# A request body apart from its multipart files: the API sends a document as base64 in
# JSON, a third larger than the file, so the body takes the largest attachment, plus
# room for the rest of the body.
DATA_UPLOAD_MAX_MEMORY_SIZE = PAYERDESK_ATTACHMENT_MAX_BYTES * 4 // 3 + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Premium refunds above this many dollars need a second person's approval.
BILLING_REFUND_APPROVAL_LIMIT = env_str("BILLING_REFUND_APPROVAL_LIMIT", "500.00")
# Refunds paid by ACH: our bank (the ODFI) and our company as the bank set us up.
# Empty until configured: the NACHA export then says which setting is missing.
BILLING_ACH_ODFI_ROUTING = env_str("BILLING_ACH_ODFI_ROUTING", "")
BILLING_ACH_ODFI_NAME = env_str("BILLING_ACH_ODFI_NAME", "")
BILLING_ACH_COMPANY_NAME = env_str("BILLING_ACH_COMPANY_NAME", "")
BILLING_ACH_COMPANY_ID = env_str("BILLING_ACH_COMPANY_ID", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_phi": {"()": "payerdesk.core.logging.PhiRedactingFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_phi"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
AXES_VERBOSE = False
