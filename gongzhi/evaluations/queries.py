"""Reads: results per community and per department (score by indicator, weighted total, rank, change since the
previous published cycle), the panel's adjustments, the satisfaction award and the settlement of the final
agreement instalments.

Who is ranked (排名) and may get the award (群众满意奖). A subject's total is the weighted mean of the indicators
that have a value (a missing one's weight is shared out), but a total built on little data must not outrank a
fully assessed one. A subject is *ranked* only when both hold:

1. the indicators with a value carry at least RANK_MIN_COVERAGE (60) % of the direction's weight, and
2. at least one indicator judged by people (a rating or a satisfaction survey) has a value.

Otherwise it is listed as "数据不足,不参与排名" (not ranked), with its total shown for information, no rank and no
award; the missing indicators are named on the row, and a survey indicator withheld for having fewer than
compute.MIN_RESPONSES responses is named as such. With the default weights: a community whose residents'
satisfaction (50) is withheld has at most 50 % and is not ranked; a department without any rating, or that no
community dealt with (its interference and payment have no data then, see compute), is not ranked. The panel's
adjustment counts as a value. The settlement of the final instalment (settle_share) still follows the total."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from gongzhi.agreements.models import Agreement, Instalment
from gongzhi.evaluations.compute import period
from gongzhi.evaluations.models import Cycle, Direction, Indicator, Score, Source
from gongzhi.web import charts

AWARD_SIZE = 3
RANK_MIN_COVERAGE = 60  # % of the direction's weight that must have a value for a subject to be ranked


@dataclass
class Row:
    subject_id: int
    name: str
    values: dict[str, float | None]
    total: float | None
    rank: int | None = None
    previous: float | None = None
    adjusted: list[str] = field(default_factory=list)
    ranked: bool = False  # see the module's docstring
    missing: list[str] = field(default_factory=list)  # names of the indicators without a value
    withheld: list[str] = field(default_factory=list)  # of those, surveys with too few responses
    margins: dict[str, float] = field(default_factory=dict)  # survey indicators: the 95 % margin (±, 0–100)
    # filled by with_cells for pages: (indicator name, value, adjusted?, ± margin or None) per column, in order
    cells: list[tuple[str, float | None, bool, float | None]] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        if self.total is None or self.previous is None:
            return None
        return round(self.total - self.previous, 2)


def weighted_total(values: dict[str, float | None], weights: dict[str, int]) -> float | None:
    """Weighted mean over the indicators that have a value (missing ones' weight is shared out), 0–100."""
    used = [(weights[k], v) for k, v in values.items() if v is not None and weights.get(k)]
    total_weight = sum(w for w, _v in used)
    if not total_weight:
        return None
    return round(sum(w * v for w, v in used) / total_weight, 2)


def previous_cycle(cycle: Cycle) -> Cycle | None:
    """The published cycle of the same scope whose period ended last before this one's starts (by the period's
    dates, not the period's name: a full year's previous cycle is last year's, never the same year's second half);
    of two that end on the same day (last year's full year and second half), the one of the same kind of period."""
    start, _end = period(cycle)
    earlier = [
        (period(c), c)
        for c in Cycle.objects.filter(scope=cycle.scope, status=Cycle.Status.PUBLISHED).exclude(pk=cycle.pk)
    ]
    before = [(dates, c) for dates, c in earlier if dates[1] < start]
    best = max(before, key=lambda dc: (dc[0][1], dc[1].period == cycle.period, dc[0][0]), default=None)
    return best[1] if best else None


def indicators(cycle: Cycle, direction: str) -> list[Indicator]:
    return list(cycle.indicators.filter(direction=direction))


def _rows(cycle: Cycle, direction: str) -> list[Row]:
    inds = indicators(cycle, direction)
    weights = {i.key: i.weight for i in inds}
    keys = {i.pk: i.key for i in inds}
    subject = "community" if direction == Direction.COMMUNITY else "department"
    rows: dict[int, Row] = {}
    # plain tuples, without the evidence JSON: a city has thousands of scores and the totals need none of it
    scores = Score.objects.filter(indicator__in=list(keys)).values_list(
        "indicator_id", f"{subject}_id", f"{subject}__name", "value", "adjusted"
    )
    for indicator_id, subject_id, name, value, adjusted in scores.order_by("indicator_id", "id"):
        row = rows.get(subject_id)
        if row is None:
            row = rows[subject_id] = Row(subject_id, name, {}, None)
        key = keys[indicator_id]
        row.values[key] = adjusted if adjusted is not None else value
        if adjusted is not None:
            row.adjusted.append(key)
    # survey scores (not adjusted): withheld for too few responses (named on the row), or their ± margin
    withheld: set[tuple[int, int]] = set()
    for indicator_id, subject_id, suppressed, margin in Score.objects.filter(
        indicator__in=[i.pk for i in inds if i.source == Source.SURVEY], adjusted__isnull=True
    ).values_list("indicator_id", f"{subject}_id", "evidence__suppressed", "evidence__margin"):
        if suppressed:
            withheld.add((indicator_id, subject_id))
        elif isinstance(margin, int | float) and subject_id in rows:
            rows[subject_id].margins[keys[indicator_id]] = float(margin)
    people = {i.key for i in inds if i.source in (Source.RATED, Source.SURVEY)}
    all_weight = sum(weights.values())
    for row in rows.values():
        row.total = weighted_total(row.values, weights)
        present = {k for k, v in row.values.items() if v is not None}
        covered = sum(weights.get(k, 0) for k in present)
        row.ranked = (
            row.total is not None
            and all_weight > 0
            and covered * 100 >= RANK_MIN_COVERAGE * all_weight
            and bool(present & people)
        )
        row.missing = [i.name for i in inds if i.key not in present]
        row.withheld = [i.name for i in inds if (i.pk, row.subject_id) in withheld]
    return list(rows.values())


def with_cells(rows: list[Row], inds: list[Indicator]) -> list[Row]:
    """Each row's values in the order of the table's columns, so a template reads them without a look-up."""
    for row in rows:
        row.cells = [
            (i.name, row.values.get(i.key), i.key in row.adjusted, row.margins.get(i.key)) for i in inds
        ]
    return rows


def results(cycle: Cycle, direction: str) -> list[Row]:
    """Ranked subjects first, by total (ties share a rank), then the not ranked ones (see the module's docstring)
    by total."""
    rows = _rows(cycle, direction)
    ranked = sorted(rows, key=lambda r: (not r.ranked, -(r.total if r.total is not None else -1), r.name))
    rank = 0
    last: float | None = None
    for i, row in enumerate(ranked, start=1):
        if not row.ranked:
            continue
        if row.total != last:
            rank = i
            last = row.total
        row.rank = rank
    prev = previous_cycle(cycle)
    if prev is not None:
        before = {r.subject_id: r.total for r in _rows(prev, direction)}
        for row in ranked:
            row.previous = before.get(row.subject_id)
    return ranked


def award(cycle: Cycle, rows: list[Row] | None = None) -> list[Row]:
    """The top three ranked departments (群众满意奖) by the communities' evaluation; a department not ranked (too
    little data, see the module's docstring) never gets it. `rows`: the departments' results when the caller has
    them already (results(cycle, Direction.DEPARTMENT)), so they are not worked out twice."""
    ranked = rows if rows is not None else results(cycle, Direction.DEPARTMENT)
    return [r for r in ranked if r.ranked][:AWARD_SIZE]


def adjustments(cycle: Cycle) -> list[Score]:
    return list(
        Score.objects.filter(indicator__cycle=cycle, adjusted__isnull=False)
        .defer("evidence")
        .select_related("indicator", "community", "department")
        .order_by("adjusted_at")
    )


def settle_share(total: float | None, cycle: Cycle) -> float:
    """The share of the final instalment settled: all at or above settle_full, none below settle_floor."""
    if total is None or total < cycle.settle_floor:
        return 0.0
    if total >= cycle.settle_full or cycle.settle_full == cycle.settle_floor:
        return 1.0
    return (total - cycle.settle_floor) / (cycle.settle_full - cycle.settle_floor)


@dataclass
class Settlement:
    community: str
    agreement: str
    department: str
    total: float | None
    final_fen: int
    settled_fen: int
    agreement_id: int = 0
    department_id: int = 0
    instalment_id: int = 0
    settled_at: dt.datetime | None = None
    settled_ref: str = ""
    paid_fen: int = 0
    agreement_active: bool = False

    @property
    def is_settled(self) -> bool:
        return self.settled_at is not None

    # whole yuan as the pages show them ({% widthratio fen 100 1 %} rounds the same way)
    @property
    def final_yuan(self) -> str:
        return str(round(self.final_fen / 100))

    @property
    def settled_yuan(self) -> str:
        return str(round(self.settled_fen / 100))


def community_totals(rows: list[Row]) -> dict[int, float | None]:
    return {r.subject_id: r.total for r in rows}


def settlements(cycle: Cycle, totals: dict[int, float | None] | None = None) -> list[Settlement]:
    """Each community agreement's final instalment, settled from the community's total by the cycle's rule. Once
    the department's finance has settled it (evaluations.services.settle_instalment, after publication) the row
    shows what was settled: the amount before and after, when and from which cycle. `totals`: the communities'
    totals when the caller has them already (community_totals(results(cycle, Direction.COMMUNITY)))."""
    if totals is None:
        totals = community_totals(results(cycle, Direction.COMMUNITY))
    out: list[Settlement] = []
    agreements = list(
        Agreement.objects.filter(
            year=cycle.year,
            community_id__in=list(totals),
            status__in=[Agreement.Status.ACTIVE, Agreement.Status.COMPLETED],
        )
        .select_related("community", "department")
        .order_by("community__code", "number")
    )
    # every agreement's final instalment (the highest seq) in one query; the last one per agreement wins
    finals: dict[int, Instalment] = {}
    for instalment in Instalment.objects.filter(agreement_id__in=[a.pk for a in agreements]).order_by(
        "agreement_id", "seq"
    ):
        finals[instalment.agreement_id] = instalment
    for agreement in agreements:
        final = finals.get(agreement.pk)
        if final is None:
            continue
        total = totals.get(agreement.community_id)
        if final.settled_at is not None and final.settled_from_fen is not None:
            base, settled = final.settled_from_fen, final.amount_fen
        else:
            base = final.amount_fen
            settled = int(final.amount_fen * settle_share(total, cycle))
        out.append(
            Settlement(
                agreement.community.name,
                agreement.number,
                agreement.department.name,
                total,
                base,
                settled,
                agreement_id=agreement.pk,
                department_id=agreement.department_id,
                instalment_id=final.pk,
                settled_at=final.settled_at,
                settled_ref=final.settled_ref,
                paid_fen=final.paid_fen,
                agreement_active=agreement.status == Agreement.Status.ACTIVE,
            )
        )
    return out


def chart(cycle: Cycle, direction: str, rows: list[Row]) -> charts.BarChart:
    shown = [r for r in rows if r.ranked][:30]
    title = _("社区综合得分") if direction == Direction.COMMUNITY else _("部门综合得分")
    return charts.bar_chart(
        f"eval-{direction}",
        title=title,
        description=title,
        categories=[r.name for r in shown],
        series=[(_("得分"), [round(r.total or 0) for r in shown])],
    )


def evidence_table(cycle: Cycle, direction: str, subject_id: int | None = None) -> list[dict[str, Any]]:
    """The scores with their evidence, for the panel: all of a direction, or one subject's (`subject_id`)."""
    subject = "community" if direction == Direction.COMMUNITY else "department"
    scores = Score.objects.filter(indicator__cycle=cycle, indicator__direction=direction)
    if subject_id is not None:
        scores = scores.filter(**{f"{subject}_id": subject_id})
    return [{"score": s, "subject": getattr(s, subject)} for s in scores.select_related("indicator", subject)]
