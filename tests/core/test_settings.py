"""Settings: production passes the deploy check; secrets, hashing, sessions and throttling."""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone

from payerdesk.settings import base
from payerdesk.settings.env import env_bool, env_int, env_list, env_str
from tests.conftest import PASSWORD

# Variables the test run may carry that must not leak into a production process.
_SCRUB = ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY_FILE", "DEBUG")


def _production_env(**env: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    environment.pop("SECRET_KEY", None)
    environment.update(
        DJANGO_SETTINGS_MODULE="payerdesk.settings.production",
        ALLOWED_HOSTS="payerdesk.example.org",
    )
    environment.update(env)
    return environment


def _run(code_or_command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, *code_or_command],
        env=_production_env(**env),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _deploy_check(**env: str) -> subprocess.CompletedProcess[str]:
    return _run(["-m", "django", "check", "--deploy", "--fail-level", "WARNING"], **env)


def _strong_key() -> str:
    key = secrets.token_urlsafe(45)
    assert len(key) == 60
    return key


# --- production ---------------------------------------------------------------------------


def test_production_settings_pass_the_deploy_check_with_no_warnings():
    result = _deploy_check(SECRET_KEY=_strong_key())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_the_deploy_check_would_catch_a_weakened_production():
    # The clean result above means something: turning HTTPS redirects off is reported.
    result = _deploy_check(SECRET_KEY=_strong_key(), SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_production_reads_its_secret_key_from_a_file(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text(_strong_key() + "\n", encoding="utf-8")
    result = _deploy_check(SECRET_KEY_FILE=str(secret))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("key", ["short", "x" * 49, ""])
def test_production_refuses_a_short_or_missing_secret_key(key):
    result = _run(["-c", "import payerdesk.settings.production"], SECRET_KEY=key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_production_is_never_in_debug_and_its_cookies_are_secure():
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS)"
    )
    result = _run(["-c", show], SECRET_KEY=_strong_key(), DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True", "True", "DENY"]


def test_granian_serves_production_as_the_readme_says(tmp_path):
    """The README's steps, one worker: static files collected, the login page comes back
    over HTTP, HTTPS-only."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    deployment = {
        "SECRET_KEY": _strong_key(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
        "PAYERDESK_DATA_DIR": str(tmp_path),
    }
    collected = _run(["-m", "django", "collectstatic", "--noinput"], **deployment)
    assert collected.returncode == 0, collected.stderr
    granian = Path(sys.executable).with_name("granian")
    server = subprocess.Popen(  # noqa: S603 - our venv's server, fixed arguments
        [str(granian), "--interface", "wsgi", "payerdesk.wsgi:application", "--host",
         "127.0.0.1", "--port", str(port), "--workers", "1", "--blocking-threads", "2"],
        env=_production_env(**deployment), stdout=subprocess.DEVNULL,  # its log: stderr
    )  # fmt: skip
    try:
        answers = _get_when_listening(port, "/accounts/login/")
        assert answers("http") == (301, "https://payerdesk.example.org/accounts/login/")
        status, _ = answers("https")
        assert status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def _get_when_listening(port: int, path: str) -> Callable[[str], tuple[int, str]]:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)

    def get(scheme: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(
            "GET", path, headers={"Host": "payerdesk.example.org", "X-Forwarded-Proto": scheme}
        )
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, response.getheader("Location", "")

    return get


# --- passwords, sessions, login throttling -------------------------------------------------


def test_passwords_are_hashed_with_argon2_first():
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        encoded = make_password("correct horse battery staple")
        assert encoded.startswith("argon2$")
        assert check_password("correct horse battery staple", encoded)
        assert not check_password("correct horse battery stable", encoded)
        # An older PBKDF2 hash still verifies, and is upgraded to argon2 on the next login.
        legacy = make_password("old password 123", hasher="pbkdf2_sha256")
        upgraded: list[str] = []
        assert check_password("old password 123", legacy, setter=upgraded.append)
        assert upgraded == ["old password 123"]


def test_passwords_must_be_long():
    assert {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 12}} in base.AUTH_PASSWORD_VALIDATORS  # fmt: skip


def test_a_staff_session_expires_after_thirty_idle_minutes_and_with_the_browser(users):
    assert base.SESSION_COOKIE_AGE == 30 * 60
    client = Client()
    signed_in = client.post("/accounts/login/", {"username": "rep", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.session.get_expiry_age() == 30 * 60
    assert client.session.get_expire_at_browser_close()

    response = client.get("/")
    assert response.status_code == 200
    # Saved on every request: each page view pushes the idle deadline on.
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["max-age"] == ""  # a browser-session cookie, gone when the browser closes
    session = Session.objects.get(session_key=cookie.value)
    remaining = session.expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def test_login_throttling_is_configured():
    assert base.AXES_FAILURE_LIMIT == 5
    assert base.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert base.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert "axes" in settings.INSTALLED_APPS
    assert "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_the_fifth_failed_login_locks_the_account_out(users):
    client = Client()
    for _ in range(base.AXES_FAILURE_LIMIT - 1):
        client.post("/accounts/login/", {"username": "rep", "password": "wrong-password"})
    # One short of the limit the right password still works (and clears the count).
    assert (
        client.post("/accounts/login/", {"username": "rep", "password": PASSWORD}).status_code
        == 302
    )
    client.logout()
    for _ in range(base.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "rep", "password": "wrong-password"})
    locked = client.post("/accounts/login/", {"username": "rep", "password": PASSWORD})
    assert locked.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


# --- reading the environment --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), ("on", True), ("0", False), ("False", False),
     ("no", False), ("off", False)],
)  # fmt: skip
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("PD_TEST_FLAG", raw)
    assert env_bool("PD_TEST_FLAG", not expected) is expected


def test_env_bool_rejects_anything_else_naming_the_variable(monkeypatch):
    monkeypatch.setenv("PD_TEST_FLAG", "maybe")
    with pytest.raises(ValueError, match=r"PD_TEST_FLAG='maybe'"):
        env_bool("PD_TEST_FLAG")


def test_unset_or_empty_variables_take_the_default(monkeypatch):
    monkeypatch.delenv("PD_TEST_UNSET", raising=False)
    monkeypatch.setenv("PD_TEST_EMPTY", "")
    for name in ("PD_TEST_UNSET", "PD_TEST_EMPTY"):
        assert env_bool(name, True) is True
        assert env_int(name, 7) == 7
        assert env_list(name, ["a"]) == ["a"]
    assert env_str("PD_TEST_UNSET", "fallback") == "fallback"


def test_env_int_and_env_list(monkeypatch):
    monkeypatch.setenv("PD_TEST_INT", "42")
    monkeypatch.setenv("PD_TEST_LIST", " a.example.org, ,b.example.org ,")
    assert env_int("PD_TEST_INT", 0) == 42
    assert env_list("PD_TEST_LIST", []) == ["a.example.org", "b.example.org"]
    monkeypatch.setenv("PD_TEST_INT", "forty-two")
    with pytest.raises(ValueError, match="PD_TEST_INT"):
        env_int("PD_TEST_INT", 0)


def test_a_name_file_variable_wins_over_the_value(monkeypatch, tmp_path):
    secret = tmp_path / "password"
    secret.write_text("  from-the-file\n", encoding="utf-8")
    monkeypatch.setenv("PD_TEST_SECRET", "from-the-environment")
    assert env_str("PD_TEST_SECRET") == "from-the-environment"
    monkeypatch.setenv("PD_TEST_SECRET_FILE", str(secret))
    assert env_str("PD_TEST_SECRET") == "from-the-file"

    flag = tmp_path / "flag"
    flag.write_text("off\n", encoding="utf-8")
    monkeypatch.setenv("PD_TEST_FLAG", "on")
    monkeypatch.setenv("PD_TEST_FLAG_FILE", str(flag))
    assert env_bool("PD_TEST_FLAG", True) is False


def test_a_missing_secret_file_is_an_error_not_a_silent_default(monkeypatch, tmp_path):
    monkeypatch.setenv("PD_TEST_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError):
        env_str("PD_TEST_SECRET", "default")
