"""Results in aggregate only (SV-3): cells under 5 withheld (with their complements), scores with 95 % margins,
response rates per community by channel."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Hashable, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.surveys import queries, services
from gongzhi.surveys.models import Question, Survey
from gongzhi.surveys.queries import ANSWERED, MIN_CELL, TOTAL, suppress_table
from gongzhi.surveys.services import QuestionSpec
from gongzhi.surveys.tests.conftest import QUESTIONS, add_households, answers, code_for


def fill(survey: Any, households: Any, values: list[int], choices: list[int] | None = None) -> None:
    for i, (household, value) in enumerate(zip(households, values, strict=True)):
        choice = choices[i] if choices else 0
        services.submit_with_code(
            code=code_for(survey, household), answers=answers(survey, overall=value, service=3, choice=choice)
        )


@pytest.mark.parametrize(
    ("df", "expected"),
    [(1, 12.706), (4, 2.776), (10, 2.228), (30, 2.042), (31, 2.040), (60, 2.000), (120, 1.980)],
)
def test_t_quantiles(df, expected):
    assert queries.t975(df) == pytest.approx(expected, abs=1.5e-3)


def test_score_cell_matches_a_hand_computation():
    values = [5, 4, 4, 3, 5, 2, 4]
    cell = queries.score_cell(len(values), sum(values), sum(v * v for v in values), None)
    sd = statistics.stdev(values)
    assert cell.mean is not None and cell.margin is not None
    assert cell.mean == pytest.approx(statistics.mean(values))
    assert cell.sd == pytest.approx(sd)
    assert cell.margin == pytest.approx(2.4469 * sd / math.sqrt(7))
    # finite population: everyone answered → no sampling error; half answered → smaller margin
    assert queries.score_cell(7, sum(values), sum(v * v for v in values), 7).margin == 0
    half = queries.score_cell(7, sum(values), sum(v * v for v in values), 14)
    assert half.margin == pytest.approx(cell.margin * math.sqrt(7 / 13))
    assert cell.score100 == pytest.approx((cell.mean - 1) * 25)
    assert queries.score_cell(4, 16, 64, None) == queries.SUPPRESSED


def test_complementary_suppression():
    assert queries.complementary({1: 10, 2: 20}, total_shown=True) == set()
    assert queries.complementary({1: 3, 2: 20, 3: 30}, total_shown=True) == {1, 2}
    assert queries.complementary({1: 3, 2: 20, 3: 30}, total_shown=False) == {1}
    assert queries.complementary({1: 1, 2: 2, 3: 9, 4: 30}, total_shown=True) == {1, 2, 3}  # 1+2 < 5
    assert queries.complementary({1: 0, 2: 0, 3: 9}, total_shown=True) == {1, 2}


def test_a_community_with_fewer_than_five_responses_shows_nothing(survey, city):
    fill(survey, add_households(city.estate, 4), [5, 5, 4, 1])
    result = queries.results(survey)
    assert result.overall.responses is None and result.overall.questions == []
    assert [g.responses for g in result.communities] == [None]
    table = queries.scores(survey, "overall")
    assert table.overall.suppressed and table.communities[city.tongxia.pk].suppressed


def test_results_with_withheld_small_cells(survey, city):
    households = add_households(city.estate, 12)
    # overall: 5×6, 4×4, 3×1, 2×1; choice: 10 × option 0, 2 × option 1, 0 × option 2
    fill(survey, households, [5] * 6 + [4] * 4 + [3, 2], choices=[0] * 10 + [1, 1])
    result = queries.results(survey)
    group = result.communities[0]
    assert group.responses == 12
    by_pos = {r.question.position: r for r in group.questions}
    overall = by_pos[1]
    counts = [o.count for o in overall.options]
    # 1: 0, 2: 1, 3: 1, 4: 4 withheld (under 5); 5: 6 would be shown, but the mean and standard deviation next to
    # the distribution would give the withheld points back (n, Σx, Σx²: three equations), so all five are withheld
    assert counts == [None, None, None, None, None]
    assert overall.score is not None and overall.score.n == 12
    assert overall.score.mean == pytest.approx((30 + 16 + 3 + 2) / 12)
    choice = by_pos[3]
    # option 1 (2) and option 2 (0) withheld: two withheld cells summing to 2 < 5 → option 0 withheld as well
    assert [o.count for o in choice.options] == [None, None, None]
    text = by_pos[5]
    assert text.answered is None and text.texts == 0
    # no shown cell anywhere is under 5
    for g in (result.overall, *result.communities):
        for q in g.questions:
            for o in q.options:
                assert o.count is None or o.count >= queries.MIN_CELL


def test_one_small_community_hides_a_second_under_a_city_total(city_survey, city):
    fill(city_survey, add_households(city.estate, 8), [4] * 8)
    fill(city_survey, add_households(city.other_estate, 2), [1, 1])
    result = queries.results(city_survey)
    assert result.overall.responses == 10
    assert [g.responses for g in result.communities] == [
        None,
        None,
    ]  # 铜霞 hidden too, or 狮子山 = total − 铜霞
    table = queries.scores(city_survey, "overall")
    assert not table.overall.suppressed and table.overall.n == 10
    assert all(c.suppressed for c in table.communities.values())


def test_scores_per_community_and_the_satisfaction_index(city_survey, city):
    fill(city_survey, add_households(city.estate, 6), [5, 5, 4, 4, 3, 3])
    fill(city_survey, add_households(city.other_estate, 5), [2, 2, 2, 3, 1])
    table = queries.scores(city_survey, "overall")
    tx, sz = table.communities[city.tongxia.pk], table.communities[city.shizishan.pk]
    assert tx.n == 6 and tx.mean == pytest.approx(4.0)
    assert sz.n == 5 and sz.mean == pytest.approx(2.0)
    assert tx.population == 7 and sz.population == 6  # the fixture's own household in each, plus those added
    assert table.overall.n == 11
    # the index: each respondent's mean of overall and service (always 3)
    index = queries.scores(city_survey)
    assert index.communities[city.tongxia.pk].mean == pytest.approx((4.0 + 3) / 2)
    with pytest.raises(LookupError):
        queries.scores(city_survey, "no-such-question")
    text_q = city_survey.questions.get(kind=Question.Kind.TEXT)
    with pytest.raises(LookupError):
        queries.scores(city_survey, text_q.pk)


def test_response_rates_by_channel(survey, city, resident, community_staff):
    more = add_households(city.estate, 3)
    services.issue_invitations(actor=None, survey=survey, community=city.tongxia)
    services.submit_with_account(actor=resident, survey=survey, answers=answers(survey))
    services.submit_with_code(code=code_for(survey, more[0]), answers=answers(survey))
    services.submit_assisted(
        actor=community_staff, survey=survey, respondent_id=more[1].pk, answers=answers(survey)
    )
    report = queries.response_rates(survey)
    row = report.rows[0]
    assert (row.eligible, row.invited, row.responded, row.by_code, row.by_account, row.assisted) == (
        4,
        4,
        3,
        1,
        1,
        1,
    )
    assert row.percent == 75.0
    assert report.total.responded == 3


def test_comments_only_from_five_and_sorted(survey, city):
    text_q = survey.questions.get(position=5)
    households = add_households(city.estate, 5)
    for i, h in enumerate(households[:4]):
        services.submit_with_code(
            code=code_for(survey, h), answers=answers(survey, extra={str(text_q.pk): f"意见{4 - i}"})
        )
    assert queries.comments(text_q) is None
    services.submit_with_code(
        code=code_for(survey, households[4]), answers=answers(survey, extra={str(text_q.pk): "意见0"})
    )
    assert queries.comments(text_q) == ["意见0", "意见1", "意见2", "意见3", "意见4"]


# --- Two-dimensional suppression: no withheld cell follows from one row or one column ------------------------------

Table = dict[Hashable, dict[Hashable, int]]


def with_margins(rows: Mapping[Any, Mapping[Any, int]], *, rows_add_up: bool = True) -> Table:
    """Communities' counts per value → the full table with each row's total (ANSWERED) and the TOTAL row. For
    multiple choice (rows_add_up False) the margin is given in `rows` as ANSWERED."""
    table: Table = {}
    for r, cells in rows.items():
        row = dict(cells)
        if rows_add_up:
            row[ANSWERED] = sum(cells.values())
        table[r] = row
    columns = list(dict.fromkeys(c for row in table.values() for c in row))
    table[TOTAL] = {c: sum(row.get(c, 0) for row in table.values()) for c in columns}
    return table


def shown(table: Table, hidden: set[tuple[Hashable, Hashable]]) -> dict[Hashable, dict[Hashable, int]]:
    return {r: {c: v for c, v in row.items() if (r, c) not in hidden} for r, row in table.items()}


def lines(
    table: Table, *, rows_add_up: bool
) -> list[tuple[list[tuple[Hashable, Hashable]], tuple[Hashable, Hashable]]]:
    """Every linear equation the published table satisfies: (members, total)."""
    columns = list(table[TOTAL])
    inner = [r for r in table if r != TOTAL]
    Line = tuple[list[tuple[Hashable, Hashable]], tuple[Hashable, Hashable]]
    out: list[Line] = [([(r, c) for r in inner], (TOTAL, c)) for c in columns]
    if rows_add_up:
        out += [([(r, c) for c in columns if c != ANSWERED], (r, ANSWERED)) for r in table]
    return out


def assert_safe(table: Table, hidden: set[tuple[Hashable, Hashable]], *, rows_add_up: bool) -> None:
    """No cell under MIN_CELL is shown, a row whose total is withheld is withheld whole, and no line (row or
    column) lets a withheld cell, or a withheld group of fewer than MIN_CELL, be worked out by subtraction."""
    for r, row in table.items():
        for c, v in row.items():
            assert v >= MIN_CELL or (r, c) in hidden, (r, c, v)
    for r in table:
        if (r, ANSWERED) in hidden:
            assert all((r, c) in hidden for c in table[r]), r
    for members, total in lines(table, rows_add_up=rows_add_up):
        unknown = [m for m in members if m in hidden]
        if total in hidden:
            # the total withheld: it must not be the sum of shown members only
            assert unknown, (members, total)
            continue
        derived = table[total[0]][total[1]] - sum(table[m[0]][m[1]] for m in members if m not in hidden)
        assert derived == sum(table[m[0]][m[1]] for m in unknown)
        # one withheld cell on its own would be `derived`; several counting 1–4 together: a group under 5
        assert len(unknown) != 1, (members, total, unknown)
        assert derived == 0 or derived >= MIN_CELL, (members, total, derived)


def test_the_cross_community_subtraction_is_closed():
    """The reported case: A's withheld "1" was 9 − 6 = 3 from the column of option 1 (B's 6 was shown)."""
    a = {1: 3, 2: 0, 3: 0, 4: 6, 5: 6}
    b = {1: 6, 2: 0, 3: 0, 4: 6, 5: 6}
    # each row on its own was safe
    assert queries.complementary(a, total_shown=True) == {1, 2, 3, 4}
    assert queries.complementary(b, total_shown=True) == {2, 3}
    table = with_margins({"A": a, "B": b})
    hidden = suppress_table(table, total_row=TOTAL, margin=ANSWERED, rows_add_up=True)
    visible = shown(table, hidden)
    assert visible["A"] == {5: 6, ANSWERED: 15}
    # B's 1 and 4 are withheld too: each column with a shown total now has two withheld cells
    assert visible["B"] == {5: 6, ANSWERED: 18}
    assert visible[TOTAL] == {1: 9, 4: 12, 5: 12, ANSWERED: 33}
    assert_safe(table, hidden, rows_add_up=True)
    # a scale question also shows mean and sd next to the row: A's withheld points would follow from them
    solid = suppress_table(table, total_row=TOTAL, margin=ANSWERED, rows_add_up=True, solid_rows=True)
    assert shown(table, solid)["A"] == {ANSWERED: 15}


def test_a_column_complement_can_force_a_row_complement_and_so_on():
    table = with_margins(
        {
            "A": {"a": 3, "b": 10, "c": 12},  # row: a (3) withheld, then b (10) as its complement
            "B": {"a": 6, "b": 8, "c": 7},  # nothing under 5
            "C": {"a": 20, "b": 20, "c": 20},
        }
    )
    hidden = suppress_table(table, total_row=TOTAL, margin=ANSWERED, rows_add_up=True)
    # column a: A alone withheld → B's a (6); row B: a alone → B's c (7); column b: A alone → B's b (8);
    # column c: B alone → A's c (12). C and the totals stay.
    assert hidden == {("A", "a"), ("A", "b"), ("A", "c"), ("B", "a"), ("B", "b"), ("B", "c")}
    assert shown(table, hidden)[TOTAL] == {"a": 29, "b": 38, "c": 39, ANSWERED: 106}
    assert_safe(table, hidden, rows_add_up=True)


def test_a_lone_community_withheld_whole_takes_a_second_one_per_column():
    # B withheld whole (its group was withheld); for multiple choice the options do not add up to the margin
    table = with_margins(
        {
            "A": {0: 9, 1: 7, ANSWERED: 12},
            "B": {0: 6, 1: 5, ANSWERED: 8},
            "C": {0: 30, 1: 2, ANSWERED: 31},
        },
        rows_add_up=False,
    )
    hidden = suppress_table(
        table, total_row=TOTAL, margin=ANSWERED, rows_add_up=False, hidden={("B", ANSWERED)}
    )
    # column 0: B alone → A's 9; column 1: B (5) and C (2) → 7 ≥ 5, enough; margin: B alone → A's 12 (A whole)
    assert shown(table, hidden) == {
        "A": {},
        "B": {},
        "C": {0: 30, ANSWERED: 31},
        TOTAL: {0: 45, 1: 14, ANSWERED: 51},
    }
    assert_safe(table, hidden, rows_add_up=False)


cell = st.one_of(st.integers(0, 6), st.integers(0, 30))


@settings(max_examples=300, deadline=None)
@given(
    rows=st.integers(1, 5).flatmap(
        lambda n: st.lists(st.lists(cell, min_size=1, max_size=4), min_size=n, max_size=n)
    ),
    rows_add_up=st.booleans(),
    solid=st.booleans(),
    withheld=st.sets(st.integers(0, 4), max_size=2),
)
def test_no_withheld_cell_follows_from_a_single_row_or_column(rows, rows_add_up, solid, withheld):
    width = max(len(r) for r in rows)
    counts: dict[str, dict[Hashable, int]] = {
        f"r{i}": {c: (r[c] if c < len(r) else 0) for c in range(width)} for i, r in enumerate(rows)
    }
    if not rows_add_up:  # multiple choice: respondents at least the largest option, at most their sum
        counts = {r: {**cells, ANSWERED: max(cells.values())} for r, cells in counts.items()}
    table = with_margins(counts, rows_add_up=rows_add_up)
    pre = {(f"r{i}", ANSWERED) for i in withheld if i < len(rows)}
    hidden = suppress_table(
        table,
        total_row=TOTAL,
        margin=ANSWERED,
        rows_add_up=rows_add_up,
        solid_rows=solid and rows_add_up,
        hidden=pre,
    )
    assert pre <= hidden
    assert_safe(table, hidden, rows_add_up=rows_add_up)
    if solid and rows_add_up:
        for r in table:
            members = [(r, c) for c in table[r] if c != ANSWERED]
            withheld_sum = sum(table[r][c] for (_, c) in members if (r, c) in hidden)
            assert withheld_sum == 0 or all(m in hidden for m in members), r


def test_four_hundred_communities_take_well_under_a_second():
    import random

    rng = random.Random(7)
    counts = {cid: {v: rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40]) for v in range(1, 6)} for cid in range(400)}
    table = with_margins(counts)
    started = time.perf_counter()
    hidden = suppress_table(table, total_row=TOTAL, margin=ANSWERED, rows_add_up=True, solid_rows=True)
    assert time.perf_counter() - started < 1.0
    assert_safe(table, hidden, rows_add_up=True)


def test_results_close_the_cross_community_subtraction(city_survey, city):
    """The reported case end to end, on the single-choice question: 铜霞 {0: 3, 1: 6, 2: 6}, 狮子山 {0: 6, 1: 6,
    2: 6}. 铜霞's option 0 used to be 9 − 6."""
    fill(city_survey, add_households(city.estate, 15), [4] * 15, choices=[0] * 3 + [1] * 6 + [2] * 6)
    fill(city_survey, add_households(city.other_estate, 18), [4] * 18, choices=[0] * 6 + [1] * 6 + [2] * 6)
    result = queries.results(city_survey)
    choice = {g.label: next(q for q in g.questions if q.question.position == 3) for g in result.communities}
    overall = next(q for q in result.overall.questions if q.question.position == 3)
    assert [o.count for o in overall.options] == [9, 12, 12]
    assert [o.count for o in choice["铜霞社区"].options] == [None, None, 6]
    assert [o.count for o in choice["狮子山社区"].options] == [None, None, 6]
    # community staff of 铜霞 see the total and their own row: what the rest of the city gave each option is either
    # withheld with their own cell, or the total minus a shown cell, 0 or at least 5
    own = queries.results(city_survey, communities={city.tongxia.pk})
    assert [g.label for g in own.communities] == ["铜霞社区"]
    mine = next(q for q in own.communities[0].questions if q.question.position == 3)
    for total, cell in zip(overall.options, mine.options, strict=True):
        if cell.count is not None and total.count is not None:
            rest = total.count - cell.count
            assert rest == 0 or rest >= queries.MIN_CELL


@pytest.fixture
def optional_scale_survey(city, approval_officer) -> Survey:
    s = services.create_survey(
        actor=approval_officer,
        scope=city.city,
        title="可选评分",
        questions=[
            *QUESTIONS[:3],
            QuestionSpec(kind=Question.Kind.SCALE, text="停车?", key="parking", required=False),
        ],
    )
    return services.open_survey(actor=approval_officer, survey=s)


def test_scores_withhold_a_second_community_when_one_has_too_few_answers(optional_scale_survey, city):
    s = optional_scale_survey
    parking = s.questions.get(key="parking")
    for estate, n, with_parking in ((city.estate, 10, 3), (city.other_estate, 10, 8)):
        for i, h in enumerate(add_households(estate, n)):
            extra = {str(parking.pk): 2} if i < with_parking else {}
            services.submit_with_code(code=code_for(s, h), answers=answers(s, extra=extra))
    table = queries.scores(s, "parking")
    assert not table.overall.suppressed and table.overall.n == 11
    # 铜霞 has 3 (withheld); 狮子山's 8 would give them back as 11 − 8
    assert table.communities[city.tongxia.pk].suppressed
    assert table.communities[city.shizishan.pk].suppressed
    # the results page withholds the same cells, and both communities' other questions stay shown
    result = queries.results(s)
    for g in result.communities:
        assert g.responses == 10
        by_key = {q.question.key: q for q in g.questions}
        assert by_key["parking"].answered is None and by_key["parking"].score is None
        assert by_key["overall"].answered == 10
    # the satisfaction index counts respondents with any 1–5 answer: all 20, nothing withheld
    index = queries.scores(s)
    assert [c.n for c in index.communities.values()] == [10, 10]
