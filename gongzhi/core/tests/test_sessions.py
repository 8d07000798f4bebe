"""Session lifetimes enforced on the server (AU-3): 30 minutes idle, 12 hours absolute; deactivation ends every
session of the user. The clock of gongzhi.core.middleware is moved on by hand."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from conftest import PASSWORD
from gongzhi.core import middleware, services
from gongzhi.core.models import AuditEntry


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(middleware, "time", SimpleNamespace(time=fake.time))
    return fake


def sign_in(username: str) -> tuple[Client, str]:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client, client.cookies[settings.SESSION_COOKIE_NAME].value


def sessions_of(user_pk: int) -> int:
    return sum(1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user_pk))


def test_the_settings_are_thirty_minutes_and_twelve_hours():
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 3600


def test_idle_session_ends_after_thirty_minutes(dept_clerk, clock):
    client, key = sign_in("clerk")
    clock.advance(29 * 60)
    assert (
        client.get("/account/").status_code == 200
    )  # 29 minutes idle: still signed in; the idle clock restarts
    clock.advance(29 * 60)
    assert client.get("/account/").status_code == 200
    clock.advance(30 * 60 + 1)
    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/account/"
    assert not Session.objects.filter(session_key=key).exists()
    assert sessions_of(dept_clerk.pk) == 0


def test_active_session_ends_after_twelve_hours(dept_clerk, clock):
    client, key = sign_in("clerk")
    elapsed = 0
    while elapsed + 25 * 60 <= 12 * 3600:  # busy all day: never idle for more than 25 minutes
        clock.advance(25 * 60)
        elapsed += 25 * 60
        assert client.get("/account/").status_code == 200, f"signed out after {elapsed / 3600:.1f} h"
    clock.advance(12 * 3600 - elapsed + 1)
    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/account/"
    assert not Session.objects.filter(session_key=key).exists()


def test_signing_in_again_restarts_the_absolute_clock(dept_clerk, clock):
    client, _ = sign_in("clerk")
    for _ in range(28):  # 11 h 40 min of steady use
        clock.advance(25 * 60)
        assert client.get("/account/").status_code == 200
    assert client.post("/login/", {"username": "clerk", "password": PASSWORD}).status_code == 302
    for _ in range(3):  # 12 h 55 min after the first sign-in, 75 minutes after the second
        clock.advance(25 * 60)
        assert client.get("/account/").status_code == 200


def test_deactivating_a_user_ends_all_their_sessions(dept_clerk, platform_admin):
    first, _ = sign_in("clerk")
    second, _ = sign_in("clerk")
    admin, admin_key = sign_in("admin")
    assert sessions_of(dept_clerk.pk) == 2

    services.deactivate_user(actor=platform_admin, user=dept_clerk)

    assert sessions_of(dept_clerk.pk) == 0
    assert Session.objects.filter(session_key=admin_key).exists()  # nobody else's
    for client in (first, second):
        assert client.get("/account/")["Location"] == "/login/?next=/account/"
    assert admin.get("/account/").status_code == 200
    entry = AuditEntry.objects.get(action="core.user.deactivate")
    assert entry.data == {"sessions_ended": 2} and entry.actor_id == platform_admin.pk
    # and the account cannot sign in again
    assert Client().post("/login/", {"username": "clerk", "password": PASSWORD}).status_code == 200
