"""Small builders for the duties tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from gongzhi.duties import services
from gongzhi.duties.models import ListEdition
from gongzhi.orgs.models import Region


def item(code: str, kind: str = "statutory", title: str | None = None, **kw: Any) -> services.ItemData:
    return services.ItemData(
        kind=kind, code=code, title=title or f"事项{code}", source=kw.pop("source", "测试来源"), **kw
    )


def edition(
    scope: Region,
    items: list[services.ItemData] | None = None,
    *,
    publish: bool = False,
    title: str = "测试清单",
    effective_from: date = date(2024, 1, 1),
    **kw: Any,
) -> ListEdition:
    data = services.EditionData(title=title, effective_from=effective_from, **kw)
    ed = services.create_edition_with_items(
        actor=None, scope=scope, data=data, items=items if items is not None else [item("S-01")]
    )
    if publish:
        services.publish_edition(actor=None, edition=ed)
        ed.refresh_from_db()
    return ed
