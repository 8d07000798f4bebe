"""API schemas of the lists: editions, items, diffs and the matcher."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from gongzhi.core.api_support import ID_MAX, StrictSchema
from gongzhi.duties.matcher import MAX_TEXT
from gongzhi.duties.models import ListItem
from gongzhi.orgs.schemas import RegionRef


class EditionOut(Schema):
    id: int
    title: str
    scope: RegionRef
    doc_number: str
    issuing_body: str
    approved_on: date | None
    effective_from: date | None
    effective_to: date | None
    status: str
    status_label: str
    is_sample: bool
    note: str
    published_at: datetime | None
    item_count: int
    counts: dict[str, int] = Field(description="各类别事项数 / items per kind")


class EditionList(Schema):
    count: int
    results: list[EditionOut]


class EditionFilter(Schema):
    scope: str | None = Field(None, max_length=20, description="适用范围区划代码 / the scope's region code")
    status: Literal["published", "superseded"] | None = Field(None, description="状态 / status")


class DepartmentRef(Schema):
    id: int
    name: str


class ItemOut(Schema):
    id: int
    edition_id: int
    code: str
    kind: str
    kind_label: str
    category: str
    title: str
    description: str
    legal_basis: str
    department: DepartmentRef | None
    funding_fen: int = Field(description="每个社区年度经费标准(分) / annual funding per community, fen")
    keywords: list[str]
    source: str
    score: float | None = Field(None, description="搜索相关度0–1 / search relevance 0–1 (with q)")


class ItemPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ItemOut]


class ItemFilter(Schema):
    kind: ListItem.Kind | None = Field(None, description="类别 / kind")
    q: str | None = Field(None, max_length=200, description="中文全文检索 / full-text search")
    edition: int | None = Field(
        None, ge=1, le=ID_MAX, description="清单版本id;默认现行清单 / edition id; default: the lists in force"
    )
    community: str | None = Field(
        None,
        max_length=20,
        description="社区区划代码:含所在区的补充清单 / community code: adds its district's list",
    )


class DiffItem(Schema):
    code: str
    kind: str
    title: str


class DiffChange(Schema):
    code: str
    old_code: str
    fields: list[str]
    old: dict[str, object]
    new: dict[str, object]


class DiffOut(Schema):
    old: int
    new: int
    added: list[DiffItem]
    removed: list[DiffItem]
    changed: list[DiffChange]
    unchanged: int
    counts: dict[str, dict[str, int]]
    community_work: dict[str, int] = Field(
        description="社区承担的事项(依法履职+协助+可出具证明) / community work items, old and new"
    )


class MatchIn(StrictSchema):
    text: str = Field(..., min_length=1, max_length=MAX_TEXT, description="任务文本 / the task text")
    edition: int | None = Field(None, ge=1, le=ID_MAX, description="清单版本id;默认现行清单 / edition id")
    community: str | None = Field(None, max_length=20, description="社区区划代码 / community region code")


class MatchItem(Schema):
    code: str
    kind: str
    title: str
    score: float


class MatchOut(Schema):
    verdict: Literal["statutory", "assisting", "excluded", "unlisted"]
    matches: list[MatchItem]
    flags: list[Literal["plaque", "report_form", "inspection_ranking", "certificate"]]
    reason: str
