"""Production settings pass Django's deploy checks; settings come from the environment."""

import os
import secrets
import subprocess
import sys

import pytest

from payerdesk.settings import base
from payerdesk.settings.env import env_bool, env_int, env_list, env_str


def _production(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "payerdesk.settings.production",
        "ALLOWED_HOSTS": "payerdesk.example.org",
        **env,
    }
    # The browser tests' conftest relaxes async safety for this process; not for production.
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        environment.pop(name, None)
    command = [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603


def test_production_settings_pass_the_deploy_check():
    result = _production(SECRET_KEY=secrets.token_urlsafe(60))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_a_weak_secret_key():
    result = _production(SECRET_KEY="short")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_passwords_hash_with_argon2_and_sessions_expire():
    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert base.SESSION_COOKIE_AGE == 30 * 60
    assert base.SESSION_SAVE_EVERY_REQUEST
    assert base.AXES_FAILURE_LIMIT == 5


def test_env_readers(monkeypatch, tmp_path):
    monkeypatch.setenv("PD_FLAG", "yes")
    monkeypatch.setenv("PD_COUNT", "12")
    monkeypatch.setenv("PD_HOSTS", "a.example, b.example,")
    assert env_bool("PD_FLAG") is True
    assert env_int("PD_COUNT", 0) == 12
    assert env_list("PD_HOSTS", []) == ["a.example", "b.example"]
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("PD_SECRET", "from-env")
    monkeypatch.setenv("PD_SECRET_FILE", str(secret))
    assert env_str("PD_SECRET") == "from-a-file"
    monkeypatch.setenv("PD_FLAG", "maybe")
    with pytest.raises(ValueError, match="PD_FLAG"):
        env_bool("PD_FLAG")
    monkeypatch.setenv("PD_COUNT", "twelve")
    with pytest.raises(ValueError, match="PD_COUNT"):
        env_int("PD_COUNT", 0)
