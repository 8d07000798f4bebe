"""The API foundation: schema and docs, the one error shape, session and token authentication, /api/me."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client, override_settings

from conftest import City, login
from gongzhi.core import services
from gongzhi.core.models import ApiToken, User


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape: {"error": {"code", "message" ("中文 / English"), "fields"}}."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["fields"], dict)
    assert " / " in error["message"], error["message"]
    assert re.search(r"[\u4e00-\u9fff]", error["message"]), "message has a Chinese half"
    if code is not None:
        assert error["code"] == code
    return dict(error)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- Schema and docs ------------------------------------------------------------------------------------------


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        for value in node.values():
            found += _refs(value)
        return found
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


@pytest.mark.django_db
def test_openapi_is_a_valid_openapi_3_document() -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    operation_ids = []
    for path, item in doc["paths"].items():
        assert path.startswith("/api/")
        for method, op in item.items():
            assert method in methods
            assert op["responses"], f"{method} {path} documents no response"
            operation_ids.append(op["operationId"])
            for param in op.get("parameters", []):
                assert param["in"] in {"query", "header", "path", "cookie"}
                if param["in"] == "path":
                    assert param["required"] is True
    assert len(operation_ids) == len(set(operation_ids))
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas, ref
    assert {"TokenAuth", "SessionAuth"} <= set(doc["components"]["securitySchemes"])
    for path in ("/api/regions", "/api/organizations", "/api/me", "/api/me/tokens", "/api/residents"):
        assert path in doc["paths"]


@pytest.mark.django_db
def test_docs_page_is_self_hosted() -> None:
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    # nothing from another host: every src/href is a local path
    for url in re.findall(r"""(?:src|href)=["']([^"']+)["']""", html):
        assert url.startswith("/"), url
    assert "//" not in "".join(re.findall(r"""(?:src|href)=["']([^"']+)["']""", html))
    assert "cdn" not in html.lower()
    settings_json = re.search(
        r'<script type="application/json" id="swagger-settings">(.*?)</script>', html, re.S
    )
    assert settings_json is not None
    assert json.loads(settings_json.group(1))["validatorUrl"] is None  # no call to an outside validator


@pytest.mark.django_db
def test_docs_static_files_are_served_locally() -> None:
    from django.contrib.staticfiles import finders

    for name in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js"):
        assert finders.find(name), name


@pytest.mark.django_db
@override_settings(GONGZHI_API_DOCS_PUBLIC=False)
def test_docs_and_schema_are_staff_only_when_not_public(city: City, dept_clerk: User) -> None:
    for url in ("/api/docs", "/api/openapi.json"):
        assert_error(Client().get(url), 404, "not_found")
        assert_error(login(dept_clerk).get(url), 404, "not_found")
    staff = services.create_user(actor=None, username="ops", password="Staff-pass-2026", is_staff=True)
    assert login(staff).get("/api/docs").status_code == 200
    assert login(staff).get("/api/openapi.json").status_code == 200


# --- Error shape ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_on_private_endpoints_gets_401_in_the_error_shape() -> None:
    client = Client()
    for url in ("/api/me", "/api/me/tokens", "/api/me/memberships", "/api/residents", "/api/residents/1"):
        response = client.get(url)
        assert_error(response, 401, "unauthenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.post("/api/me/tokens", {"name": "x"}, content_type="application/json"), 401)
    assert_error(client.delete("/api/me/tokens/1"), 401)
    assert_error(client.post("/api/residents/1/reveal"), 401)


@pytest.mark.django_db
def test_unknown_api_url_and_wrong_method_use_the_error_shape(dept_clerk: User) -> None:
    client = login(dept_clerk)
    assert_error(client.get("/api/no-such-thing"), 404, "not_found")
    assert_error(client.get("/api/"), 404, "not_found")
    response = client.put("/api/me", "{}", content_type="application/json")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.django_db
def test_body_that_is_not_json_gets_415(dept_clerk: User) -> None:
    client = login(dept_clerk)
    response = client.post(
        "/api/me/tokens",
        "name=x",
        content_type="application/x-www-form-urlencoded",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    error = assert_error(response, 415, "unsupported_media_type")
    assert "Content-Type" in error["fields"]
    response = client.post("/api/me/tokens", "<a/>", content_type="text/xml", HTTP_IDEMPOTENCY_KEY="k2")
    assert_error(response, 415)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_malformed_json_gets_400(dept_clerk: User) -> None:
    response = login(dept_clerk).post(
        "/api/me/tokens", "{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert_error(response, 400, "malformed_json")
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_validation_errors_list_fields_by_path(dept_clerk: User) -> None:
    client = login(dept_clerk)
    response = client.post(
        "/api/me/tokens", {"name": ""}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    error = assert_error(response, 422, "invalid")
    assert set(error["fields"]) == {"name"}
    assert " / " in error["fields"]["name"]
    response = client.post("/api/me/tokens", {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k2")
    assert assert_error(response, 422)["fields"]["name"].startswith("必填")
    error = assert_error(client.get("/api/residents/abc"), 422)
    assert "resident_id" in error["fields"]
    # ids beyond 64 bits or below 1 are refused before they reach the database
    for bad in ("99999999999999999999", "0", "-1"):
        assert "resident_id" in assert_error(client.get(f"/api/residents/{bad}"), 422)["fields"]
    # a body that is not an object
    response = client.post(
        "/api/me/tokens", "[1, 2]", content_type="application/json", headers={"Idempotency-Key": "k3"}
    )
    assert set(assert_error(response, 422)["fields"]) == {"__all__"}
    response = client.post(
        "/api/me/tokens", {"name": 5}, content_type="application/json", headers={"Idempotency-Key": "k4"}
    )
    assert assert_error(response, 422)["fields"]["name"].startswith("须为文本")
    response = client.post(
        "/api/me/tokens",
        {"name": "a\u0000b"},
        content_type="application/json",
        headers={"Idempotency-Key": "k5"},
    )
    assert assert_error(response, 422)["fields"] == {"name": "invalid"}
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_domain_errors_keep_their_status_code_and_fields(dept_clerk: User) -> None:
    client = login(dept_clerk)
    token, _ = services.create_api_token(actor=dept_clerk, user=dept_clerk, name="t")
    client.delete(f"/api/me/tokens/{token.pk}")
    error = assert_error(client.delete(f"/api/me/tokens/{token.pk}"), 409, "conflict")
    assert error["message"] == "该令牌已撤销 / The token is already revoked"


def test_django_validation_and_permission_errors_use_the_shape() -> None:
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.test import RequestFactory

    from gongzhi.api import api

    request = RequestFactory().get("/api/x")
    response = api.on_exception(request, ValidationError({"size": ["须为1到30 / must be 1–30"]}))
    assert json.loads(response.content)["error"]["fields"] == {"size": "须为1到30 / must be 1–30"}
    assert response.status_code == 422
    response = api.on_exception(request, ValidationError("不对 / wrong"))
    assert json.loads(response.content)["error"]["fields"] == {"__all__": "不对 / wrong"}
    response = api.on_exception(request, PermissionDenied())
    assert response.status_code == 403
    assert json.loads(response.content)["error"]["code"] == "forbidden"


# --- Authentication -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_session_auth_needs_csrf_for_unsafe_methods(dept_clerk: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(dept_clerk)
    assert client.get("/api/me").status_code == 200  # safe method: no token needed
    response = client.post(
        "/api/me/tokens", {"name": "x"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert_error(response, 403, "forbidden")
    assert not ApiToken.objects.exists()
    # with the CSRF cookie and header it goes through
    client.get("/account/tokens/")
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        "/api/me/tokens",
        {"name": "x"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 201
    assert ApiToken.objects.filter(user=dept_clerk).count() == 1


@pytest.mark.django_db
def test_token_auth_works_without_csrf_and_updates_last_used(dept_clerk: User) -> None:
    token, plaintext = services.create_api_token(actor=dept_clerk, user=dept_clerk, name="ci")
    assert token.last_used_at is None
    client = Client(enforce_csrf_checks=True)
    response = client.get("/api/me", headers=bearer(plaintext))
    assert response.status_code == 200
    assert response.json()["username"] == "clerk"
    token.refresh_from_db()
    assert token.last_used_at is not None
    response = client.post(
        "/api/me/tokens",
        {"name": "second"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
        headers=bearer(plaintext),
    )
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store" or "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_revoked_token_is_refused_at_once(dept_clerk: User) -> None:
    token, plaintext = services.create_api_token(actor=dept_clerk, user=dept_clerk, name="ci")
    client = Client()
    assert client.get("/api/me", headers=bearer(plaintext)).status_code == 200
    services.revoke_api_token(actor=dept_clerk, token=token)
    error = assert_error(client.get("/api/me", headers=bearer(plaintext)), 401, "unauthenticated")
    assert "令牌" in error["message"]


@pytest.mark.django_db
def test_bad_tokens_are_refused(dept_clerk: User) -> None:
    token, plaintext = services.create_api_token(actor=dept_clerk, user=dept_clerk, name="ci")
    client = Client()
    wrong_secret = plaintext[:-4] + ("AAAA" if not plaintext.endswith("AAAA") else "BBBB")
    for value in (wrong_secret, "gz_00000000_secret", "nonsense", f"gz_{token.prefix}_", token.digest):
        assert_error(client.get("/api/me", headers=bearer(value)), 401, "unauthenticated")
    # a bad token is refused even when a valid session comes with it
    session = login(dept_clerk)
    assert_error(session.get("/api/me", headers=bearer(wrong_secret)), 401)


@pytest.mark.django_db
def test_token_of_a_deactivated_user_is_refused(dept_clerk: User) -> None:
    _, plaintext = services.create_api_token(actor=dept_clerk, user=dept_clerk, name="ci")
    services.deactivate_user(actor=dept_clerk, user=dept_clerk)
    assert_error(Client().get("/api/me", headers=bearer(plaintext)), 401)


@pytest.mark.django_db
def test_token_is_stored_only_as_a_mac(dept_clerk: User) -> None:
    token, plaintext = services.create_api_token(actor=dept_clerk, user=dept_clerk, name="ci")
    prefix, secret = plaintext.split("_", 2)[1:]
    assert prefix == token.prefix
    assert secret not in token.digest
    assert plaintext.startswith("gz_")
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(secret not in str(value) for value in row.values())


# --- /api/me ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_me_shows_the_masked_phone(community_director: User) -> None:
    response = login(community_director).get("/api/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "director"
    assert body["phone_masked"] == "137****7000"
    assert "13700137000" not in response.content.decode()
    assert "password" not in body
