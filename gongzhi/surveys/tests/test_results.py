"""Results in aggregate only (SV-3): cells under 5 withheld (with their complements), scores with 95 % margins,
response rates per community by channel."""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest

from gongzhi.surveys import queries, services
from gongzhi.surveys.models import Question
from gongzhi.surveys.tests.conftest import add_households, answers, code_for


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
    # 1: 0, 2: 1, 3: 1 withheld (under 5); 4: 4 withheld; 5: 6 shown
    assert counts == [None, None, None, None, 6]
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
