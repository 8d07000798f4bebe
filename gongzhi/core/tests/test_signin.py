"""Sign-in and sign-out (AU-2, AU-3, LG-1, LG-2): the login page, the lockout of django-axes through that page,
and one audit entry per sign-in event with no password and no full phone number in it."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from gongzhi.core.models import AuditEntry

WRONG = "Wrong-pass-2026"


def post_login(client: Client, username: str, password: str, ip: str = "10.0.0.1", **extra: str):
    return client.post("/login/", {"username": username, "password": password, **extra}, REMOTE_ADDR=ip)


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def normalized(html: bytes, typed: str) -> str:
    """The page without what legitimately differs between two requests: CSRF tokens and the echoed name."""
    text = html.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', text)
    return text.replace(f'value="{typed}"', 'value="NAME"')


class FakeClock:
    """The clock django-axes reads (each request's attempt time): frozen, moved on by hand."""

    def __init__(self) -> None:
        self.now: datetime = timezone.now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def axes_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr("axes.handlers.proxy.now", clock)
    return clock


# --- the page and a good sign-in -------------------------------------------------------------------------------


def test_login_page_is_chinese_and_labelled(db):
    response = Client().get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">用户名或手机号</label>' in html
    assert '<label for="id_password">密码</label>' in html
    assert 'autocomplete="current-password"' in html
    assert "<script" not in html and "style=" not in html
    assert "no-store" in response["Cache-Control"]


def test_login_by_username_rotates_the_session_key_and_is_audited(dept_clerk):
    client = Client()
    anonymous = client.session
    anonymous["seen"] = True
    anonymous.save()
    old_key = anonymous.session_key
    assert old_key is not None
    client.cookies[settings.SESSION_COOKIE_NAME] = old_key

    response = post_login(client, "clerk", PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(client) == str(dept_clerk.pk)
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert Session.objects.filter(session_key=new_key).exists()
    [entry] = entries("core.auth.login")
    assert entry.actor_id == dept_clerk.pk and entry.target_id == str(dept_clerk.pk)
    assert entry.ip == "10.0.0.1" and entry.result == "ok"


def test_login_by_mobile_number(community_director):
    client = Client()
    response = post_login(client, "137 0013 7000", PASSWORD)
    assert response.status_code == 302
    assert signed_in_as(client) == str(community_director.pk)
    assert len(entries("core.auth.login")) == 1


def test_login_follows_a_local_next_only(dept_clerk):
    response = post_login(Client(), "clerk", PASSWORD, next="/account/")
    assert response["Location"] == "/account/"
    response = post_login(Client(), "clerk", PASSWORD, next="https://evil.example/")
    assert response["Location"] == "/"


def test_blank_form_is_refused_without_an_attempt(db):
    response = post_login(Client(), "", "")
    assert response.status_code == 200
    assert (
        "这个字段是必填项。" in response.content.decode()
        or "This field is required" in response.content.decode()
    )
    assert not AccessAttempt.objects.exists()
    assert not entries("core.auth.login_failed")


def test_inactive_user_cannot_sign_in_and_gets_the_common_reply(dept_clerk):
    dept_clerk.is_active = False
    dept_clerk.save(update_fields=["is_active"])
    client = Client()
    response = post_login(client, "clerk", PASSWORD)
    assert response.status_code == 200
    assert "用户名(或手机号)或密码不正确" in response.content.decode()
    assert signed_in_as(client) is None


# --- failures, the same reply for unknown users, the audit ---------------------------------------------------


def test_wrong_password_is_audited_without_the_password(dept_clerk):
    client = Client()
    response = post_login(client, "clerk", WRONG)
    assert response.status_code == 200
    assert "用户名(或手机号)或密码不正确" in response.content.decode()
    assert signed_in_as(client) is None
    [entry] = entries("core.auth.login_failed")
    assert entry.actor_id is None
    assert entry.data == {"username": "clerk", "reason": "credentials"}
    assert entry.result == "denied" and entry.ip == "10.0.0.1"
    dump = json.dumps(list(AuditEntry.objects.values()), default=str, ensure_ascii=False)
    assert WRONG not in dump and PASSWORD not in dump


def test_unknown_user_gets_exactly_the_wrong_password_reply(dept_clerk):
    known = post_login(Client(), "clerk", WRONG, ip="10.0.0.1")
    unknown = post_login(Client(), "nobody-here", WRONG, ip="10.0.0.2")
    assert known.status_code == unknown.status_code == 200
    assert normalized(known.content, "clerk") == normalized(unknown.content, "nobody-here")
    assert [e.data["reason"] for e in entries("core.auth.login_failed")] == ["credentials", "credentials"]


def test_unknown_user_lockout_reply_equals_a_known_users(dept_clerk):
    replies = {}
    for name, ip in (("clerk", "10.0.0.1"), ("nobody-here", "10.0.0.2")):
        client = Client()
        for _ in range(5):
            post_login(client, name, WRONG, ip=ip)
        replies[name] = post_login(client, name, WRONG, ip=ip)
    assert replies["clerk"].status_code == replies["nobody-here"].status_code == 429
    assert normalized(replies["clerk"].content, "clerk") == normalized(
        replies["nobody-here"].content, "nobody-here"
    )


def test_phone_number_is_masked_in_the_audit_and_not_stored_by_axes(community_director):
    post_login(Client(), "13700137000", WRONG)
    [entry] = entries("core.auth.login_failed")
    assert entry.data["username"] == "137****7000" and entry.actor_label == "137****7000"
    attempt = AccessAttempt.objects.get()
    assert "13700137000" not in json.dumps(
        [attempt.username, attempt.post_data, attempt.get_data, attempt.path_info], ensure_ascii=False
    )
    assert attempt.username.startswith("tel:")


def test_typed_name_is_escaped_and_truncated_in_the_audit(db):
    typed = "evil\n\x1b[31mroot\u202e" + "x" * 120
    post_login(Client(), typed, WRONG)
    [entry] = entries("core.auth.login_failed")
    logged = entry.data["username"]
    assert logged == entry.actor_label
    assert "\n" not in logged and "\x1b" not in logged and "\u202e" not in logged
    assert logged.startswith("evil\\x0a\\x1b[31mroot\\x202e")
    assert len(logged) == 64 and logged.endswith("…")


# --- lockout: 5 failures per name or per address, 30 minutes ---------------------------------------------------


def test_sixth_attempt_is_refused_even_with_the_right_password(dept_clerk, axes_clock):
    client = Client()
    replies = [post_login(client, "clerk", WRONG).status_code for _ in range(5)]
    assert replies == [200, 200, 200, 200, 429]  # the fifth failure locks
    response = post_login(client, "clerk", PASSWORD)
    assert response.status_code == 429
    assert "暂时无法登录" in response.content.decode()
    assert signed_in_as(client) is None
    # a fresh client from another address is refused too: the name is locked
    other = Client()
    assert post_login(other, "clerk", PASSWORD, ip="10.9.9.9").status_code == 429
    assert signed_in_as(other) is None
    assert not entries("core.auth.login")
    failed = entries("core.auth.login_failed")
    assert [e.data["reason"] for e in failed] == ["credentials"] * 5 + ["locked"] * 2
    [lock] = entries("core.auth.lockout")
    assert lock.data == {"username": "clerk", "cooloff_minutes": 30} and lock.result == "locked"
    assert lock.seq == failed[4].seq + 1  # written with the failure that reached the limit


def test_five_failures_from_one_address_lock_that_address(dept_clerk, approval_officer, axes_clock):
    for i in range(5):
        post_login(Client(), f"guess-{i}", WRONG, ip="10.0.0.7")
    client = Client()
    assert post_login(client, "clerk", PASSWORD, ip="10.0.0.7").status_code == 429
    assert signed_in_as(client) is None
    # the same account from another address is fine: the name itself has no failures
    assert post_login(Client(), "clerk", PASSWORD, ip="10.0.0.8").status_code == 302


def test_lock_lifts_after_the_cool_off_and_not_before(dept_clerk, axes_clock):
    for _ in range(5):
        post_login(Client(), "clerk", WRONG)
    axes_clock.advance(minutes=29)
    assert post_login(Client(), "clerk", PASSWORD).status_code == 429
    axes_clock.advance(minutes=2)  # 31 minutes after the last counted failure
    client = Client()
    response = post_login(client, "clerk", PASSWORD)
    assert response.status_code == 302
    assert signed_in_as(client) == str(dept_clerk.pk)
    assert not AccessAttempt.objects.filter(username="clerk").exists()  # a success resets the counter


def test_four_failures_then_success_resets_the_counter(dept_clerk, axes_clock):
    for _ in range(4):
        post_login(Client(), "clerk", WRONG)
    assert post_login(Client(), "clerk", PASSWORD).status_code == 302
    for _ in range(4):
        assert post_login(Client(), "clerk", WRONG).status_code == 200


# --- sign-out ----------------------------------------------------------------------------------------------------


def test_logout_ends_the_session_and_clears_site_data(dept_clerk):
    client = Client()
    post_login(client, "clerk", PASSWORD)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post("/logout/", REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302 and response["Location"] == settings.LOGIN_URL
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert not Session.objects.filter(session_key=key).exists()
    [entry] = entries("core.auth.logout")
    assert entry.actor_id == dept_clerk.pk
    assert AccessLog.objects.get(username="clerk").logout_time is not None
    # the old cookie is worth nothing now
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get("/account/")["Location"] == "/login/?next=/account/"


def test_logout_needs_post(dept_clerk):
    client = Client()
    client.force_login(dept_clerk)
    assert client.get("/logout/").status_code == 405
    assert client.get("/account/").status_code == 200  # still signed in
    assert not entries("core.auth.logout")


def test_anonymous_logout_just_goes_to_the_login_page(db):
    response = Client().post("/logout/")
    assert response.status_code == 302 and response["Location"] == settings.LOGIN_URL
    assert not entries("core.auth.logout")


def test_admin_signs_in_through_the_same_page(platform_admin, dept_clerk):
    anonymous = Client()
    response = anonymous.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    response = anonymous.get(response["Location"])
    assert response.status_code == 302 and response["Location"] == "/login/?next=/admin/"
    admin = Client()
    assert post_login(admin, "admin", PASSWORD, next="/admin/")["Location"] == "/admin/"
    assert admin.get("/admin/").status_code == 200
    assert admin.post("/admin/logout/").status_code == 302
    assert admin.get("/admin/").status_code == 302
    assert len(entries("core.auth.logout")) == 1
    # a signed-in user without staff rights is sent to sign in again, not let in
    clerk = Client()
    clerk.force_login(dept_clerk)
    assert clerk.get("/admin/").status_code == 302
