"""Survey pages. Thin: parse, fetch through surveys.permissions (404 for what a user may not see), call one service,
render. Answer pages are phone-first and work without JavaScript; the public ones (`enter`, `answer_code`) need no
account and are rate-limited per address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core.errors import DomainError, NotFound, ValidationFailed
from gongzhi.core.models import User
from gongzhi.orgs.models import Household, Organization, Region
from gongzhi.surveys import codes, permissions, queries, ratelimit, services
from gongzhi.surveys.forms import (
    CodeForm,
    CommunityForm,
    IssueForm,
    QuestionForm,
    SurveyCreateForm,
    SurveyForm,
    answers_from_post,
)
from gongzhi.surveys.models import Participation, Question, Survey
from gongzhi.web.viewkit import fail_on_form as _fail
from gongzhi.web.viewkit import fetch_or_404 as _get
from gongzhi.web.viewkit import not_found as _deny
from gongzhi.web.viewkit import signed_in_user as _user


def _throttled(request: HttpRequest, bucket: str) -> HttpResponse:
    response = render(request, "surveys/throttled.html", status=429)
    response["Retry-After"] = str(ratelimit.retry_after(bucket))
    return response


def _question(user: User, pk: int) -> Question:
    question = Question.objects.select_related("survey", "survey__scope").filter(pk=pk).first()
    if question is None or not permissions.can_manage_survey(user, question.survey):
        raise _deny()
    return question


# --- Answering (public: by code) ------------------------------------------------------------------------------
#
# A code is a bearer secret and must not sit in URLs, which access logs and Django's request log write down. The
# code typed on /s/ is never put in a URL; a slip's QR link (/s/<code>/) is answered once with a redirect. Either
# way the browser then holds a signed cookie (HMAC-signed by Django, 2 hours, HttpOnly, only sent to /s/) with the
# code's look-up HMAC, not the code, and the questionnaire lives at the code-less /s/answer/. Not the session: a
# session row in the database would keep, with its expiry time, when the household opened and answered the
# survey.

SHEET_SALT = "gongzhi.surveys.sheet"
SHEET_MAX_AGE = 2 * 3600


def _sheet_cookie() -> str:
    return "__Secure-survey" if settings.SESSION_COOKIE_SECURE else "survey"


def _remember(response: HttpResponse, code: str) -> HttpResponse:
    response.set_signed_cookie(
        _sheet_cookie(),
        codes.code_hash(code),
        salt=SHEET_SALT,
        max_age=SHEET_MAX_AGE,
        path=reverse("surveys:enter"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _forget(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(_sheet_cookie(), path=reverse("surveys:enter"), samesite="Lax")
    return response


def _remembered(request: HttpRequest) -> tuple[str, services.InvitationMatch | None]:
    """The code's HMAC from the signed cookie ("" when missing, forged or expired) and its invitation."""
    code_hash = request.get_signed_cookie(_sheet_cookie(), default="", salt=SHEET_SALT, max_age=SHEET_MAX_AGE)
    if not code_hash:
        return "", None
    return code_hash, services.find_invitation_by_hash(code_hash)


@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest) -> HttpResponse:
    """Type the code from the slip."""
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if ratelimit.exceeded("lookup", request):
            return _throttled(request, "lookup")
        if form.is_valid():
            code = codes.normalize(form.cleaned_data["code"])
            if code is not None and services.find_invitation(code) is not None:
                return _remember(redirect("surveys:answer"), code)
            ratelimit.hit("lookup", request)
            form.add_error("code", _("邀请码无效,请核对后重新输入 / the code is not valid"))
        status = 422
    return render(request, "surveys/enter.html", {"form": form}, status=status)


def _sheet(
    request: HttpRequest,
    survey: Survey,
    *,
    action: str,
    hidden: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    who: str = "",
    status: int = 200,
) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    questions = []
    for q in survey.questions.order_by("position"):
        chosen = set(data.getlist(f"q{q.pk}")) if data is not None else set()
        questions.append(
            {
                "q": q,
                "name": f"q{q.pk}",
                "error": (errors or {}).get(f"q{q.pk}", ""),
                "chosen": chosen,
                "text": data.get(f"q{q.pk}", "") if data is not None else "",
                "options": [(str(i), label) for i, label in enumerate(q.options)],
                "scale": [str(v) for v in range(Question.SCALE_MIN, Question.SCALE_MAX + 1)],
                "labels": q.scale_labels(),
            }
        )
    context = {
        "survey": survey,
        "questions": questions,
        "action": action,
        "hidden": {"retry": services.new_retry_token(), **(hidden or {})},
        "message": message,
        "who": who,
    }
    return render(request, "surveys/answer.html", context, status=status)


def _done(request: HttpRequest, survey: Survey, *, replayed: bool = False, status: int = 200) -> HttpResponse:
    return render(request, "surveys/answered.html", {"survey": survey, "replayed": replayed}, status=status)


def _refused(request: HttpRequest, survey: Survey | None, exc: DomainError) -> HttpResponse:
    return render(
        request, "surveys/refused.html", {"survey": survey, "message": exc.message}, status=exc.status
    )


def _not_answerable(survey: Survey) -> services.SurveyNotOpen | None:
    """Why the survey takes no answers now (for the pages; the services check again), or None."""
    if survey.status == Survey.Status.CLOSED:
        return services.SurveyNotOpen(_("这份问卷已结束,不再接收答卷。感谢关注。"))
    if not survey.is_open:
        return services.SurveyNotOpen(_("这份问卷不在收集期。"))
    if services.past_deadline(survey) and survey.closes_on is not None:
        return services.SurveyNotOpen(
            _("这份问卷已于%(date)s截止,不再接收答卷。感谢关注。")
            % {"date": f"{survey.closes_on.year}年{survey.closes_on.month}月{survey.closes_on.day}日"}
        )
    return None


@require_GET
def answer_code(request: HttpRequest, code: str) -> HttpResponse:
    """A slip's QR link: remember the code in the signed cookie and go on at once to the code-less /s/answer/."""
    if ratelimit.exceeded("lookup", request):
        return _throttled(request, "lookup")
    canonical = codes.normalize(code)
    if canonical is None or services.find_invitation(canonical) is None:
        ratelimit.hit("lookup", request)
        raise _deny()
    return _remember(redirect("surveys:answer"), canonical)


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest) -> HttpResponse:
    """The questionnaire of the code remembered in the signed cookie (no code in the URL)."""
    if request.method == "POST" and not ratelimit.hit("submit", request):
        return _throttled(request, "submit")
    code_hash, match = _remembered(request)
    if match is None:
        if request.method == "GET":
            return _forget(redirect("surveys:enter")) if code_hash else redirect("surveys:enter")
        notice = _("填写时间过长或邀请码已失效,答卷未提交。请重新输入邀请码或重新扫码后再填写。")
        context = {"form": CodeForm(), "notice": notice}
        return _forget(render(request, "surveys/enter.html", context, status=400))
    survey = match.survey
    action = reverse("surveys:answer")
    if request.method == "GET":
        answered = Participation.objects.filter(
            series=survey.series, respondent_key=match.invitation.respondent_key
        ).exists()
        if answered:
            return _forget(
                _refused(request, survey, services.AlreadyAnswered(_("本户已提交过这份问卷,感谢参与。")))
            )
        why = _not_answerable(survey)
        if why is not None:
            return _forget(_refused(request, survey, why))
        response = _sheet(request, survey, action=action)
        response["Cache-Control"] = "no-store"
        return response
    try:
        receipt = services.submit_with_code_hash(
            code_hash=code_hash,
            answers=answers_from_post(survey, request.POST),
            retry_token=request.POST.get("retry", ""),
        )
    except ValidationFailed as exc:
        return _sheet(request, survey, action=action, errors=exc.fields, message=exc.message, status=422)
    except DomainError as exc:
        return _forget(_refused(request, survey, exc))
    # the cookie is kept (until it expires), so that the same form sent again is answered as a replay
    return _done(request, survey, replayed=receipt.replayed)


# --- Answering with an account ----------------------------------------------------------------------------------


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """Open surveys the signed-in resident (or unit contact) can answer, and whether their household has."""
    user = _user(request)
    rows = []
    for survey in permissions.answerable_surveys(user):
        found = permissions.account_respondent(user, survey)
        assert found is not None
        key = codes.respondent_key(survey.series, survey.respondents, found[0])
        answered = Participation.objects.filter(series=survey.series, respondent_key=key).exists()
        rows.append({"survey": survey, "answered": answered, "ended": services.past_deadline(survey)})
    return render(request, "surveys/mine.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def answer_account(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = Survey.objects.select_related("scope").filter(pk=pk, status=Survey.Status.OPEN).first()
    found = permissions.account_respondent(user, survey) if survey is not None else None
    if survey is None or found is None:
        raise _deny()
    key = codes.respondent_key(survey.series, survey.respondents, found[0])
    action = reverse("surveys:answer_account", args=[pk])
    if request.method == "GET":
        if Participation.objects.filter(series=survey.series, respondent_key=key).exists():
            return _refused(request, survey, services.AlreadyAnswered(_("您家已提交过这份问卷,感谢参与。")))
        why = _not_answerable(survey)
        if why is not None:
            return _refused(request, survey, why)
        return _sheet(request, survey, action=action)
    try:
        receipt = services.submit_with_account(
            actor=user,
            survey=survey,
            answers=answers_from_post(survey, request.POST),
            retry_token=request.POST.get("retry", ""),
        )
    except ValidationFailed as exc:
        return _sheet(request, survey, action=action, errors=exc.fields, message=exc.message, status=422)
    except DomainError as exc:
        return _refused(request, survey, exc)
    return _done(request, survey, replayed=receipt.replayed)


# --- Staff-assisted entry -----------------------------------------------------------------------------------------


def _assist_choices(user: User, survey: Survey) -> list[dict[str, Any]]:
    """Households (or units) of the staff member's communities in the scope that have not answered yet."""
    communities = permissions.staff_community_ids(user) & permissions.community_ids_in(survey.scope)
    answered = set(
        Participation.objects.filter(series=survey.series).values_list("respondent_key", flat=True)
    )
    rows: list[dict[str, Any]] = []
    if survey.for_units:
        units = Organization.objects.filter(region_id__in=communities, kind="unit", is_active=True).order_by(
            "name"
        )
        candidates = [(u.pk, u.name) for u in units]
    else:
        households = (
            Household.objects.filter(community_id__in=communities)
            .select_related("estate")
            .order_by("estate__name", "address")
        )
        candidates = [(h.pk, f"{h.estate.name} {h.address}") for h in households]
    for pk, label in candidates:
        if codes.respondent_key(survey.series, survey.respondents, pk) not in answered:
            rows.append({"pk": pk, "label": label})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def assist(request: HttpRequest, pk: int) -> HttpResponse:
    """Community staff enter the answers of a household without a phone: pick it, then fill in the sheet."""
    user = _user(request)
    survey = _get(permissions.get_survey_for_user, user, pk)
    if not survey.is_open or not (
        permissions.staff_community_ids(user) & permissions.community_ids_in(survey.scope)
    ):
        raise _deny()
    raw = request.GET.get("respondent") or request.POST.get("respondent") or ""
    if not raw:
        return render(
            request,
            "surveys/assist.html",
            {"survey": survey, "choices": _assist_choices(user, survey)[:2000]},
        )
    if not raw.isdigit() or len(raw) > 18:
        raise _deny()
    respondent_id = int(raw)
    try:
        community_id = services.respondent_community(survey, respondent_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not permissions.can_assist(user, survey, community_id):
        raise _deny()
    label = next((c["label"] for c in _assist_choices(user, survey) if c["pk"] == respondent_id), "")
    action = reverse("surveys:assist", args=[pk])
    hidden = {"respondent": str(respondent_id)}
    if request.method == "GET":
        return _sheet(request, survey, action=action, hidden=hidden, who=label)
    try:
        services.submit_assisted(
            actor=user,
            survey=survey,
            respondent_id=respondent_id,
            answers=answers_from_post(survey, request.POST),
            retry_token=request.POST.get("retry", ""),
        )
    except ValidationFailed as exc:
        return _sheet(
            request,
            survey,
            action=action,
            hidden=hidden,
            who=label,
            errors=exc.fields,
            message=exc.message,
            status=422,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("surveys:assist", pk=pk)
    messages.success(request, _("已代录“%(who)s”的答卷(标记为社区代录)") % {"who": label})
    return redirect("surveys:assist", pk=pk)


# --- Building and running -----------------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.can_list_surveys(user):
        raise _deny()
    surveys = permissions.surveys_for_user(user)[:200]
    can_create = permissions.can_create_surveys(user)
    return render(request, "surveys/index.html", {"surveys": surveys, "can_create": can_create})


def _scopes(user: User) -> Any:
    ids = permissions.office_region_ids(user) | permissions.staff_community_ids(user)
    return Region.objects.filter(pk__in=ids).order_by("code")


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.can_create_surveys(user):
        raise _deny()
    form = SurveyCreateForm(request.POST if request.method == "POST" else None, scopes=_scopes(user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                survey = services.create_survey(actor=user, **form.cleaned_data)
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(request, _("已创建问卷草稿,请添加题目"))
                return redirect("surveys:detail", pk=survey.pk)
        else:
            status = 422
    return render(request, "surveys/form.html", {"form": form, "title": _("新建问卷")}, status=status)


def _detail(request: HttpRequest, user: User, survey: Survey, *, status: int = 200) -> HttpResponse:
    manage = permissions.can_manage_survey(user, survey)
    visible = permissions.visible_communities(user, survey)
    staff_here = permissions.staff_community_ids(user) & permissions.community_ids_in(survey.scope)
    context = {
        "survey": survey,
        "questions": survey.questions.order_by("position"),
        "manage": manage,
        "rates": queries.response_rates(survey, communities=visible),
        "staff_here": bool(staff_here),
        "versions": Survey.objects.filter(series=survey.series).order_by("version"),
        "has_next": Survey.objects.filter(previous=survey).exists(),
    }
    return render(request, "surveys/detail.html", context, status=status)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    return _detail(request, user, _get(permissions.get_survey_for_user, user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = _get(permissions.get_survey_for_user, user, pk, manage=True)
    initial = {
        "title": survey.title,
        "intro": survey.intro,
        "purpose": survey.purpose,
        "closes_on": survey.closes_on,
    }
    form = SurveyForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_survey(actor=user, survey=survey, **form.cleaned_data)
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                return redirect("surveys:detail", pk=pk)
        else:
            status = 422
    return render(
        request, "surveys/form.html", {"form": form, "survey": survey, "title": _("修改问卷")}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = _get(permissions.get_survey_for_user, user, pk, manage=True)
    form = QuestionForm(request.POST if request.method == "POST" else None, initial={"required": True})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.add_question(actor=user, survey=survey, spec=form.spec())
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                return redirect("surveys:detail", pk=pk)
        else:
            status = 422
    return render(
        request, "surveys/form.html", {"form": form, "survey": survey, "title": _("添加题目")}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    question = _question(user, pk)
    form = QuestionForm(
        request.POST if request.method == "POST" else None, initial=QuestionForm.initial_for(question)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_question(actor=user, question=question, spec=form.spec())
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                return redirect("surveys:detail", pk=question.survey_id)
        else:
            status = 422
    context = {"form": form, "survey": question.survey, "title": _("修改题目")}
    return render(request, "surveys/form.html", context, status=status)


@login_required
@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    question = _question(user, pk)
    try:
        services.delete_question(actor=user, question=question)
    except DomainError as exc:
        return _detail(request, user, question.survey, status=_fail(request, None, exc))
    return redirect("surveys:detail", pk=question.survey_id)


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = _get(permissions.get_survey_for_user, user, pk, manage=True)
    to = request.POST.get("to", "")
    try:
        if to == Survey.Status.OPEN:
            services.open_survey(actor=user, survey=survey)
        elif to == Survey.Status.CLOSED:
            services.close_survey(actor=user, survey=survey)
        else:
            raise ValidationFailed("未知的状态 / unknown status", fields={"to": "invalid"})
    except DomainError as exc:
        return _detail(request, user, survey, status=_fail(request, None, exc))
    messages.success(request, _("问卷已%(s)s") % {"s": survey.get_status_display()})
    return redirect("surveys:detail", pk=pk)


@login_required
@require_POST
def new_version(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = _get(permissions.get_survey_for_user, user, pk, manage=True)
    try:
        copy = services.new_version(actor=user, survey=survey)
    except DomainError as exc:
        return _detail(request, user, survey, status=_fail(request, None, exc))
    messages.success(request, _("已创建第%(v)s版草稿;开放后取代当前版本") % {"v": copy.version})
    return redirect("surveys:detail", pk=copy.pk)


# --- Invitations -----------------------------------------------------------------------------------------------


def _issuable(user: User, survey: Survey) -> tuple[Any, bool]:
    in_scope = permissions.community_ids_in(survey.scope)
    if permissions.can_manage_survey(user, survey):
        return Region.objects.filter(pk__in=in_scope).order_by("code"), True
    own = permissions.staff_community_ids(user) & in_scope
    return Region.objects.filter(pk__in=own).order_by("code"), False


@login_required
@require_http_methods(["GET", "POST"])
def invitations(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue invitations (counts only) and, for a community's own staff, print its slips."""
    user = _user(request)
    survey = _get(permissions.get_survey_for_user, user, pk)
    communities, allow_all = _issuable(user, survey)
    if not allow_all and not communities.exists():
        raise _deny()
    form = IssueForm(
        request.POST if request.method == "POST" else None, communities=communities, allow_all=allow_all
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = services.issue_invitations(
                    actor=user, survey=survey, community=form.cleaned_data["community"]
                )
            except DomainError as exc:
                status = _fail(request, form, exc)
            else:
                messages.success(
                    request,
                    _("新发放 %(c)s 份邀请码,已有 %(e)s 份(共 %(n)s 个社区)")
                    % {"c": result.created, "e": result.existing, "n": result.communities},
                )
                return redirect("surveys:invitations", pk=pk)
        else:
            status = 422
    printable = Region.objects.filter(
        pk__in=permissions.staff_community_ids(user) & permissions.community_ids_in(survey.scope)
    ).order_by("code")
    context = {
        "survey": survey,
        "form": form,
        "print_form": CommunityForm(communities=printable, auto_id="id_print_%s")
        if printable.exists()
        else None,
        "rates": queries.response_rates(survey, communities=permissions.visible_communities(user, survey)),
    }
    return render(request, "surveys/invitations.html", context, status=status)


def _slip_url(request: HttpRequest, code: str) -> str:
    path = reverse("surveys:answer_code", args=[code])
    base = str(getattr(settings, "GONGZHI_SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def _slips_page(request: HttpRequest, survey: Survey, slips: list[services.Slip]) -> HttpResponse:
    rows = [
        {
            "slip": s,
            "pretty": codes.pretty(s.code),
            "url": _slip_url(request, s.code),
            "qr": codes.qr(_slip_url(request, s.code)),
        }
        for s in slips
    ]
    response = render(
        request,
        "surveys/slips.html",
        {"survey": survey, "rows": rows, "enter_url": request.build_absolute_uri(reverse("surveys:enter"))},
    )
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_POST
def slips(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable slips of one community (POST: printing is audited)."""
    user = _user(request)
    survey = _get(permissions.get_survey_for_user, user, pk)
    printable = Region.objects.filter(
        pk__in=permissions.staff_community_ids(user) & permissions.community_ids_in(survey.scope)
    )
    form = CommunityForm(request.POST, communities=printable)
    if not form.is_valid():
        raise _deny()
    try:
        found = services.invitation_slips(actor=user, survey=survey, community=form.cleaned_data["community"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("surveys:invitations", pk=pk)
    return _slips_page(request, survey, found)


@login_required
@require_POST
def reissue(request: HttpRequest, pk: int) -> HttpResponse:
    """A new code for one household whose slip was lost (the old one stops working)."""
    user = _user(request)
    survey = _get(permissions.get_survey_for_user, user, pk)
    raw = request.POST.get("respondent", "")
    if not raw.isdigit() or len(raw) > 18:
        raise _deny()
    try:
        slip = services.reissue_invitation(actor=user, survey=survey, respondent_id=int(raw))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        if exc.status == 403:
            raise _deny() from exc
        messages.error(request, exc.message)
        return redirect("surveys:assist", pk=pk)
    return _slips_page(request, survey, [slip])


# --- Results (aggregates only) -----------------------------------------------------------------------------------


@login_required
@require_GET
def results(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = _get(permissions.get_survey_for_user, user, pk)
    if survey.is_draft:
        raise _deny()
    visible = permissions.visible_communities(user, survey)
    context = {
        "survey": survey,
        "results": queries.results(survey, communities=visible),
        "rates": queries.response_rates(survey, communities=visible),
        "min_cell": queries.MIN_CELL,
        "comments_allowed": permissions.can_view_comments(user, survey),
    }
    return render(request, "surveys/results.html", context)


@login_required
@require_GET
def comments(request: HttpRequest, pk: int) -> HttpResponse:
    """Free-text answers of one question, for the survey's managers only, sorted, from 5 on."""
    user = _user(request)
    question = (
        Question.objects.select_related("survey", "survey__scope")
        .filter(pk=pk, kind=Question.Kind.TEXT)
        .first()
    )
    if question is None or not permissions.can_view_comments(user, question.survey):
        raise _deny()
    context = {
        "survey": question.survey,
        "question": question,
        "texts": queries.comments(question),
        "min_cell": queries.MIN_CELL,
    }
    return render(request, "surveys/comments.html", context)
