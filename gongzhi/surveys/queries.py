"""Reads of the surveys: response rates per community, and results in aggregate only (security.md SV-3).

Suppression: any cell counting fewer than MIN_CELL (5) responses is withheld (shown as "<5"), including zeros.
Where the withheld cells of a partition could be worked out by subtraction (a single withheld option of a
single-choice or 1–5 question whose total is shown; a single withheld community under a shown scope total), the
next smallest cell is withheld too. A group (a community, or the whole scope) with fewer than 5 responses shows
nothing but that fact.

Scores (docs/surveys.md): for a 1–5 question, the mean of the answers; for the survey's satisfaction index, the
mean over respondents of each respondent's own mean over the survey's 1–5 questions. Each with its 95 % margin of
error: t(0.975, n−1) · s / √n · √((N−n)/(N−1)), with s the sample standard deviation, n the responses and N the
households (or units) the survey covers there (finite-population correction: a survey answered by every household
has no sampling error). `score100` maps 1–5 onto 0–100 ((mean − 1) · 25).

The service API for other apps (gongzhi.evaluations): `scores(survey, question=None)` → ScoreTable (overall and per
community, suppressed), `response_rates(survey)` → RatesReport, `results(survey)` → SurveyResults.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, ExpressionWrapper, F, IntegerField, Sum

from gongzhi.core.roles import OrgKind
from gongzhi.orgs.models import Household, Organization, Region
from gongzhi.surveys.models import Answer, Invitation, Participation, Question, Response, Survey
from gongzhi.surveys.permissions import community_ids_in

MIN_CELL = 5

# Two-sided 95 % quantiles of Student's t for 1–30 degrees of freedom; beyond, a Cornish–Fisher expansion.
_T975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip
_Z975 = 1.959964


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom (to 3 decimals for every df ≥ 1)."""
    if df < 1:
        raise ValueError("df must be ≥ 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


# --- Cells ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreCell:
    """A score on the 1–5 scale. When `suppressed`, every number is None (n < 5, or withheld to stop
    subtraction)."""

    n: int | None
    mean: float | None
    sd: float | None
    margin: float | None  # half-width of the 95 % interval
    population: int | None
    suppressed: bool

    @property
    def low(self) -> float | None:
        return None if self.mean is None or self.margin is None else max(1.0, self.mean - self.margin)

    @property
    def high(self) -> float | None:
        return None if self.mean is None or self.margin is None else min(5.0, self.mean + self.margin)

    @property
    def score100(self) -> float | None:
        return None if self.mean is None else (self.mean - 1) * 25

    @property
    def margin100(self) -> float | None:
        return None if self.margin is None else self.margin * 25


SUPPRESSED = ScoreCell(None, None, None, None, None, True)


def score_cell(n: int, total: float, total_sq: float, population: int | None) -> ScoreCell:
    """Mean, sample standard deviation and 95 % margin from n, Σx and Σx²; suppressed below MIN_CELL."""
    if n < MIN_CELL:
        return SUPPRESSED
    mean = total / n
    variance = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    sd = math.sqrt(variance)
    fpc = 1.0
    if population is not None and population > 1:
        fpc = math.sqrt(max(0, population - n) / (population - 1))
    margin = t975(n - 1) * sd / math.sqrt(n) * fpc
    return ScoreCell(n, mean, sd, margin, population, False)


@dataclass
class Sums:
    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    def add(self, other: Sums) -> None:
        self.n += other.n
        self.total += other.total
        self.total_sq += other.total_sq


def complementary(counts: dict[int, int], *, total_shown: bool) -> set[int]:
    """Keys of the cells to withhold in a partition: those under MIN_CELL; and while the total is shown, further
    cells, smallest first, until more than one is withheld and the withheld cells together count 0 or at least
    MIN_CELL (else a withheld cell, or a group of fewer than 5, would follow by subtraction)."""
    hidden = {k for k, v in counts.items() if v < MIN_CELL}
    if total_shown and hidden:
        rest = sorted((v, k) for k, v in counts.items() if k not in hidden)
        while rest and (len(hidden) == 1 or 0 < sum(counts[k] for k in hidden) < MIN_CELL):
            hidden.add(rest.pop(0)[1])
    return hidden


# --- Populations ----------------------------------------------------------------------------------------------


def populations(survey: Survey, community_ids: Iterable[int]) -> dict[int, int]:
    """Households (or co-building units) per community: whom the survey covers."""
    ids = list(community_ids)
    counts: Iterable[tuple[int, int]]
    if survey.for_units:
        counts = (
            Organization.objects.filter(region_id__in=ids, kind=OrgKind.UNIT, is_active=True)
            .values("region_id")
            .annotate(n=Count("id"))
            .values_list("region_id", "n")
        )
    else:
        counts = (
            Household.objects.filter(community_id__in=ids)
            .values("community_id")
            .annotate(n=Count("id"))
            .values_list("community_id", "n")
        )
    found = dict(counts)
    return {c: found.get(c, 0) for c in ids}


# --- Response rates -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    community_id: int
    community: str
    eligible: int
    invited: int
    responded: int
    by_code: int
    by_account: int
    assisted: int

    @property
    def rate(self) -> float | None:
        return self.responded / self.eligible if self.eligible else None

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else round(self.rate * 100, 1)


@dataclass(frozen=True)
class RatesReport:
    rows: list[RateRow]
    total: RateRow


def response_rates(survey: Survey, *, communities: set[int] | None = None) -> RatesReport:
    """Live counts for the survey's series per community: covered, invited, answered (by code, by account,
    entered by staff). These count participation, never answers, so nothing is suppressed. `communities` limits
    the rows (None: all of the scope); the total is always the whole scope's."""
    in_scope = community_ids_in(survey.scope)
    names = dict(Region.objects.filter(pk__in=in_scope).values_list("pk", "name"))
    codes_ = dict(Region.objects.filter(pk__in=in_scope).values_list("pk", "code"))
    eligible = populations(survey, in_scope)
    invited = dict(
        Invitation.objects.filter(series=survey.series)
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    )
    channels: dict[int, dict[str, int]] = defaultdict(dict)
    for community_id, channel, n in (
        Participation.objects.filter(series=survey.series)
        .values("community_id", "channel")
        .annotate(n=Count("id"))
        .values_list("community_id", "channel", "n")
    ):
        channels[community_id][channel] = n

    def row(cid: int, name: str, elig: int, inv: int, ch: dict[str, int]) -> RateRow:
        code = ch.get(Participation.Channel.CODE, 0)
        account = ch.get(Participation.Channel.ACCOUNT, 0)
        assisted = ch.get(Participation.Channel.ASSISTED, 0)
        return RateRow(cid, name, elig, inv, code + account + assisted, code, account, assisted)

    rows = [
        row(cid, names[cid], eligible.get(cid, 0), invited.get(cid, 0), channels.get(cid, {}))
        for cid in sorted(in_scope, key=lambda c: codes_[c])
    ]
    totals: dict[str, int] = defaultdict(int)
    for ch in channels.values():
        for k, v in ch.items():
            totals[k] += v
    total = row(0, survey.scope.name, sum(eligible.values()), sum(invited.values()), dict(totals))
    shown = rows if communities is None else [r for r in rows if r.community_id in communities]
    return RatesReport(shown, total)


# --- Scores ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreTable:
    overall: ScoreCell
    communities: dict[int, ScoreCell]  # every community of the scope; suppressed cells included


def _question(survey: Survey, question: Question | str | int | None) -> Question | None:
    if question is None or isinstance(question, Question):
        return question
    found = (
        survey.questions.filter(key=question).first()
        if isinstance(question, str)
        else survey.questions.filter(pk=question).first()
    )
    if found is None or not found.is_scale:
        raise LookupError(f"no 1–5 question {question!r} in survey {survey.pk}")
    return found


def _sums(survey: Survey, question: Question | None) -> dict[int, Sums]:
    sums: dict[int, Sums] = defaultdict(Sums)
    if question is not None:
        square = ExpressionWrapper(F("value") * F("value"), output_field=IntegerField())
        for community_id, n, total, total_sq in (
            Answer.objects.filter(question=question)
            .values("community_id")
            .annotate(n=Count("id"), t=Sum("value"), q=Sum(square))
            .values_list("community_id", "n", "t", "q")
        ):
            sums[community_id] = Sums(n, float(total or 0), float(total_sq or 0))
        return sums
    # The satisfaction index: each respondent's mean over the 1–5 questions, then the mean of those.
    per_response = (
        Answer.objects.filter(response__survey=survey, question__kind=Question.Kind.SCALE)
        .values("response_id", "community_id")
        .annotate(t=Sum("value"), k=Count("id"))
        .values_list("community_id", "t", "k")
    )
    for community_id, total, k in per_response.iterator(chunk_size=5000):
        mean = total / k
        cell = sums[community_id]
        cell.n += 1
        cell.total += mean
        cell.total_sq += mean * mean
    return sums


def scores(survey: Survey, question: Question | str | int | None = None) -> ScoreTable:
    """Scores of one 1–5 question (a Question, its id or its key) or, with question=None, the satisfaction index,
    for the whole scope and for each of its communities, with cells under 5 (and their complements) withheld.
    Raises LookupError for a question that is not a 1–5 question of this survey."""
    q = _question(survey, question)
    in_scope = sorted(community_ids_in(survey.scope))
    pops = populations(survey, in_scope)
    sums = _sums(survey, q)
    overall = Sums()
    for cell in sums.values():
        overall.add(cell)
    overall_cell = score_cell(overall.n, overall.total, overall.total_sq, sum(pops.values()) or None)
    # Which communities to withhold is decided on their response counts, as on the results page, so that the
    # two cannot be subtracted from each other.
    responses = dict(
        Response.objects.filter(survey=survey)
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    )
    counts = {cid: responses.get(cid, 0) for cid in in_scope}
    hidden = complementary(counts, total_shown=not overall_cell.suppressed)
    communities = {
        cid: SUPPRESSED
        if cid in hidden
        else score_cell(sums[cid].n, sums[cid].total, sums[cid].total_sq, pops.get(cid) or None)
        for cid in in_scope
    }
    return ScoreTable(overall_cell, communities)


# --- Whole results --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionCell:
    label: str
    count: int | None  # None: withheld

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    answered: int | None  # None: withheld
    options: list[OptionCell] = field(default_factory=list)  # choices, or the 1–5 distribution
    score: ScoreCell | None = None
    texts: int = 0  # how many text answers (the texts themselves: comments())


@dataclass(frozen=True)
class GroupResults:
    label: str
    responses: int | None  # None: fewer than 5, nothing shown
    questions: list[QuestionResult]


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    overall: GroupResults
    communities: list[GroupResults]
    index: ScoreTable | None  # the satisfaction index, when the survey has 1–5 questions
    index_rows: list[tuple[Region, ScoreCell]]  # for the visible communities


def _group(
    label: str,
    questions: list[Question],
    responses: int,
    counts: dict[int, dict[int | None, int]],
    sums: dict[int, Sums],
    population: int | None,
) -> GroupResults:
    if responses < MIN_CELL:
        return GroupResults(label, None, [])
    out: list[QuestionResult] = []
    for q in questions:
        per_value = counts.get(q.pk, {})
        if q.is_text:
            texts = per_value.get(None, 0)
            out.append(QuestionResult(q, texts if texts >= MIN_CELL else None, texts=texts))
            continue
        if q.is_scale:
            labels = [str(v) for v in range(Question.SCALE_MIN, Question.SCALE_MAX + 1)]
            values = list(range(Question.SCALE_MIN, Question.SCALE_MAX + 1))
            answered = sum(per_value.get(v, 0) for v in values)
        else:
            labels = list(q.options)
            values = list(range(len(q.options)))
            answered = sums[q.pk].n if q.pk in sums else 0
        if answered < MIN_CELL:
            out.append(QuestionResult(q, None))
            continue
        cells = {v: per_value.get(v, 0) for v in values}
        partition = q.kind in (Question.Kind.SINGLE, Question.Kind.SCALE)
        hidden = (
            complementary(cells, total_shown=True)
            if partition
            else {k for k, v in cells.items() if v < MIN_CELL}
        )
        options = [
            OptionCell(lbl, None if v in hidden else cells[v]) for lbl, v in zip(labels, values, strict=True)
        ]
        score = None
        if q.is_scale:
            s = sums.get(q.pk, Sums())
            score = score_cell(s.n, s.total, s.total_sq, population)
        out.append(QuestionResult(q, answered, options, score))
    return GroupResults(label, responses, out)


def results(survey: Survey, *, communities: set[int] | None = None) -> SurveyResults:
    """Everything a results page shows, for the whole scope and for each visible community (None: all)."""
    questions = list(survey.questions.order_by("position"))
    in_scope = community_ids_in(survey.scope)
    regions = {r.pk: r for r in Region.objects.filter(pk__in=in_scope)}
    pops = populations(survey, in_scope)
    responses = dict(
        Response.objects.filter(survey=survey)
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    )
    # counts[community][question][value]: answers per option or scale point (value None: a text answer)
    counts: dict[int, dict[int, dict[int | None, int]]] = defaultdict(lambda: defaultdict(dict))
    answered: dict[int, dict[int, Sums]] = defaultdict(dict)  # respondents per choice question (distinct)
    for community_id, qid, value, n in (
        Answer.objects.filter(question__survey=survey)
        .values("community_id", "question_id", "value")
        .annotate(n=Count("id"))
        .values_list("community_id", "question_id", "value", "n")
    ):
        counts[community_id][qid][value] = n
    for community_id, qid, n in (
        Answer.objects.filter(question__survey=survey, question__kind__in=Question.CHOICE_KINDS)
        .values("community_id", "question_id")
        .annotate(n=Count("response_id", distinct=True))
        .values_list("community_id", "question_id", "n")
    ):
        answered[community_id][qid] = Sums(n)
    for q in questions:
        if q.is_scale:
            for community_id, per_value in ((c, counts[c].get(q.pk, {})) for c in list(counts)):
                n = sum(v for k, v in per_value.items() if k is not None)
                total = sum(k * v for k, v in per_value.items() if k is not None)
                total_sq = sum(k * k * v for k, v in per_value.items() if k is not None)
                answered[community_id][q.pk] = Sums(n, float(total), float(total_sq))

    # The whole scope: sums over communities.
    all_counts: dict[int, dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    all_sums: dict[int, Sums] = defaultdict(Sums)
    for per_q in counts.values():
        for qid, per_value in per_q.items():
            for value, n in per_value.items():
                all_counts[qid][value] += n
    for per_q_sums in answered.values():
        for qid, s in per_q_sums.items():
            all_sums[qid].add(s)
    total_responses = sum(responses.values())
    overall = _group(
        survey.scope.name, questions, total_responses, all_counts, all_sums, sum(pops.values()) or None
    )

    # Communities: whole groups under 5 withheld, with their complement under the shown total.
    group_sizes = {cid: responses.get(cid, 0) for cid in in_scope}
    hidden = complementary(group_sizes, total_shown=overall.responses is not None)
    shown_ids = sorted(
        in_scope if communities is None else in_scope & communities, key=lambda c: regions[c].code
    )
    groups = []
    for cid in shown_ids:
        if cid in hidden:
            groups.append(GroupResults(regions[cid].name, None, []))
        else:
            groups.append(
                _group(
                    regions[cid].name,
                    questions,
                    group_sizes[cid],
                    counts[cid],
                    answered[cid],
                    pops.get(cid) or None,
                )
            )
    index = scores(survey) if any(q.is_scale for q in questions) else None
    index_rows = [(regions[cid], index.communities[cid]) for cid in shown_ids] if index is not None else []
    return SurveyResults(survey, overall, groups, index, index_rows)


# --- Free-text answers (managers only) ------------------------------------------------------------------------


def comments(question: Question) -> list[str] | None:
    """The text answers to one question in alphabetical order (not the order they came in), without any other
    answer of the same response; None while fewer than MIN_CELL exist."""
    texts = list(Answer.objects.filter(question=question, value__isnull=True).values_list("text", flat=True))
    if len(texts) < MIN_CELL:
        return None
    return sorted(texts)
