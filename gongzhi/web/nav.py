"""Role-aware navigation entries. Each entry names the capability it needs; anonymous users see public pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    cap: str | None = None  # None: everyone; "auth": any signed-in user

    def url(self) -> str:
        return reverse(self.url_name)


NAV: tuple[NavItem, ...] = (
    NavItem(_("首页"), "web:home"),
    NavItem(_("社区与部门名录"), "web:directory"),
)


def nav_for(request: HttpRequest) -> list[NavItem]:
    return [item for item in NAV if item.cap is None]
