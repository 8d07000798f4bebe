"""The profile page and password change: signed-in users only, own data only, the phone masked; the password
rules of 等保 2.0 (AU-1, decision D-1) applied by the service."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import PASSWORD, login
from gongzhi.core import services
from gongzhi.core.errors import ValidationFailed
from gongzhi.core.models import AuditEntry, User

NEW = "Tongling-Gongzhi-7"


# --- profile --------------------------------------------------------------------------------------------------


def test_profile_needs_sign_in(db):
    response = Client().get("/account/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/account/"


def test_profile_shows_own_name_masked_phone_and_memberships(community_director, outsider):
    response = login(community_director).get("/account/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "137****7000" in html and "13700137000" not in html
    assert "铜霞社区居委会" in html and "社区居委会主任" in html
    assert "狮子山社区居委会" not in html  # another person's membership
    assert "no-store" in response["Cache-Control"]
    # and the other director sees only theirs
    other = login(outsider).get("/account/").content.decode()
    assert "狮子山社区居委会" in other and "铜霞社区居委会" not in other and "137****7000" not in other


def test_profile_without_memberships_or_phone(db):
    user = services.create_user(actor=None, username="loner", password=PASSWORD, display_name="独行者")
    html = login(user).get("/account/").content.decode()
    assert "独行者" in html and "未绑定" in html and "还没有在任何机构任职" in html


def test_profile_refuses_post(community_director):
    assert login(community_director).post("/account/").status_code == 405


# --- password change ------------------------------------------------------------------------------------------


def change(client: Client, old: str, new1: str, new2: str | None = None):
    data = {"old_password": old, "new_password1": new1, "new_password2": new1 if new2 is None else new2}
    return client.post("/account/password/", data)


def test_password_change_needs_sign_in(db):
    client = Client()
    assert client.get("/account/password/")["Location"] == "/login/?next=/account/password/"
    response = change(client, PASSWORD, NEW)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_password_change_form_is_labelled(dept_clerk):
    response = login(dept_clerk).get("/account/password/")
    assert response.status_code == 200
    html = response.content.decode()
    for field, label in (
        ("old_password", "当前密码"),
        ("new_password1", "新密码"),
        ("new_password2", "再次输入新密码"),
    ):
        assert f'<label for="id_{field}">{label}</label>' in html
    assert 'aria-describedby="id_new_password1-help"' in html and 'id="id_new_password1-help"' in html
    assert "no-store" in response["Cache-Control"]


@pytest.mark.real_hasher
def test_password_change_keeps_this_session_and_ends_the_others(dept_clerk):
    this, other = Client(), Client()
    for client in (this, other):
        assert client.post("/login/", {"username": "clerk", "password": PASSWORD}).status_code == 302

    response = change(this, PASSWORD, NEW)

    assert response.status_code == 302 and response["Location"] == "/account/"
    dept_clerk.refresh_from_db()
    assert dept_clerk.check_password(NEW) and dept_clerk.password.startswith("argon2")
    assert dept_clerk.password_changed_at is not None
    assert this.get("/account/").status_code == 200
    assert other.get("/account/").status_code == 302
    [entry] = AuditEntry.objects.filter(action="core.user.password_change")
    assert entry.actor_id == dept_clerk.pk and NEW not in str(entry.data)
    assert Client().post("/login/", {"username": "clerk", "password": NEW}).status_code == 302


@pytest.mark.parametrize(
    ("old", "new1", "new2", "field", "message"),
    [
        ("Not-my-pass-1", NEW, None, "old_password", "当前密码不正确"),
        (PASSWORD, NEW, NEW + "x", "new_password2", "两次输入的新密码不一致"),
        (PASSWORD, "12345678", None, "new_password1", "这个密码太常见了"),
        (PASSWORD, "password1", None, "new_password1", "这个密码太常见了"),
        (PASSWORD, "Ab1!xyz", None, "new_password1", "密码太短,至少需要8个字符"),
        (PASSWORD, "abcdefghij1", None, "new_password1", "至少三类"),
        (PASSWORD, PASSWORD, None, "new_password1", "不能与当前密码相同"),
        (PASSWORD, "", None, "new_password1", "必填"),
    ],
)
def test_bad_password_change_is_refused_and_nothing_changes(dept_clerk, old, new1, new2, field, message):
    before = dept_clerk.password
    response = change(login(dept_clerk), old, new1, new2)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    dept_clerk.refresh_from_db()
    assert dept_clerk.password == before
    assert not AuditEntry.objects.filter(action="core.user.password_change").exists()


# --- the password rules themselves (AU-1) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "12345678",  # numeric, common, one class
        "password1",  # common, two classes
        "Password1",  # common (capitalised), even though it has three classes
        "Ab1!xyz",  # 7 characters
        "abcdefgh",  # one class
        "abcdefg1",  # two classes
        "A" * 129 + "b1!",  # over the maximum length
    ],
)
def test_password_rules_refuse(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "Tongling-2026",  # 13 characters, four classes
        "tongling2026!",  # three classes: lower, digit, symbol
        "Gz7!" + "".join(chr(ord("a") + i % 26) for i in range(56)) + "Q9#x",  # 64 characters
        "铜陵共治Gz2026",  # Chinese characters count as symbols
    ],
)
def test_password_rules_accept(password):
    validate_password(password)


def test_sixty_four_character_password_works_end_to_end(dept_clerk):
    long_password = ("Gz7!tongling-" * 5)[:60] + "Q9#x"
    assert len(long_password) == 64
    assert change(login(dept_clerk), PASSWORD, long_password).status_code == 302
    assert Client().post("/login/", {"username": "clerk", "password": long_password}).status_code == 302


def test_password_similar_to_the_username_is_refused(db):
    with pytest.raises(ValidationFailed):
        services.create_user(actor=None, username="tongxia-director", password="Tongxia-Director1")
    assert not User.objects.filter(username="tongxia-director").exists()
