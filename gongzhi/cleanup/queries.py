"""Reads of the clean-up: before/after counts of a campaign (per community, per department), campaign progress,
and the burden dashboard for a region (city, district, community) or a department.

Before/after: "before" is everything a campaign inventoried (tasks) or reviewed (plaques); "after" is what it
kept. For a dashboard, each community's numbers come from the latest non-cancelled campaign of each kind that
covered it. Admitted tasks, funding, forms, refusals and upheld reports come from the admissions app.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import chinese_calendar
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from gongzhi.admissions.models import AdmittedTask, InformalTaskReport, Refusal, TaskRequest
from gongzhi.cleanup.models import Campaign, CarriedTask, Plaque, PlaqueReview
from gongzhi.cleanup.permissions import subtree_ids
from gongzhi.core.models import CalendarYear
from gongzhi.core.roles import OrgKind
from gongzhi.core.workdays import PACKAGE_YEARS
from gongzhi.duties.models import fen_to_yuan
from gongzhi.orgs.models import Organization, Region

NO_DEPARTMENT = 0


# --- One campaign -------------------------------------------------------------------------------------------


@dataclass
class CountRow:
    key: int
    label: str
    before: int = 0
    after: int = 0
    decided: int = 0
    by_decision: dict[str, int] = field(default_factory=dict)

    @property
    def reduced(self) -> int:
        return self.before - self.after

    @property
    def undecided(self) -> int:
        return self.before - self.decided


@dataclass
class CampaignCounts:
    communities: list[CountRow]
    departments: list[CountRow]
    total: CountRow
    confirmed: int = 0  # plaque removals confirmed
    removals: int = 0  # plaques decided "remove"

    @property
    def progress_percent(self) -> int:
        """Share of the work done: decisions, and for plaques the confirmed removals too."""
        steps = self.total.before + self.removals
        done = self.total.decided + self.confirmed
        return round(100 * done / steps) if steps else 0


def _rows(raw: Iterable[dict[str, Any]], key: str, labels: dict[int, str], kept: set[str]) -> list[CountRow]:
    rows: dict[int, CountRow] = {}
    for item in raw:
        k = item[key] or NO_DEPARTMENT
        row = rows.setdefault(k, CountRow(k, labels.get(k, _("未登记部门"))))
        n = item["n"]
        row.before += n
        if item["decision"]:
            row.decided += n
            row.by_decision[item["decision"]] = row.by_decision.get(item["decision"], 0) + n
        if item["decision"] in kept:
            row.after += n
    return sorted(rows.values(), key=lambda r: (-r.before, r.label))


def _total(rows: list[CountRow]) -> CountRow:
    total = CountRow(0, _("合计"))
    for row in rows:
        total.before += row.before
        total.after += row.after
        total.decided += row.decided
        for k, v in row.by_decision.items():
            total.by_decision[k] = total.by_decision.get(k, 0) + v
    return total


def campaign_counts(campaign: Campaign, *, tasks: QuerySet[CarriedTask] | None = None) -> CampaignCounts:
    """Before/after per community and per department. `tasks` narrows a task campaign to what a user may see."""
    if campaign.is_tasks:
        qs = tasks if tasks is not None else campaign.tasks.all()
        raw = list(qs.values("community_id", "department_id", "decision").annotate(n=Count("id")))
        community_labels = dict(
            Region.objects.filter(pk__in={r["community_id"] for r in raw}).values_list("id", "name")
        )
        dept_labels = dict(
            Organization.objects.filter(
                pk__in={r["department_id"] for r in raw if r["department_id"]}
            ).values_list("id", "name")
        )
        kept = set(CarriedTask.KEPT)
        communities = _rows(raw, "community_id", community_labels, kept)
        departments = _rows(raw, "department_id", dept_labels, kept)
        return CampaignCounts(communities, departments, _total(communities))
    reviews = campaign.plaque_reviews.all()
    raw = list(
        reviews.values("plaque__community_id", "plaque__issuer_id", "decision").annotate(n=Count("id"))
    )
    for item in raw:
        item["community_id"], item["department_id"] = (
            item.pop("plaque__community_id"),
            item.pop("plaque__issuer_id"),
        )
    community_labels = dict(
        Region.objects.filter(pk__in={r["community_id"] for r in raw}).values_list("id", "name")
    )
    dept_labels = dict(
        Organization.objects.filter(
            pk__in={r["department_id"] for r in raw if r["department_id"]}
        ).values_list("id", "name")
    )
    kept = {PlaqueReview.Decision.KEEP.value}
    communities = _rows(raw, "community_id", community_labels, kept)
    departments = _rows(raw, "department_id", dept_labels, kept)
    removals = reviews.filter(decision=PlaqueReview.Decision.REMOVE)
    return CampaignCounts(
        communities,
        departments,
        _total(communities),
        confirmed=removals.filter(confirmed_at__isnull=False).count(),
        removals=removals.count(),
    )


# --- Dashboard ----------------------------------------------------------------------------------------------


@dataclass
class Burden:
    """The burden figures of one row of a dashboard (a region or a department, or a community under either)."""

    key: int
    label: str
    url: str = ""
    admitted: int = 0
    funding_offered_fen: int = 0
    funding_standard_fen: int = 0
    funding_received_fen: int = 0
    forms_per_month: float = 0.0
    plaques: int = 0
    refusals: int = 0
    upheld_reports: int = 0
    tasks_before: int = 0
    tasks_after: int = 0
    task_forms_before: int = 0  # forms a month the inventoried tasks demand, before and after the clean-up
    task_forms_after: int = 0
    plaques_before: int = 0
    plaques_after: int = 0

    def add(self, other: Burden) -> None:
        for name in (
            "admitted",
            "funding_offered_fen",
            "funding_standard_fen",
            "funding_received_fen",
            "forms_per_month",
            "plaques",
            "refusals",
            "upheld_reports",
            "tasks_before",
            "tasks_after",
            "task_forms_before",
            "task_forms_after",
            "plaques_before",
            "plaques_after",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def funding_offered_yuan(self) -> str:
        return fen_to_yuan(self.funding_offered_fen)

    @property
    def funding_standard_yuan(self) -> str:
        return fen_to_yuan(self.funding_standard_fen)

    @property
    def funding_received_yuan(self) -> str:
        return fen_to_yuan(self.funding_received_fen)

    @property
    def funding_gap_fen(self) -> int:
        return max(0, self.funding_standard_fen - self.funding_offered_fen)

    @property
    def forms_per_month_rounded(self) -> float:
        return round(self.forms_per_month, 1)


@dataclass
class CampaignProgress:
    campaign: Campaign
    counts: CampaignCounts


@dataclass
class Dashboard:
    title: str
    level: str  # city | district | community | department
    total: Burden
    rows: list[Burden]
    row_heading: str
    departments: list[Burden]
    campaigns: list[CampaignProgress]
    region: Region | None = None
    department: Organization | None = None


def _latest_by_community(raw: Iterable[dict[str, Any]], community_key: str) -> dict[int, int]:
    """{community: the latest campaign id among the rows}."""
    latest: dict[int, int] = {}
    for item in raw:
        c = item[community_key]
        latest[c] = max(latest.get(c, 0), item["campaign_id"])
    return latest


def _task_figures(
    community_ids: set[int], department_id: int | None = None, *, closed_only: bool = False
) -> dict[tuple[int, int], list[int]]:
    """{(community, department): [before, after, forms a month before, forms a month after]} from each
    community's latest task campaign."""
    qs = CarriedTask.objects.filter(community_id__in=community_ids).exclude(
        campaign__status=Campaign.Status.CANCELLED
    )
    if closed_only:
        qs = qs.filter(campaign__status=Campaign.Status.CLOSED)
    raw = list(
        qs.values("community_id", "campaign_id", "department_id", "decision").annotate(
            n=Count("id"), forms=Sum("forms_per_month")
        )
    )
    latest = _latest_by_community(raw, "community_id")
    out: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for item in raw:
        if item["campaign_id"] != latest[item["community_id"]]:
            continue
        if department_id is not None and item["department_id"] != department_id:
            continue
        figures = out[(item["community_id"], item["department_id"] or NO_DEPARTMENT)]
        figures[0] += item["n"]
        figures[2] += item["forms"] or 0
        if item["decision"] in CarriedTask.KEPT:
            figures[1] += item["n"]
            figures[3] += item["forms"] or 0
    return out


def _plaque_figures(
    community_ids: set[int], department_id: int | None = None, *, closed_only: bool = False
) -> dict[tuple[int, int], list[int]]:
    """{(community, issuing department): [before, after]} from each community's latest plaque campaign."""
    qs = PlaqueReview.objects.filter(plaque__community_id__in=community_ids).exclude(
        campaign__status=Campaign.Status.CANCELLED
    )
    if closed_only:
        qs = qs.filter(campaign__status=Campaign.Status.CLOSED)
    raw = list(
        qs.values("plaque__community_id", "campaign_id", "plaque__issuer_id", "decision").annotate(
            n=Count("id")
        )
    )
    latest = _latest_by_community(raw, "plaque__community_id")
    out: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for item in raw:
        community = item["plaque__community_id"]
        if item["campaign_id"] != latest[community]:
            continue
        if department_id is not None and item["plaque__issuer_id"] != department_id:
            continue
        figures = out[(community, item["plaque__issuer_id"] or NO_DEPARTMENT)]
        figures[0] += item["n"]
        if item["decision"] == PlaqueReview.Decision.KEEP:
            figures[1] += item["n"]
    return out


def _figures(community_ids: set[int], department_id: int | None = None) -> dict[tuple[int, int], Burden]:
    """Every burden figure keyed by (community, department): the building block of each dashboard."""
    cells: dict[tuple[int, int], Burden] = {}

    def cell(community: int, department: int | None) -> Burden:
        key = (community, department or NO_DEPARTMENT)
        if key not in cells:
            cells[key] = Burden(key=community, label="")
        return cells[key]

    admitted = AdmittedTask.objects.filter(community_id__in=community_ids, status=AdmittedTask.Status.ACTIVE)
    refusals = Refusal.objects.filter(community_id__in=community_ids)
    upheld = InformalTaskReport.objects.filter(
        community_id__in=community_ids, status=InformalTaskReport.Status.UPHELD
    )
    plaques = Plaque.objects.filter(community_id__in=community_ids, status=Plaque.Status.ACTIVE)
    if department_id is not None:
        admitted = admitted.filter(department_id=department_id)
        refusals = refusals.filter(department_id=department_id)
        upheld = upheld.filter(department_id=department_id)
        plaques = plaques.filter(issuer_id=department_id)
    for task in admitted.select_related("list_item").only(
        "community_id",
        "department_id",
        "funding_required_fen",
        "funding_received_fen",
        "forms_count",
        "forms_frequency",
        "list_item__funding_fen",
        "list_item__kind",
    ):
        b = cell(task.community_id, task.department_id)
        b.admitted += 1
        b.funding_offered_fen += task.funding_required_fen
        b.funding_received_fen += task.funding_received_fen
        if task.list_item is not None:
            b.funding_standard_fen += task.list_item.funding_fen
        b.forms_per_month += task.forms_per_month
    for row in refusals.values("community_id", "department_id").annotate(n=Count("id")):
        cell(row["community_id"], row["department_id"]).refusals += row["n"]
    for row in upheld.values("community_id", "department_id").annotate(n=Count("id")):
        cell(row["community_id"], row["department_id"]).upheld_reports += row["n"]
    for row in plaques.values("community_id", "issuer_id").annotate(n=Count("id")):
        cell(row["community_id"], row["issuer_id"]).plaques += row["n"]
    for (community, department), (before, after, forms_before, forms_after) in _task_figures(
        community_ids, department_id
    ).items():
        b = cell(community, department)
        b.tasks_before += before
        b.tasks_after += after
        b.task_forms_before += forms_before
        b.task_forms_after += forms_after
    for (community, department), (before, after) in _plaque_figures(community_ids, department_id).items():
        b = cell(community, department)
        b.plaques_before += before
        b.plaques_after += after
    return cells


def _grassroots(region_ids: set[int]) -> dict[int, Region]:
    return {
        r.pk: r
        for r in Region.objects.filter(
            pk__in=region_ids, kind__in=(Region.Kind.COMMUNITY, Region.Kind.VILLAGE)
        )
    }


def _campaigns_over(community_ids: set[int], region: Region | None) -> list[CampaignProgress]:
    chain: set[int] = set()
    if region is not None:
        chain = {region.pk, *(r.pk for r in region.ancestors())} | subtree_ids({region.pk})
    qs = Campaign.objects.exclude(status__in=[Campaign.Status.CANCELLED, Campaign.Status.DRAFT]).filter(
        Q(scope_id__in=chain)
        | Q(tasks__community_id__in=community_ids)
        | Q(plaque_reviews__plaque__community_id__in=community_ids)
    )
    return [CampaignProgress(c, campaign_counts(c)) for c in qs.distinct().select_related("scope")[:20]]


def region_dashboard(region: Region) -> Dashboard:
    below = subtree_ids({region.pk})
    communities = _grassroots(below)
    cells = _figures(set(communities))
    # Rows: the regions one level down (districts of a city, communities of a district); a community's rows are the
    # departments that weigh on it.
    if region.is_grassroots:
        level = "community"
        rows = _department_rows(cells)
        row_heading = _("部门")
    else:
        level = "city" if region.kind == Region.Kind.CITY else "district"
        children = {c.pk: c for c in Region.objects.filter(parent=region)}
        to_child: dict[int, int] = {}
        for community in communities.values():
            node: Region | None = community
            while node is not None and node.pk not in children:
                node = node.parent
            if node is not None:
                to_child[community.pk] = node.pk
        by_child: dict[int, Burden] = {
            pk: Burden(pk, child.name, reverse("cleanup:dashboard_region", args=[pk]))
            for pk, child in sorted(children.items(), key=lambda kv: kv[1].code)
        }
        for (community_id, _dept), b in cells.items():
            if community_id in to_child:
                by_child[to_child[community_id]].add(b)
        rows = list(by_child.values())
        row_heading = _("区县") if level == "city" else _("社区")
    total = Burden(region.pk, region.name)
    for b in cells.values():
        total.add(b)
    return Dashboard(
        title=region.name,
        level=level,
        total=total,
        rows=rows,
        row_heading=row_heading,
        departments=_department_rows(cells) if level != "community" else [],
        campaigns=_campaigns_over(set(communities), region),
        region=region,
    )


def _department_rows(cells: dict[tuple[int, int], Burden]) -> list[Burden]:
    labels = dict(
        Organization.objects.filter(pk__in={d for _c, d in cells if d}, kind=OrgKind.DEPARTMENT).values_list(
            "id", "name"
        )
    )
    rows: dict[int, Burden] = {}
    for (_community, dept), b in cells.items():
        label = labels.get(dept, _("未登记部门"))
        url = reverse("cleanup:dashboard_department", args=[dept]) if dept in labels else ""
        rows.setdefault(dept, Burden(dept, label, url)).add(b)
    return sorted(
        rows.values(), key=lambda r: (r.key == NO_DEPARTMENT, -(r.admitted + r.tasks_after), r.label)
    )


def department_dashboard(department: Organization) -> Dashboard:
    below = subtree_ids({department.region_id})
    communities = _grassroots(below)
    cells = _figures(set(communities), department.pk)
    rows: dict[int, Burden] = {}
    for (community, _dept), b in cells.items():
        region = communities[community]
        rows.setdefault(community, Burden(community, region.name)).add(b)
    total = Burden(department.pk, department.name)
    for b in rows.values():
        total.add(b)
    return Dashboard(
        title=department.name,
        level="department",
        total=total,
        rows=sorted(rows.values(), key=lambda r: (-(r.admitted + r.tasks_before + r.plaques), r.label)),
        row_heading=_("社区"),
        departments=[],
        campaigns=[],
        department=department,
    )


def admitted_plaque_requests(communities: Any) -> QuerySet[TaskRequest]:
    """Approved plaque requests admitted at any of the communities (to link a newly hung plaque to)."""
    return (
        TaskRequest.objects.filter(
            kind=TaskRequest.Kind.PLAQUE,
            status=TaskRequest.Status.APPROVED,
            admitted_tasks__community__in=communities,
            admitted_tasks__status=AdmittedTask.Status.ACTIVE,
        )
        .distinct()
        .order_by("-id")
    )


# --- Public page --------------------------------------------------------------------------------------------


def public_admitted_tasks(community: Region) -> QuerySet[AdmittedTask]:
    """A community's active admitted tasks, for its public page: department, period, funding (no personal data)."""
    return (
        AdmittedTask.objects.filter(community=community, status=AdmittedTask.Status.ACTIVE)
        .select_related("department", "list_item")
        .only(
            "id",
            "title",
            "kind",
            "starts_on",
            "ends_on",
            "funding_required_fen",
            "funding_received_fen",
            "requires_agreement",
            "department__name",
            "list_item__code",
            "list_item__title",
            "list_item__kind",
        )
        .order_by("starts_on", "id")
    )


def public_cleanup_summary(community: Region) -> dict[str, Any]:
    """Before/after numbers of the community's latest closed campaigns (public: counts only)."""
    ids = {community.pk}
    tasks = _task_figures(ids, closed_only=True)
    plaques = _plaque_figures(ids, closed_only=True)
    return {
        "tasks_before": sum(v[0] for v in tasks.values()) if tasks else None,
        "tasks_after": sum(v[1] for v in tasks.values()) if tasks else None,
        "plaques_before": sum(v[0] for v in plaques.values()) if plaques else None,
        "plaques_after": sum(v[1] for v in plaques.values()) if plaques else None,
        "plaques_now": Plaque.objects.filter(community=community, status=Plaque.Status.ACTIVE).count(),
    }


def public_community(pk: int) -> Region | None:
    return Region.objects.filter(pk=pk, kind__in=(Region.Kind.COMMUNITY, Region.Kind.VILLAGE)).first()


# --- Working-day calendar -----------------------------------------------------------------------------------


def calendar_years() -> list[dict[str, Any]]:
    """Every year the calendar knows: entered in the table, or from the chinese-calendar package."""
    entered = {y.year: y for y in CalendarYear.objects.all()}
    years = sorted(set(entered) | {y for y in PACKAGE_YEARS if y >= date.today().year - 2})
    rows = []
    for year in years:
        entry = entered.get(year)
        if entry is not None:
            source = "assumed" if entry.assumed else "table"
            holidays = entry.days.filter(kind="holiday").count()
            workdays = entry.days.filter(kind="workday").count()
        else:
            source = "package"
            holidays = sum(
                1 for d in chinese_calendar.constants.holidays if d.year == year and d.weekday() < 5
            )
            workdays = sum(1 for d in chinese_calendar.constants.workdays if d.year == year)
        rows.append(
            {"year": year, "source": source, "entry": entry, "holidays": holidays, "workdays": workdays}
        )
    return rows
