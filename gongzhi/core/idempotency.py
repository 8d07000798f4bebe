"""Idempotency-Key for creating POSTs (security.md RL-2; Stripe's idempotent requests; IETF
draft-ietf-httpapi-idempotency-key-header).

A client sends `Idempotency-Key: <up to 200 printable ASCII characters>` with a creating POST. The key, a hash of
the request and the response are stored in `IdempotencyRecord` **in the same transaction as the effect**, per user:

- the first request runs the endpoint and stores its 2xx reply (the body SM4-encrypted, as it may hold personal
  data or, for a new API token, the secret shown once);
- a replay (same user, key, method, path and body) gets the stored reply, same status and body, with the header
  `Idempotent-Replayed: true`, and nothing runs again;
- the same key with another body, method or path → 422 `idempotency_key_reused`;
- the same key while the first request is still running → 409 `idempotency_in_flight` (on PostgreSQL the second
  insert waits for the first to commit, then fails the unique constraint; SQLite's BEGIN IMMEDIATE runs the two
  one after the other, so the second is a replay);
- a missing key → 400 `idempotency_key_required` (unless the endpoint says `required=False`);
- a reply that is not 2xx is not stored: errors roll back the effect and the record, so the client may retry
  with the same key. Another user's identical key is a different record: it neither replays nor conflicts.

How an app uses it (django-ninja endpoint; the view returns a Schema instance or an HttpResponse):

    from gongzhi.core.idempotency import idempotent

    @router.post("/things", response={201: ThingOut}, by_alias=True)
    @idempotent(status=201)
    def create_thing(request: HttpRequest, payload: ThingIn) -> ThingOut:
        thing = services.create_thing(actor=current_user(request), **payload.dict())
        return ThingOut.from_orm(thing)

`@idempotent` adds the `Idempotency-Key` header parameter to the endpoint's signature, so it shows in the
OpenAPI schema as required. Code that is not a ninja endpoint can call `run(request, user, effect)` directly.
Records are kept at least `IDEMPOTENCY_TTL` (24 hours); `purge_expired()` removes older ones.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja.params.functions import Header
from ninja.signature.utils import get_typed_signature
from pydantic import BaseModel

from gongzhi.core import crypto
from gongzhi.core.errors import Conflict, DomainError, ValidationFailed
from gongzhi.core.models import IdempotencyRecord, User

HEADER = "Idempotency-Key"
KEY_RE = re.compile(r"[\x21-\x7e]{1,200}")
IDEMPOTENCY_TTL = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"
_PARAM = "idempotency_key"

F = TypeVar("F", bound=Callable[..., Any])


class MissingKey(DomainError):
    status = 400
    code = "idempotency_key_required"


class BadKey(DomainError):
    status = 400
    code = "idempotency_key_invalid"


def request_hash(request: HttpRequest) -> str:
    """SM3 over method, path with query and the body (JSON re-serialized with sorted keys, so that key order and
    whitespace do not count as a different request)."""
    body = request.body
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        canonical = body
    head = f"{request.method}\n{request.get_full_path()}\n".encode()
    return crypto.sm3_hex(head + canonical)


def _replay(record: IdempotencyRecord, request: HttpRequest, digest: str) -> HttpResponse:
    if (
        record.request_hash != digest
        or record.method != request.method
        or record.path != request.get_full_path()[:300]
    ):
        raise ValidationFailed(
            "该 Idempotency-Key 已用于另一个请求 / This Idempotency-Key was used for a different request",
            code="idempotency_key_reused",
            fields={HEADER: "reused"},
        )
    if record.status_code is None or record.response_body is None:
        raise Conflict(
            "使用该 Idempotency-Key 的请求正在处理 / A request with this Idempotency-Key is in progress",
            code="idempotency_in_flight",
            fields={HEADER: "in_flight"},
        )
    body = crypto.decrypt(bytes(record.response_body))
    response = HttpResponse(body.encode(), status=record.status_code, content_type="application/json")
    response[REPLAYED_HEADER] = "true"
    return response


def run(
    request: HttpRequest,
    user: User,
    effect: Callable[[], HttpResponse],
    *,
    key: str | None = None,
    required: bool = True,
) -> HttpResponse:
    """Run `effect` at most once per (user, Idempotency-Key); see the module docstring."""
    if key is None:
        key = request.headers.get(HEADER)
    if key is None or key == "":
        if required:
            raise MissingKey(
                "缺少 Idempotency-Key 请求头 / The Idempotency-Key header is required",
                fields={HEADER: "required"},
            )
        with transaction.atomic():
            return effect()
    if not KEY_RE.fullmatch(key):
        raise BadKey(
            "Idempotency-Key 须为1至200个可见ASCII字符 / Idempotency-Key must be 1–200 printable ASCII characters",
            fields={HEADER: "invalid"},
        )
    digest = request_hash(request)
    with transaction.atomic():
        existing = (
            IdempotencyRecord.objects.select_for_update(of=("self",)).filter(user=user, key=key).first()
        )
        if existing is not None and existing.created_at < timezone.now() - IDEMPOTENCY_TTL:
            existing.delete()
            existing = None
        if existing is not None:
            return _replay(existing, request, digest)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user,
                    key=key,
                    method=request.method or "",
                    path=request.get_full_path()[:300],
                    request_hash=digest,
                )
        except IntegrityError as exc:
            raise Conflict(
                "使用该 Idempotency-Key 的请求正在处理 / A request with this Idempotency-Key is in progress",
                code="idempotency_in_flight",
                fields={HEADER: "in_flight"},
            ) from exc
        response = effect()
        if 200 <= response.status_code < 300:
            record.status_code = response.status_code
            record.response_body = crypto.encrypt(response.content.decode())
            record.save(update_fields=["status_code", "response_body"])
        else:
            record.delete()
        return response


def _as_response(result: Any, status: int) -> HttpResponse:
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, HttpResponseBase):
        raise TypeError("idempotent endpoints cannot stream their response")
    if isinstance(result, BaseModel):
        body = result.model_dump_json(by_alias=True)
    else:
        raise TypeError("an @idempotent endpoint returns a Schema instance or an HttpResponse")
    return HttpResponse(body.encode(), status=status, content_type="application/json")


def idempotent(*, status: int = 201, required: bool = True) -> Callable[[F], F]:
    """Decorator for a ninja endpoint (put it below `@router.post(...)`): adds the Idempotency-Key header
    parameter and runs the endpoint through `run()`."""

    def decorate(view: F) -> F:
        signature = get_typed_signature(view)
        header_param = inspect.Parameter(
            _PARAM,
            inspect.Parameter.KEYWORD_ONLY,
            default=Header(
                ... if required else None,
                alias=HEADER,
                description="幂等键:重放返回首次的响应 / Idempotency key: a replay returns the first response",
                max_length=200,
            ),
            annotation=str if required else (str | None),
        )

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            key = kwargs.pop(_PARAM, None)
            user = cast(User, request.auth)  # type: ignore[attr-defined]
            return run(
                request,
                user,
                lambda: _as_response(view(request, *args, **kwargs), status),
                key=key,
                required=required,
            )

        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), header_param]
        )
        return cast(F, wrapper)

    return decorate


@transaction.atomic
def purge_expired(*, now: Any = None) -> int:
    """Delete records older than IDEMPOTENCY_TTL. Returns how many were removed."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
