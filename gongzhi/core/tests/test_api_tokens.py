"""Personal API tokens: the /api/me/tokens endpoints, Idempotency-Key on the creating POST, and the
/account/tokens/ page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from conftest import City, login
from gongzhi.core import idempotency, services
from gongzhi.core.models import ApiToken, AuditEntry, IdempotencyRecord, User
from gongzhi.core.tests.test_api import assert_error


def create(client: Client, body: Any, key: str | None = "key-1", **headers: str) -> Any:
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/me/tokens", body, content_type="application/json", headers=headers)


# --- GET /api/me/tokens ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_only_own_tokens(dept_clerk: User, community_director: User) -> None:
    services.create_api_token(actor=dept_clerk, user=dept_clerk, name="mine")
    services.create_api_token(actor=community_director, user=community_director, name="theirs")
    response = login(dept_clerk).get("/api/me/tokens")
    assert response.status_code == 200
    rows = response.json()
    assert [r["name"] for r in rows] == ["mine"]
    assert set(rows[0]) == {"id", "name", "prefix", "created_at", "last_used_at", "revoked_at", "active"}
    assert "digest" not in response.content.decode()


# --- POST /api/me/tokens ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_shows_the_token_once_and_audits(dept_clerk: User) -> None:
    response = create(login(dept_clerk), {"name": "报表同步"})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "报表同步" and body["active"] is True
    assert re.fullmatch(r"gz_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}", body["token"])
    token = ApiToken.objects.get(user=dept_clerk)
    assert body["prefix"] == token.prefix
    entry = AuditEntry.objects.get(action="core.api_token.create")
    assert entry.actor_id == dept_clerk.pk
    assert body["token"].split("_", 2)[2] not in str(entry.data)
    listing = login(dept_clerk).get("/api/me/tokens").content.decode()
    assert body["token"] not in listing
    assert Client().get("/api/me", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 200


@pytest.mark.django_db
def test_replay_with_the_same_key_returns_the_stored_response(dept_clerk: User) -> None:
    client = login(dept_clerk)
    first = create(client, {"name": "ci"})
    second = create(client, {"name": "ci"})
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second["Idempotent-Replayed"] == "true"
    assert ApiToken.objects.filter(user=dept_clerk).count() == 1
    assert IdempotencyRecord.objects.filter(user=dept_clerk).count() == 1
    assert AuditEntry.objects.filter(action="core.api_token.create").count() == 1
    # key order and whitespace are not a different request
    third = client.post(
        "/api/me/tokens",
        '{ "name" : "ci" }',
        content_type="application/json",
        headers={"Idempotency-Key": "key-1"},
    )
    assert third.content == first.content


@pytest.mark.django_db
def test_same_key_with_another_body_gets_422(dept_clerk: User) -> None:
    client = login(dept_clerk)
    assert create(client, {"name": "ci"}).status_code == 201
    error = assert_error(create(client, {"name": "other"}), 422, "idempotency_key_reused")
    assert "Idempotency-Key" in error["fields"]
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["ci"]


@pytest.mark.django_db
def test_stored_response_is_encrypted(dept_clerk: User) -> None:
    plaintext = create(login(dept_clerk), {"name": "ci"}).json()["token"]
    record = IdempotencyRecord.objects.get(user=dept_clerk)
    assert record.status_code == 201
    raw = bytes(record.response_body or b"")
    assert plaintext.encode() not in raw
    assert plaintext.split("_", 2)[2].encode() not in raw


@pytest.mark.django_db
def test_another_users_identical_key_leaks_nothing(dept_clerk: User, community_director: User) -> None:
    mine = create(login(dept_clerk), {"name": "ci"})
    theirs = create(login(community_director), {"name": "ci"})
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["token"] != mine.json()["token"]
    assert ApiToken.objects.get(prefix=theirs.json()["prefix"]).user_id == community_director.pk
    # and with another body it is not a conflict either
    assert create(login(community_director), {"name": "else"}, key="key-2").status_code == 201


@pytest.mark.django_db
def test_missing_or_malformed_key_is_refused(dept_clerk: User) -> None:
    client = login(dept_clerk)
    assert_error(create(client, {"name": "ci"}, key=None), 400, "idempotency_key_required")
    assert_error(create(client, {"name": "ci"}, key="has space"), 400, "idempotency_key_invalid")
    assert_error(create(client, {"name": "ci"}, key="x" * 201), 422)
    assert not ApiToken.objects.exists()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_a_request_in_flight_with_the_key_gets_409(dept_clerk: User) -> None:
    # What a second request sees while the first one with the same key and body has no response yet.
    same = RequestFactory().post("/api/me/tokens", {"name": "ci"}, content_type="application/json")
    IdempotencyRecord.objects.create(
        user=dept_clerk,
        key="key-1",
        method="POST",
        path="/api/me/tokens",
        request_hash=idempotency.request_hash(same),
    )
    assert_error(create(login(dept_clerk), {"name": "ci"}), 409, "idempotency_in_flight")
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_an_error_rolls_back_effect_and_key(dept_clerk: User) -> None:
    client = login(dept_clerk)
    for i in range(services.MAX_ACTIVE_TOKENS):
        services.create_api_token(actor=dept_clerk, user=dept_clerk, name=f"t{i}")
    assert_error(create(client, {"name": "one too many"}), 409, "conflict")
    assert not IdempotencyRecord.objects.exists()
    services.revoke_api_token(actor=dept_clerk, token=ApiToken.objects.filter(user=dept_clerk).first())  # type: ignore[arg-type]
    assert create(client, {"name": "one too many"}).status_code == 201  # the same key may be retried


@pytest.mark.django_db
def test_keys_expire_after_the_ttl(dept_clerk: User) -> None:
    client = login(dept_clerk)
    assert create(client, {"name": "ci"}).status_code == 201
    old = timezone.now() - idempotency.IDEMPOTENCY_TTL - timedelta(minutes=1)
    IdempotencyRecord.objects.update(created_at=old)
    again = create(client, {"name": "other"})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert ApiToken.objects.filter(user=dept_clerk).count() == 2
    IdempotencyRecord.objects.update(created_at=old)
    assert idempotency.purge_expired() == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_unknown_fields_are_refused(dept_clerk: User, community_director: User) -> None:
    body = {"name": "ci", "user_id": community_director.pk, "revoked_at": None, "is_staff": True}
    error = assert_error(create(login(dept_clerk), body), 422, "invalid")
    assert {"user_id", "revoked_at", "is_staff"} <= set(error["fields"])
    assert not ApiToken.objects.exists()


# --- DELETE /api/me/tokens/{id} --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_revoke_own_token(dept_clerk: User) -> None:
    token, plaintext = services.create_api_token(actor=dept_clerk, user=dept_clerk, name="ci")
    response = login(dept_clerk).delete(f"/api/me/tokens/{token.pk}")
    assert response.status_code == 200
    assert response.json()["active"] is False
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="core.api_token.revoke", target_id=str(token.pk)).count() == 1
    assert Client().get("/api/me", headers={"Authorization": f"Bearer {plaintext}"}).status_code == 401


@pytest.mark.django_db
def test_revoke_another_users_token_is_404(dept_clerk: User, community_director: User) -> None:
    theirs, _ = services.create_api_token(actor=community_director, user=community_director, name="x")
    assert_error(login(dept_clerk).delete(f"/api/me/tokens/{theirs.pk}"), 404, "not_found")
    assert_error(login(dept_clerk).delete("/api/me/tokens/999999"), 404, "not_found")
    assert_error(login(dept_clerk).delete("/api/me/tokens/abc"), 422)
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert not AuditEntry.objects.filter(action="core.api_token.revoke").exists()


@pytest.mark.django_db
def test_a_token_can_revoke_itself(dept_clerk: User) -> None:
    token, plaintext = services.create_api_token(actor=dept_clerk, user=dept_clerk, name="ci")
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert Client().delete(f"/api/me/tokens/{token.pk}", headers=headers).status_code == 200
    assert Client().get("/api/me/tokens", headers=headers).status_code == 401


# --- Services ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_services_refuse_acting_for_someone_else(dept_clerk: User, community_director: User) -> None:
    from gongzhi.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.create_api_token(actor=dept_clerk, user=community_director, name="x")
    token, _ = services.create_api_token(actor=community_director, user=community_director, name="x")
    with pytest.raises(PermissionDenied):
        services.revoke_api_token(actor=dept_clerk, token=token)
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


# --- The /account/tokens/ page -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tokens_page_needs_sign_in(city: City) -> None:
    response = Client().get("/account/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert Client().post("/account/tokens/", {"name": "x"}).status_code == 302
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_tokens_page_creates_and_shows_the_token_once(dept_clerk: User, community_director: User) -> None:
    services.create_api_token(actor=community_director, user=community_director, name="别人的令牌")
    client = login(dept_clerk)
    page = client.get("/account/tokens/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "别人的令牌" not in html
    assert 'for="id_name"' in html
    assert "style=" not in html
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    response = client.post("/account/tokens/", {"name": "报表同步"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=dept_clerk)
    match = re.search(r'value="(gz_[^"]+)"', response.content.decode())
    assert match is not None and match.group(1).startswith(f"gz_{token.prefix}_")
    again = client.get("/account/tokens/").content.decode()
    assert match.group(1) not in again
    assert "报表同步" in again


@pytest.mark.django_db
def test_tokens_page_refuses_an_empty_name(dept_clerk: User) -> None:
    response = login(dept_clerk).post("/account/tokens/", {"name": "  "})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_tokens_page_revokes_own_token_only(dept_clerk: User, community_director: User) -> None:
    mine, _ = services.create_api_token(actor=dept_clerk, user=dept_clerk, name="mine")
    theirs, _ = services.create_api_token(actor=community_director, user=community_director, name="theirs")
    client = login(dept_clerk)
    assert client.post(f"/account/tokens/{theirs.pk}/revoke/").status_code == 404
    assert client.get(f"/account/tokens/{mine.pk}/revoke/").status_code == 405
    response = client.post(f"/account/tokens/{mine.pk}/revoke/")
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None
    assert theirs.revoked_at is None
    # revoking again is reported, not an error page
    assert client.post(f"/account/tokens/{mine.pk}/revoke/").status_code == 302
    assert AuditEntry.objects.filter(action="core.api_token.revoke").count() == 1
