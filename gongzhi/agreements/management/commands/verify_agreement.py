"""`gongzhi verify_agreement ID [--agreement-version N] [--docx FILE]`: check an agreement version against its SM3 digest.

Without --docx: the stored text against the digest fixed when it was sent, and each signature against that digest.
With --docx: also the document — its text (the paragraphs before the signing page) against the signed digest, the
digest and ids it prints, and its verification code. Exit status 0 when everything holds, 1 otherwise (each failed
check is named).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.agreements import document
from gongzhi.agreements.models import Agreement, Version

MAX_DOCX_BYTES = 20 * 1024 * 1024


class Command(BaseCommand):
    help = "核验协议文本与签署摘要 / Verify an agreement version (and a .docx) against its SM3 digest"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agreement_id", type=int)
        parser.add_argument(
            "--agreement-version",
            dest="number",
            type=int,
            default=None,
            help="版本号(默认现行或最新已定稿版本)",
        )
        parser.add_argument("--docx", type=Path, default=None, help="要核验的 .docx 文件")

    def handle(self, *args: Any, **options: Any) -> None:
        agreement = Agreement.objects.filter(pk=options["agreement_id"]).first()
        if agreement is None:
            raise CommandError(f"没有ID为 {options['agreement_id']} 的协议 / no such agreement")
        versions = agreement.versions.exclude(digest="")
        if options["number"] is not None:
            version = versions.filter(number=options["number"]).first()
        else:
            version = (
                versions.filter(status=Version.Status.EFFECTIVE).first()
                or versions.order_by("-number").first()
            )
        if version is None:
            raise CommandError("该协议没有已定稿的版本 / the agreement has no sent version")
        data = None
        path: Path | None = options["docx"]
        if path is not None:
            try:
                if path.stat().st_size > MAX_DOCX_BYTES:
                    raise CommandError("文件过大 / the file is too large")
                data = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"无法读取 {path}: {exc.strerror}") from exc
        report = document.verify_version(version, data)
        self.stdout.write(f"{agreement.number} v{version.number} SM3 {version.digest}")
        for ok, message in report.checks:
            self.stdout.write(f"{'OK  ' if ok else 'FAIL'} {message}")
        if not report.ok:
            raise CommandError("核验未通过 / verification failed")
        self.stdout.write(self.style.SUCCESS("核验通过 / verified"))
