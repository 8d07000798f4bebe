"""Reads of the surveys: response rates per community, and results in aggregate only (security.md SV-3).

Suppression (`suppress_table`): every count a page, export or API shows belongs to a table per question: one row per
community of the scope plus the scope's total row; one column per option or scale point plus the `answered` margin
(each row's total; a text question has only that). Each row of a single-choice or 1–5 question adds up to its
margin, and each column adds up to its total. Then:

- any cell counting fewer than MIN_CELL (5) is withheld (shown as "<5"), zeros included; a community with fewer
  than 5 responses, or withheld as the complement of one (`complementary` on responses per community under the
  shown scope total), is withheld whole in every table; a row whose margin is withheld is withheld whole;
- complementary suppression in two dimensions: in every row and every column whose total is shown, the withheld
  cells must be none, or at least two counting 0 or at least 5 together; else the smallest shown cell of that line
  is withheld too (a column with no shown cell left has its total withheld). Withholding for a column can leave a
  single withheld cell in a row and the other way round, so it repeats until no line changes (each cell at most
  once: fast for 400 communities). So no withheld cell, and no withheld group of fewer than 5, follows from one
  row or one column by subtraction, across communities as well as within one. Community staff see the total row
  and their own row: the rest of the scope, total minus a shown cell, is the sum of shown cells (each ≥ 5) and
  withheld ones (0 or ≥ 5 together), so it is 0 or at least 5;
- a 1–5 question also shows the mean and standard deviation (with n: Σx and Σx²), enough to solve up to three
  withheld scale points of the same row; so a row of a 1–5 question whose withheld points count more than 0 shows
  no distribution at all (its n and score stay);
- scores() withholds a community's score exactly where the question's table withholds its `answered` cell (the
  index: a one-column table of respondents per community), so that results, scores and the API agree.

Not covered: combining several equations at once (e.g. a row and two columns) can narrow a withheld cell down
to a range, and the response rates (participation, not answers; not suppressed) tell how many answered in a
withheld community. A full linear-programming audit of every table is not run.

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
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count

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
    """Keys of the cells to withhold in one line on its own (responses per community): those under MIN_CELL; and while the total is shown, further
    cells, smallest first, until more than one is withheld and the withheld cells together count 0 or at least
    MIN_CELL (else a withheld cell, or a group of fewer than 5, would follow by subtraction)."""
    hidden = {k for k, v in counts.items() if v < MIN_CELL}
    if total_shown and hidden:
        rest = sorted((v, k) for k, v in counts.items() if k not in hidden)
        while rest and (len(hidden) == 1 or 0 < sum(counts[k] for k in hidden) < MIN_CELL):
            hidden.add(rest.pop(0)[1])
    return hidden


Cell = tuple[Hashable, Hashable]


def _needs_more(values: list[int], *, total_shown: bool) -> bool:
    """Whether the withheld cells of one line (a row or a column) could be worked out by subtraction: with its
    total shown, a single withheld cell, or withheld cells counting 1–4 together; with its total withheld, no
    withheld member (the total is their sum)."""
    if not total_shown:
        return not values
    return len(values) == 1 or 0 < sum(values) < MIN_CELL


def suppress_table(
    table: Mapping[Hashable, Mapping[Hashable, int]],
    *,
    total_row: Hashable,
    margin: Hashable,
    rows_add_up: bool,
    solid_rows: bool = False,
    hidden: Iterable[Cell] = (),
) -> set[Cell]:
    """Two-dimensional complementary suppression. `table[row][column]` holds counts, including the total row
    (`total_row`: each column's sum over the other rows) and the margin column (`margin`: each row's total; the
    other columns add up to it when `rows_add_up`, as the options of a single-choice or 1–5 question do; not for
    multiple choice). Returns the (row, column) cells to withhold:

    - every cell under MIN_CELL, and the cells in `hidden` (e.g. the rows of communities withheld as a whole);
    - a row whose margin is withheld is withheld whole;
    - then, until nothing changes, for every line (a row when `rows_add_up`, and every column) whose withheld
      members could be worked out by subtraction from its total and its shown members (`_needs_more`), the
      line's smallest shown member is withheld too; a column with no shown member left has its total withheld;
    - with `solid_rows` (a 1–5 question, whose mean and standard deviation are shown next to its distribution: with
      the row's count they are three more equations, enough to solve up to three withheld scale points), a row
      whose withheld members count more than 0 together is withheld whole except its margin.

    Withholding a cell for a column can leave a single withheld cell in its row (and the other way round); each
    change puts the cell's row and column back on the work list, so the loop stops when no row and no column can
    be solved on its own. Each cell is withheld at most once: at most rows × columns steps."""
    rows = list(table)
    columns: list[Hashable] = list(dict.fromkeys(c for r in rows for c in table[r]))
    value = {(r, c): table[r].get(c, 0) for r in rows for c in columns}
    members = [c for c in columns if c != margin]
    inner = [r for r in rows if r != total_row]
    out: set[Cell] = set()
    todo: dict[tuple[str, Hashable], None] = {}  # lines to look at, in order (a dict: no line queued twice)

    def hide(cell: Cell) -> None:
        if cell in out:
            return
        out.add(cell)
        r, c = cell
        todo[("row", r)] = None
        todo[("col", c)] = None
        if c == margin:
            for other in columns:
                hide((r, other))

    for cell, v in value.items():
        if v < MIN_CELL:
            hide(cell)
    for cell in hidden:
        if cell in value:
            hide(cell)
    todo.update(dict.fromkeys([*(("row", r) for r in rows), *(("col", c) for c in columns)]))
    while todo:
        kind, key = next(iter(todo))
        del todo[(kind, key)]
        if kind == "row":
            if not rows_add_up or margin not in columns:
                continue
            line = [(key, c) for c in members]
            total: Cell = (key, margin)
        else:
            if total_row not in table:
                continue
            line = [(r, key) for r in inner]
            total = (total_row, key)
        shown = total not in out
        if kind == "row" and solid_rows and shown and sum(value[c] for c in line if c in out) > 0:
            for c in line:
                hide(c)
            continue
        if not _needs_more([value[c] for c in line if c in out], total_shown=shown):
            continue
        candidates = [c for c in line if c not in out]
        if candidates:
            hide(min(candidates, key=lambda c: value[c]))
        else:
            hide(total)
    return out


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

TOTAL = "total"  # the row of the whole scope in a suppression table
ANSWERED = "answered"  # its margin column: how many answered the question (the index: how many have one)


@dataclass(frozen=True)
class ScoreTable:
    overall: ScoreCell
    communities: dict[int, ScoreCell]  # every community of the scope; suppressed cells included


@dataclass(frozen=True)
class _Groups:
    """Responses per community of the scope, and the communities withheld whole (under 5, or their complement
    under the scope's total)."""

    responses: dict[int, int]
    total: int
    hidden: set[int]


def _groups(survey: Survey, in_scope: Iterable[int]) -> _Groups:
    found = dict(
        Response.objects.filter(survey=survey)
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    )
    sizes = {cid: found.get(cid, 0) for cid in in_scope}
    total = sum(sizes.values())
    return _Groups(sizes, total, complementary(sizes, total_shown=total >= MIN_CELL))


def _values(q: Question) -> list[int]:
    if q.is_scale:
        return list(range(Question.SCALE_MIN, Question.SCALE_MAX + 1))
    if q.is_text:
        return []
    return list(range(len(q.options)))


def _question_table(
    q: Question,
    per_value: Mapping[int, Mapping[int | None, int]],
    answered: Mapping[int, int],
    community_ids: list[int],
    groups: _Groups,
) -> tuple[dict[Hashable, dict[Hashable, int]], set[Cell]]:
    """One question's table (communities × options or scale points, with the `ANSWERED` margin and the `TOTAL`
    row) and its withheld cells. The same for the results page, the API and scores(), so that no two outputs can
    be subtracted from each other."""
    values = _values(q)
    table: dict[Hashable, dict[Hashable, int]] = {}
    for cid in community_ids:
        mine = per_value.get(cid, {})
        table[cid] = {**{v: mine.get(v, 0) for v in values}, ANSWERED: answered.get(cid, 0)}
    table[TOTAL] = {c: sum(table[cid][c] for cid in community_ids) for c in [*values, ANSWERED]}
    withheld: set[Cell] = {(cid, ANSWERED) for cid in groups.hidden}
    if groups.total < MIN_CELL:
        withheld.add((TOTAL, ANSWERED))
    partition = q.kind in (Question.Kind.SINGLE, Question.Kind.SCALE)
    hidden = suppress_table(
        table,
        total_row=TOTAL,
        margin=ANSWERED,
        rows_add_up=partition,
        solid_rows=q.is_scale,
        hidden=withheld,
    )
    return table, hidden


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


def _scale_sums(per_value: Mapping[int | None, int]) -> Sums:
    n = sum(v for k, v in per_value.items() if k is not None)
    total = sum(k * v for k, v in per_value.items() if k is not None)
    total_sq = sum(k * k * v for k, v in per_value.items() if k is not None)
    return Sums(n, float(total), float(total_sq))


def _index_sums(survey: Survey) -> dict[int, Sums]:
    """The satisfaction index: each respondent's mean over the 1–5 questions, then the mean of those. Both steps
    run in the database (a grouped subquery: a city's 600,000 respondents are not carried into Python)."""
    scale = list(survey.questions.filter(kind=Question.Kind.SCALE).values_list("pk", flat=True))
    if not scale:
        return {}
    qn = connection.ops.quote_name
    table = qn(Answer._meta.db_table)
    marks = ", ".join(["%s"] * len(scale))
    mean = "CAST(SUM(value) AS DOUBLE PRECISION) / COUNT(*)"  # one respondent's mean (REAL on SQLite)
    inner = f"SELECT community_id, {mean} AS m FROM {table} WHERE question_id IN ({marks}) GROUP BY response_id, community_id"  # noqa: S608 - own names; ids as parameters
    sql = f"SELECT community_id, COUNT(*), SUM(m), SUM(m * m) FROM ({inner}) AS per_respondent GROUP BY community_id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, scale)
        return {
            cid: Sums(int(n), float(total), float(total_sq)) for cid, n, total, total_sq in cursor.fetchall()
        }


def scores(survey: Survey, question: Question | str | int | None = None) -> ScoreTable:
    """Scores of one 1–5 question (a Question, its id or its key) or, with question=None, the satisfaction index,
    for the whole scope and for each of its communities, withheld as the results page withholds the question's
    `answered` cells (the index: a one-column table of respondents per community). Raises LookupError for a
    question that is not a 1–5 question of this survey."""
    q = _question(survey, question)
    in_scope = sorted(community_ids_in(survey.scope))
    pops = populations(survey, in_scope)
    groups = _groups(survey, in_scope)
    sums: dict[int, Sums]
    if q is not None:
        per_value: dict[int, dict[int | None, int]] = defaultdict(dict)
        for community_id, value, n in (
            Answer.objects.filter(question=q)
            .values("community_id", "value")
            .annotate(n=Count("id"))
            .values_list("community_id", "value", "n")
        ):
            per_value[community_id][value] = n
        sums = {cid: _scale_sums(per_value.get(cid, {})) for cid in in_scope}
        _table, hidden = _question_table(q, per_value, {c: s.n for c, s in sums.items()}, in_scope, groups)
    else:
        found = _index_sums(survey)
        sums = {cid: found.get(cid, Sums()) for cid in in_scope}
        table: dict[Hashable, dict[Hashable, int]] = {cid: {ANSWERED: sums[cid].n} for cid in in_scope}
        table[TOTAL] = {ANSWERED: sum(s.n for s in sums.values())}
        withheld: set[Cell] = {(cid, ANSWERED) for cid in groups.hidden}
        if groups.total < MIN_CELL:
            withheld.add((TOTAL, ANSWERED))
        hidden = suppress_table(table, total_row=TOTAL, margin=ANSWERED, rows_add_up=False, hidden=withheld)
    overall = Sums()
    for cell in sums.values():
        overall.add(cell)
    overall_cell = (
        SUPPRESSED
        if (TOTAL, ANSWERED) in hidden
        else score_cell(overall.n, overall.total, overall.total_sq, sum(pops.values()) or None)
    )
    communities = {
        cid: SUPPRESSED
        if (cid, ANSWERED) in hidden
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
    texts: int = 0  # how many text answers, when shown (the texts themselves: comments())


@dataclass(frozen=True)
class GroupResults:
    label: str
    responses: int | None  # None: fewer than 5, nothing shown
    questions: list[QuestionResult]
    community_id: int | None = None  # None: the whole scope


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    overall: GroupResults
    communities: list[GroupResults]
    index: ScoreTable | None  # the satisfaction index, when the survey has 1–5 questions
    index_rows: list[tuple[Region, ScoreCell]]  # for the visible communities


def _group(
    label: str,
    row: Hashable,
    questions: list[Question],
    responses: int | None,
    tables: Mapping[int, tuple[dict[Hashable, dict[Hashable, int]], set[Cell]]],
    scale_sums: Mapping[int, Mapping[Hashable, Sums]],
    population: int | None,
) -> GroupResults:
    community_id = row if isinstance(row, int) else None
    if responses is None:
        return GroupResults(label, None, [], community_id)
    out: list[QuestionResult] = []
    for q in questions:
        table, hidden = tables[q.pk]
        if (row, ANSWERED) in hidden:
            out.append(QuestionResult(q, None))
            continue
        answered = table[row][ANSWERED]
        if q.is_text:
            out.append(QuestionResult(q, answered, texts=answered))
            continue
        labels = [str(v) for v in _values(q)] if q.is_scale else list(q.options)
        options = [
            OptionCell(lbl, None if (row, v) in hidden else table[row][v])
            for lbl, v in zip(labels, _values(q), strict=True)
        ]
        score = None
        if q.is_scale:
            s = scale_sums.get(q.pk, {}).get(row, Sums())
            score = score_cell(s.n, s.total, s.total_sq, population)
        out.append(QuestionResult(q, answered, options, score))
    return GroupResults(label, responses, out, community_id)


def results(survey: Survey, *, communities: set[int] | None = None) -> SurveyResults:
    """Everything a results page shows, for the whole scope and for each visible community (None: all). The
    suppression is worked out on every community of the scope, then the rows are limited to the visible ones."""
    questions = list(survey.questions.order_by("position"))
    in_scope = community_ids_in(survey.scope)
    regions = {r.pk: r for r in Region.objects.filter(pk__in=in_scope)}
    ordered = sorted(in_scope, key=lambda c: regions[c].code)
    pops = populations(survey, in_scope)
    groups = _groups(survey, in_scope)
    # per_value[question][community][value]: answers per option or scale point (value None: a text answer)
    per_value: dict[int, dict[int, dict[int | None, int]]] = defaultdict(lambda: defaultdict(dict))
    for community_id, qid, value, n in (
        Answer.objects.filter(question__survey=survey)
        .values("community_id", "question_id", "value")
        .annotate(n=Count("id"))
        .values_list("community_id", "question_id", "value", "n")
    ):
        per_value[qid][community_id][value] = n
    # answered[question][community]: respondents (a multiple-choice answer is one row per option ticked)
    answered: dict[int, dict[int, int]] = defaultdict(dict)
    for community_id, qid, n in (
        Answer.objects.filter(question__survey=survey, question__kind__in=Question.CHOICE_KINDS)
        .values("community_id", "question_id")
        .annotate(n=Count("response_id", distinct=True))
        .values_list("community_id", "question_id", "n")
    ):
        answered[qid][community_id] = n
    scale_sums: dict[int, dict[Hashable, Sums]] = {}
    for q in questions:
        if q.is_scale:
            mine: dict[Hashable, Sums] = {cid: _scale_sums(per_value[q.pk].get(cid, {})) for cid in ordered}
            answered[q.pk] = {cid: mine[cid].n for cid in ordered}
            total = Sums()
            for s in mine.values():
                total.add(s)
            scale_sums[q.pk] = {**mine, TOTAL: total}
        elif q.is_text:
            answered[q.pk] = {cid: per_value[q.pk].get(cid, {}).get(None, 0) for cid in ordered}
    tables = {q.pk: _question_table(q, per_value[q.pk], answered[q.pk], ordered, groups) for q in questions}
    overall = _group(
        survey.scope.name,
        TOTAL,
        questions,
        groups.total if groups.total >= MIN_CELL else None,
        tables,
        scale_sums,
        sum(pops.values()) or None,
    )
    shown_ids = [cid for cid in ordered if communities is None or cid in communities]
    rows = [
        _group(
            regions[cid].name,
            cid,
            questions,
            None if cid in groups.hidden else groups.responses[cid],
            tables,
            scale_sums,
            pops.get(cid) or None,
        )
        for cid in shown_ids
    ]
    index = scores(survey) if any(q.is_scale for q in questions) else None
    index_rows = [(regions[cid], index.communities[cid]) for cid in shown_ids] if index is not None else []
    return SurveyResults(survey, overall, rows, index, index_rows)


# --- Free-text answers (managers only) ------------------------------------------------------------------------


def comments(question: Question) -> list[str] | None:
    """The text answers to one question in alphabetical order (not the order they came in), without any other
    answer of the same response; None while fewer than MIN_CELL exist."""
    texts = list(Answer.objects.filter(question=question, value__isnull=True).values_list("text", flat=True))
    if len(texts) < MIN_CELL:
        return None
    return sorted(texts)
