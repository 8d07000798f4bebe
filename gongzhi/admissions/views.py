"""Pages of the admission mechanism. Thin: parse the form, fetch through permissions (404 for what the user may
not see), call one service, render or redirect. Domain errors come back to the same page with the message
(422/409) or as 403/404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import DateField, DecimalField
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.admissions import files, forms, permissions, precheck, queries, services
from gongzhi.admissions.models import AdmittedTask, InformalTaskReport, Refusal, TaskRequest
from gongzhi.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from gongzhi.core.models import User

PAGE_SIZE = 30
STATUS_FILTERS = frozenset(TaskRequest.Status.values)
REPORT_FILTERS = frozenset(InformalTaskReport.Status.values)


def _actor(request: HttpRequest) -> User:
    """The signed-in user (every view here is behind login_required)."""
    return cast(User, request.user)


def _fetch(accessor: Callable[[Any, Any], Any], user: Any, pk: Any) -> Any:
    try:
        return accessor(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise DjangoPermissionDenied(message)


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _apply_errors(form: Any, exc: DomainError) -> None:
    for name, message in exc.fields.items():
        if name in form.fields:
            form.add_error(name, message)


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


# --- task requests -------------------------------------------------------------------------------------------


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(
        permissions.may_see_requests(user),
        _("只有部门和审批机构可以查看准入申请 / departments and the authority only"),
    )
    qs = permissions.requests_for_user(user)
    status = request.GET.get("status", "")
    if status:
        if status not in STATUS_FILTERS:
            return render(request, "admissions/bad_filter.html", status=400)
        qs = qs.filter(status=status)
    context = {
        "page": _page(request, qs),
        "status": status,
        "statuses": TaskRequest.Status.choices,
        "office_queue": list(queries.office_queue(user)[:50]) if permissions.may_examine(user) else [],
        "decision_queue": list(queries.decision_queue(user)[:50]) if permissions.may_decide(user) else [],
        "may_file": permissions.may_file(user),
        "today": precheck.today(),
    }
    return render(request, "admissions/request_list.html", context)


def _request_form(request: HttpRequest, *, data: Any = None, initial: Any = None) -> forms.RequestForm:
    return forms.RequestForm(data, initial=initial, departments=permissions.filing_departments(request.user))


def _precheck_for(form: forms.RequestForm) -> precheck.Precheck | None:
    """A pre-check of whatever the form holds, even when it is not complete yet."""
    raw = form.data
    try:
        funding = forms.yuan_to_fen(DecimalField().clean(raw.get("funding_yuan") or "0"))
    except ValidationError:
        funding = 0
    try:
        starts_on = DateField().clean(raw.get("starts_on") or None)
    except ValidationError:
        starts_on = None

    def _int(name: str) -> int:
        try:
            return max(0, int(raw.get(name) or 0))
        except (TypeError, ValueError):
            return 0

    draft = precheck.Draft(
        title=str(raw.get("title", ""))[:200],
        description=str(raw.get("description", ""))[:8000],
        kind=str(raw.get("kind", "")),
        starts_on=starts_on,
        funding_fen=funding,
        forms_count=_int("forms_count"),
        plaques_count=_int("plaques_count"),
    )
    if not draft.text:
        return None
    return precheck.check(draft)


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    _require(permissions.may_file(request.user), _("只有部门经办人可以提出准入申请 / department clerks only"))
    if request.method == "GET":
        return render(request, "admissions/request_form.html", {"form": _request_form(request), "req": None})
    form = _request_form(request, data=request.POST)
    context: dict[str, Any] = {"form": form, "req": None}
    if "precheck" in request.POST:  # the no-JavaScript way to see the pre-check
        context["result"] = _precheck_for(form)
        return render(request, "admissions/request_form.html", context)
    if not form.is_valid():
        return render(request, "admissions/request_form.html", context, status=422)
    try:
        req = services.create_request(
            actor=_actor(request),
            department=form.cleaned_data["department"],
            data=form.to_data(),
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        _apply_errors(form, exc)
        context["error"] = exc.message
        return render(request, "admissions/request_form.html", context, status=exc.status)
    messages.success(request, _("草稿已保存。检查预审结果后即可提交。 / Draft saved."))
    return _see_other(reverse("admissions:request_detail", args=[req.pk]))


@login_required
@require_POST
def request_precheck(request: HttpRequest) -> HttpResponse:
    """The live pre-check (htmx): runs the matcher and the rules over the form as typed; writes nothing."""
    _require(permissions.may_file(request.user), _("只有部门经办人可以预审 / department clerks only"))
    form = _request_form(request, data=request.POST)
    return render(request, "admissions/_precheck.html", {"result": _precheck_for(form), "live": True})


def _detail_context(request: HttpRequest, req: TaskRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    editable = req.is_editable and permissions.can_edit_request(user, req)
    stored = precheck.from_dict(req.precheck)
    context: dict[str, Any] = {
        "req": req,
        "target_label": queries.target_label(req),
        "stored": stored,
        "live_result": precheck.check(services.RequestData.of(req).draft()) if editable else None,
        "reviews": req.reviews.select_related("actor", "organization"),
        "attachments": req.attachments.filter(removed_at__isnull=True),
        "tasks": req.admitted_tasks.select_related("community").order_by("community__code"),
        "refusals": req.refusals.select_related("community"),
        "can_edit": editable,
        "can_withdraw": req.is_open and permissions.can_edit_request(user, req),
        "can_examine": req.status == TaskRequest.Status.SUBMITTED
        and permissions.can_examine_request(user, req),
        "can_decide": req.status == TaskRequest.Status.UNDER_REVIEW
        and permissions.can_decide_request(user, req),
        "can_revoke": req.status == TaskRequest.Status.APPROVED and permissions.can_revoke_request(user, req),
        "recommended_by_me": permissions.recommended_by(req) == user.pk,
        "conflicted": permissions.is_conflicted(user, req) and permissions.is_authority(user),
        "examine_form": forms.ExamineForm(),
        "decide_form": forms.DecideForm(),
        "reason_form": forms.ReasonForm(),
        "attachment_form": forms.AttachmentForm(),
        "today": precheck.today(),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    req = _fetch(permissions.get_request_for_user, request.user, pk)
    return render(request, "admissions/request_detail.html", _detail_context(request, req))


@login_required
@require_http_methods(["GET", "POST"])
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    req = _fetch(permissions.get_request_for_edit, request.user, pk)
    if request.method == "GET":
        form = _request_form(request, initial=forms.RequestForm.initial_for(req))
        return render(request, "admissions/request_form.html", {"form": form, "req": req})
    form = _request_form(request, data=request.POST)
    context: dict[str, Any] = {"form": form, "req": req}
    if "precheck" in request.POST:
        context["result"] = _precheck_for(form)
        return render(request, "admissions/request_form.html", context)
    if not form.is_valid():
        return render(request, "admissions/request_form.html", context, status=422)
    try:
        services.update_request(actor=_actor(request), request=req, data=form.to_data())
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        _apply_errors(form, exc)
        context["error"] = exc.message
        return render(request, "admissions/request_form.html", context, status=exc.status)
    messages.success(request, _("已保存。 / Saved."))
    return _see_other(reverse("admissions:request_detail", args=[req.pk]))


def _request_action(
    request: HttpRequest,
    pk: int,
    run: Callable[[TaskRequest], object],
    done: str,
    **bound: Any,
) -> HttpResponse:
    req = _fetch(permissions.get_request_for_user, request.user, pk)
    try:
        run(req)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        req.refresh_from_db()
        for form in bound.values():
            _apply_errors(form, exc)
        context = _detail_context(request, req, error=exc.message, **bound)
        return render(request, "admissions/request_detail.html", context, status=exc.status)
    messages.success(request, done)
    return _see_other(reverse("admissions:request_detail", args=[pk]))


@login_required
@require_POST
def request_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _request_action(
        request,
        pk,
        lambda req: services.submit_request(actor=_actor(request), request=req),
        _("已提交。 / Submitted."),
    )


@login_required
@require_POST
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _request_action(
        request,
        pk,
        lambda req: services.withdraw_request(actor=_actor(request), request=req, reason=reason),
        _("已撤回。 / Withdrawn."),
    )


@login_required
@require_POST
def request_examine(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.ExamineForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    return _request_action(
        request,
        pk,
        lambda req: services.examine_request(
            actor=_actor(request),
            request=req,
            outcome=data.get("outcome", ""),
            comments=data.get("comments", ""),
        ),
        _("审查意见已提交。 / Examination recorded."),
        examine_form=form,
    )


@login_required
@require_POST
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.DecideForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    return _request_action(
        request,
        pk,
        lambda req: services.decide_request(
            actor=_actor(request),
            request=req,
            outcome=data.get("outcome", ""),
            meeting_ref=data.get("meeting_ref", ""),
            comments=data.get("comments", ""),
        ),
        _("决定已记录。 / Decision recorded."),
        decide_form=form,
    )


@login_required
@require_POST
def request_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _request_action(
        request,
        pk,
        lambda req: services.revoke_request(actor=_actor(request), request=req, reason=reason),
        _("已退出。 / Revoked."),
        reason_form=form,
    )


@login_required
@require_POST
def request_attach(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.AttachmentForm(request.POST, request.FILES)

    def run(req: TaskRequest) -> object:
        if not form.is_valid():
            raise ValidationFailed("请选择文件 / choose a file", fields={"file": "required"})
        return services.add_request_attachment(
            actor=_actor(request), request=req, upload=form.cleaned_data["file"]
        )

    return _request_action(request, pk, run, _("附件已上传。 / File attached."), attachment_form=form)


# --- attachments ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: str) -> FileResponse:
    attachment = _fetch(permissions.get_attachment_for_user, request.user, pk)
    try:
        handle = open(files.path_for(attachment.stored_name), "rb")  # noqa: SIM115 - FileResponse closes it
    except (OSError, ValueError) as exc:
        raise Http404(_("文件不存在 / file missing")) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: str) -> HttpResponse:
    attachment = _fetch(permissions.get_attachment_for_user, request.user, pk)
    if attachment.request is None:
        raise DjangoPermissionDenied(_("举报证据不能删除 / report evidence stays"))
    return _request_action(
        request,
        attachment.request.pk,
        lambda req: services.remove_attachment(actor=_actor(request), attachment=attachment),
        _("附件已删除。 / File removed."),
    )


# --- the community's side ------------------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(permissions.may_see_inbox(user), _("只有社区工作人员可以查看准入事项 / community staff only"))
    tasks = permissions.inbox_for_user(user)
    return render(
        request,
        "admissions/inbox.html",
        {
            "active": [t for t in tasks if t.status == AdmittedTask.Status.ACTIVE],
            "revoked": [t for t in tasks if t.status == AdmittedTask.Status.REVOKED],
            "today": precheck.today(),
            "may_refuse": permissions.may_refuse(user),
        },
    )


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(
        permissions.may_follow_tasks(user),
        _("只有部门和审批机构可以查看 / departments and the authority only"),
    )
    qs = permissions.tasks_for_user(user).order_by("-admitted_at", "community__code")
    return render(
        request, "admissions/task_list.html", {"page": _page(request, qs), "today": precheck.today()}
    )


def _task_context(request: HttpRequest, task: AdmittedTask, **extra: Any) -> dict[str, Any]:
    context = {
        "task": task,
        "refusals": task.refusals.select_related("community"),
        "can_confirm": task.status == AdmittedTask.Status.ACTIVE
        and permissions.can_confirm_funding(request.user, task),
        "can_refuse": task.status == AdmittedTask.Status.ACTIVE
        and permissions.can_refuse_for(request.user, task.community),
        "funding_form": forms.FundingForm(),
        "today": precheck.today(),
        "overdue": task.funding_due is not None
        and task.funding_due < precheck.today()
        and task.funding_outstanding_fen > 0,
    }
    context.update(extra)
    return context


@login_required
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _fetch(permissions.get_task_for_user, request.user, pk)
    return render(request, "admissions/task_detail.html", _task_context(request, task))


@login_required
@require_POST
def task_funding(request: HttpRequest, pk: int) -> HttpResponse:
    task = _fetch(permissions.get_task_for_user, request.user, pk)
    form = forms.FundingForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed("请填写金额 / enter the amount", fields={"amount_yuan": "invalid"})
        services.confirm_funding(
            actor=_actor(request),
            task=task,
            amount_fen=forms.yuan_to_fen(form.cleaned_data["amount_yuan"]),
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        task.refresh_from_db()
        context = _task_context(request, task, error=exc.message, funding_form=form)
        return render(request, "admissions/task_detail.html", context, status=exc.status)
    messages.success(request, _("已确认经费到位。 / Funding confirmed."))
    return _see_other(reverse("admissions:task_detail", args=[pk]))


# --- refusals ------------------------------------------------------------------------------------------------


@login_required
@require_GET
def refusal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(permissions.may_see_refusals(user), _("无权查看拒绝记录 / you may not see refusals"))
    qs = permissions.refusals_for_user(user)
    return render(
        request,
        "admissions/refusal_list.html",
        {"page": _page(request, qs), "may_refuse": permissions.may_refuse(user)},
    )


def _refusal_form(request: HttpRequest, data: Any = None, initial: Any = None) -> forms.RefusalForm:
    user = request.user
    tasks = AdmittedTask.objects.filter(
        community_id__in=permissions.refusing_communities(user), status=AdmittedTask.Status.ACTIVE
    ).select_related("department", "community")
    return forms.RefusalForm(
        data, initial=initial, tasks=tasks, communities=permissions.refusing_communities(user)
    )


@login_required
@require_http_methods(["GET", "POST"])
def refusal_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(permissions.may_refuse(user), _("只有社区居委会可以行使拒绝权 / the community's committee only"))
    if request.method == "GET":
        initial: dict[str, Any] = {}
        task_id = request.GET.get("task", "")
        if task_id.isdigit():
            task = _fetch(permissions.get_task_for_user, user, int(task_id))
            initial = {
                "admitted_task": task.pk,
                "community": task.community_id,
                "reason": Refusal.Reason.BEYOND_SCOPE,
            }
        return render(
            request, "admissions/refusal_form.html", {"form": _refusal_form(request, initial=initial)}
        )
    form = _refusal_form(request, data=request.POST)
    if not form.is_valid():
        return render(request, "admissions/refusal_form.html", {"form": form}, status=422)
    try:
        refusal = services.lodge_refusal(
            actor=_actor(request),
            community=form.cleaned_data["community"],
            data=form.to_data(),
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        _apply_errors(form, exc)
        return render(
            request, "admissions/refusal_form.html", {"form": form, "error": exc.message}, status=exc.status
        )
    messages.success(request, _("已记录拒绝,部门和审批机构会收到通知。 / Refusal recorded."))
    return _see_other(reverse("admissions:refusal_detail", args=[refusal.pk]))


@login_required
@require_GET
def refusal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    refusal = _fetch(permissions.get_refusal_for_user, request.user, pk)
    return render(request, "admissions/refusal_detail.html", {"refusal": refusal})


# --- informal-task reports -----------------------------------------------------------------------------------


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(permissions.may_see_reports(user), _("无权查看摊派举报 / you may not see reports"))
    qs = permissions.reports_for_user(user)
    status = request.GET.get("status", "")
    if status:
        if status not in REPORT_FILTERS:
            return render(request, "admissions/bad_filter.html", status=400)
        qs = qs.filter(status=status)
    return render(
        request,
        "admissions/report_list.html",
        {
            "page": _page(request, qs),
            "status": status,
            "statuses": InformalTaskReport.Status.choices,
            "queue": list(queries.supervision_queue(user)[:50]) if permissions.is_authority(user) else [],
            "may_report": permissions.may_refuse(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(permissions.may_refuse(user), _("只有社区居委会可以举报摊派 / the community's committee only"))
    communities = permissions.refusing_communities(user)
    if request.method == "GET":
        return render(
            request, "admissions/report_form.html", {"form": forms.ReportForm(communities=communities)}
        )
    form = forms.ReportForm(request.POST, communities=communities)
    if not form.is_valid():
        return render(request, "admissions/report_form.html", {"form": form}, status=422)
    try:
        report = services.file_report(
            actor=_actor(request),
            community=form.cleaned_data["community"],
            data=form.to_data(),
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        _apply_errors(form, exc)
        return render(
            request, "admissions/report_form.html", {"form": form, "error": exc.message}, status=exc.status
        )
    messages.success(request, _("举报已提交,可继续上传证据。 / Report filed; you can add evidence."))
    return _see_other(reverse("admissions:report_detail", args=[report.pk]))


def _report_context(request: HttpRequest, report: InformalTaskReport, **extra: Any) -> dict[str, Any]:
    user = request.user
    next_steps = sorted(InformalTaskReport.TRANSITIONS.get(report.status, set()))
    form = forms.AdvanceReportForm()
    to_field: Any = form.fields["to"]
    to_field.choices = [(s, InformalTaskReport.Status(s).label) for s in next_steps]
    context = {
        "report": report,
        "attachments": report.attachments.filter(removed_at__isnull=True),
        "can_handle": bool(next_steps) and permissions.can_handle_report(user, report),
        "can_add_evidence": not report.is_concluded and permissions.can_add_report_evidence(user, report),
        "advance_form": form,
        "attachment_form": forms.AttachmentForm(),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _fetch(permissions.get_report_for_user, request.user, pk)
    return render(request, "admissions/report_detail.html", _report_context(request, report))


def _report_action(
    request: HttpRequest, pk: int, run: Callable[[InformalTaskReport], object], done: str
) -> HttpResponse:
    report = _fetch(permissions.get_report_for_user, request.user, pk)
    try:
        run(report)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        report.refresh_from_db()
        return render(
            request,
            "admissions/report_detail.html",
            _report_context(request, report, error=exc.message),
            status=exc.status,
        )
    messages.success(request, done)
    return _see_other(reverse("admissions:report_detail", args=[pk]))


@login_required
@require_POST
def report_advance(request: HttpRequest, pk: int) -> HttpResponse:
    to, finding = request.POST.get("to", ""), request.POST.get("finding", "")
    return _report_action(
        request,
        pk,
        lambda report: services.advance_report(actor=_actor(request), report=report, to=to, finding=finding),
        _("处理结果已记录。 / Recorded."),
    )


@login_required
@require_POST
def report_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.AttachmentForm(request.POST, request.FILES)

    def run(report: InformalTaskReport) -> object:
        if not form.is_valid():
            raise ValidationFailed("请选择文件 / choose a file", fields={"file": "required"})
        return services.add_report_evidence(
            actor=_actor(request), report=report, upload=form.cleaned_data["file"]
        )

    return _report_action(request, pk, run, _("证据已上传。 / Evidence attached."))
