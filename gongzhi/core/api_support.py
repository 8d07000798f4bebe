"""Shared pieces of the JSON API: the one error shape, authentication (session or personal token), the JSON-only
body parser, pagination, and the gate in front of the API docs.

Every 4xx the API answers has the shape {"error": {"code": …, "message": "中文 / English", "fields": {…}}}:
domain errors, validation errors, authentication and permission failures, unknown URLs under /api/, a wrong
method (405) and a body that is not JSON (415).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.params.functions import Path as PathParam
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from pydantic import ConfigDict, Field

from gongzhi.core import crypto
from gongzhi.core.errors import DomainError
from gongzhi.core.models import ApiToken, User

API_PREFIX = "/api/"
TOKEN_PREFIX = "gz"
ID_MAX = 2**63 - 1  # ids beyond a signed 64-bit integer are refused (422) before they reach the database

# Default code and message per status, used when the exception does not bring its own.
_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求有误 / Bad request"),
    401: ("unauthenticated", "请先登录或提供有效的API令牌 / Authentication required"),
    403: ("forbidden", "无权执行此操作 / You may not do this"),
    404: ("not_found", "未找到 / Not found"),
    405: ("method_not_allowed", "不支持该请求方法 / Method not allowed"),
    406: ("not_acceptable", "无法提供所要求的格式 / Not acceptable"),
    409: ("conflict", "与当前状态冲突 / Conflict with the current state"),
    413: ("too_large", "请求体过大 / Request body too large"),
    415: (
        "unsupported_media_type",
        "请求体须为 application/json / The request body must be application/json",
    ),
    422: ("invalid", "提交的数据有误 / The submitted data is invalid"),
    429: ("throttled", "请求过于频繁,请稍后再试 / Too many requests; try again later"),
}

# pydantic error types → the Chinese half of a field message.
_FIELD_ZH: dict[str, str] = {
    "missing": "必填",
    "extra_forbidden": "不接受此字段",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "string_type": "须为文本",
    "bool_parsing": "须为 true 或 false",
    "string_too_long": "过长",
    "string_too_short": "过短",
    "too_long": "过长",
    "too_short": "过短",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "json_invalid": "JSON 格式错误",
    "model_attributes_type": "须为对象",
    "dict_type": "须为对象",
    "list_type": "须为列表",
}


def error_payload(
    status: int, message: str | None = None, *, code: str | None = None, fields: dict[str, str] | None = None
) -> dict[str, Any]:
    default_code, default_message = _DEFAULTS.get(status, ("error", "请求失败 / Request failed"))
    return {
        "error": {
            "code": code or default_code,
            "message": message or default_message,
            "fields": fields or {},
        }
    }


def error_response(
    status: int, message: str | None = None, *, code: str | None = None, fields: dict[str, str] | None = None
) -> JsonResponse:
    return JsonResponse(
        error_payload(status, message, code=code, fields=fields),
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(Schema):
    """The one error shape of every 4xx reply."""

    error: ErrorBody


# The error responses every endpoint documents (one shape for all of them: ErrorOut).
ERRORS: dict[int, type[ErrorOut]] = {status: ErrorOut for status in (400, 401, 403, 404, 409, 415, 422)}


def _bilingual(status: int, message: str) -> str:
    """Keep a message that is already "中文 / English"; prefix ninja's English-only ones with the Chinese default."""
    if " / " in message:
        return message
    zh = _DEFAULTS.get(status, ("", "请求失败 / Request failed"))[1].split(" / ")[0]
    return f"{zh} / {message}"


# --- Exception handlers -----------------------------------------------------------------------------------


class UnsupportedMediaType(Exception):
    """The request has a body that is not JSON."""


def _field_path(loc: Sequence[Any]) -> str:
    """('body', 'payload', 'name') → 'name'; ('query', 'kind') → 'kind'; ('header', 'Idempotency-Key') → the
    header name. The source and ninja's parameter name are dropped so that the path reads like the JSON sent."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "form", "file"):
        parts = parts[2:]  # the body as a whole (not an object, say) reads "__all__"
    elif parts and parts[0] in ("query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def validation_fields(errors: Sequence[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in errors:
        path = _field_path(err.get("loc", ()))
        zh = _FIELD_ZH.get(str(err.get("type", "")), "取值无效")
        fields.setdefault(path, f"{zh} / {err.get('msg', 'invalid')}")
    return fields


def _ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = validation_fields(exc.errors)
    # A missing Idempotency-Key is a malformed request (400), not invalid data (security.md RL-2).
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ())]
        if err.get("type") == "missing" and loc[:1] == ["header"] and loc[-1].lower() == "idempotency-key":
            return error_response(
                400,
                "缺少 Idempotency-Key 请求头 / The Idempotency-Key header is required",
                code="idempotency_key_required",
                fields=fields,
            )
    return error_response(422, fields=fields)


def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, UnsupportedMediaType):
        return error_response(415, fields={"Content-Type": str(cause) or "missing"})
    if exc.status_code == 400 and cause is not None:
        return error_response(
            400, "请求体不是有效的 JSON / The request body is not valid JSON", code="malformed_json"
        )
    response = error_response(exc.status_code, _bilingual(exc.status_code, exc.message))
    if exc.status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="gongzhi"'
    return response


def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message if " / " in exc.message else None
    response = error_response(401, message)
    response["WWW-Authenticate"] = 'Bearer realm="gongzhi"'
    return response


def _authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return error_response(403, _bilingual(403, exc.message) if exc.message != "Forbidden" else None)


def _http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404)


def _django_permission_denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    message = str(exc)
    return error_response(403, message if " / " in message else None)


def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = {name: " ".join(messages) for name, messages in exc.message_dict.items()}
    else:
        fields = {"__all__": " ".join(exc.messages)}
    return error_response(422, fields=fields)


def install_error_handlers(api: NinjaAPI) -> None:
    """Map every error the API can raise to the one shape. Unexpected exceptions still reach Django's 500
    handler (no traceback leaves the server)."""
    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (DomainError, _domain_error),
        (NinjaValidationError, _ninja_validation),
        (AuthenticationError, _authentication_error),
        (AuthorizationError, _authorization_error),
        (HttpError, _http_error),
        (Http404, _http404),
        (DjangoPermissionDenied, _django_permission_denied),
        (DjangoValidationError, _django_validation),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


# --- Request bodies -----------------------------------------------------------------------------------------


class JsonOnlyParser(Parser):
    """Bodies are JSON or nothing: anything else is refused with 415 (security.md IN-3)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        content_type = (request.content_type or "").lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(content_type)
        return cast(dict[str, Any], json.loads(request.body))


class StrictSchema(Schema):
    """Input schemas refuse fields they do not know (no mass assignment: security.md AC-3)."""

    model_config = ConfigDict(extra="forbid")


# --- Authentication -----------------------------------------------------------------------------------------


def parse_token(value: str) -> tuple[str, str] | None:
    """'gz_<prefix>_<secret>' → (prefix, secret); anything else → None."""
    parts = value.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def user_for_token(value: str) -> tuple[User, ApiToken] | None:
    """The active user behind an unrevoked token, or None. The secret is checked in constant time."""
    from gongzhi.core.services import record_api_token_use

    parsed = parse_token(value)
    if parsed is None:
        return None
    prefix, secret = parsed
    token = ApiToken.objects.select_related("user").filter(prefix=prefix[:12]).first()
    if token is None:
        crypto.mac("token", secret.encode())  # same work for unknown prefixes
        return None
    if not crypto.verify_mac("token", secret.encode(), token.digest):
        return None
    if token.revoked_at is not None or not token.user.is_active:
        return None
    record_api_token_use(token=token)
    return token.user, token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer gz_<prefix>_<secret>`. A header that carries a bad or revoked token is refused
    at once (401); no header lets the session auth try."""

    def __call__(self, request: HttpRequest) -> User | None:
        header = request.headers.get(self.header)
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, value)

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = user_for_token(token)
        if found is None:
            raise AuthenticationError(
                401, "API令牌无效、已撤销或账号已停用 / The API token is invalid or revoked"
            )
        user, api_token = found
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in session, for the pages' own calls. Unsafe methods must carry the CSRF token."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise AuthorizationError(403, "CSRF 校验失败 / CSRF check failed")
        return cast(User, user)


def object_id(description: str = "id") -> Any:
    """A path parameter holding a primary key: a positive 64-bit integer, else 422."""
    return PathParam(..., ge=1, le=ID_MAX, description=description)


def current_user(request: HttpRequest) -> User:
    """The authenticated user of an API request (session or token)."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


# --- Pagination ---------------------------------------------------------------------------------------------

M = TypeVar("M", bound=Model)


class PageParams(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="页码,从1开始 / page number, from 1")
    page_size: int = Field(
        50, ge=1, description="每页条数,超过上限按上限 / items per page, clamped to API_MAX_PAGE_SIZE"
    )


def paginate(queryset: QuerySet[M], params: PageParams) -> dict[str, Any]:
    size = min(params.page_size, int(settings.API_MAX_PAGE_SIZE))
    start = (params.page - 1) * size
    return {
        "count": queryset.count(),
        "page": params.page,
        "page_size": size,
        "results": list(queryset[start : start + size]),
    }


# --- Docs gate and the error-shape middleware ---------------------------------------------------------------

V = TypeVar("V", bound=Callable[..., HttpResponse])


def docs_visible(request: HttpRequest) -> bool:
    """API docs and schema: public unless settings say otherwise (production); then staff only, and verified by
    OTP when the OTP middleware is installed."""
    if settings.GONGZHI_API_DOCS_PUBLIC:
        return True
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else True


def docs_gate(view: V) -> V:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not docs_visible(request):
            return error_response(404)
        if request.method not in ("GET", "HEAD"):  # read-only pages: the URL gate refuses other methods
            response = error_response(405)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return cast(V, wrapped)


class ApiErrorShapeMiddleware:
    """Under /api/, a 4xx that did not come from the API's own handlers (an unknown URL, a wrong method) gets the
    error shape too, and no API reply is cached (they carry personal data)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX):
            return response
        content_type = response.get("Content-Type", "")
        if 400 <= response.status_code < 500 and not content_type.startswith("application/json"):
            shaped = error_response(response.status_code)
            for header in ("Allow", "WWW-Authenticate", "Retry-After"):
                if header in response:
                    shaped[header] = response[header]
            response = shaped
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response
