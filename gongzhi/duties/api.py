"""The lists' JSON endpoints (under /api/duties/).

Public (no sign-in): published and superseded editions, their diffs and items (with Chinese full-text search).
Signed in (session or token): the matcher, POST /api/duties/match.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest
from ninja import Query, Router
from ninja.params.functions import Query as QueryParam

from gongzhi.core.api_support import ID_MAX, ErrorOut, PageParams, current_user, object_id
from gongzhi.core.errors import NotFound, ValidationFailed
from gongzhi.duties import matcher, permissions, queries
from gongzhi.duties.models import ListEdition, ListItem, split_keywords
from gongzhi.duties.schemas import (
    DiffOut,
    EditionFilter,
    EditionList,
    EditionOut,
    ItemFilter,
    ItemPage,
    MatchIn,
    MatchOut,
)
from gongzhi.orgs.models import Region

public_router = Router(tags=["duties"])
router = Router(tags=["duties"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
PUBLIC_STATUSES = (ListEdition.Status.PUBLISHED, ListEdition.Status.SUPERSEDED)
SEARCH_LIMIT = 500


def _edition_out(edition: ListEdition, counts: dict[str, int]) -> dict[str, Any]:
    scope = edition.scope
    return {
        "id": edition.pk,
        "title": edition.title,
        "scope": {"id": scope.pk, "name": scope.name, "kind": scope.kind, "code": scope.code},
        "doc_number": edition.doc_number,
        "issuing_body": edition.issuing_body,
        "approved_on": edition.approved_on,
        "effective_from": edition.effective_from,
        "effective_to": edition.effective_to,
        "status": edition.status,
        "status_label": str(edition.get_status_display()),
        "is_sample": edition.is_sample,
        "note": edition.note,
        "published_at": edition.published_at,
        "item_count": sum(counts.values()),
        "counts": counts,
    }


def _counts(edition_ids: list[int]) -> dict[int, dict[str, int]]:
    rows = (
        ListItem.objects.filter(edition_id__in=edition_ids)
        .values("edition_id", "kind")
        .annotate(n=Count("id"))
    )
    found: dict[int, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row["edition_id"], {})[row["kind"]] = row["n"]
    return found


def _item_out(item: ListItem, score: float | None = None) -> dict[str, Any]:
    return {
        "id": item.pk,
        "edition_id": item.edition_id,
        "code": item.code,
        "kind": item.kind,
        "kind_label": str(item.get_kind_display()),
        "category": item.category,
        "title": item.title,
        "description": item.description,
        "legal_basis": item.legal_basis,
        "department": {"id": item.department.pk, "name": item.department.name} if item.department else None,
        "funding_fen": item.funding_fen,
        "keywords": split_keywords(item.keywords),
        "source": item.source,
        "score": round(score, 4) if score is not None else None,
    }


def _public_edition(pk: int) -> ListEdition:
    edition = ListEdition.objects.select_related("scope").filter(pk=pk, status__in=PUBLIC_STATUSES).first()
    if edition is None:
        raise NotFound("未找到该清单版本 / list edition not found")
    return edition


def _community(code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationFailed("未知的区划代码 / unknown region code", fields={"community": "unknown"})
    return region


@public_router.get(
    "/editions",
    response={200: EditionList, **ERRORS},
    url_name="duties_editions",
    summary="清单版本(已发布和已替代) / list editions (published and superseded)",
)
def list_editions(request: HttpRequest, filters: Query[EditionFilter]) -> dict[str, Any]:
    qs = ListEdition.objects.filter(status__in=PUBLIC_STATUSES).select_related("scope")
    if filters.scope:
        qs = qs.filter(scope__code=filters.scope)
    if filters.status:
        qs = qs.filter(status=filters.status)
    editions = list(qs.order_by("scope__code", "-effective_from", "-id"))
    counts = _counts([e.pk for e in editions])
    return {"count": len(editions), "results": [_edition_out(e, counts.get(e.pk, {})) for e in editions]}


@public_router.get(
    "/editions/{edition_id}",
    response={200: EditionOut, **ERRORS},
    url_name="duties_edition",
    summary="一个清单版本 / one edition",
)
def get_edition(request: HttpRequest, edition_id: int = object_id()) -> dict[str, Any]:
    edition = _public_edition(edition_id)
    return _edition_out(edition, _counts([edition.pk]).get(edition.pk, {}))


@public_router.get(
    "/editions/{edition_id}/diff",
    response={200: DiffOut, **ERRORS},
    url_name="duties_diff",
    summary="与上一版(或against指定版本)的差异 / changes since the previous edition (or `against`)",
)
def edition_diff(
    request: HttpRequest,
    edition_id: int = object_id(),
    against: int | None = QueryParam(None, ge=1, le=ID_MAX),
) -> dict[str, Any]:
    edition = _public_edition(edition_id)
    old = _public_edition(against) if against is not None else queries.previous_edition(edition)
    if old is None:
        raise NotFound("没有可比较的上一版 / there is no earlier edition to compare with")
    return queries.diff_editions(old, edition).as_dict()


@public_router.get(
    "/items",
    response={200: ItemPage, **ERRORS},
    url_name="duties_items",
    summary="清单事项(默认现行清单),可按类别筛选和全文检索 / list items, by kind and full-text search",
)
def list_items(request: HttpRequest, filters: Query[ItemFilter], paging: Query[PageParams]) -> dict[str, Any]:
    if filters.edition is not None:
        editions = [_public_edition(filters.edition)]
    else:
        editions = queries.current_editions(_community(filters.community) if filters.community else None)
    qs = queries.items_in(editions)
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    size = min(paging.page_size, int(settings.API_MAX_PAGE_SIZE))
    start = (paging.page - 1) * size
    q = (filters.q or "").strip()
    if q:
        scores = dict(matcher.search(q, editions, limit=SEARCH_LIMIT))
        found = {i.pk: i for i in qs.filter(pk__in=scores)}
        ranked = sorted(found.values(), key=lambda i: (-scores[i.pk], i.code))
        page = ranked[start : start + size]
        return {
            "count": len(ranked),
            "page": paging.page,
            "page_size": size,
            "results": [_item_out(i, scores[i.pk]) for i in page],
        }
    return {
        "count": qs.count(),
        "page": paging.page,
        "page_size": size,
        "results": [_item_out(i) for i in qs[start : start + size]],
    }


@router.post(
    "/match",
    response={200: MatchOut, **ERRORS},
    url_name="duties_match",
    summary="判定任务属于哪类清单事项 / match a task text against the lists",
)
def match_task(request: HttpRequest, payload: MatchIn) -> dict[str, Any]:
    user = current_user(request)
    if not payload.text.strip():
        raise ValidationFailed("任务文本为空 / the task text is empty", fields={"text": "blank"})
    edition = permissions.get_edition_for_user(user, payload.edition) if payload.edition is not None else None
    community = _community(payload.community) if payload.community else None
    return matcher.match(payload.text, edition, community=community).as_dict()
