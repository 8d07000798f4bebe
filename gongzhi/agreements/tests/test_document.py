"""The signed document: the .docx opens and reads back to the signed text; its digest and verification code
verify; `gongzhi verify_agreement` passes a true document and names what changed in an altered one or in the
database. Also the canonical text's pieces (money in capitals, template variables, the schedule)."""

from __future__ import annotations

import datetime as dt
import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.agreements import canonical, document, services
from gongzhi.agreements.models import Version
from gongzhi.agreements.tests.conftest import YEAR, active, client_for, version_of

pytestmark = pytest.mark.usefixtures("tasks", "budget")


def _verify(agreement_id: int, *args: str) -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("verify_agreement", str(agreement_id), *args, stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def test_docx_opens_carries_both_signatures_and_verifies(city, people, tmp_path):
    agreement = active(city, people)
    version = version_of(agreement, 1)
    response = client_for(people.director).get(f"/agreements/{agreement.pk}/v1/docx/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    data = response.content
    doc = Document(io.BytesIO(data))  # python-docx reads it back
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == version.text.split("\n")[0]
    assert document.SIGN_MARKER in paragraphs
    tail = "\n".join(paragraphs[paragraphs.index(document.SIGN_MARKER) :])
    assert "铜陵市民政局" in tail and "铜霞社区居委会" in tail  # both signatures
    assert "民政局长" in tail and "居委会纪要〔2027〕1号" in tail
    assert tail.count(version.digest) == 3  # each signature's digest and the text's
    assert document.code_for(version) in tail
    read = document.read_docx(data)
    assert read.text == version.text and canonical.digest(read.text) == version.digest
    path = tmp_path / "agreement.docx"
    path.write_bytes(data)
    ok, out = _verify(agreement.pk, "--docx", str(path))
    assert ok, out
    assert "核验通过" in out


def _rewrite(data: bytes, old: str, new: str) -> bytes:
    doc = Document(io.BytesIO(data))
    for p in doc.paragraphs:
        if old in p.text:
            for run in p.runs:
                run.text = run.text.replace(old, new)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_verify_agreement_detects_an_altered_document(city, people, tmp_path):
    agreement = active(city, people)
    version = version_of(agreement, 1)
    data = document.build_docx(version)
    amount = "12,000.00"
    assert amount in version.text
    path = tmp_path / "altered.docx"
    path.write_bytes(_rewrite(data, amount, "120,000.00"))
    ok, out = _verify(agreement.pk, "--docx", str(path))
    assert not ok
    assert "FAIL 文档正文已被改动" in out
    assert "核验未通过" in out
    # a forged verification code is caught too
    code = document.code_for(version)
    path.write_bytes(_rewrite(data, code, "0000-0000-0000-0000-0000"))
    ok, out = _verify(agreement.pk, "--docx", str(path))
    assert not ok and "FAIL 校验码不符" in out
    # a file that is not a .docx
    path.write_bytes(b"not a document")
    ok, out = _verify(agreement.pk, "--docx", str(path))
    assert not ok and "无法读取文档" in out


def test_verify_agreement_detects_text_changed_in_the_database(city, people):
    agreement = active(city, people)
    ok, out = _verify(agreement.pk)
    assert ok and "OK   数据库中的协议文本与摘要一致" in out
    version = version_of(agreement, 1)
    Version.objects.filter(pk=version.pk).update(text=version.text.replace("12,000.00", "1,000.00"))
    ok, out = _verify(agreement.pk)
    assert not ok and "数据库中的协议文本已被改动" in out
    # the API's verification says the same
    body = client_for(people.head).get(f"/api/agreements/{agreement.pk}/versions/1/verify").json()
    assert body["ok"] is False and any("altered" in c["message"] for c in body["checks"] if not c["ok"])


def test_verify_agreement_bad_input(city, people, tmp_path):
    ok, out = _verify(999999)
    assert not ok and "no such agreement" in out
    agreement = services.create_agreement(
        actor=people.clerk, department=city.dept, community=city.tongxia, year=YEAR
    )
    ok, out = _verify(agreement.pk)
    assert not ok and "no sent version" in out
    ok, out = _verify(agreement.pk, "--docx", str(tmp_path / "missing.docx"))
    assert not ok


def test_printable_page_carries_text_signatures_digest_and_code(city, people):
    agreement = active(city, people)
    version = version_of(agreement, 1)
    page = client_for(people.clerk).get(f"/agreements/{agreement.pk}/v1/print/").content.decode()
    assert "低保家庭入户调查" in page and version.digest in page and document.code_for(version) in page
    assert "居委会纪要〔2027〕1号" in page


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (5, "伍分"),
        (100, "壹元整"),
        (12345, "壹佰贰拾叁元肆角伍分"),
        (10005, "壹佰元零伍分"),
        (1_000_500, "壹万零伍元整"),
        (2_000_000, "贰万元整"),
        (10_000_000, "壹拾万元整"),
        (100_010_000, "壹佰万零壹佰元整"),
        (10_000_000_100, "壹亿零壹元整"),
        (123_456_789, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
    ],
)
def test_money_in_chinese_capitals(fen, words):
    assert canonical.upper_yuan(fen) == words


@given(st.integers(min_value=0, max_value=10**14))
def test_capitals_use_only_the_contract_characters(fen):
    words = canonical.upper_yuan(fen)
    assert set(words) <= set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")
    assert words.endswith(("整", "分"))
    assert "零零" not in words


@given(
    st.integers(min_value=0, max_value=10**12),
    st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=6),
)
def test_instalments_add_up_to_the_total(total, weights):
    percents = [w * 100 // sum(weights) for w in weights]
    percents[-1] += 100 - sum(percents)
    schedule = [
        {"label": f"第{i}期", "percent": max(p, 0), "anchor": "signing", "days": i}
        for i, p in enumerate(percents)
    ]
    planned = canonical.plan_instalments(
        schedule, total_fen=total, year=YEAR, effective_on=dt.date(YEAR, 2, 1)
    )
    assert sum(p.amount_fen for p in planned) == total
    assert all(p.amount_fen > 0 and p.due_on >= dt.date(YEAR, 2, 1) for p in planned)


def test_template_variables_are_checked():
    assert canonical.template_problems(canonical.DEFAULT_TITLE, canonical.DEFAULT_BODY) == {}
    problems = canonical.template_problems("{{year}}年协议", "{{tasks}} {{unknown_thing}}")
    assert "unknown_thing" in problems["body"]
    problems = canonical.template_problems("{{title}}", canonical.DEFAULT_BODY)
    assert "title" in problems
    problems = canonical.template_problems("协议", "{{tasks}}{{schedule}}")
    assert "liability_party" in problems["body"]
    assert canonical.template_problems("协议", canonical.DEFAULT_BODY + "{{ broken") != {}


@pytest.mark.parametrize(
    "schedule",
    [
        [],
        "60/40",
        [{"label": "a", "percent": 60, "anchor": "signing", "days": 1}],
        [{"label": "a", "percent": 100, "anchor": "someday", "days": 1}],
        [{"label": "", "percent": 100, "anchor": "signing", "days": 1}],
        [{"label": "a", "percent": 100, "anchor": "signing", "days": -1}],
        [{"label": "a", "percent": 100, "anchor": "signing", "days": 1, "extra": 1}],
        [{"label": "a", "percent": True, "anchor": "signing", "days": 1}],
        [{"label": "a", "percent": 10, "anchor": "signing", "days": 1}] * 7,
    ],
)
def test_bad_schedules_are_refused(schedule):
    assert canonical.schedule_problems(schedule) is not None


def test_normalized_text_has_one_digest():
    a = "协议\r\n第一条  \n\n"
    b = "协议\n第一条"
    assert canonical.digest(a) == canonical.digest(b)
    assert canonical.digest(b) != canonical.digest(b + "。")


def test_docx_of_a_draft_is_not_served(city, people):
    agreement = services.create_agreement(
        actor=people.clerk, department=city.dept, community=city.tongxia, year=YEAR
    )
    client = client_for(people.clerk)
    assert client.get(f"/agreements/{agreement.pk}/v1/docx/").status_code == 404
    assert client.get(f"/agreements/{agreement.pk}/v1/print/").status_code == 404


def test_verification_code_is_stable_and_bound_to_the_signatures(city, people):
    agreement = active(city, people)
    version = version_of(agreement, 1)
    code = document.code_for(version)
    assert code == document.code_for(version_of(agreement, 1))
    assert len(code.replace("-", "")) == 20
    other = canonical.verification_code(
        agreement_id=agreement.pk, version=1, text_digest=version.digest, signature_digests=[]
    )
    assert other != code
