"""Home page and the public directory of communities and departments. Thin: read through orgs.queries, render."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from gongzhi.core.errors import NotFound
from gongzhi.orgs import queries
from gongzhi.web.nav import AUTH, NavLink, nav_for

# The six mechanisms of the 2014 proposal the platform implements, one line each.
MECHANISMS = (
    (_("确权勘界"), _("公布社区居委会依法履职事项和协助政府工作事项两份清单,分清哪些是社区的事。")),
    (_("平等合作"), _("部门需要社区协助的工作,签订委托协议书,写明要求、指导、经费和评估。")),
    (_("准入与减负"), _("新增社区事项须经深改办审批准入,费随事转;社区可拒绝未经准入的摊派,减事务、减牌子。")),
    (_("双向评估"), _("政府评社区以居民满意度为主,社区评部门看是否给权给钱,第三方评估组把关。")),
    (_("社区自治"), _("社区事务公开栏和民主决策日,让居民了解、商量和决定身边的事。")),
    (_("多元共治"), _("居委会考核物业、业委会监督,社区、社会组织与共建单位共同解决社区难题。")),
)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "web/home_public.html", {"mechanisms": MECHANISMS})
    links: list[NavLink] = [link for link in nav_for(request) if link.cap not in (None, AUTH)]
    organizations = []
    for held in queries.organizations_held(request.user):
        caps = held.caps
        organizations.append({"held": held, "links": [link for link in links if link.cap in caps]})
    return render(request, "web/home.html", {"organizations": organizations})


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    return render(request, "web/directory.html", {"cities": queries.directory()})


@require_safe
def directory_community(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        page = queries.community_page(pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "web/directory_community.html", {"page": page, "community": page.entry})


@require_safe
def directory_org(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        page = queries.organization_page(pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "web/directory_org.html", {"page": page, "org": page.organization})
