import json
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from gongzhi.duties import demo, matcher, sample, services
from gongzhi.duties.models import ListEdition, split_keywords
from gongzhi.duties.tests.helpers import edition, item

DATA = Path(__file__).resolve().parent.parent / "data"


def read_tsv(name: str) -> list[tuple[str, str, set[str]]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, verdict, flags, _note = line.split("\t")
        rows.append((text, verdict, set(filter(None, flags.split(",")))))
    return rows


@pytest.fixture(scope="module")
def seed_index() -> matcher.Index:
    return matcher.Index(
        [
            matcher.Doc(i.code, i.kind, i.title, i.category, i.description, tuple(split_keywords(i.keywords)))
            for i in sample.CURRENT_CITY.items
        ]
    )


def test_devset_is_large_enough_and_covers_every_verdict_and_flag():
    rows = read_tsv("devset.tsv")
    assert len(rows) >= 80
    assert {v for _, v, _ in rows} == set(matcher.VERDICTS)
    assert set().union(*(f for _, _, f in rows)) == set(matcher.FLAGS)


@pytest.mark.parametrize("name", ["devset.tsv", "holdout.tsv"])
def test_accuracy_on_the_labelled_sets(seed_index, name):
    rows = read_tsv(name)
    verdicts = [matcher.decide(text, seed_index) for text, _, _ in rows]
    right = sum(v.verdict == want for v, (_, want, _) in zip(verdicts, rows, strict=True))
    flags_right = sum(set(v.flags) == want for v, (_, _, want) in zip(verdicts, rows, strict=True))
    assert right / len(rows) >= 0.9
    assert flags_right / len(rows) >= 0.9


@pytest.fixture
def seeded(city):
    demo.load(actor=None)
    return ListEdition.objects.get(scope=city.city, status="published")


@pytest.mark.parametrize(
    ("text", "verdict", "code", "flags"),
    [
        # statutory, even when phrased as an order
        ("请各社区于本月底前召开居民代表会议,讨论小区停车方案。", "statutory", "S-08", []),
        # assisting, with a form to send in
        ("请各社区于本周五前报送辖区低保家庭入户调查表。", "assisting", "A-09", ["report_form"]),
        # a certificate the community may issue vs. one it must not
        ("请社区为在本社区实际居住的居民出具居住证明。", "statutory", "C-01", ["certificate"]),
        ("请社区为居民出具亲属关系证明。", "excluded", "Z-01", ["certificate"]),
        # enforcement dressed as assistance
        ("请各社区协助城管部门拆除辖区违章搭建。", "excluded", "E-02", []),
        # a department ranking communities
        ("区民政局将对各社区养老服务工作进行考核并排名通报。", "excluded", "E-10", ["inspection_ranking"]),
        # nothing on the list: the approval authority decides
        ("请各社区做好汛期防汛物资储备和值班值守。", "unlisted", None, []),
        # a new plaque
        ("请各社区在服务大厅悬挂“职工之家”牌子。", "unlisted", None, ["plaque"]),
    ],
)
def test_match_verdicts_and_flags(seeded, text, verdict, code, flags):
    result = matcher.match(text)
    assert result.verdict == verdict
    assert list(result.flags) == flags
    assert len(result.matches) <= 5
    assert seeded.pk in result.edition_ids
    if code is not None:
        top = result.matches[0]
        assert top.code == code and top.item_id is not None and 0 < top.score <= 1
        assert code in result.reason
    assert result.reason.endswith("。")


def test_a_certificate_on_no_list_is_not_issued(seeded):
    result = matcher.match("请社区为居民出具宠物饲养情况证明。")
    assert result.verdict == "excluded" and result.flags == ("certificate",)
    assert "不在社区可出具的证明事项清单内" in result.reason


def test_flags_ignore_lookalikes():
    assert matcher.detect_flags("请各社区协助做好退役军人家庭悬挂光荣牌工作") == []
    assert matcher.detect_flags("请各社区配合做好门牌号核对") == []
    assert matcher.detect_flags("网格员巡查发现问题及时上报") == []
    assert matcher.detect_flags("请各社区组织居民对物业公司进行考核") == []
    assert matcher.detect_flags("将对各社区工作进行督查") == ["inspection_ranking"]


def test_empty_and_huge_input(seeded):
    assert matcher.match("").verdict == "unlisted"
    long = "请各社区协助做好低保入户调查。" * 500
    assert matcher.match(long).verdict == "assisting"


def test_no_list_in_force_means_unlisted(db):
    result = matcher.match("请各社区召开居民会议")
    assert result.verdict == "unlisted" and result.matches == ()


def test_index_is_rebuilt_when_an_edition_is_published(city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        edition(city.city, [item("S-01", title="调解民间纠纷", keywords="邻里纠纷")], publish=True)
    assert matcher.match("请各社区调解邻里纠纷").matches[0].code == "S-01"
    newer = edition(
        city.city,
        [item("S-77", title="组织居民开展垃圾分类", keywords="垃圾分类")],
        effective_from=date(2025, 1, 1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_edition(actor=None, edition=newer)
    # the new edition's items decide now; the old index is not used
    result = matcher.match("请各社区开展垃圾分类宣传")
    assert result.verdict == "statutory" and result.matches[0].code == "S-77"
    assert matcher.match("请各社区调解邻里纠纷").verdict == "unlisted"


def test_a_district_adds_to_its_citys_list(seeded, city):
    text = "请各社区协助做好网格化服务管理,网格员入户走访。"
    assert "TG-A-01" not in [m.code for m in matcher.match(text).matches]  # the city's list alone
    result = matcher.match(text, community=city.tongxia)
    assert result.verdict == "assisting" and result.matches[0].code == "TG-A-01"


# --- the command -------------------------------------------------------------------------------------------


def run(*args: str, stdin: str | None = None) -> str:
    out = StringIO()
    if stdin is not None:
        import sys

        old, sys.stdin = sys.stdin, StringIO(stdin)
        try:
            call_command("match_task", *args, stdout=out)
        finally:
            sys.stdin = old
    else:
        call_command("match_task", *args, stdout=out)
    return out.getvalue()


def test_cli_readable_and_json(seeded):
    text = "请各社区于本周五前报送辖区80周岁以上老年人名单"
    readable = run(text)
    assert "协助政府工作事项 (assisting)" in readable and "A-13" in readable and "report_form" in readable
    data = json.loads(run("--json", text))
    assert set(data) == {"verdict", "matches", "flags", "reason"}
    assert data["verdict"] == "assisting" and data["flags"] == ["report_form"]
    assert set(data["matches"][0]) == {"code", "kind", "title", "score"}


def test_cli_batch_file_and_stdin(seeded, tmp_path):
    batch = tmp_path / "tasks.txt"
    batch.write_text("请社区为居民出具无犯罪记录证明\n\n请各社区召开居民代表会议\n", encoding="utf-8")
    lines = run("--batch", str(batch)).strip().splitlines()
    assert [json.loads(x)["verdict"] for x in lines] == ["excluded", "statutory"]
    lines = run("--batch", "-", stdin="请各社区在大厅悬挂牌子\n").strip().splitlines()
    assert json.loads(lines[0])["flags"] == ["plaque"]
    assert json.loads(run("--json", "-", stdin="请各社区调解邻里纠纷\n"))["verdict"] == "statutory"


def test_cli_bad_input(seeded, tmp_path):
    with pytest.raises(CommandError):
        run()
    with pytest.raises(CommandError):
        run("--batch", str(tmp_path / "missing.txt"))
    with pytest.raises(CommandError):
        run("--edition", "999999", "x")
    with pytest.raises(CommandError):
        run("--community", "000", "x")
    with pytest.raises(CommandError):
        run("-", stdin="   ")
