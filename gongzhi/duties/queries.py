"""Reads on the lists: the editions in force for a community, edition history, diffs and search."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import QuerySet

from gongzhi.duties.models import ListEdition, ListItem
from gongzhi.orgs.models import Region

# Fields compared by the diff (in this order on the page).
DIFF_FIELDS: tuple[str, ...] = (
    "kind",
    "title",
    "category",
    "description",
    "legal_basis",
    "department_id",
    "funding_fen",
    "keywords",
    "source",
)


def current_editions(community: Region | None = None) -> list[ListEdition]:
    """Published editions in force: for a region, its own and its ancestors' (city first); else every city's."""
    published = ListEdition.objects.filter(status=ListEdition.Status.PUBLISHED).select_related("scope")
    if community is None:
        return list(published.filter(scope__parent__isnull=True).order_by("scope__code"))
    chain = [community, *community.ancestors()]
    depth = {r.pk: n for n, r in enumerate(reversed(chain))}
    found = list(published.filter(scope_id__in=depth))
    return sorted(found, key=lambda e: depth[e.scope_id])


def items_in(editions: list[ListEdition]) -> QuerySet[ListItem]:
    return (
        ListItem.objects.filter(edition__in=editions)
        .select_related("edition", "edition__scope", "department")
        .order_by("edition__scope__code", "position", "id")
    )


def group_by_kind(items: list[ListItem]) -> list[tuple[str, str, list[ListItem]]]:
    """[(kind, label, items)] in the order of ListItem.Kind, empty kinds left out."""
    groups: dict[str, list[ListItem]] = {k: [] for k in ListItem.Kind.values}
    for item in items:
        groups[item.kind].append(item)
    return [(k, str(ListItem.Kind(k).label), v) for k, v in groups.items() if v]


def communities() -> list[tuple[Region, list[Region]]]:
    """[(district or county, its communities and villages)] for the community picker."""
    grassroots = Region.objects.filter(kind__in=[Region.Kind.COMMUNITY, Region.Kind.VILLAGE]).select_related(
        "parent", "parent__parent"
    )
    by_district: dict[int, tuple[Region, list[Region]]] = {}
    for region in grassroots.order_by("code"):
        district = region.parent
        while district is not None and district.kind not in (Region.Kind.DISTRICT, Region.Kind.COUNTY):
            district = district.parent
        if district is None:
            continue
        by_district.setdefault(district.pk, (district, []))[1].append(region)
    return sorted(by_district.values(), key=lambda pair: pair[0].code)


def previous_edition(edition: ListEdition) -> ListEdition | None:
    """The public edition of the same scope in force before this one."""
    earlier = ListEdition.objects.filter(
        scope_id=edition.scope_id, status__in=[ListEdition.Status.PUBLISHED, ListEdition.Status.SUPERSEDED]
    ).exclude(pk=edition.pk)
    if edition.published_at is not None:
        earlier = earlier.filter(published_at__lt=edition.published_at)
    return earlier.order_by("-published_at", "-id").first()


@dataclass
class ItemChange:
    old: ListItem
    new: ListItem
    fields: list[str]


@dataclass
class EditionDiff:
    old: ListEdition
    new: ListEdition
    added: list[ListItem] = field(default_factory=list)
    removed: list[ListItem] = field(default_factory=list)
    changed: list[ItemChange] = field(default_factory=list)
    unchanged: int = 0
    old_counts: dict[str, int] = field(default_factory=dict)
    new_counts: dict[str, int] = field(default_factory=dict)

    @property
    def old_community_work(self) -> int:
        return sum(self.old_counts.get(k, 0) for k in ListItem.COMMUNITY_WORK_KINDS)

    @property
    def new_community_work(self) -> int:
        return sum(self.new_counts.get(k, 0) for k in ListItem.COMMUNITY_WORK_KINDS)

    def kind_rows(self) -> list[tuple[str, str, int, int]]:
        return [
            (k, str(ListItem.Kind(k).label), self.old_counts.get(k, 0), self.new_counts.get(k, 0))
            for k in ListItem.Kind.values
            if self.old_counts.get(k) or self.new_counts.get(k)
        ]

    def as_dict(self) -> dict[str, object]:
        def brief(i: ListItem) -> dict[str, str]:
            return {"code": i.code, "kind": i.kind, "title": i.title}

        return {
            "old": self.old.pk,
            "new": self.new.pk,
            "added": [brief(i) for i in self.added],
            "removed": [brief(i) for i in self.removed],
            "changed": [
                {
                    "code": c.new.code,
                    "old_code": c.old.code,
                    "fields": c.fields,
                    "old": {f: _field_value(c.old, f) for f in c.fields},
                    "new": {f: _field_value(c.new, f) for f in c.fields},
                }
                for c in self.changed
            ],
            "unchanged": self.unchanged,
            "counts": {"old": self.old_counts, "new": self.new_counts},
            "community_work": {"old": self.old_community_work, "new": self.new_community_work},
        }


def _field_value(item: ListItem, name: str) -> object:
    if name == "department_id":
        return item.department.name if item.department else None
    return getattr(item, name)


def diff_editions(old: ListEdition, new: ListEdition) -> EditionDiff:
    """Items matched by code (then by identical title, for a renumbered item): added, removed, changed."""
    old_items = list(old.items.select_related("department").order_by("position", "id"))
    new_items = list(new.items.select_related("department").order_by("position", "id"))
    diff = EditionDiff(
        old=old,
        new=new,
        old_counts=dict(Counter(i.kind for i in old_items)),
        new_counts=dict(Counter(i.kind for i in new_items)),
    )
    old_by_code = {i.code: i for i in old_items}
    unmatched_new: list[ListItem] = []
    matched_old: set[int] = set()
    pairs: list[tuple[ListItem, ListItem]] = []
    for item in new_items:
        before = old_by_code.get(item.code)
        if before is None:
            unmatched_new.append(item)
        else:
            pairs.append((before, item))
            matched_old.add(before.pk)
    old_by_title = {i.title: i for i in old_items if i.pk not in matched_old}
    for item in unmatched_new:
        before = old_by_title.pop(item.title, None)
        if before is None:
            diff.added.append(item)
        else:
            pairs.append((before, item))
            matched_old.add(before.pk)
    diff.removed = [i for i in old_items if i.pk not in matched_old]
    for before, after in pairs:
        fields = [f for f in DIFF_FIELDS if getattr(before, f) != getattr(after, f)]
        if before.code != after.code:
            fields.insert(0, "code")
        if fields:
            diff.changed.append(ItemChange(before, after, fields))
        else:
            diff.unchanged += 1
    return diff
