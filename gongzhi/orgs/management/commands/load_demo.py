"""`gongzhi load_demo`: seed the Tongling demo. Idempotent: a rerun keeps existing data and adds nothing twice.

Seeding hook: for every installed `gongzhi.<app>` (in INSTALLED_APPS order) that has a `demo` module, this
imports `gongzhi.<app>.demo` and calls its `load(*, actor)`. `actor` is None here (the command runs as the
system); gongzhi.orgs.demo creates the demo accounts, so later apps can look the ones they need up by username
(see gongzhi.orgs.demo.DEMO_ACCOUNTS). Each `load` must be idempotent itself. Everything runs in one
transaction, so a failing app leaves nothing half loaded.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from gongzhi.core.errors import DomainError


def demo_loaders() -> list[tuple[str, Callable[..., Any]]]:
    """(app label, load function) for each installed gongzhi app with a demo module, in INSTALLED_APPS order."""
    loaders: list[tuple[str, Callable[..., Any]]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("gongzhi."):
            continue
        module_name = f"{config.name}.demo"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        load = getattr(module, "load", None)
        if not callable(load):
            raise CommandError(f"{module_name} has no load(*, actor) function")
        loaders.append((config.label, load))
    return loaders


class Command(BaseCommand):
    help = "载入铜陵演示数据（可重复运行） / Load the Tongling demo data (safe to run again)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", nargs="*", default=None, help="app labels to load (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("生产环境不载入演示账号 / refusing to load demo accounts in production")
        only = set(options["only"]) if options["only"] else None
        try:
            with transaction.atomic():
                for label, load in demo_loaders():
                    if only is not None and label not in only:
                        continue
                    result = load(actor=None)
                    summary = (
                        ", ".join(f"{k} {v}" for k, v in result.items()) if isinstance(result, dict) else "ok"
                    )
                    self.stdout.write(f"demo · {label}: {summary}")
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.fields or ''}".strip()) from exc
