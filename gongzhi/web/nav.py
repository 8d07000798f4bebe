"""Role-aware navigation. Each entry names the capability it needs (never a role); the menu a user sees is
built from the capabilities of their active memberships (gongzhi.orgs.permissions.caps_by_org).

To add a page to the menu, append a NavItem to NAV: `NavItem(label, "app:url_name", Cap.SOMETHING)` with a
gettext_lazy label.
`cap=None` shows the entry to everyone, `cap=AUTH` to any signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.roles import Cap

AUTH = "auth"  # any signed-in user


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    cap: str | None = None  # None: everyone; AUTH: any signed-in user; otherwise a Cap value

    def url(self) -> str:
        return reverse(self.url_name)


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    current: bool
    cap: str | None


NAV: tuple[NavItem, ...] = (
    NavItem(_("首页"), "web:home"),
    NavItem(pgettext_lazy("navigation", "社区与部门名录"), "web:directory"),
    NavItem(_("社区工作清单"), "duties:index"),
    NavItem(_("清单管理"), "duties:manage", Cap.EDIT_LISTS),
    NavItem(_("居民信息"), "orgs:resident_list", Cap.MANAGE_COMMUNITY),
    # 准入 · 拒绝权 (gongzhi.admissions): departments file, the office examines, the authority decides; communities
    # see what was admitted for them, refuse and report.
    NavItem(_("准入申请"), "admissions:request_list", Cap.FILE_TASK_REQUESTS),
    NavItem(_("准入审查"), "admissions:request_list", Cap.EXAMINE_REQUESTS),
    NavItem(_("准入决定"), "admissions:request_list", Cap.DECIDE_REQUESTS),
    NavItem(_("准入事项"), "admissions:inbox", Cap.MANAGE_COMMUNITY),
    NavItem(_("拒绝记录"), "admissions:refusal_list", Cap.REFUSE_TASKS),
    NavItem(_("拒绝记录"), "admissions:refusal_list", Cap.FILE_TASK_REQUESTS),
    NavItem(_("摊派举报"), "admissions:report_list", Cap.REFUSE_TASKS),
    NavItem(_("摊派督办"), "admissions:report_list", Cap.EXAMINE_REQUESTS),
    NavItem(_("通知"), "notifications:list", AUTH),
    # 减事务、减牌子 (gongzhi.cleanup): the office runs campaigns, communities register plaques and inventories,
    # departments follow the tasks attributed to them.
    NavItem(_("减负清理"), "cleanup:home", Cap.EXAMINE_REQUESTS),
    NavItem(_("减负看板"), "cleanup:dashboard", Cap.EXAMINE_REQUESTS),
    NavItem(_("减负看板"), "cleanup:dashboard", Cap.DECIDE_REQUESTS),
    NavItem(_("工作日历"), "cleanup:calendar", Cap.EXAMINE_REQUESTS),
    NavItem(_("减牌子减事务"), "cleanup:home", Cap.MANAGE_COMMUNITY),
    NavItem(_("减负清理"), "cleanup:home", Cap.FILE_TASK_REQUESTS),
    # 双向评估 (gongzhi.evaluations): the office sets cycles up, communities rate departments, the panel reviews.
    NavItem(_("双向评估"), "evaluations:home", Cap.EXAMINE_REQUESTS),
    NavItem(_("双向评估"), "evaluations:home", Cap.MANAGE_COMMUNITY),
    NavItem(_("双向评估"), "evaluations:home", Cap.REVIEW_EVALUATIONS),
    NavItem(_("评估结果"), "evaluations:public_index"),
    # 问卷调查 (gongzhi.surveys): anyone with a household code answers; residents answer for their household;
    # the office and community staff run surveys; the office, authority and panel read the aggregates.
    NavItem(_("填写问卷"), "surveys:enter"),
    NavItem(_("我家的问卷"), "surveys:mine", Cap.TAKE_PART),
    NavItem(_("问卷调查"), "surveys:index", Cap.MANAGE_COMMUNITY),
    NavItem(_("问卷调查"), "surveys:index", Cap.EXAMINE_REQUESTS),
    NavItem(_("问卷调查"), "surveys:index", Cap.DECIDE_REQUESTS),
    NavItem(_("问卷调查"), "surveys:index", Cap.REVIEW_EVALUATIONS),
    # 委托协议 · 费随事转 (gongzhi.agreements): departments draft, sign and pay; communities and providers sign,
    # report and watch the money arrive; the approval office oversees and keeps the templates.
    NavItem(_("委托协议"), "agreements:department", Cap.FILE_TASK_REQUESTS),
    NavItem(_("委托协议"), "agreements:department", Cap.PAY_INSTALMENTS),
    NavItem(_("委托协议"), "agreements:party", Cap.MANAGE_COMMUNITY),
    NavItem(_("购买服务协议"), "agreements:party", Cap.TAKE_SERVICES),
    NavItem(_("协议与经费"), "agreements:office", Cap.EXAMINE_REQUESTS),
    NavItem(_("协议与经费"), "agreements:office", Cap.DECIDE_REQUESTS),
    # 经费账本 (gongzhi.funds): department finance funds its budget and pays; communities and providers see what
    # arrived; the approval office sees the city totals.
    NavItem(_("经费账本"), "funds:home", Cap.PAY_INSTALMENTS),
    NavItem(_("经费账户"), "funds:home", Cap.MANAGE_COMMUNITY),
    NavItem(_("经费账户"), "funds:home", Cap.TAKE_SERVICES),
    NavItem(_("经费汇总"), "funds:totals", Cap.EXAMINE_REQUESTS),
    NavItem(_("经费汇总"), "funds:totals", Cap.DECIDE_REQUESTS),
)


def user_caps(request: HttpRequest) -> set[str]:
    """All capabilities the signed-in user holds anywhere, read once per request."""
    cached: set[str] | None = getattr(request, "_gongzhi_caps", None)
    if cached is not None:
        return cached
    from gongzhi.orgs.permissions import caps_by_org

    caps: set[str] = set()
    for org_caps in caps_by_org(request.user).values():
        caps |= org_caps
    request._gongzhi_caps = caps  # type: ignore[attr-defined]
    return caps


def visible(item: NavItem, *, signed_in: bool, caps: set[str]) -> bool:
    if item.cap is None:
        return True
    if item.cap == AUTH:
        return signed_in
    return item.cap in caps


def links_for(items: tuple[NavItem, ...], request: HttpRequest) -> list[NavLink]:
    user: Any = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    caps = user_caps(request) if signed_in else set()
    links: list[NavLink] = []
    for item in items:
        if not visible(item, signed_in=signed_in, caps=caps):
            continue
        try:
            url = item.url()
        except NoReverseMatch:  # a page whose app is not installed yet; tests check that every entry resolves
            continue
        current = request.path == url or (url != "/" and request.path.startswith(url))
        links.append(NavLink(label=item.label, url=url, current=current, cap=item.cap))
    return links


def nav_for(request: HttpRequest) -> list[NavLink]:
    return links_for(NAV, request)
