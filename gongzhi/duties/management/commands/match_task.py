"""`gongzhi match_task TEXT`: what is this task, judged against the lists in force?

gongzhi match_task "请各社区于本周五前报送辖区80岁以上老人名单"     readable verdict
gongzhi match_task --json "…"                                   one JSON object
gongzhi match_task --batch tasks.txt                            one JSON object per input line
echo "…" | gongzhi match_task -                                 the text from standard input
gongzhi match_task --batch - < tasks.txt                        the batch from standard input
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.duties import matcher
from gongzhi.duties.models import ListEdition
from gongzhi.orgs.models import Region

VERDICT_LABELS = {
    "statutory": "社区依法履行职责事项",
    "assisting": "协助政府工作事项",
    "excluded": "不应由社区承担事项",
    "unlisted": "清单外事项(须报审批机构决定)",
}
FLAG_LABELS = {
    "plaque": "新增牌子",
    "report_form": "报表台账",
    "inspection_ranking": "部门考核检查评比",
    "certificate": "出具证明",
}


class Command(BaseCommand):
    help = "判定一项任务属于哪类清单事项 / Match a task text against the lists in force"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "text", nargs="?", help="任务文本;'-' 从标准输入读取 / task text, or '-' for stdin"
        )
        parser.add_argument("--json", action="store_true", help="输出一个JSON对象 / print one JSON object")
        parser.add_argument(
            "--batch", metavar="FILE", help="每行一项任务,逐行输出JSON;'-' 为标准输入 / one task per line"
        )
        parser.add_argument("--edition", type=int, help="清单版本编号(默认:现行清单) / edition id")
        parser.add_argument("--community", help="社区区划代码:含所在区的补充清单 / community region code")

    def handle(self, *args: Any, **options: Any) -> None:
        edition = self._edition(options.get("edition"))
        community = self._community(options.get("community"))
        if options.get("batch"):
            if options.get("text"):
                raise CommandError("--batch 与 TEXT 只能二选一 / give either --batch or TEXT")
            self._batch(self._open(options["batch"]), edition, community)
            return
        text = options.get("text")
        if text is None:
            raise CommandError("请给出任务文本、'-' 或 --batch FILE / give TEXT, '-' or --batch FILE")
        if text == "-":
            text = sys.stdin.read()
        if not text.strip():
            raise CommandError("任务文本为空 / the task text is empty")
        verdict = matcher.match(text, edition, community=community)
        if options.get("json"):
            self.stdout.write(json.dumps(verdict.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(self._readable(verdict))

    def _edition(self, pk: int | None) -> ListEdition | None:
        if pk is None:
            return None
        edition = ListEdition.objects.filter(pk=pk).exclude(status=ListEdition.Status.DRAFT).first()
        if edition is None:
            raise CommandError(f"没有编号为 {pk} 的已发布清单版本 / no published edition {pk}")
        return edition

    def _community(self, code: str | None) -> Region | None:
        if not code:
            return None
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise CommandError(f"没有区划代码为 {code} 的区域 / no region with code {code}")
        return region

    def _open(self, name: str) -> TextIO:
        if name == "-":
            return sys.stdin
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"找不到文件 / file not found: {name}")
        return path.open(encoding="utf-8")

    def _batch(self, lines: Iterable[str], edition: ListEdition | None, community: Region | None) -> None:
        for line in lines:
            text = line.strip()
            if not text:
                continue
            verdict = matcher.match(text, edition, community=community)
            self.stdout.write(json.dumps(verdict.as_dict(), ensure_ascii=False))

    @staticmethod
    def _readable(verdict: matcher.Verdict) -> str:
        lines = [f"判定 / verdict: {VERDICT_LABELS[verdict.verdict]} ({verdict.verdict})"]
        if verdict.flags:
            flags = "、".join(f"{FLAG_LABELS[f]} ({f})" for f in verdict.flags)
            lines.append(f"标记 / flags: {flags}")
        lines.append(f"理由 / reason: {verdict.reason}")
        if verdict.matches:
            lines.append("最相符的清单事项 / best matches:")
            for n, m in enumerate(verdict.matches, start=1):
                lines.append(f"  {n}. {m.code} [{m.kind}] {m.title}  {m.score:.2f}")
        return "\n".join(lines)
