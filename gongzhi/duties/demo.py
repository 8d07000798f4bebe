"""Demo seeding hook for the lists: the Tongling sample editions (see gongzhi.duties.sample).

`load(actor=...)` runs after gongzhi.orgs.demo (INSTALLED_APPS order). It looks the regions up by code and the
departments up by name; when the city is missing it creates nothing. It is idempotent: an edition whose scope
and document number already exist is left alone. Every write goes through gongzhi.duties.services.
"""

from __future__ import annotations

from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.duties import sample, services
from gongzhi.duties.models import ListEdition
from gongzhi.orgs.models import Organization, Region


def item_data(item: sample.SampleItem, city: Region | None) -> services.ItemData:
    department = None
    if item.department and city is not None:
        department = Organization.objects.filter(
            name=f"{city.name}{item.department}", kind=OrgKind.DEPARTMENT, is_active=True
        ).first()
    return services.ItemData(
        kind=item.kind,
        code=item.code,
        title=item.title,
        category=item.category,
        description=item.description,
        legal_basis=item.legal_basis,
        department=department,
        funding_fen=item.funding_yuan * 100,
        keywords=item.keywords,
        source=item.source,
    )


def edition_data(spec: sample.SampleEdition) -> services.EditionData:
    return services.EditionData(
        title=spec.title,
        doc_number=spec.doc_number,
        issuing_body=spec.issuing_body,
        approved_on=spec.approved_on,
        effective_from=spec.effective_from,
        note=spec.note,
        is_sample=True,
    )


def load(*, actor: User | None) -> dict[str, int]:
    city = Region.objects.filter(code=sample.CURRENT_CITY.scope_code).first()
    if city is None:
        return {"editions": 0}
    created = 0
    for spec in sample.EDITIONS:
        scope = Region.objects.filter(code=spec.scope_code).first()
        if scope is None or ListEdition.objects.filter(scope=scope, doc_number=spec.doc_number).exists():
            continue
        edition = services.create_edition_with_items(
            actor=actor,
            scope=scope,
            data=edition_data(spec),
            items=[item_data(i, city) for i in spec.items],
            via="demo",
        )
        created += 1
        current = ListEdition.objects.filter(scope=scope, status=ListEdition.Status.PUBLISHED).first()
        # publish unless a later edition is already current (then this older one stays a draft)
        if current is None or (current.effective_from or spec.effective_from) <= spec.effective_from:
            services.publish_edition(actor=actor, edition=edition)
    return {"editions": created}
