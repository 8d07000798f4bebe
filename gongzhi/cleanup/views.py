"""Pages of the clean-up (减事务、减牌子), the burden dashboard, the public page of a community's admitted tasks,
and the approval office's working-day calendar. Thin: parse, fetch through cleanup.permissions (404 for what a
user may not see), call one service, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.cleanup import permissions, queries, services, xlsx
from gongzhi.cleanup.forms import (
    AllowedPlaqueForm,
    CalendarYearForm,
    CampaignForm,
    ImportForm,
    PhotoForm,
    PlaqueDecisionForm,
    PlaqueForm,
    TaskDecisionForm,
    TaskForm,
    TransitionForm,
)
from gongzhi.cleanup.models import AllowedPlaque, Campaign, CarriedTask, Plaque
from gongzhi.cleanup.uploads import photo_response
from gongzhi.cleanup.xlsx import ImportFailed
from gongzhi.core import services as core_services
from gongzhi.core.errors import DomainError
from gongzhi.core.models import CalendarYear, User
from gongzhi.orgs.models import Region
from gongzhi.web import charts
from gongzhi.web.viewkit import fail_on_form as _fail
from gongzhi.web.viewkit import fetch_or_404 as _get
from gongzhi.web.viewkit import not_found as _deny
from gongzhi.web.viewkit import signed_in_user as _user

# --- Home ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.can_use_cleanup(user):
        raise _deny()
    campaigns = permissions.campaigns_for_user(user)[:50]
    staff = permissions.staff_community_ids(user)
    depts = permissions.department_ids(user)
    context = {
        "campaigns": campaigns,
        "can_run": permissions.can_run_campaigns(user),
        "is_staff_member": bool(staff),
        "plaque_count": permissions.plaques_for_user(user).filter(status=Plaque.Status.ACTIVE).count(),
        "dept_tasks": CarriedTask.objects.filter(department_id__in=depts)
        .select_related("campaign", "community")
        .order_by("-campaign_id", "community__code")[:100]
        if depts
        else [],
        "departments": permissions.department_ids(user),
        "dashboard_region": permissions.default_dashboard_region(user),
        "can_calendar": permissions.can_view_calendar(user),
    }
    return render(request, "cleanup/home.html", context)


# --- Campaigns ----------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.can_run_campaigns(user):
        raise _deny()
    scopes = Region.objects.filter(pk__in=permissions.office_region_ids(user)).exclude(
        kind__in=(Region.Kind.COMMUNITY, Region.Kind.VILLAGE)
    )
    form = CampaignForm(request.POST or None, scopes=scopes)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = services.create_campaign(actor=user, **data)
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(request, _("已创建清理行动“%(t)s”") % {"t": campaign.title})
                return redirect("cleanup:campaign_detail", pk=campaign.pk)
        else:
            status = 422
    return render(request, "cleanup/campaign_form.html", {"form": form}, status=status)


def _campaign_charts(campaign: Campaign, counts: queries.CampaignCounts) -> list[charts.BarChart]:
    noun = _("事项") if campaign.is_tasks else _("牌子")
    unit = _("项") if campaign.is_tasks else _("块")
    rows = counts.communities[:30]
    out = [
        charts.bar_chart(
            f"campaign-{campaign.pk}-communities",
            title=_("各社区%(noun)s清理前后") % {"noun": noun},
            description=_("每个社区清理前登记的%(noun)s数和清理后保留的%(noun)s数") % {"noun": noun},
            categories=[r.label for r in rows],
            series=[(_("清理前"), [r.before for r in rows]), (_("清理后"), [r.after for r in rows])],
            unit=unit,
        )
    ]
    depts = counts.departments[:30]
    if depts:
        out.append(
            charts.bar_chart(
                f"campaign-{campaign.pk}-departments",
                title=_("各部门%(noun)s清理前后") % {"noun": noun},
                description=_("按交办或挂牌部门统计的清理前后数量"),
                categories=[r.label for r in depts],
                series=[(_("清理前"), [r.before for r in depts]), (_("清理后"), [r.after for r in depts])],
                unit=unit,
            )
        )
    return out


def _campaign_page(
    request: HttpRequest, user: User, campaign: Campaign, *, status: int = 200
) -> HttpResponse:
    manage = permissions.can_manage_campaign(user, campaign)
    if campaign.is_tasks:
        items: Any = permissions.tasks_for_user(user, campaign)
        counts = queries.campaign_counts(campaign, tasks=items)
    else:
        items = permissions.reviews_for_user(user, campaign)
        counts = queries.campaign_counts(campaign)
        if not manage:
            visible = set(items.values_list("plaque__community_id", flat=True))
            counts.communities = [r for r in counts.communities if r.key in visible]
    next_steps = [
        (to, Campaign.Status(to).label) for to in sorted(Campaign.TRANSITIONS.get(campaign.status, set()))
    ]
    context = {
        "campaign": campaign,
        "manage": manage,
        "items": items[:500],
        "item_count": items.count(),
        "counts": counts,
        "charts": _campaign_charts(campaign, counts),
        "next_steps": next_steps if manage else [],
        "can_enter": campaign.status == Campaign.Status.INVENTORY
        and permissions.inventory_communities(user, campaign).exists(),
        "staff_communities": permissions.staff_community_ids(user),
    }
    return render(request, "cleanup/campaign_detail.html", context, status=status)


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    return _campaign_page(request, user, _get(permissions.get_campaign_for_user, user, pk))


@login_required
@require_POST
def campaign_move(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = _get(permissions.get_campaign_for_user, user, pk, manage=True)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("未知的阶段 / unknown stage"))
        return _campaign_page(request, user, campaign, status=422)
    try:
        services.move_campaign(
            actor=user, campaign=campaign, to=form.cleaned_data["to"], reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        status = _fail(request, None, exc)
        return _campaign_page(request, user, campaign, status=status)
    messages.success(request, _("已进入“%(s)s”阶段") % {"s": campaign.get_status_display()})
    return redirect("cleanup:campaign_detail", pk=pk)


@login_required
@require_POST
def campaign_accept(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = _get(permissions.get_campaign_for_user, user, pk, manage=True)
    try:
        if campaign.is_tasks:
            n = services.accept_task_suggestions(actor=user, campaign=campaign)
        else:
            n = services.accept_plaque_suggestions(actor=user, campaign=campaign)
    except DomainError as exc:
        _fail(request, None, exc)
    else:
        messages.success(request, _("已按建议决定 %(n)d 项") % {"n": n})
    return redirect("cleanup:campaign_detail", pk=pk)


# --- Task inventory -----------------------------------------------------------------------------------------


def _inventory_campaign(request: HttpRequest, pk: int) -> tuple[User, Campaign, Any]:
    user = _user(request)
    campaign = _get(permissions.get_campaign_for_user, user, pk)
    communities = permissions.inventory_communities(user, campaign)
    if not campaign.is_tasks or not communities.exists():
        raise _deny()
    return user, campaign, communities


@login_required
@require_http_methods(["GET", "POST"])
def task_add(request: HttpRequest, pk: int) -> HttpResponse:
    user, campaign, communities = _inventory_campaign(request, pk)
    form = TaskForm(request.POST or None, communities=communities, initial={"community": communities.first()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                task = services.add_carried_task(actor=user, campaign=campaign, **form.cleaned_data)
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(
                    request,
                    _("已登记“%(t)s”,清单比对:%(v)s")
                    % {"t": task.title, "v": task.verdict_reason or task.verdict},
                )
                return redirect("cleanup:task_add", pk=campaign.pk)
        else:
            status = 422
    return render(request, "cleanup/task_form.html", {"form": form, "campaign": campaign}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def task_import(request: HttpRequest, pk: int) -> HttpResponse:
    user, campaign, communities = _inventory_campaign(request, pk)
    form = ImportForm(request.POST or None, request.FILES or None, communities=communities)
    status = 200
    errors: list[xlsx.RowError] = []
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["workbook"]
            if upload.size > xlsx.MAX_WORKBOOK_BYTES:
                form.add_error("workbook", _("工作簿不能超过5MB / the workbook must be at most 5 MB"))
                status = 422
            else:
                try:
                    tasks = services.import_carried_tasks(
                        actor=user,
                        campaign=campaign,
                        community=form.cleaned_data["community"],
                        data=upload.read(),
                    )
                except ImportFailed as exc:
                    errors = exc.errors
                    status = 422
                    form.add_error(None, exc.message)
                except DomainError as exc:
                    status = _fail(request, form, exc)
                else:
                    messages.success(request, _("已导入 %(n)d 项") % {"n": len(tasks)})
                    return redirect("cleanup:campaign_detail", pk=campaign.pk)
        else:
            status = 422
    return render(
        request,
        "cleanup/task_import.html",
        {"form": form, "campaign": campaign, "errors": errors},
        status=status,
    )


@login_required
@require_GET
def task_template(request: HttpRequest) -> HttpResponse:
    if not permissions.can_use_cleanup(_user(request)):
        raise _deny()
    response = HttpResponse(xlsx.template(), content_type=xlsx.XLSX_MIME)
    response["Content-Disposition"] = 'attachment; filename="inventory-template.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def task_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    task = _get(permissions.get_task_for_user, user, pk)
    if not permissions.can_decide(user, task.campaign):
        raise _deny()
    initial = {"decision": task.decision or task.suggestion or None}
    form = TaskDecisionForm(request.POST or None, task=task, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.decide_task(actor=user, task=task, **form.cleaned_data)
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(request, _("已决定:%(t)s") % {"t": task.title})
                return redirect("cleanup:campaign_detail", pk=task.campaign_id)
        else:
            status = 422
    return render(request, "cleanup/task_decide.html", {"form": form, "task": task}, status=status)


@login_required
@require_POST
def task_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    task = _get(permissions.get_task_for_user, user, pk)
    if not permissions.can_enter_inventory(user, task.campaign, task.community):
        raise _deny()
    try:
        services.withdraw_carried_task(actor=user, task=task)
    except DomainError as exc:
        _fail(request, None, exc)
    else:
        messages.success(request, _("已撤回“%(t)s”") % {"t": task.title})
    return redirect("cleanup:campaign_detail", pk=task.campaign_id)


# --- Plaques ------------------------------------------------------------------------------------------------


def _plaque_communities(user: User) -> Any:
    ids = permissions.staff_community_ids(user) | permissions.office_region_ids(user)
    return Region.objects.filter(pk__in=ids, kind__in=(Region.Kind.COMMUNITY, Region.Kind.VILLAGE)).order_by(
        "code"
    )


@login_required
@require_GET
def plaque_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.can_use_cleanup(user):
        raise _deny()
    plaques = permissions.plaques_for_user(user).order_by("community__code", "status", "placement", "id")
    return render(
        request,
        "cleanup/plaque_list.html",
        {"plaques": plaques[:500], "total": plaques.count(), "can_add": _plaque_communities(user).exists()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def plaque_add(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    communities = _plaque_communities(user)
    if not communities.exists():
        raise _deny()
    form = PlaqueForm(request.POST or None, request.FILES or None, communities=communities)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plaque = services.register_plaque(actor=user, **form.cleaned_data)
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(request, _("已登记牌子“%(n)s”") % {"n": plaque.name})
                return redirect("cleanup:plaque_detail", pk=plaque.pk)
        else:
            status = 422
    return render(request, "cleanup/plaque_form.html", {"form": form}, status=status)


@login_required
@require_GET
def plaque_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    plaque = _get(permissions.get_plaque_for_user, user, pk)
    reviews = plaque.reviews.select_related("campaign").order_by("-campaign_id")
    return render(
        request,
        "cleanup/plaque_detail.html",
        {
            "plaque": plaque,
            "reviews": reviews,
            "can_edit": permissions.can_edit_plaque(user, plaque),
            "photo_form": PhotoForm(),
        },
    )


@login_required
@require_POST
def plaque_photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    plaque = _get(permissions.get_plaque_for_user, user, pk, edit=True)
    form = PhotoForm(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            services.set_plaque_photo(actor=user, plaque=plaque, photo=form.cleaned_data["photo"])
        except DomainError as exc:
            status = _fail(request, form, exc)
        else:
            messages.success(request, _("照片已上传"))
            return redirect("cleanup:plaque_detail", pk=pk)
    reviews = plaque.reviews.select_related("campaign").order_by("-campaign_id")
    context = {"plaque": plaque, "reviews": reviews, "can_edit": True, "photo_form": form}
    return render(request, "cleanup/plaque_detail.html", context, status=status)


@login_required
@require_GET
def plaque_photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    plaque = _get(permissions.get_plaque_for_user, _user(request), pk)
    return photo_response(plaque.photo, plaque.photo_type, f"plaque-{plaque.pk}")


@login_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    review = _get(permissions.get_review_for_user, user, pk)
    if not permissions.can_decide(user, review.campaign):
        raise _deny()
    form = PlaqueDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择保留或摘除 / choose keep or remove"))
    else:
        try:
            services.decide_plaque(actor=user, review=review, **form.cleaned_data)
        except DomainError as exc:
            _fail(request, None, exc)
        else:
            messages.success(request, _("已决定:%(n)s") % {"n": review.plaque.name})
    return redirect("cleanup:campaign_detail", pk=review.campaign_id)


@login_required
@require_http_methods(["GET", "POST"])
def review_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    review = _get(permissions.get_review_for_user, user, pk)
    if not permissions.can_confirm_removal(user, review):
        raise _deny()
    form = PhotoForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.confirm_plaque_removal(actor=user, review=review, photo=form.cleaned_data["photo"])
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(request, _("已确认摘除“%(n)s”") % {"n": review.plaque.name})
                return redirect("cleanup:campaign_detail", pk=review.campaign_id)
        else:
            status = 422
    return render(request, "cleanup/review_confirm.html", {"form": form, "review": review}, status=status)


@login_required
@require_GET
def review_photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    review = _get(permissions.get_review_for_user, _user(request), pk)
    return photo_response(review.removal_photo, review.removal_photo_type, f"removal-{review.pk}")


# --- Allowed set --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def allowed_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    region = permissions.default_dashboard_region(user)
    if region is None or not permissions.can_edit_allowed_set(user, region):
        raise _deny()
    form = AllowedPlaqueForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.add_allowed_plaque(actor=user, region=region, **form.cleaned_data)
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(request, _("已添加"))
                return redirect("cleanup:allowed_list")
        else:
            status = 422
    entries = AllowedPlaque.objects.filter(region=region)
    return render(
        request,
        "cleanup/allowed_list.html",
        {"entries": entries, "form": form, "region": region},
        status=status,
    )


@login_required
@require_POST
def allowed_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    entry = AllowedPlaque.objects.select_related("region").filter(pk=pk).first()
    if entry is None or not permissions.can_edit_allowed_set(user, entry.region):
        raise _deny()
    services.remove_allowed_plaque(actor=user, entry=entry)
    messages.success(request, _("已删除“%(n)s”") % {"n": entry.name})
    return redirect("cleanup:allowed_list")


# --- Dashboard ----------------------------------------------------------------------------------------------


def _dashboard_charts(board: queries.Dashboard) -> list[charts.BarChart]:
    rows = board.rows[:30]
    names = [r.label for r in rows]
    prefix = f"dash-{board.level}"
    out = [
        charts.bar_chart(
            f"{prefix}-tasks",
            title=_("事项清理前后(按%(h)s)") % {"h": board.row_heading},
            description=_("最近一次减事务行动中登记的事项数与保留的事项数"),
            categories=names,
            series=[
                (_("清理前"), [r.tasks_before for r in rows]),
                (_("清理后"), [r.tasks_after for r in rows]),
            ],
            unit=_("项"),
        ),
        charts.bar_chart(
            f"{prefix}-admitted",
            title=_("准入事项、拒绝与查实摊派(按%(h)s)") % {"h": board.row_heading},
            description=_("有效的准入事项数、社区拒绝次数、查实的摊派举报数"),
            categories=names,
            series=[
                (_("准入事项"), [r.admitted for r in rows]),
                (_("拒绝"), [r.refusals for r in rows]),
                (_("查实摊派"), [r.upheld_reports for r in rows]),
            ],
        ),
        charts.bar_chart(
            f"{prefix}-plaques",
            title=_("牌子(按%(h)s)") % {"h": board.row_heading},
            description=_("最近一次减牌子行动前后的牌子数,以及现在在挂的牌子数"),
            categories=names,
            series=[
                (_("清理前"), [r.plaques_before for r in rows]),
                (_("清理后"), [r.plaques_after for r in rows]),
                (_("现在在挂"), [r.plaques for r in rows]),
            ],
            unit=_("块"),
        ),
        charts.bar_chart(
            f"{prefix}-funding",
            title=_("经费:承诺与标准(按%(h)s,元/年)") % {"h": board.row_heading},
            description=_("准入事项承诺拨付的经费与清单规定的标准经费"),
            categories=names,
            series=[
                (_("承诺"), [r.funding_offered_fen // 100 for r in rows]),
                (_("标准"), [r.funding_standard_fen // 100 for r in rows]),
            ],
            unit=_("元"),
        ),
    ]
    return out


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    region = permissions.default_dashboard_region(user)
    if region is not None:
        return redirect("cleanup:dashboard_region", pk=region.pk)
    depts = sorted(permissions.department_ids(user))
    if depts:
        return redirect("cleanup:dashboard_department", pk=depts[0])
    raise _deny()


def _render_dashboard(request: HttpRequest, board: queries.Dashboard) -> HttpResponse:
    return render(
        request,
        "cleanup/dashboard.html",
        {"board": board, "charts": _dashboard_charts(board)},
    )


@login_required
@require_GET
def dashboard_region(request: HttpRequest, pk: int) -> HttpResponse:
    region = _get(permissions.get_dashboard_region_for_user, _user(request), pk)
    return _render_dashboard(request, queries.region_dashboard(region))


@login_required
@require_GET
def dashboard_department(request: HttpRequest, pk: int) -> HttpResponse:
    department = _get(permissions.get_dashboard_department_for_user, _user(request), pk)
    return _render_dashboard(request, queries.department_dashboard(department))


HEADER = (
    "名称",
    "准入事项",
    "承诺经费(元/年)",
    "标准经费(元/年)",
    "已到位经费(元)",
    "每月报表(份)",
    "在挂牌子",
    "拒绝",
    "查实摊派",
    "事项清理前",
    "事项清理后",
    "事项报表清理前(份/月)",
    "事项报表清理后(份/月)",
    "牌子清理前",
    "牌子清理后",
)


def _row(b: queries.Burden) -> list[Any]:
    return [
        b.label,
        b.admitted,
        b.funding_offered_fen / 100,
        b.funding_standard_fen / 100,
        b.funding_received_fen / 100,
        b.forms_per_month_rounded,
        b.plaques,
        b.refusals,
        b.upheld_reports,
        b.tasks_before,
        b.tasks_after,
        b.task_forms_before,
        b.task_forms_after,
        b.plaques_before,
        b.plaques_after,
    ]


def _xlsx_dashboard(board: queries.Dashboard) -> HttpResponse:
    sheets: list[tuple[str, tuple[str, ...], list[list[Any]]]] = [
        (str(board.row_heading), HEADER, [_row(r) for r in board.rows] + [_row(board.total)])
    ]
    if board.departments:
        sheets.append(("部门", HEADER, [_row(r) for r in board.departments]))
    response = HttpResponse(xlsx.write_tables(sheets), content_type=xlsx.XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="burden-{board.level}-{board.total.key}.xlsx"'
    return response


@login_required
@require_GET
def dashboard_region_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    region = _get(permissions.get_dashboard_region_for_user, _user(request), pk)
    return _xlsx_dashboard(queries.region_dashboard(region))


@login_required
@require_GET
def dashboard_department_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    department = _get(permissions.get_dashboard_department_for_user, _user(request), pk)
    return _xlsx_dashboard(queries.department_dashboard(department))


# --- Public page (no login) ---------------------------------------------------------------------------------


@require_GET
def public_community(request: HttpRequest, pk: int) -> HttpResponse:
    community = queries.public_community(pk)
    if community is None:
        raise _deny()
    tasks = queries.public_admitted_tasks(community)
    return render(
        request,
        "cleanup/public_community.html",
        {"community": community, "tasks": tasks, "summary": queries.public_cleanup_summary(community)},
    )


# --- Working-day calendar -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.can_view_calendar(user):
        raise _deny()
    can_enter = permissions.can_enter_calendar(user)
    initial: dict[str, Any] = {}
    year_param = request.GET.get("year", "")
    if year_param.isdigit():
        entry = CalendarYear.objects.filter(year=int(year_param)).first()
        if entry is not None:
            days = list(entry.days.all())
            initial = {
                "year": entry.year,
                "assumed": entry.assumed,
                "source": entry.source,
                "holidays": "\n".join(f"{d.date.isoformat()} {d.name}" for d in days if d.kind == "holiday"),
                "workdays": "\n".join(f"{d.date.isoformat()} {d.name}" for d in days if d.kind == "workday"),
            }
        else:
            initial = {"year": int(year_param)}
    form = CalendarYearForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not can_enter:
            raise _deny()
        if form.is_valid():
            data = form.cleaned_data
            try:
                core_services.enter_calendar_year(
                    actor=user,
                    year=data["year"],
                    holidays=data["holidays"],
                    workdays=data["workdays"],
                    assumed=data["assumed"],
                    source=data["source"],
                )
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(request, _("已保存 %(y)d 年的节假日安排") % {"y": data["year"]})
                return redirect("cleanup:calendar")
        else:
            status = 422
    this_year = date.today().year
    known = {row["year"] for row in queries.calendar_years()}
    missing = [y for y in (this_year, this_year + 1) if y not in known]
    return render(
        request,
        "cleanup/calendar.html",
        {"years": queries.calendar_years(), "form": form, "can_enter": can_enter, "missing": missing},
        status=status,
    )
