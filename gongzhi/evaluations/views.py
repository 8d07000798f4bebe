"""Pages of two-way evaluation. Thin: parse, fetch through evaluations.permissions (404 for what a user may not
see), call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.agreements.models import Agreement
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.models import User
from gongzhi.evaluations import permissions, queries, services, xlsx
from gongzhi.evaluations.forms import AdjustForm, CycleForm, RatingForm
from gongzhi.evaluations.models import Cycle, Direction, Indicator, Rating, Score, Source
from gongzhi.orgs.models import Organization, Region
from gongzhi.surveys import permissions as survey_permissions
from gongzhi.surveys.models import Survey


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _cycle(request: HttpRequest, pk: int) -> Cycle:
    try:
        return permissions.get_cycle_for_user(_user(request), pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _back(cycle: Cycle, name: str = "evaluations:cycle") -> HttpResponse:
    return redirect(name, cycle.pk)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "evaluations/home.html",
        {"cycles": permissions.cycles_for_user(user), "can_create": permissions.can_set_up_cycles(user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.can_set_up_cycles(user):
        raise Http404(_("未找到 / Not found"))
    scopes = Region.objects.filter(pk__in=permissions.office_region_ids(user)).exclude(
        kind__in=[Region.Kind.COMMUNITY, Region.Kind.VILLAGE]
    )
    form = CycleForm(request.POST or None)
    form.fields["scope"].choices = [(r.pk, r.name) for r in scopes]  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                cycle = services.create_cycle(
                    actor=user,
                    scope=Region.objects.get(pk=d["scope"]),
                    year=d["year"],
                    period=d["period"],
                    name=d["name"],
                    ratings_due=d["ratings_due"],
                )
                return _back(cycle)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
        else:
            status = 422
    return render(request, "evaluations/cycle_new.html", {"form": form}, status=status)


@login_required
@require_GET
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    cycle = _cycle(request, pk)
    manage = permissions.can_manage_cycle(user, cycle)
    steps: list[tuple[str, str]] = []
    for to in sorted(Cycle.TRANSITIONS[cycle.status]):
        allowed = permissions.can_review_cycle(user, cycle) if to == Cycle.Status.SIGNED_OFF else manage
        if allowed:
            steps.append((to, str(Cycle.Status(to).label)))
    # the satisfaction surveys this user may see (gongzhi.surveys.permissions), to link to the cycle's indicators
    surveys = (
        survey_permissions.surveys_for_user(user).filter(purpose=Survey.Purpose.SATISFACTION)
        if manage
        else Survey.objects.none()
    )
    return render(
        request,
        "evaluations/cycle_detail.html",
        {
            "cycle": cycle,
            "directions": [(d, label, queries.indicators(cycle, d)) for d, label in Direction.choices],
            "manage": manage,
            "steps": steps,
            "surveys": surveys,
            "penalty": next(
                (i.penalty for i in cycle.indicators.all() if i.key == "interference"),
                "",
            ),
            "can_rate": cycle.status == Cycle.Status.OPEN
            and (
                permissions.can_rate_departments(user, cycle) or permissions.can_rate_communities(user, cycle)
            ),
            "can_review": permissions.can_see_evidence(user, cycle) and cycle.status != Cycle.Status.DRAFT,
        },
    )


def _fail(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


@login_required
@require_POST
def cycle_rules(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    values: dict[str, Any] = {}
    for name in ("settle_full", "settle_floor", "penalty"):
        raw = request.POST.get(name, "")
        values[name] = _int(raw) if _int(raw) is not None else raw
    try:
        services.update_cycle_rules(actor=_user(request), cycle=cycle, **values)
    except DomainError as exc:
        _fail(request, exc)
        return render(request, "evaluations/error.html", {"cycle": cycle, "error": exc}, status=exc.status)
    return _back(cycle)


@login_required
@require_POST
def cycle_weights(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    direction = request.POST.get("direction", "")
    weights: dict[str, Any] = {}
    for indicator in cycle.indicators.filter(direction=direction):
        raw = request.POST.get(f"w-{indicator.key}", "")
        weights[indicator.key] = _int(raw) if _int(raw) is not None else raw
    try:
        services.set_weights(actor=_user(request), cycle=cycle, direction=direction, weights=weights)
    except DomainError as exc:
        _fail(request, exc)
        return render(request, "evaluations/error.html", {"cycle": cycle, "error": exc}, status=exc.status)
    return _back(cycle)


@login_required
@require_POST
def cycle_survey(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    indicator = Indicator.objects.filter(cycle=cycle, pk=_int(request.POST.get("indicator")) or 0).first()
    survey_id = _int(request.POST.get("survey"))
    if indicator is None:
        raise Http404(_("未找到 / Not found"))
    survey: Survey | None = None
    if survey_id:
        try:
            survey = survey_permissions.get_survey_for_user(_user(request), survey_id)
        except NotFound as exc:
            raise Http404(_("未找到 / Not found")) from exc
    try:
        services.link_survey(actor=_user(request), indicator=indicator, survey=survey)
    except DomainError as exc:
        return render(request, "evaluations/error.html", {"cycle": cycle, "error": exc}, status=exc.status)
    return _back(cycle)


@login_required
@require_POST
def cycle_move(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    try:
        services.move_cycle(
            actor=_user(request),
            cycle=cycle,
            to=request.POST.get("to", ""),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        return render(request, "evaluations/error.html", {"cycle": cycle, "error": exc}, status=exc.status)
    return _back(cycle)


@login_required
@require_POST
def cycle_remind(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    try:
        n = services.send_reminders(actor=_user(request), cycle=cycle)
    except DomainError as exc:
        return render(request, "evaluations/error.html", {"cycle": cycle, "error": exc}, status=exc.status)
    messages.success(request, _("已提醒 %(n)d 人") % {"n": n})
    return _back(cycle)


@login_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    cycle = _cycle(request, pk)
    as_community = permissions.can_rate_departments(user, cycle)
    as_office = permissions.can_rate_communities(user, cycle)
    if not (as_community or as_office):
        raise Http404(_("未找到 / Not found"))
    direction = Direction.DEPARTMENT if as_community else Direction.COMMUNITY
    indicators = list(cycle.indicators.filter(direction=direction, source=Source.RATED))
    # a community rates the departments it dealt with in the period; another department in scope is refused by
    # the service with the reason (so it is looked up among all of them)
    subjects: list[Any] = list(
        services.departments_to_rate(user, cycle) if as_community else services.communities_of(cycle)
    )
    candidates: list[Any] = list(services.departments_of(cycle)) if as_community else subjects
    form = RatingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            indicator = next((i for i in indicators if i.pk == d["indicator"]), None)
            subject = next((s for s in candidates if s.pk == d["subject"]), None)
            if indicator is None or subject is None:
                raise Http404(_("未找到 / Not found"))
            try:
                services.rate(
                    actor=user,
                    indicator=indicator,
                    score=d["score"],
                    evidence=d["evidence"],
                    department=subject if isinstance(subject, Organization) else None,
                    community=subject if isinstance(subject, Region) else None,
                )
                messages.success(request, _("评分已保存"))
                return redirect("evaluations:rate", cycle.pk)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
        else:
            status = 422
    mine = {
        (r.indicator_id, r.department_id or r.community_id): r
        for r in Rating.objects.filter(indicator__in=indicators, rater=user)
    }
    rows = [{"subject": s, "cells": [(i, mine.get((i.pk, s.pk))) for i in indicators]} for s in subjects]
    return render(
        request,
        "evaluations/rate.html",
        {"cycle": cycle, "rows": rows, "indicators": indicators, "form": form, "direction": direction},
        status=status,
    )


REVIEW_PAGE_SIZE = 50


def _direction(value: str | None) -> str:
    return value if value in Direction.values else Direction.COMMUNITY


def _subjects_in_scope(cycle: Cycle, direction: str) -> QuerySet[Any]:
    return (
        services.communities_of(cycle) if direction == Direction.COMMUNITY else services.departments_of(cycle)
    )


def _review_rows(rows: list[queries.Row], inds: list[Indicator], subject_base: str) -> list[dict[str, Any]]:
    """The page's rows as text, so the template prints them without a filter per cell (values repeat: each is
    formatted once, as {{ value|floatformat:1 }} would)."""
    formatted: dict[float | None, str] = {None: "—"}

    def one_decimal(value: float | None) -> str:
        if value not in formatted:
            formatted[value] = floatformat(value, 1)
        return formatted[value]

    return [
        {
            "url": f"{subject_base}{r.subject_id}/",
            "name": r.name,
            "rank": r.rank if r.ranked else _("未参评(数据不足)"),
            "cells": [
                (
                    name,
                    one_decimal(v)
                    + (f" ±{one_decimal(margin)}" if margin is not None else "")
                    + (" *" if adjusted else ""),
                )
                for name, v, adjusted, margin in r.cells
            ],
            "total": one_decimal(r.total),
        }
        for r in queries.with_cells(rows, inds)
    ]


@login_required
@require_GET
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel's overview, one direction at a time and 50 subjects a page (bounded whatever the city's size):
    each subject's values and total, linking to its page with every score's evidence, the ratings and the
    adjustment forms (review_subject)."""
    user = _user(request)
    cycle = _cycle(request, pk)
    if not permissions.can_see_evidence(user, cycle):
        raise Http404(_("未找到 / Not found"))
    direction = _direction(request.GET.get("direction"))
    inds = queries.indicators(cycle, direction)
    rows = queries.results(cycle, direction)
    if not rows:  # not computed yet (rating is open): list the subjects, whose pages show the ratings so far
        rows = [queries.Row(s.pk, s.name, {}, None) for s in _subjects_in_scope(cycle, direction)]
    q = request.GET.get("q", "").strip()
    if q:
        rows = [r for r in rows if q in r.name]
    page = Paginator(rows, REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    subject_base = reverse("evaluations:review", args=[cycle.pk])
    query = urlencode({"direction": direction, **({"q": q} if q else {})})
    return render(
        request,
        "evaluations/review.html",
        {
            "cycle": cycle,
            "direction": direction,
            "tabs": [
                (d, label, f"{subject_base}?{urlencode({'direction': d})}") for d, label in Direction.choices
            ],
            "indicators": inds,
            "rows": _review_rows(list(page.object_list), inds, f"{subject_base}{direction}/"),
            "page": page,
            "page_links": [
                (n, f"?{query}&page={n}" if isinstance(n, int) else "")
                for n in page.paginator.get_elided_page_range(page.number)
            ],
            "query": query,
            "q": q,
            "count": len(rows),
            "can_adjust": permissions.can_review_cycle(user, cycle)
            and cycle.status == Cycle.Status.REVIEWING,
        },
    )


# The evidence keys compute.py writes, labelled for the panel's page (review_subject).
EVIDENCE_LABELS = {
    "tasks": gettext_lazy("协议事项数"),
    "confirmed": gettext_lazy("已确认完成的事项"),
    "dealt_with": gettext_lazy("本期有社区与其往来"),
    "upheld_reports": gettext_lazy("查实的摊派举报"),
    "refused_tasks": gettext_lazy("社区拒绝的事项"),
    "outside_admission": gettext_lazy("其中未经准入或超出范围"),
    "incidents": gettext_lazy("干预事件合计"),
    "penalty": gettext_lazy("每起扣分"),
    "instalments_due": gettext_lazy("到期应付期数"),
    "paid_on_time_in_full": gettext_lazy("按期足额支付期数"),
    "held_for_evaluation": gettext_lazy("待评估结算的尾款(不计)"),
    "settled_by_evaluation": gettext_lazy("已按评估结算的尾款(不计)"),
    "ratings": gettext_lazy("评分数"),
    "late": gettext_lazy("逾期评分数"),
    "survey": gettext_lazy("调查编号"),
    "versions": gettext_lazy("调查版本编号"),
    "responses": gettext_lazy("答卷数"),
    "margin": gettext_lazy("误差范围(±)"),
    "suppressed": gettext_lazy("答卷少于5份,不公布"),
    "not_applicable": gettext_lazy("不适用"),
    "unknown_computation": gettext_lazy("未知的计算方法"),
}


def evidence_facts(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """A score's evidence as (label, value) pairs in the user's language; an unknown key is shown as it is."""
    facts = []
    for key, value in evidence.items():
        if isinstance(value, bool):
            text = str(_("是") if value else _("否"))
        elif isinstance(value, list):
            text = "、".join(str(v) for v in value) or "—"
        else:
            text = "—" if value is None else str(value)
        facts.append((str(EVIDENCE_LABELS.get(key, key)), text))
    return facts


@login_required
@require_GET
def review_subject(request: HttpRequest, pk: int, direction: str, subject_id: int) -> HttpResponse:
    """One community's or department's scores with their evidence, the ratings given for it, and (in review, for
    the panel) a form per score to adjust it with a reason."""
    user = _user(request)
    cycle = _cycle(request, pk)
    if not permissions.can_see_evidence(user, cycle) or direction not in Direction.values:
        raise Http404(_("未找到 / Not found"))
    field = "community" if direction == Direction.COMMUNITY else "department"
    evidence = queries.evidence_table(cycle, direction, subject_id)
    for e in evidence:
        e["facts"] = evidence_facts(e["score"].evidence)
    if evidence:
        subject = evidence[0]["subject"]
    else:
        subject = _subjects_in_scope(cycle, direction).filter(pk=subject_id).first()
        if subject is None:
            raise Http404(_("未找到 / Not found"))
    row = next((r for r in queries.results(cycle, direction) if r.subject_id == subject_id), None)
    ratings = (
        Rating.objects.filter(
            indicator__cycle=cycle, indicator__direction=direction, **{f"{field}_id": subject_id}
        )
        .select_related("indicator", "rater_org")
        .order_by("indicator__position", "indicator_id", "id")
    )
    return render(
        request,
        "evaluations/review_subject.html",
        {
            "cycle": cycle,
            "direction": direction,
            "direction_label": Direction(direction).label,
            "back": f"{reverse('evaluations:review', args=[cycle.pk])}?{urlencode({'direction': direction})}",
            "subject": subject,
            "row": row,
            "evidence": evidence,
            "ratings": ratings,
            "can_adjust": permissions.can_review_cycle(user, cycle)
            and cycle.status == Cycle.Status.REVIEWING,
        },
    )


@login_required
@require_POST
def score_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    score = Score.objects.select_related("indicator__cycle").filter(pk=pk).first()
    if score is None or not permissions.can_see_evidence(user, score.indicator.cycle):
        raise Http404(_("未找到 / Not found"))
    cycle = score.indicator.cycle
    form = AdjustForm(request.POST)
    if not form.is_valid():
        return render(request, "evaluations/error.html", {"cycle": cycle, "form": form}, status=422)
    try:
        services.adjust_score(
            actor=user, score=score, value=form.cleaned_data["value"], reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        return render(request, "evaluations/error.html", {"cycle": cycle, "error": exc}, status=exc.status)
    direction = score.indicator.direction
    subject_id = score.community_id if direction == Direction.COMMUNITY else score.department_id
    return redirect("evaluations:review_subject", cycle.pk, direction, subject_id)


# --- settlement of the final instalments ----------------------------------------------------------------------


def _settlement_cycle(request: HttpRequest, pk: int) -> Cycle:
    try:
        return permissions.get_settlement_cycle_for_user(_user(request), pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _settlements_page(
    request: HttpRequest, cycle: Cycle, status: int = 200, error: Any = None
) -> HttpResponse:
    user = _user(request)
    rows = [
        {
            "s": s,
            "can_settle": not s.is_settled
            and s.agreement_active
            and permissions.can_settle(user, cycle, s.department_id),
        }
        for s in queries.settlements(cycle)
    ]
    return render(
        request,
        "evaluations/settlements.html",
        {
            "cycle": cycle,
            "rows": rows,
            "published": cycle.status == Cycle.Status.PUBLISHED,
            "can_view_cycle": permissions.can_view_cycle(user, cycle),
            "error": error,
        },
        status=status,
    )


@login_required
@require_GET
def settlements(request: HttpRequest, pk: int) -> HttpResponse:
    return _settlements_page(request, _settlement_cycle(request, pk))


@login_required
@require_POST
def settle(request: HttpRequest, pk: int, agreement_id: int) -> HttpResponse:
    cycle = _settlement_cycle(request, pk)
    agreement = Agreement.objects.filter(pk=agreement_id).first()
    if agreement is None:
        raise Http404(_("未找到 / Not found"))
    try:
        instalment = services.settle_instalment(actor=_user(request), cycle=cycle, agreement=agreement)
    except DomainError as exc:
        return _settlements_page(request, cycle, status=exc.status, error=exc)
    messages.success(
        request,
        _("协议 %(number)s 尾款已结算:%(amount)s 元 / the final instalment was settled")
        % {"number": agreement.number, "amount": instalment.amount_yuan},
    )
    return redirect("evaluations:settlements", cycle.pk)


# --- public ------------------------------------------------------------------------------------------------


def _public(pk: int) -> Cycle:
    try:
        return permissions.get_public_cycle(pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_GET
def public_index(request: HttpRequest) -> HttpResponse:
    cycles = Cycle.objects.filter(status=Cycle.Status.PUBLISHED).select_related("scope")
    return render(request, "evaluations/public_index.html", {"cycles": cycles})


RESULTS_CACHE_SECONDS = 3600


def _results_context(cycle: Cycle) -> dict[str, Any]:
    """The published results. A published cycle's scores, weights and adjustments no longer change, so the
    rankings, charts, award and adjustments are rendered once per language and kept in the cache (keyed by the
    cycle and its publication time; an hour at most, for renamed communities and departments). The settlement
    of the final instalments still changes after publication (the departments' finance settles them), so it is
    worked out on every request, from the communities' totals kept with the cached part."""
    published = cycle.published_at.isoformat() if cycle.published_at else ""
    key = f"evaluations:results:{cycle.pk}:{published}:{get_language()}"
    cached = cache.get(key) if cycle.status == Cycle.Status.PUBLISHED else None
    if cached is None:
        sections = []
        totals: dict[int, float | None] = {}
        award: list[queries.Row] = []
        for d, label in Direction.choices:
            inds = queries.indicators(cycle, d)
            rows = queries.with_cells(queries.results(cycle, d), inds)
            if d == Direction.COMMUNITY:
                totals = queries.community_totals(rows)
            else:
                award = queries.award(cycle, rows)
            sections.append(
                {"label": label, "indicators": inds, "rows": rows, "chart": queries.chart(cycle, d, rows)}
            )
        html = render_to_string(
            "evaluations/_results.html",
            {
                "sections": sections,
                "award": award,
                "adjustments": queries.adjustments(cycle),
                "rank_min_coverage": queries.RANK_MIN_COVERAGE,
            },
        )
        cached = {"html": html, "totals": totals}
        if cycle.status == Cycle.Status.PUBLISHED:
            cache.set(key, cached, RESULTS_CACHE_SECONDS)
    return {
        "cycle": cycle,
        "results_html": mark_safe(cached["html"]),  # noqa: S308 -- rendered by our template, escaped there
        "settlements": queries.settlements(cycle, cached["totals"]),
    }


@require_GET
def public_results(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "evaluations/public_results.html", _results_context(_public(pk)))


@require_GET
def public_report(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "evaluations/report.html", _results_context(_public(pk)))


@require_GET
def public_export(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _public(pk)
    response = HttpResponse(
        xlsx.results_workbook(cycle),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="evaluation-{cycle.pk}.xlsx"'
    return response
