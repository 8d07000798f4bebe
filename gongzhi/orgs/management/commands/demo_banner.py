"""`gongzhi demo_banner --host H --port P`: print where the demo runs and how to sign in."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gongzhi.core.models import User
from gongzhi.orgs.demo import DEMO_ACCOUNTS, demo_password


class Command(BaseCommand):
    help = "打印演示地址与演示账号 / Print the demo URL and the demo logins"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, **options: Any) -> None:
        host = options["host"]
        shown = f"[{host}]" if ":" in host else host
        base = f"http://{shown}:{options['port']}"
        existing = set(
            User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS], is_active=True).values_list(
                "username", flat=True
            )
        )
        width = max(len(a.username) for a in DEMO_ACCOUNTS)
        lines = [
            "",
            "=" * 72,
            "共治 gongzhi · 铜陵演示 / Tongling demo",
            f"  网址 / URL:        {base}/",
            f"  登录 / Sign in:    {base}/login/",
            f"  API 文档 / docs:   {base}/api/docs",
            f"  OpenAPI:           {base}/api/openapi.json",
            f"  后台 / Admin:      {base}/admin/   (demo-admin)",
            "",
            f"  演示账号密码 / demo password:  {demo_password()}",
        ]
        for account in DEMO_ACCOUNTS:
            missing = (
                "" if account.username in existing else "  (未载入 / not loaded: run `gongzhi load_demo`)"
            )
            lines.append(f"    {account.username.ljust(width)}  {account.description}{missing}")
        lines += ["=" * 72, ""]
        self.stdout.write("\n".join(lines))
