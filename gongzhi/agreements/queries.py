"""Reads behind the pages, the API and the exports: per-agreement money figures, the department's, the
community's and the approval office's overviews, and the public finance page of a community."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, QuerySet, Sum
from django.utils import timezone

from gongzhi.admissions.models import AdmittedTask
from gongzhi.agreements.models import (
    Agreement,
    AgreementTask,
    Completion,
    Instalment,
    Payment,
    Version,
    VersionItem,
    yuan,
)


def today() -> dt.date:
    return timezone.localdate()


@dataclass
class Figures:
    """Money of one agreement, in fen."""

    agreement: Agreement
    agreed: int = 0  # what is owed: the instalments once in force, else the version being drafted or signed
    reserved: int = 0  # reserved in the budget and not yet paid or released
    paid: int = 0
    overdue: int = 0  # outstanding on instalments past their due date
    overdue_count: int = 0
    version: int = 0
    to_deliver: int = 0  # tasks in force not yet confirmed done

    @property
    def outstanding(self) -> int:
        return self.agreed - self.paid

    @property
    def agreed_yuan(self) -> str:
        return yuan(self.agreed)

    @property
    def reserved_yuan(self) -> str:
        return yuan(self.reserved)

    @property
    def paid_yuan(self) -> str:
        return yuan(self.paid)

    @property
    def outstanding_yuan(self) -> str:
        return yuan(self.outstanding)

    @property
    def overdue_yuan(self) -> str:
        return yuan(self.overdue)


def figures(agreements: Iterable[Agreement], *, on: dt.date | None = None) -> list[Figures]:
    """Figures for each agreement, with a fixed number of queries."""
    on = on or today()
    rows = {a.pk: Figures(a) for a in agreements}
    if not rows:
        return []
    ids = list(rows)
    active = {
        Agreement.Status.ACTIVE,
        Agreement.Status.COMPLETED,
        Agreement.Status.TERMINATED,
    }
    for inst in Instalment.objects.filter(agreement_id__in=ids).values(
        "agreement_id", "amount_fen", "paid_fen", "due_on"
    ):
        f = rows[inst["agreement_id"]]
        f.agreed += inst["amount_fen"]
        f.paid += inst["paid_fen"]
        short = inst["amount_fen"] - inst["paid_fen"]
        if (
            short > 0
            and inst["due_on"] < on
            and f.agreement.status in (Agreement.Status.ACTIVE, Agreement.Status.TERMINATED)
        ):
            f.overdue += short
            f.overdue_count += 1
    for v in (
        Version.objects.filter(agreement_id__in=ids)
        .exclude(status__in=(Version.Status.SUPERSEDED, Version.Status.WITHDRAWN))
        .select_related("reservation")
    ):
        f = rows[v.agreement_id]
        f.version = max(f.version, v.number)
        if v.reservation is not None:
            f.reserved += v.reservation.remaining
        if f.agreement.status not in active and v.status in Version.OPEN:
            f.agreed = v.total_fen if v.status != Version.Status.DRAFT else _draft_total(v)
    done = set(
        Completion.objects.filter(agreement_id__in=ids, status__in=Completion.DONE).values_list(
            "task_id", flat=True
        )
    )
    for item in VersionItem.objects.filter(
        version__agreement_id__in=ids, version__status=Version.Status.EFFECTIVE
    ).values("version__agreement_id", "task_id"):
        if item["task_id"] not in done:
            rows[item["version__agreement_id"]].to_deliver += 1
    return list(rows.values())


def _draft_total(version: Version) -> int:
    return int(version.items.aggregate(s=Sum("amount_fen"))["s"] or 0)


@dataclass
class Totals:
    count: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    agreed: int = 0
    reserved: int = 0
    paid: int = 0
    overdue: int = 0

    @property
    def agreed_yuan(self) -> str:
        return yuan(self.agreed)

    @property
    def reserved_yuan(self) -> str:
        return yuan(self.reserved)

    @property
    def paid_yuan(self) -> str:
        return yuan(self.paid)

    @property
    def overdue_yuan(self) -> str:
        return yuan(self.overdue)

    @property
    def outstanding_yuan(self) -> str:
        return yuan(self.agreed - self.paid)

    @property
    def statuses(self) -> list[tuple[str, int]]:
        labels = dict(Agreement.Status.choices)
        return [(str(labels[s]), self.by_status[s]) for s in Agreement.Status.values if s in self.by_status]


def totals(rows: Iterable[Figures]) -> Totals:
    t = Totals()
    for f in rows:
        t.count += 1
        t.by_status[f.agreement.status] = t.by_status.get(f.agreement.status, 0) + 1
        if f.agreement.status in Agreement.SIGNED:
            t.agreed += f.agreed
        t.reserved += f.reserved
        t.paid += f.paid
        t.overdue += f.overdue
    return t


def overdue_instalments(
    agreements: QuerySet[Agreement], *, on: dt.date | None = None
) -> QuerySet[Instalment]:
    """Instalments past their due date and not fully paid, without a final instalment that waits for the
    evaluation (services.held_instalment_id): that one is not the department's delay."""
    from gongzhi.agreements.services import held_instalment_id  # services reads nothing from here

    on = on or today()
    overdue = Instalment.objects.filter(
        agreement__in=agreements,
        agreement__status__in=Agreement.PAYABLE,
        due_on__lt=on,
        paid_fen__lt=F("amount_fen"),
    )
    later = Instalment.objects.filter(agreement=OuterRef("agreement"), seq__gt=OuterRef("seq"))
    finals = overdue.filter(agreement__status=Agreement.Status.ACTIVE, settled_at__isnull=True).exclude(
        Exists(later)
    )
    held = [
        i.pk
        for i in finals.select_related("agreement", "version")
        if held_instalment_id(i.agreement, [i], on=on) == i.pk
    ]
    return (
        overdue.exclude(pk__in=held)
        .select_related("agreement", "agreement__department", "agreement__community")
        .order_by("due_on", "agreement_id", "seq")
    )


def tasks_without_active_agreement(tasks: QuerySet[AdmittedTask]) -> QuerySet[AdmittedTask]:
    """Admitted tasks that need an agreement and have none in force (the approval office's list)."""
    covered = AgreementTask.objects.filter(
        agreement__status__in=(Agreement.Status.ACTIVE, Agreement.Status.COMPLETED),
        items__version__status=Version.Status.EFFECTIVE,
    ).values("admitted_task_id")
    return (
        tasks.filter(status=AdmittedTask.Status.ACTIVE, requires_agreement=True)
        .exclude(pk__in=covered)
        .select_related("community", "department")
        .order_by("starts_on", "department__name", "community__code")
    )


def to_deliver(agreements: QuerySet[Agreement]) -> list[tuple[AgreementTask, Completion | None]]:
    """Tasks in force under the agreements, each with its latest completion report."""
    tasks = (
        AgreementTask.objects.filter(
            agreement__in=agreements.filter(status=Agreement.Status.ACTIVE),
            items__version__status=Version.Status.EFFECTIVE,
        )
        .select_related("agreement", "agreement__department")
        .order_by("agreement__number", "position")
    )
    latest: dict[int, Completion] = {}
    for c in Completion.objects.filter(task__in=tasks).order_by("reported_at", "id"):
        latest[c.task_id] = c
    return [(t, latest.get(t.pk)) for t in tasks]


# --- the public finance page --------------------------------------------------------------------------------


@dataclass
class PublicAgreement:
    number: str
    kind: str
    year: int
    department: str
    party: str
    status: str
    agreed: int
    received: int

    @property
    def agreed_yuan(self) -> str:
        return yuan(self.agreed)

    @property
    def received_yuan(self) -> str:
        return yuan(self.received)


@dataclass
class QuarterRow:
    year: int
    quarter: int
    received: int

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def received_yuan(self) -> str:
        return yuan(self.received)


@dataclass
class PublicFinance:
    agreements: list[PublicAgreement]
    quarters: list[QuarterRow]

    @property
    def received(self) -> int:
        return sum(a.received for a in self.agreements)

    @property
    def agreed(self) -> int:
        return sum(a.agreed for a in self.agreements)

    @property
    def received_yuan(self) -> str:
        return yuan(self.received)

    @property
    def agreed_yuan(self) -> str:
        return yuan(self.agreed)


def public_finance(community_id: int) -> PublicFinance:
    """Money received per signed agreement and per quarter — organizations and amounts only, no people."""
    agreements = (
        Agreement.objects.filter(community_id=community_id, status__in=Agreement.SIGNED)
        .select_related("department", "party")
        .order_by("-year", "number")
    )
    figs = {f.agreement.pk: f for f in figures(agreements)}
    rows = [
        PublicAgreement(
            number=a.number,
            kind=a.get_kind_display(),
            year=a.year,
            department=a.department.name,
            party=a.party.name,
            status=a.get_status_display(),
            agreed=figs[a.pk].agreed,
            received=figs[a.pk].paid,
        )
        for a in agreements
    ]
    by_quarter: dict[tuple[int, int], int] = defaultdict(int)
    for paid_at, amount in Payment.objects.filter(agreement__in=agreements).values_list(
        "paid_at", "amount_fen"
    ):
        local = timezone.localtime(paid_at)
        by_quarter[(local.year, (local.month - 1) // 3 + 1)] += amount
    quarters = [QuarterRow(y, q, v) for (y, q), v in sorted(by_quarter.items(), reverse=True)]
    return PublicFinance(rows, quarters)
