"""The canonical text of an agreement version, its SM3 digest and the verification code; template variables;
the payment schedule and the instalments it gives.

The canonical text is what is signed: the template's body with its {{variables}} filled in from the version's
terms, normalized (NFC, "\\n" line ends, no trailing spaces, no trailing blank lines) and encoded as UTF-8 for the
digest. The printable page and the .docx carry it one line per paragraph, so `gongzhi verify_agreement` can read a
document back and recompute the digest.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from gongzhi.core import crypto

VAR_RE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

# variable → what it is (shown to the office when editing a template)
VARIABLES: dict[str, str] = {
    "title": "协议标题 / title",
    "number": "协议编号 / agreement number",
    "version": "版本号 / version",
    "year": "年度 / year",
    "kind": "协议类型 / kind",
    "department": "甲方(部门) / the department",
    "party": "乙方(社区居委会或承接机构) / the other party",
    "community": "社区 / the community",
    "tasks": "委托事项、要求、标准和经费 / tasks with requirements, standards and amounts",
    "guidance": "行政指导(联系人、培训、实地指导) / administrative guidance",
    "total_yuan": "协议金额(元) / total in yuan",
    "total_upper": "协议金额大写 / total in Chinese capitals",
    "schedule": "支付安排 / payment schedule",
    "evaluation": "履约评估方式 / evaluation",
    "liability_department": "甲方违约责任 / the department's liability",
    "liability_party": "乙方违约责任 / the other party's liability",
    "term": "协议期限 / term",
    "amendment": "修订说明(仅补充协议) / amendment note",
}
# Every term must appear in the signed text.
REQUIRED_VARIABLES: tuple[str, ...] = (
    "department",
    "party",
    "tasks",
    "guidance",
    "total_yuan",
    "schedule",
    "evaluation",
    "liability_department",
    "liability_party",
    "term",
)

DEFAULT_TITLE = "{{year}}年度社区协助政府管理事项委托协议书"
DEFAULT_PURCHASE_TITLE = "{{year}}年度政府购买服务协议书"
DEFAULT_BODY = """{{title}}
协议编号:{{number}}(第{{version}}版)
{{amendment}}
甲方(委托方):{{department}}
乙方(受托方):{{party}}
社区:{{community}}

根据《中华人民共和国城市居民委员会组织法》和本市社区工作事项准入制度,甲乙双方本着平等协商、权责一致、费随事转的原则,就乙方协助甲方开展下列经准入的工作事项订立本协议。

第一条 委托事项、工作要求与标准
{{tasks}}

第二条 行政指导
{{guidance}}

第三条 经费与支付
本协议经费总额为人民币{{total_yuan}}元(大写:{{total_upper}})。甲方在本协议生效前将全部经费在本部门预算中预留,按下列安排支付至乙方账户:
{{schedule}}

第四条 履约评估
{{evaluation}}

第五条 违约责任
(一)甲方:{{liability_department}}
(二)乙方:{{liability_party}}

第六条 协议期限
{{term}}

第七条 其他
本协议未列明的工作,乙方有权拒绝;确需增加的,须经准入后以补充协议(新版本)约定。本协议经甲方签署、乙方经社区居民委员会会议讨论通过后签署,并在经费全部预留后生效。"""

DEFAULT_SCHEDULE: list[dict[str, Any]] = [
    {"label": "协议生效后预拨", "percent": 60, "anchor": "signing", "days": 15},
    {"label": "年度履约评估后结算", "percent": 40, "anchor": "year_end", "days": 31},
]
DEFAULT_EVALUATION = (
    "年终由甲方对照本协议约定的事项、要求和标准,结合乙方报告的完成情况和佐证材料进行评估;"
    "乙方对甲方的行政指导、行政服务、行政干预和资金支付进行满意度评价。评估结果作为履约资金一揽子结算的依据。"
)
DEFAULT_LIABILITY_DEPARTMENT = (
    "未按约定预留或支付经费的,乙方可暂停相关工作并有权拒绝未落实经费的事项;"
    "在协议之外向乙方摊派工作的,乙方有权拒绝并向审批机构举报。"
)
DEFAULT_LIABILITY_PARTY = (
    "无正当理由未按约定要求和标准完成事项的,甲方可根据评估结果相应核减结算经费;弄虚作假的,退还相应经费。"
)

MAX_SCHEDULE_ROWS = 6
MAX_DAYS = 400


class TemplateProblem(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(next(iter(fields.values())))
        self.fields = fields


def template_problems(title: str, body: str) -> dict[str, str]:
    """Field → bilingual message for unknown or missing variables."""
    problems: dict[str, str] = {}
    for field, text in (("title", title), ("body", body)):
        unknown = sorted({m for m in VAR_RE.findall(text) if m not in VARIABLES})
        if unknown:
            problems[field] = "未知的变量 / unknown variables: " + ", ".join(unknown)
        stray = VAR_RE.sub("", text)
        if "{{" in stray or "}}" in stray:
            problems.setdefault(field, "变量须写作 {{name}} / write variables as {{name}}")
    if "title" in VAR_RE.findall(title):
        problems["title"] = "标题不能引用自身 / the title cannot contain {{title}}"
    used = set(VAR_RE.findall(body))
    missing = [v for v in REQUIRED_VARIABLES if v not in used]
    if missing and "body" not in problems:
        problems["body"] = "正文须包含全部协议条款变量 / the body must contain: " + ", ".join(missing)
    return problems


def schedule_problems(schedule: Any) -> str | None:
    """A bilingual message when the schedule is not a list of 1–6 rows whose percents add up to 100."""
    if not isinstance(schedule, list) or not 1 <= len(schedule) <= MAX_SCHEDULE_ROWS:
        return f"支付安排须为1至{MAX_SCHEDULE_ROWS}期 / the schedule needs 1–{MAX_SCHEDULE_ROWS} instalments"
    total = 0
    for i, row in enumerate(schedule, start=1):
        if not isinstance(row, dict) or set(row) != {"label", "percent", "anchor", "days"}:
            return f"第{i}期格式有误 / instalment {i}: label, percent, anchor, days"
        label, percent, anchor, days = row["label"], row["percent"], row["anchor"], row["days"]
        if not isinstance(label, str) or not label.strip() or len(label) > 60:
            return f"第{i}期须有名称(不超过60字) / instalment {i} needs a label (≤ 60 characters)"
        if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100:
            return f"第{i}期比例须为1至100的整数 / instalment {i}: percent must be a whole number 1–100"
        if anchor not in ("signing", "year_end"):
            return f"第{i}期起算点无效 / instalment {i}: anchor must be signing or year_end"
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
            return f"第{i}期天数须为0至{MAX_DAYS} / instalment {i}: days must be 0–{MAX_DAYS}"
        total += percent
    if total != 100:
        return f"各期比例之和须为100(现为{total}) / the percents must add up to 100 (they add up to {total})"
    return None


@dataclass(frozen=True)
class PlannedInstalment:
    label: str
    due_on: dt.date
    amount_fen: int


def plan_instalments(
    schedule: list[dict[str, Any]], *, total_fen: int, year: int, effective_on: dt.date
) -> list[PlannedInstalment]:
    """Split `total_fen` by the schedule's percents (the last instalment takes the rounding remainder) and date
    each from the agreement's effective date or the end of its year; never before the effective date."""
    planned: list[PlannedInstalment] = []
    left = total_fen
    for i, row in enumerate(schedule):
        amount = left if i == len(schedule) - 1 else total_fen * int(row["percent"]) // 100
        left -= amount
        base = effective_on if row["anchor"] == "signing" else dt.date(year, 12, 31)
        due = max(base + dt.timedelta(days=int(row["days"])), effective_on)
        if amount > 0:
            planned.append(PlannedInstalment(str(row["label"]), due, amount))
    return planned


# --- money in words ---------------------------------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ("", "拾", "佰", "仟")
_BIG = ("", "万", "亿", "万亿")


def _four(n: int) -> str:
    """0 < n < 10000 → capitals with inner zeros ('壹仟零伍')."""
    out = ""
    zero = False
    for pos in range(3, -1, -1):
        d = n // 10**pos % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _SMALL[pos]
    return out


def upper_yuan(fen: int) -> str:
    """12345 → '壹佰贰拾叁元肆角伍分'; 100 → '壹元整'; 0 → '零元整' (the form used on Chinese contracts)."""
    if fen < 0:
        return "负" + upper_yuan(-fen)
    whole, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if whole == 0:
        head = "" if cents else "零元"
    else:
        groups: list[int] = []
        n = whole
        while n:
            groups.append(n % 10000)
            n //= 10000
        head = ""
        need_zero = False
        for idx in range(len(groups) - 1, -1, -1):
            g = groups[idx]
            if g == 0:
                need_zero = bool(head)
                continue
            if head and (need_zero or g < 1000):
                head += "零"
            head += _four(g) + _BIG[idx]
            need_zero = False
        head += "元"
    if not cents:
        return head + "整"
    tail = ""
    if jiao:
        tail += _DIGITS[jiao] + "角"
    elif whole:
        tail += "零"
    if fen_digit:
        tail += _DIGITS[fen_digit] + "分"
    else:
        tail += "整"
    return head + tail


# --- rendering --------------------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def digest(text: str) -> str:
    return crypto.sm3_hex(normalize(text).encode("utf-8"))


def fill(template: str, values: dict[str, str]) -> str:
    return VAR_RE.sub(lambda m: values.get(m.group(1), ""), template)


_NUMERALS = "一二三四五六七八九十"


def ordinal(i: int) -> str:
    """1 → '一', 11 → '十一', 25 → '二十五' (task numbering in the text)."""
    if i <= 10:
        return _NUMERALS[i - 1]
    tens, ones = divmod(i, 10)
    return ("" if tens == 1 else _NUMERALS[tens - 1]) + "十" + (_NUMERALS[ones - 1] if ones else "")


@dataclass(frozen=True)
class Item:
    title: str
    requirements: str
    standards: str
    amount_fen: int
    basis: str = ""  # admitted task / list item reference


@dataclass(frozen=True)
class Terms:
    title_template: str
    body_template: str
    number: str
    version: int
    year: int
    kind_label: str
    department: str
    party: str
    community: str
    items: list[Item]
    contact_name: str
    contact_phone: str
    trainings_per_year: int
    visits_per_year: int
    guidance_notes: str
    schedule: list[dict[str, Any]]
    evaluation_method: str
    liability_department: str
    liability_party: str
    starts_on: dt.date
    ends_on: dt.date
    reason: str = ""


def _yuan(fen: int) -> str:
    whole, cents = divmod(fen, 100)
    return f"{whole:,}.{cents:02d}"


def _date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _schedule_text(schedule: list[dict[str, Any]], total_fen: int) -> str:
    lines = []
    left = total_fen
    for i, row in enumerate(schedule, start=1):
        amount = left if i == len(schedule) else total_fen * int(row["percent"]) // 100
        left -= amount
        when = "协议生效之日" if row["anchor"] == "signing" else "协议年度结束(年度履约评估)"
        days = int(row["days"])
        after = f"起{days}日内" if days else "当日"
        lines.append(
            f"{i}. {row['label']}:协议金额的{row['percent']}%,计人民币{_yuan(amount)}元,于{when}{after}支付。"
        )
    return "\n".join(lines)


def render(terms: Terms) -> str:
    total = sum(i.amount_fen for i in terms.items)
    task_lines: list[str] = []
    for n, item in enumerate(terms.items, start=1):
        task_lines.append(f"({ordinal(n)}){item.title}")
        if item.basis:
            task_lines.append(f"依据:{item.basis}")
        task_lines.append(f"工作要求:{item.requirements}")
        task_lines.append(f"工作标准:{item.standards}")
        task_lines.append(f"经费:人民币{_yuan(item.amount_fen)}元")
    guidance = [
        f"甲方联系人:{terms.contact_name or '(未指定)'}"
        + (f",办公电话:{terms.contact_phone}" if terms.contact_phone else ""),
        f"甲方每年为乙方开展业务培训{terms.trainings_per_year}次,实地指导{terms.visits_per_year}次。",
    ]
    if terms.guidance_notes.strip():
        guidance.append(terms.guidance_notes.strip())
    values = {
        "number": terms.number,
        "version": str(terms.version),
        "year": str(terms.year),
        "kind": terms.kind_label,
        "department": terms.department,
        "party": terms.party,
        "community": terms.community,
        "tasks": "\n".join(task_lines) if task_lines else "(无)",
        "guidance": "\n".join(guidance),
        "total_yuan": _yuan(total),
        "total_upper": upper_yuan(total),
        "schedule": _schedule_text(terms.schedule, total),
        "evaluation": terms.evaluation_method.strip(),
        "liability_department": terms.liability_department.strip(),
        "liability_party": terms.liability_party.strip(),
        "term": f"自{_date(terms.starts_on)}起至{_date(terms.ends_on)}止。",
        "amendment": (
            f"本版本为对原协议的修订(补充协议),修订理由:{terms.reason.strip()}" if terms.version > 1 else ""
        ),
    }
    values["title"] = fill(terms.title_template, values)
    return normalize(fill(terms.body_template, values))


# --- verification code ------------------------------------------------------------------------------------------


def verification_code(
    *, agreement_id: int, version: int, text_digest: str, signature_digests: list[str]
) -> str:
    """A code the platform alone can issue for a signed version: HMAC-SM3 (key purpose "ledger", domain-separated)
    over the agreement, version, text digest and the signatures' digests; 20 hex digits in groups of four."""
    data = "|".join(["gongzhi-agreement", str(agreement_id), str(version), text_digest, *signature_digests])
    tag = crypto.mac("ledger", data.encode(), 1).partition(":")[2]  # key version 1: codes stay valid
    code = tag[:20].upper()
    return "-".join(code[i : i + 4] for i in range(0, 20, 4))
