"""Pages of the agreements: the department's, the community's (or provider's) and the approval office's
overviews; drafting, sending, signing, reserving, paying, amending, terminating; versions, diffs, the printable
page and the .docx; completion reports; the office's templates; and the public finance page of a community.

Thin: parse, fetch through agreements.permissions (404 for what a user may not see), call one service, render.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.admissions import permissions as admission_permissions
from gongzhi.admissions.models import AdmittedTask
from gongzhi.agreements import document, evidence, permissions, queries, services, xlsx
from gongzhi.agreements.forms import (
    CompletionForm,
    CreateForm,
    DepartmentSignForm,
    ItemForm,
    PartySignForm,
    PayForm,
    ReasonForm,
    RefuseForm,
    ResolveForm,
    ReviewForm,
    ServiceItemForm,
    TemplateForm,
    TerminateForm,
    TermsForm,
    format_schedule,
    from_fen,
    to_fen,
)
from gongzhi.agreements.models import (
    Agreement,
    AgreementTask,
    Completion,
    Instalment,
    Kind,
    Version,
    VersionItem,
)
from gongzhi.core.errors import DomainError
from gongzhi.core.models import User
from gongzhi.core.roles import Cap, OrgKind
from gongzhi.orgs.models import Organization, Region
from gongzhi.web.viewkit import fail_on_form as _fail
from gongzhi.web.viewkit import fetch_or_404 as _get
from gongzhi.web.viewkit import not_found as _deny
from gongzhi.web.viewkit import signed_in_user as _user
from gongzhi.web.viewkit import submit as _submit


def _agreement(request: HttpRequest, pk: int) -> tuple[User, Agreement]:
    user = _user(request)
    return user, _get(permissions.get_agreement_for_user, user, pk)


# --- Overviews ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def department(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    depts = permissions.department_ids(user)
    if not depts:
        raise _deny()
    agreements = permissions.agreements_for_user(user).filter(department_id__in=depts)
    rows = queries.figures(agreements.order_by("-year", "number"))
    eligible = queries.tasks_without_active_agreement(AdmittedTask.objects.filter(department_id__in=depts))
    context = {
        "rows": rows,
        "totals": queries.totals(rows),
        "overdue": queries.overdue_instalments(agreements)[:200],
        "uncovered": eligible[:200],
        "can_draft": bool(permissions.drafting_departments(user)),
        "today": services.today(),
    }
    return render(request, "agreements/department.html", context)


@login_required
@require_GET
def party(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.may_use_party_page(user):
        raise _deny()
    communities = permissions.staff_communities(user)
    providers = permissions.provider_ids(user)
    agreements = permissions.agreements_for_user(user).exclude(
        department_id__in=permissions.department_ids(user)
    )
    agreements = agreements.filter(first_sent_at__isnull=False)
    rows = queries.figures(agreements.order_by("-year", "number"))
    tasks = AdmittedTask.objects.filter(community_id__in=communities)
    refusable = [
        t
        for t in queries.tasks_without_active_agreement(tasks)
        if t.starts_on < services.today() and admission_permissions.can_refuse_for(user, t.community)
    ]
    context = {
        "rows": rows,
        "totals": queries.totals(rows),
        "awaiting": [
            f for f in rows if f.agreement.status in (Agreement.Status.SENT, Agreement.Status.DEPT_SIGNED)
        ],
        "deliver": queries.to_deliver(agreements),
        "overdue": queries.overdue_instalments(agreements)[:200],
        "refusable": refusable[:100],
        "communities": Region.objects.filter(pk__in=communities),
        "providers": Organization.objects.filter(pk__in=providers),
    }
    return render(request, "agreements/party.html", context)


@login_required
@require_GET
def office(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    regions = permissions.authority_regions(user)
    if not regions:
        raise _deny()
    agreements = permissions.agreements_for_user(user).filter(department__region_id__in=regions)
    year = request.GET.get("year", "")
    if year.isdigit() and len(year) == 4:
        agreements = agreements.filter(year=int(year))
    rows = queries.figures(agreements.order_by("-year", "department__name", "community__code"))
    tasks = AdmittedTask.objects.filter(department__region_id__in=regions)
    disputes = Completion.objects.filter(
        agreement__in=agreements, status=Completion.Status.DISPUTED
    ).select_related("agreement", "task")
    context = {
        "rows": rows,
        "totals": queries.totals(rows),
        "uncovered": queries.tasks_without_active_agreement(tasks)[:300],
        "overdue": queries.overdue_instalments(agreements)[:300],
        "disputes": disputes[:100],
        "year": year if year.isdigit() else "",
        "can_templates": permissions.may_manage_templates(user),
    }
    return render(request, "agreements/office.html", context)


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    agreements = permissions.agreements_for_user(user)
    if not (
        permissions.department_ids(user)
        or permissions.may_use_party_page(user)
        or permissions.is_authority(user)
    ):
        raise _deny()
    response = HttpResponse(
        xlsx.export(agreements),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="agreements-{stamp}.xlsx"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Drafting -----------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    depts = permissions.drafting_departments(user)
    if not depts:
        raise _deny()
    communities = Region.objects.filter(kind__in=(Region.Kind.COMMUNITY, Region.Kind.VILLAGE)).order_by(
        "code"
    )
    providers = Organization.objects.filter(
        kind__in=(OrgKind.SERVICE_CENTRE, OrgKind.SOCIAL_ORG), is_active=True
    ).order_by("name")
    form = CreateForm(
        request.POST or None,
        departments=Organization.objects.filter(pk__in=[d.pk for d in depts]),
        communities=communities,
        providers=providers,
        initial={"year": services.today().year + 1, "department": depts[0]},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                agreement = services.create_agreement(
                    actor=user,
                    department=data["department"],
                    community=data["community"],
                    year=data["year"],
                    kind=data["kind"],
                    party=data["party"],
                )
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(request, _("已起草协议 %(n)s") % {"n": agreement.number})
                return redirect("agreements:detail", pk=agreement.pk)
        else:
            status = 422
    return render(request, "agreements/create.html", {"form": form}, status=status)


def _shown_version(user: User, agreement: Agreement) -> Version | None:
    """The version a user works on: the open one (a draft only for the department and the office), else the one
    in force, else the latest."""
    pending = services.open_version(agreement)
    own = agreement.department_id in permissions.department_ids(user) or permissions.is_authority(user)
    if pending is not None and (pending.status != Version.Status.DRAFT or own):
        return pending
    return services.effective_version(agreement) or agreement.versions.order_by("-number").first()


def _visible_versions(user: User, agreement: Agreement) -> list[Version]:
    own = agreement.department_id in permissions.department_ids(user) or permissions.is_authority(user)
    versions = list(agreement.versions.order_by("number"))
    return [v for v in versions if own or v.status != Version.Status.DRAFT]


def _detail_context(user: User, agreement: Agreement) -> dict[str, Any]:
    shown = _shown_version(user, agreement)
    pending = services.open_version(agreement)
    latest: dict[int, Completion] = {}
    for c in Completion.objects.filter(agreement=agreement).order_by("reported_at", "id"):
        latest[c.task_id] = c
    items = (
        [(i, latest.get(i.task_id)) for i in shown.items.select_related("task").order_by("task__position")]
        if shown
        else []
    )
    fig = queries.figures([agreement])[0]
    visible = _visible_versions(user, agreement)
    editor = permissions.can_edit_agreement(user, agreement)
    signs_dept = permissions.can_sign_for_department(user, agreement)
    signs_party = permissions.can_sign_for_party(user, agreement)
    finance = permissions.can_pay(user, agreement)
    status = pending.status if pending else None
    text = services.preview_text(shown) if shown else ""
    instalments = list(agreement.instalments.select_related("version").order_by("seq"))
    return {
        "agreement": agreement,
        "fig": fig,
        "shown": shown,
        "pending": pending,
        "items": items,
        "text_lines": text.split("\n"),
        "versions": [(v, visible[i - 1].number if i else None) for i, v in enumerate(visible)],
        "signatures": list(shown.signatures.filter(voided_at__isnull=True)) if shown else [],
        "instalments": instalments,
        "held_id": services.held_instalment_id(agreement, instalments),
        "payments": list(agreement.payments.select_related("instalment").order_by("paid_at")),
        "today": services.today(),
        "eligible": list(services.eligible_tasks(agreement)) if editor else [],
        "can_edit": editor and status == Version.Status.DRAFT,
        "can_send": editor and status == Version.Status.DRAFT,
        "can_reopen": (editor or signs_party) and status in (Version.Status.SENT, Version.Status.DEPT_SIGNED),
        "can_sign_dept": signs_dept and status == Version.Status.SENT,
        "can_sign_party": signs_party and status == Version.Status.DEPT_SIGNED,
        "can_reserve": finance
        and status in (Version.Status.DEPT_SIGNED, Version.Status.COMMUNITY_SIGNED)
        and pending is not None
        and services.reserve_needed(agreement, pending) > 0,
        "needed": services.reserve_needed(agreement, pending)
        if pending and pending.status != Version.Status.DRAFT
        else 0,
        "can_pay": finance and agreement.status in Agreement.PAYABLE,
        "can_amend": editor and agreement.status == Agreement.Status.ACTIVE and pending is None,
        "can_withdraw": editor and pending is not None and pending.is_amendment,
        "can_terminate": signs_dept and not agreement.is_final,
        "can_complete": signs_dept and agreement.status == Agreement.Status.ACTIVE and pending is None,
        "can_report": permissions.can_report_completion(user, agreement)
        and agreement.status == Agreement.Status.ACTIVE,
        "can_review": editor,
        "can_resolve": bool(permissions.authority_regions(user, (Cap.EXAMINE_REQUESTS,)))
        and agreement.department_id not in permissions.department_ids(user),
        "is_service": agreement.kind == Kind.SERVICE_PURCHASE,
    }


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _agreement(request, pk)
    return render(request, "agreements/detail.html", _detail_context(user, agreement))


def _editor(request: HttpRequest, pk: int) -> tuple[User, Agreement]:
    user, agreement = _agreement(request, pk)
    if not permissions.can_edit_agreement(user, agreement):
        raise _deny()
    return user, agreement


@login_required
@require_http_methods(["GET", "POST"])
def edit_terms(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _editor(request, pk)
    version = services.open_version(agreement)
    if version is None or version.status != Version.Status.DRAFT:
        messages.error(request, _("只有草稿可以修改 / only a draft can change"))
        return redirect("agreements:detail", pk=pk)
    initial = vars(services.TermsData.of(version)) | {"schedule": format_schedule(version.schedule)}
    form = TermsForm(request.POST or None, initial=initial)

    def act(data: dict[str, Any]) -> object:
        return services.update_terms(actor=user, agreement=agreement, data=services.TermsData(**data))

    done, status = _submit(request, form, act)
    if done:
        messages.success(request, _("已保存协议条款"))
        return redirect("agreements:detail", pk=pk)
    return render(
        request,
        "agreements/form.html",
        {"agreement": agreement, "form": form, "heading": _("协议条款")},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_item(request: HttpRequest, pk: int, task: int) -> HttpResponse:
    user, agreement = _editor(request, pk)
    version = services.open_version(agreement)
    item = (
        VersionItem.objects.select_related("task").filter(version=version, task_id=task).first()
        if version is not None and version.status == Version.Status.DRAFT
        else None
    )
    if item is None:
        raise _deny()
    form = ItemForm(
        request.POST or None,
        initial={
            "requirements": item.requirements,
            "standards": item.standards,
            "amount": from_fen(item.amount_fen),
        },
    )

    def act(data: dict[str, Any]) -> object:
        return services.update_item(
            actor=user,
            agreement=agreement,
            task=item.task,
            requirements=data["requirements"],
            standards=data["standards"],
            amount_fen=to_fen(data["amount"]),
        )

    done, status = _submit(request, form, act)
    if done:
        messages.success(request, _("已保存“%(t)s”的条款") % {"t": item.task.title})
        return redirect("agreements:detail", pk=pk)
    context = {"agreement": agreement, "form": form, "heading": item.task.title, "item": item}
    return render(request, "agreements/form.html", context, status=status)


@login_required
@require_POST
def add_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _editor(request, pk)
    try:
        added = services.add_admitted_tasks(actor=user, agreement=agreement)
    except DomainError as exc:
        _fail(request, None, exc)
    else:
        messages.success(request, _("已加入%(n)d项准入事项") % {"n": len(added)})
    return redirect("agreements:detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def add_service(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _editor(request, pk)
    if agreement.kind != Kind.SERVICE_PURCHASE:
        raise _deny()
    form = ServiceItemForm(request.POST or None)

    def act(data: dict[str, Any]) -> object:
        return services.add_service_item(
            actor=user,
            agreement=agreement,
            title=data["title"],
            requirements=data["requirements"],
            standards=data["standards"],
            amount_fen=to_fen(data["amount"]),
        )

    done, status = _submit(request, form, act)
    if done:
        messages.success(request, _("已加入服务项目"))
        return redirect("agreements:detail", pk=pk)
    return render(
        request,
        "agreements/form.html",
        {"agreement": agreement, "form": form, "heading": _("加入服务项目")},
        status=status,
    )


@login_required
@require_POST
def send(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _editor(request, pk)
    try:
        version = services.send_agreement(actor=user, agreement=agreement)
    except DomainError as exc:
        _fail(request, None, exc)
        return render(request, "agreements/detail.html", _detail_context(user, agreement), status=exc.status)
    messages.success(request, _("已送达对方,文本摘要 %(d)s") % {"d": version.digest[:16]})
    return redirect("agreements:detail", pk=pk)


def _reason_page(
    request: HttpRequest,
    agreement: Agreement,
    heading: str,
    run: Callable[[str], Any],
    done: str,
) -> HttpResponse:
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run(form.cleaned_data["reason"])
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(request, done)
                return redirect("agreements:detail", pk=agreement.pk)
        else:
            status = 422
    return render(
        request,
        "agreements/form.html",
        {"agreement": agreement, "form": form, "heading": heading},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _agreement(request, pk)
    if not (
        permissions.can_edit_agreement(user, agreement) or permissions.can_sign_for_party(user, agreement)
    ):
        raise _deny()
    return _reason_page(
        request,
        agreement,
        _("退回修改"),
        lambda reason: services.reopen_agreement(actor=user, agreement=agreement, reason=reason),
        _("协议已退回草稿"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def amend(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _editor(request, pk)
    return _reason_page(
        request,
        agreement,
        _("起草补充协议(新版本)"),
        lambda reason: services.start_amendment(actor=user, agreement=agreement, reason=reason),
        _("已起草补充协议,请修改后送达对方"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _editor(request, pk)
    return _reason_page(
        request,
        agreement,
        _("撤回补充协议"),
        lambda reason: services.withdraw_amendment(actor=user, agreement=agreement, reason=reason),
        _("补充协议已撤回"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _agreement(request, pk)
    dept = permissions.can_sign_for_department(user, agreement)
    party_side = permissions.can_sign_for_party(user, agreement)
    if not (dept or party_side):
        raise _deny()
    version = services.open_version(agreement)
    if version is None or version.status not in (Version.Status.SENT, Version.Status.DEPT_SIGNED):
        messages.error(request, _("协议不在待签署状态 / the agreement is not waiting for a signature"))
        return redirect("agreements:detail", pk=pk)
    as_party = version.status == Version.Status.DEPT_SIGNED
    if (as_party and not party_side) or (not as_party and not dept):
        messages.error(request, _("现在不是由您签署 / it is not yours to sign now"))
        return redirect("agreements:detail", pk=pk)
    form: Form = (PartySignForm if as_party else DepartmentSignForm)(
        request.POST or None, initial={"digest": version.digest}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if as_party:
                    services.sign_for_party(
                        actor=user,
                        agreement=agreement,
                        digest=data["digest"],
                        meeting_date=data["meeting_date"],
                        minutes_no=data["minutes_no"],
                    )
                else:
                    services.sign_for_department(actor=user, agreement=agreement, digest=data["digest"])
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(request, _("已签署"))
                return redirect("agreements:detail", pk=pk)
        else:
            status = 422
    context = {
        "agreement": agreement,
        "version": version,
        "form": form,
        "as_party": as_party,
        "text_lines": version.text.split("\n"),
    }
    return render(request, "agreements/sign.html", context, status=status)


@login_required
@require_POST
def reserve(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _agreement(request, pk)
    if not permissions.can_pay(user, agreement):
        raise _deny()
    try:
        version = services.reserve_funds(actor=user, agreement=agreement)
    except DomainError as exc:
        _fail(request, None, exc)
        return render(request, "agreements/detail.html", _detail_context(user, agreement), status=exc.status)
    if version.status == Version.Status.EFFECTIVE:
        messages.success(request, _("经费已全部预留,协议生效"))
    else:
        messages.success(request, _("经费已预留,待乙方签署后生效"))
    return redirect("agreements:detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, pk: int, seq: int) -> HttpResponse:
    user, agreement = _agreement(request, pk)
    if not permissions.can_pay(user, agreement):
        raise _deny()
    instalment = Instalment.objects.filter(agreement=agreement, seq=seq).first()
    if instalment is None:
        raise _deny()
    form = PayForm(request.POST or None, initial={"amount": from_fen(instalment.outstanding_fen)})
    held = services.held_for_evaluation(instalment)

    def act(data: dict[str, Any]) -> object:
        return services.pay_instalment(
            actor=user,
            instalment=instalment,
            amount_fen=to_fen(data["amount"]),
            note=data["note"],
        )

    done, status = _submit(request, form, act)
    if done:
        messages.success(request, _("已支付"))
        return redirect("agreements:detail", pk=pk)
    context = {
        "agreement": agreement,
        "form": form,
        "heading": _("支付第%(n)d期") % {"n": seq},
        "instalment": instalment,
        # the final instalment waits for the evaluation: no form, the reason instead (the service refuses a POST)
        "held_note": _(
            "尾款待评估结算:本期是协议的尾款,%(year)d年度评估结果公布后,由部门财务人员在评估周期的尾款结算页按评估结算支付,"
            "不能在此直接支付。"
        )
        % {"year": agreement.year}
        if held
        else "",
    }
    return render(request, "agreements/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def terminate(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _agreement(request, pk)
    if not permissions.can_sign_for_department(user, agreement):
        raise _deny()
    fig = queries.figures([agreement])[0]
    form = TerminateForm(request.POST or None, initial={"settlement": from_fen(fig.paid)})

    def act(data: dict[str, Any]) -> object:
        return services.terminate_agreement(
            actor=user,
            agreement=agreement,
            reason=data["reason"],
            settlement_fen=to_fen(data["settlement"]),
        )

    done, status = _submit(request, form, act)
    if done:
        messages.success(request, _("协议已终止"))
        return redirect("agreements:detail", pk=pk)
    context = {"agreement": agreement, "form": form, "heading": _("终止协议"), "fig": fig}
    return render(request, "agreements/form.html", context, status=status)


@login_required
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    user, agreement = _agreement(request, pk)
    if not permissions.can_sign_for_department(user, agreement):
        raise _deny()
    try:
        services.complete_agreement(actor=user, agreement=agreement)
    except DomainError as exc:
        _fail(request, None, exc)
    else:
        messages.success(request, _("协议已履行完毕"))
    return redirect("agreements:detail", pk=pk)


# --- Versions, diff, print, docx ----------------------------------------------------------------------------


def _version(request: HttpRequest, pk: int, number: int) -> tuple[User, Agreement, Version]:
    user, agreement = _agreement(request, pk)
    version = next((v for v in _visible_versions(user, agreement) if v.number == number), None)
    if version is None:
        raise _deny()
    return user, agreement, version


@login_required
@require_GET
def version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    user, agreement, v = _version(request, pk, number)
    context = {
        "agreement": agreement,
        "version": v,
        "text_lines": services.preview_text(v).split("\n"),
        "items": v.items.select_related("task").order_by("task__position"),
        "signatures": v.signatures.all(),
        "code": document.code_for(v) if v.digest else "",
        "versions": _visible_versions(user, agreement),
    }
    return render(request, "agreements/version.html", context)


@login_required
@require_GET
def print_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    _, agreement, v = _version(request, pk, number)
    if not v.digest:
        raise _deny()
    context = {
        "agreement": agreement,
        "version": v,
        "text_lines": v.text.split("\n"),
        "signature_lines": document.signature_lines(v),
    }
    return render(request, "agreements/print.html", context)


@login_required
@require_GET
def docx(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    _, agreement, v = _version(request, pk, number)
    if not v.digest:
        raise _deny()
    response = HttpResponse(
        document.build_docx(v),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="{agreement.number}-v{v.number}.docx"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _line_diff(a: list[str], b: list[str]) -> list[tuple[str, str]]:
    """(kind, line) with kind ' ' (same), '-' (only in the older) or '+' (only in the newer)."""
    rows: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            rows.extend((" ", line) for line in a[i1:i2])
            continue
        rows.extend(("-", line) for line in a[i1:i2])
        rows.extend(("+", line) for line in b[j1:j2])
    return rows


@login_required
@require_GET
def diff(request: HttpRequest, pk: int, a: int, b: int) -> HttpResponse:
    user, agreement, old = _version(request, pk, a)
    new = next((v for v in _visible_versions(user, agreement) if v.number == b), None)
    if new is None:
        raise _deny()
    old_items = {i.task_id: i for i in old.items.select_related("task")}
    new_items = {i.task_id: i for i in new.items.select_related("task")}
    changes = []
    for task_id in sorted(set(old_items) | set(new_items)):
        o, n = old_items.get(task_id), new_items.get(task_id)
        title = (n or o).task.title  # type: ignore[union-attr]
        if o is None:
            changes.append({"title": title, "kind": "added", "old": None, "new": n})
        elif n is None:
            changes.append({"title": title, "kind": "removed", "old": o, "new": None})
        elif (o.amount_fen, o.requirements, o.standards) != (n.amount_fen, n.requirements, n.standards):
            changes.append({"title": title, "kind": "changed", "old": o, "new": n})
    context = {
        "agreement": agreement,
        "old": old,
        "new": new,
        "changes": changes,
        "lines": _line_diff(services.preview_text(old).split("\n"), services.preview_text(new).split("\n")),
    }
    return render(request, "agreements/diff.html", context)


# --- Completion reports -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, pk: int, task: int) -> HttpResponse:
    user, agreement = _agreement(request, pk)
    if not permissions.can_report_completion(user, agreement):
        raise _deny()
    agreement_task = AgreementTask.objects.filter(agreement=agreement, pk=task).first()
    if agreement_task is None:
        raise _deny()
    form = CompletionForm(request.POST or None, request.FILES or None)

    def act(data: dict[str, Any]) -> object:
        return services.report_completion(
            actor=user,
            agreement=agreement,
            task=agreement_task,
            summary=data["summary"],
            upload=data["file"],
        )

    done, status = _submit(request, form, act)
    if done:
        messages.success(request, _("已报告完成,待部门确认"))
        return redirect("agreements:detail", pk=pk)
    context = {
        "agreement": agreement,
        "form": form,
        "heading": _("报告完成:%(t)s") % {"t": agreement_task.title},
        "multipart": True,
    }
    return render(request, "agreements/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    completion = _get(permissions.get_completion_for_user, user, pk)
    if not permissions.can_review_completion(user, completion):
        raise _deny()
    form = ReviewForm(request.POST or None)

    def act(data: dict[str, Any]) -> object:
        return services.review_completion(
            actor=user,
            completion=completion,
            confirm=data["decision"] == "confirm",
            note=data["note"],
        )

    done, status = _submit(request, form, act)
    if done:
        messages.success(request, _("已处理完成报告"))
        return redirect("agreements:detail", pk=completion.agreement_id)
    context = {
        "agreement": completion.agreement,
        "form": form,
        "heading": _("确认完成情况"),
        "completion": completion,
    }
    return render(request, "agreements/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    completion = _get(permissions.get_completion_for_user, user, pk)
    if not permissions.can_resolve_completion(user, completion):
        raise _deny()
    form = ResolveForm(request.POST or None)

    def act(data: dict[str, Any]) -> object:
        return services.resolve_completion(
            actor=user,
            completion=completion,
            complete=data["decision"] == "complete",
            note=data["note"],
        )

    done, status = _submit(request, form, act)
    if done:
        messages.success(request, _("已作出认定"))
        return redirect("agreements:detail", pk=completion.agreement_id)
    context = {
        "agreement": completion.agreement,
        "form": form,
        "heading": _("处理完成情况争议"),
        "completion": completion,
    }
    return render(request, "agreements/form.html", context, status=status)


@login_required
@require_GET
def evidence_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    completion = _get(permissions.get_completion_for_user, _user(request), pk)
    if not completion.evidence_stored:
        raise _deny()
    return evidence.response(completion.evidence_stored, completion.evidence_type, completion.evidence_name)


# --- Refusal of a task left without an agreement ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def refuse(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    task = _get(admission_permissions.get_task_for_user, user, pk)
    if not admission_permissions.can_refuse_for(user, task.community):
        raise _deny()
    form = RefuseForm(request.POST or None)

    def act(data: dict[str, Any]) -> object:
        return services.refuse_task_without_agreement(actor=user, task=task, details=data["details"])

    done, status = _submit(request, form, act)
    if done:
        messages.success(request, _("已拒绝该事项,部门和审批机构会收到通知"))
        return redirect("agreements:party")
    context = {"form": form, "heading": _("拒绝:%(t)s") % {"t": task.title}, "task": task}
    return render(request, "agreements/form.html", context, status=status)


# --- Templates ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def templates(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.may_manage_templates(user):
        raise _deny()
    return render(request, "agreements/templates.html", {"templates": permissions.templates_for_user(user)})


def _template_data(data: dict[str, Any]) -> services.TemplateData:
    return services.TemplateData(
        title=data["title"],
        body=data["body"],
        schedule=data["schedule"],
        evaluation_method=data["evaluation_method"],
        liability_department=data["liability_department"],
        liability_party=data["liability_party"],
        trainings_per_year=data["trainings_per_year"],
        visits_per_year=data["visits_per_year"],
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    regions = Region.objects.filter(pk__in=permissions.template_regions(user))
    if not regions.exists():
        raise _deny()
    defaults = services.default_template_data()
    initial = vars(defaults) | {
        "schedule": format_schedule(defaults.schedule),
        "year": services.today().year + 1,
        "region": regions.first(),
    }
    form = TemplateForm(request.POST or None, regions=regions, initial=initial)

    def act(data: dict[str, Any]) -> object:
        return services.create_template(
            actor=user,
            region=data["region"],
            year=data["year"],
            kind=data["kind"],
            data=_template_data(data),
        )

    done, status = _submit(request, form, act)
    if done:
        messages.success(request, _("已保存协议范本"))
        return redirect("agreements:templates")
    return render(
        request, "agreements/template_form.html", {"form": form, "variables": _variables()}, status=status
    )


def _variables() -> list[tuple[str, str]]:
    from gongzhi.agreements.canonical import VARIABLES

    return [("{{" + k + "}}", v) for k, v in VARIABLES.items()]


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    template = _get(permissions.get_template_for_user, user, pk)
    initial = {
        "title": template.title,
        "body": template.body,
        "schedule": format_schedule(template.schedule),
        "evaluation_method": template.evaluation_method,
        "liability_department": template.liability_department,
        "liability_party": template.liability_party,
        "trainings_per_year": template.trainings_per_year,
        "visits_per_year": template.visits_per_year,
    }
    form = TemplateForm(request.POST or None, regions=Region.objects.none(), editing=True, initial=initial)

    def act(data: dict[str, Any]) -> object:
        return services.update_template(actor=user, template=template, data=_template_data(data))

    done, status = _submit(request, form, act)
    if done:
        messages.success(request, _("已保存协议范本"))
        return redirect("agreements:templates")
    context = {"form": form, "template": template, "variables": _variables()}
    return render(request, "agreements/template_form.html", context, status=status)


# --- Public finance page (no login) -------------------------------------------------------------------------


@require_GET
def public_community(request: HttpRequest, pk: int) -> HttpResponse:
    community = _get(permissions.get_public_community, pk)
    return render(
        request,
        "agreements/public_community.html",
        {"community": community, "finance": queries.public_finance(community.pk)},
    )
