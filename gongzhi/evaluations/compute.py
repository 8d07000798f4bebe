"""How each indicator's value (0–100, or None when there is no data) is worked out for one subject, with the
evidence the panel sees. One function per computed indicator; `value_for` dispatches by the indicator's source.

- agreement performance (community): share of the community's agreement tasks of the cycle's year whose completion
  was confirmed by the department or upheld by the approval office (agreements.Completion.DONE);
- interference (department): 100 minus `penalty` per incident in the period — upheld informal-task reports
  (admissions.InformalTaskReport) and refusals (admissions.Refusal, by reason; "not admitted" and "beyond scope"
  are the tasks outside admission); fewer is better. No data (None) for a department that no community in the
  scope dealt with in the period (dealt_departments) and that has no incident: having done nothing is not a
  perfect score;
- payment (department): share of the department's agreement instalments due in the period (and by today) that
  were paid in full by their due date, leaving out a final instalment held for the evaluation or settled by one
  (agreements.services.held_instalment_id, docs/decisions.md D11): only the settlement after the cycle's
  publication may pay it, so its date is not the department's doing. No instalment due (so no community's
  agreement to pay): no data (None);
- survey: the survey app's satisfaction index of the linked survey's series in the community (survey_values, read
  through gongzhi.surveys.queries.scores), as (mean − 1) / 4 × 100 with its 95 % margin; withheld (None) where the
  survey's results withhold it (fewer than MIN_RESPONSES responses, or to stop subtraction);
- rated: mean of the ratings given for the subject.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from gongzhi.admissions.models import AdmittedTask, InformalTaskReport, Refusal
from gongzhi.agreements.models import Agreement, AgreementTask, Completion, Instalment, Payment
from gongzhi.agreements.services import held_instalment_id
from gongzhi.evaluations.models import Cycle, Direction, Indicator, Rating, Source
from gongzhi.evaluations.permissions import subtree_ids
from gongzhi.orgs.models import Organization, Region
from gongzhi.surveys import queries as survey_queries
from gongzhi.surveys.models import Response, Survey

MIN_RESPONSES = 5
SETTLED_BY_EVALUATION = "evaluation:"  # the `ref` evaluations.services.settle_instalment settles with
Value = tuple[float | None, dict[str, Any]]


def today() -> dt.date:
    """The date the computations count "due by today" from: the one date source of this app (tests replace it)."""
    return timezone.localdate()


def period(cycle: Cycle) -> tuple[dt.date, dt.date]:
    m1, d1, m2, d2 = cycle.dates()
    return dt.date(cycle.year, m1, d1), dt.date(cycle.year, m2, d2)


def _pct(num: int, den: int) -> float | None:
    return round(num * 100 / den, 2) if den else None


# --- government → community --------------------------------------------------------------------------------


def agreement_performance(cycle: Cycle, community: Region) -> Value:
    tasks = AgreementTask.objects.filter(
        agreement__community=community,
        agreement__year=cycle.year,
        agreement__status__in=[Agreement.Status.ACTIVE, Agreement.Status.COMPLETED],
    )
    total = tasks.count()
    done = (
        tasks.filter(completions__status__in=Completion.DONE).values("pk").distinct().count() if total else 0
    )
    return _pct(done, total), {"tasks": total, "confirmed": done}


# --- community → department --------------------------------------------------------------------------------


def dealt_departments(cycle: Cycle, department_ids: set[int] | None = None) -> set[int]:
    """The departments (of `department_ids`, or any) that some community in the cycle's scope dealt with in the
    cycle's period: an admitted task running at some time in the period, or a signed agreement of the cycle's year
    (the same dealings that let a community rate a department, services.worked_with). Two queries for the whole
    cycle."""
    start, end = period(cycle)
    communities = subtree_ids({cycle.scope_id})
    tasks = AdmittedTask.objects.filter(community_id__in=communities, starts_on__lte=end).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=start)
    )
    agreements = Agreement.objects.filter(
        community_id__in=communities, year=cycle.year, status__in=Agreement.SIGNED
    )
    if department_ids is not None:
        tasks = tasks.filter(department_id__in=department_ids)
        agreements = agreements.filter(department_id__in=department_ids)
    return set(tasks.order_by().values_list("department_id", flat=True).distinct()) | set(
        agreements.order_by().values_list("department_id", flat=True).distinct()
    )


def interference(cycle: Cycle, department: Organization, penalty: int, *, dealt: bool | None = None) -> Value:
    """`dealt`: whether a community dealt with the department in the period (dealt_departments; worked out here
    when not given). A department nobody dealt with and without an incident has no data (None), not 100."""
    start, end = period(cycle)
    upheld = InformalTaskReport.objects.filter(
        department=department, status=InformalTaskReport.Status.UPHELD, demanded_on__range=(start, end)
    ).count()
    by_reason = dict(
        Refusal.objects.filter(department=department, created_at__date__range=(start, end))
        .values_list("reason")
        .annotate(n=Count("id"))
        .values_list("reason", "n")
    )
    refused = sum(by_reason.values())
    outside = by_reason.get(Refusal.Reason.NOT_ADMITTED, 0) + by_reason.get(Refusal.Reason.BEYOND_SCOPE, 0)
    incidents = upheld + refused
    if dealt is None:
        dealt = department.pk in dealt_departments(cycle, {department.pk})
    # an incident is a dealing too (a bad one): it always counts
    value = float(max(0, 100 - penalty * incidents)) if dealt or incidents else None
    return value, {
        "dealt_with": dealt,
        "upheld_reports": upheld,
        "refused_tasks": refused,
        "outside_admission": outside,
        "incidents": incidents,
        "penalty": penalty,
    }


def paid_on_time_in_full(instalment: Instalment) -> bool:
    paid = (
        Payment.objects.filter(instalment=instalment, paid_at__date__lte=instalment.due_on).aggregate(
            s=Sum("amount_fen")
        )["s"]
        or 0
    )
    return paid >= instalment.amount_fen


def payment(cycle: Cycle, department: Organization) -> Value:
    start, end = period(cycle)
    on = today()
    later = Instalment.objects.filter(agreement=OuterRef("agreement"), seq__gt=OuterRef("seq"))
    due = (
        Instalment.objects.filter(agreement__department=department, due_on__range=(start, min(end, on)))
        .exclude(agreement__status=Agreement.Status.TERMINATED)
        .annotate(is_final=~Exists(later))
        .select_related("agreement", "version")
    )
    total = on_time = held = settled = 0
    for instalment in due:
        # a final instalment held for the evaluation (only the evaluation's settlement may pay it, after the
        # cycle's publication: agreements.services.held_instalment_id, docs/decisions.md D11) or settled by one
        # is not the department's to pay on time: neither late nor on time
        if instalment.settled_ref.startswith(SETTLED_BY_EVALUATION):
            settled += 1
        elif (
            instalment.is_final
            and held_instalment_id(instalment.agreement, [instalment], on=on) == instalment.pk
        ):
            held += 1
        else:
            total += 1
            on_time += paid_on_time_in_full(instalment)
    return _pct(on_time, total), {
        "instalments_due": total,
        "paid_on_time_in_full": on_time,
        "held_for_evaluation": held,
        "settled_by_evaluation": settled,
    }


COMPUTED: dict[str, Callable[..., Value]] = {
    "agreement": agreement_performance,
    "interference": interference,
    "payment": payment,
}


# --- people and surveys ------------------------------------------------------------------------------------


def rated(indicator: Indicator, community: Region | None, department: Organization | None) -> Value:
    rows = Rating.objects.filter(indicator=indicator, community=community, department=department)
    agg = rows.aggregate(mean=Avg("score"), n=Count("id"), late=Count("id", filter=Q(late=True)))
    mean = agg["mean"]
    return (round(float(mean), 2) if mean is not None else None), {"ratings": agg["n"], "late": agg["late"]}


def survey_values(indicator: Indicator) -> dict[int, Value]:
    """The linked survey's satisfaction index for every community, as the survey app scores it
    (gongzhi.surveys.queries.scores, all communities at once: each respondent's mean over the 1–5 questions, the
    95 % margin with Student's t and the finite-population correction, cells under 5 responses — and their
    complements — withheld), over every version of the survey's series (a household answers a series once, so
    the versions' respondents are distinct). One version with responses: its cells as they are. Several: each
    community's cells are pooled (n, Σ and Σ² from each cell's n, mean and sd) and scored again with the same
    rule (surveys.queries.score_cell); a community withheld in a version it has responses in stays withheld, so
    the evaluation never shows what the survey's results page withholds. On the 0–100 scale: (mean − 1) × 25."""
    survey = indicator.survey
    if survey is None:
        return {}
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for survey_id, community_id, n in (
        Response.objects.filter(survey__series=survey.series)
        .values("survey_id", "community_id")
        .annotate(n=Count("id"))
        .values_list("survey_id", "community_id", "n")
    ):
        counts[survey_id][community_id] = n
    versions = list(Survey.objects.filter(series=survey.series, pk__in=list(counts)).order_by("version"))
    tables = [(v, survey_queries.scores(v)) for v in versions]
    out: dict[int, Value] = {}
    communities = {cid for _v, t in tables for cid in t.communities}
    for cid in communities:
        cells = [(v, t.communities[cid]) for v, t in tables if counts[v.pk].get(cid)]
        evidence: dict[str, Any] = {"survey": survey.pk, "versions": [v.pk for v, _c in cells]}
        if not cells:
            out[cid] = None, {**evidence, "responses": 0}
            continue
        if any(c.suppressed for _v, c in cells):
            out[cid] = None, {**evidence, "suppressed": True}
            continue
        if len(cells) == 1:
            cell = cells[0][1]
        else:
            n = sum(c.n or 0 for _v, c in cells)
            total = sum((c.n or 0) * (c.mean or 0) for _v, c in cells)
            total_sq = sum(
                ((c.sd or 0) ** 2) * ((c.n or 0) - 1) + (c.n or 0) * (c.mean or 0) ** 2 for _v, c in cells
            )
            cell = survey_queries.score_cell(n, total, total_sq, cells[0][1].population)
        if cell.suppressed or cell.score100 is None:
            out[cid] = None, {**evidence, "suppressed": True}
            continue
        out[cid] = (
            round(cell.score100, 2),
            {
                **evidence,
                "responses": cell.n,
                "margin": round(cell.margin100 or 0.0, 2),
            },
        )
    return out


def survey_satisfaction(indicator: Indicator, community: Region) -> Value:
    """One community's value of a survey indicator (survey_values; a cycle's computation asks for all at once)."""
    if indicator.survey_id is None:
        return None, {"survey": None}
    return survey_values(indicator).get(community.pk, (None, {"survey": indicator.survey_id, "responses": 0}))


def value_for(
    indicator: Indicator,
    community: Region | None,
    department: Organization | None,
    *,
    dealt: set[int] | None = None,
    surveys: dict[int, dict[int, Value]] | None = None,
) -> Value:
    """`dealt`: the cycle's dealt_departments, and `surveys`: survey_values by indicator id, when the caller
    computes many subjects (worked out per subject otherwise)."""
    if indicator.source == Source.RATED:
        return rated(indicator, community, department)
    if indicator.source == Source.SURVEY:
        if community is None:
            return None, {"not_applicable": True}
        if surveys is not None and indicator.pk in surveys:
            missing: Value = (None, {"survey": indicator.survey_id, "responses": 0})
            return surveys[indicator.pk].get(community.pk, missing)
        return survey_satisfaction(indicator, community)
    fn = COMPUTED.get(indicator.key)
    if fn is None:
        return None, {"unknown_computation": indicator.key}
    if indicator.direction == Direction.COMMUNITY and community is not None and indicator.key == "agreement":
        return agreement_performance(indicator.cycle, community)
    if indicator.direction == Direction.DEPARTMENT and department is not None:
        if indicator.key == "interference":
            return interference(
                indicator.cycle,
                department,
                indicator.penalty,
                dealt=None if dealt is None else department.pk in dealt,
            )
        if indicator.key == "payment":
            return payment(indicator.cycle, department)
    return None, {"not_applicable": True}
