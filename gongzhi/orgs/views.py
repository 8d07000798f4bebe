"""Residents' pages for community staff: a masked list, a masked detail, and an audited full view.

Phone numbers show as 138****8000 and ID numbers by their last 4 characters. The full values appear only in the
response to an explicit POST by someone with view_full_pi in the resident's community; that response is never
cached and the view is written to the audit log by orgs.services.reveal_resident_pi.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gongzhi.core.errors import NotFound, PermissionDenied
from gongzhi.core.roles import Cap
from gongzhi.orgs import permissions, queries, services
from gongzhi.orgs.models import Resident

PAGE_SIZE = 50


def _resident_or_404(user: Any, pk: int) -> Resident:
    try:
        return permissions.get_resident_for_user(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_GET
def resident_list(request: HttpRequest) -> HttpResponse:
    # Community staff (manage_community in a community) or a platform administrator; nobody else.
    communities = permissions.communities_with_cap(request.user, Cap.MANAGE_COMMUNITY)
    everywhere = permissions.is_platform_admin(request.user)
    if not communities and not everywhere:
        raise DjangoPermissionDenied(_("只有社区工作人员可以查看居民信息。"))
    residents = queries.managed_residents(request.user, communities=communities, everywhere=everywhere)
    paginator = Paginator(residents, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [queries.masked(r) for r in page.object_list]
    return render(request, "orgs/resident_list.html", {"page": page, "rows": rows, "total": paginator.count})


@login_required
@require_GET
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _resident_or_404(request.user, pk)
    return render(
        request,
        "orgs/resident_detail.html",
        {
            "resident": queries.masked(resident),
            "birth_year": resident.birth_year,
            "can_reveal": permissions.can_view_full_pi(request.user, resident),
            "full": None,
        },
    )


@login_required
@require_POST
def resident_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _resident_or_404(request.user, pk)
    try:
        full = services.reveal_resident_pi(actor=request.user, resident=resident)  # type: ignore[arg-type]
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    response = render(
        request,
        "orgs/resident_detail.html",
        {
            "resident": queries.masked(resident),
            "birth_year": resident.birth_year,
            "can_reveal": True,
            "full": full,
            "lang_next": reverse("orgs:resident_detail", args=[resident.pk]),
        },
    )
    response["Cache-Control"] = "no-store"
    return response
