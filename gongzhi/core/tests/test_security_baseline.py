"""Deployment and browser-facing hardening: CSRF on unsafe methods (AC-6), security headers (CF-2, DP-6),
`check --deploy` clean under production settings (CF-1), secrets only from the environment (CF-3)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from conftest import PASSWORD, login
from gongzhi.core.crypto import PURPOSES
from gongzhi.core.models import AuditEntry

ROOT = Path(__file__).resolve().parents[3]


# --- CSRF ------------------------------------------------------------------------------------------------------


def csrf_client() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


def test_login_without_csrf_token_is_refused(dept_clerk):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert not AuditEntry.objects.filter(action__startswith="core.auth.").exists()


def test_login_with_csrf_token_works(dept_clerk):
    client, token = csrf_client()
    response = client.post(
        "/login/", {"username": "clerk", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_logout_and_password_change_without_csrf_token_are_refused(dept_clerk):
    client, token = csrf_client()
    client.post("/login/", {"username": "clerk", "password": PASSWORD, "csrfmiddlewaretoken": token})
    before = dept_clerk.password
    data = {
        "old_password": PASSWORD,
        "new_password1": "Tongling-Gongzhi-7",
        "new_password2": "Tongling-Gongzhi-7",
    }
    assert client.post("/account/password/", data).status_code == 403
    assert client.post("/logout/").status_code == 403
    dept_clerk.refresh_from_db()
    assert dept_clerk.password == before
    assert client.get("/account/").status_code == 200  # still signed in
    assert not AuditEntry.objects.filter(
        action__in=["core.auth.logout", "core.user.password_change"]
    ).exists()
    # with the token, the same requests go through
    token = client.cookies[settings.CSRF_COOKIE_NAME].value  # rotated at sign-in
    assert client.post("/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get("/account/").status_code == 302


# --- headers ---------------------------------------------------------------------------------------------------


def test_every_page_sends_csp_nosniff_referrer_policy_and_frame_denial(db):
    response = Client().get("/login/")
    csp = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_signed_in_pages_are_not_cached(community_director):
    client = login(community_director)
    for url in ("/", "/account/", "/account/password/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_session_and_csrf_cookies_are_httponly_and_lax(dept_clerk):
    client, token = csrf_client()
    client.post("/login/", {"username": "clerk", "password": PASSWORD, "csrfmiddlewaretoken": token})
    session = client.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert client.cookies[settings.CSRF_COOKIE_NAME]["samesite"] == "Lax"


# --- production settings ---------------------------------------------------------------------------------------


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keys = {p: {"1": secrets.token_hex(16 if p == "pi" else 32)} for p in PURPOSES}
    key_file = tmp_path / "keys.json"
    key_file.write_text(json.dumps(keys))
    key_file.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
        GONGZHI_ENV="production",
        GONGZHI_SECRET_KEY=secrets.token_urlsafe(64),
        GONGZHI_KEY_FILE=str(key_file),
        GONGZHI_DATA_DIR=str(tmp_path / "data"),
        GONGZHI_ALLOWED_HOSTS="gongzhi.tongling.example",
    )
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = run(
        ["-m", "gongzhi.manage", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_on_a_weak_setup(tmp_path):
    """The test above can fail: a short secret key is reported (security.W009) and the exit code is not 0."""
    result = run(
        ["-m", "gongzhi.manage", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path, GONGZHI_SECRET_KEY="short"),
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


PRINT_SETTINGS = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps([s.DEBUG, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_SECURE, "
    "s.CSRF_COOKIE_NAME, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT]))"
)


def test_production_settings_harden_cookies_and_transport_even_if_debug_is_asked(tmp_path):
    result = run(["-c", PRINT_SETTINGS], production_env(tmp_path, GONGZHI_DEBUG="1"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        False,
        True,
        "__Host-sessionid",
        True,
        "__Host-csrftoken",
        31536000,
        True,
        True,
    ]


@pytest.mark.parametrize("empty", [False, True])
def test_production_settings_refuse_to_load_without_a_secret_key(tmp_path, empty):
    env = production_env(tmp_path)
    if empty:
        env["GONGZHI_SECRET_KEY"] = ""
    else:
        del env["GONGZHI_SECRET_KEY"]
    result = run(["-c", "import gongzhi.settings"], env)
    assert result.returncode != 0
    assert "RuntimeError: GONGZHI_SECRET_KEY must be set in production" in result.stderr
    assert not (tmp_path / "data" / "secret_key").exists()  # no key was invented on the spot
