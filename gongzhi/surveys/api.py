"""JSON endpoints of the surveys (under /api/surveys/).

Public (no account; rate-limited per address, 429 beyond): read the questionnaire behind a code
(POST /questionnaire, so that the code stays out of URLs and logs) and answer with it (POST /answer).
Signed in: build and run surveys, issue invitations (counts only: codes are printed on the pages by a
community's own staff), answer for one's own household, staff-assisted entry, response rates, and results in
aggregate only (cells under 5 withheld).

Retries of an answer: send the same `Idempotency-Key` header again and get the first reply (200, replayed) instead
of 409. Unlike other creating POSTs, the key is bound to the household (or unit) answering, not stored with a hash
of the request: a hash of the answers next to an identity would undo the anonymity.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.errors import AuthorizationError
from ninja.params.functions import Header
from ninja.utils import check_csrf

from gongzhi.core.api_support import (
    ERRORS,
    ErrorOut,
    PageParams,
    current_user,
    error_response,
    object_id,
    paginate,
)
from gongzhi.core.errors import NotFound, ValidationFailed
from gongzhi.core.idempotency import idempotent
from gongzhi.orgs.models import Region
from gongzhi.surveys import permissions, queries, ratelimit, services
from gongzhi.surveys.models import Participation, Question, Survey
from gongzhi.surveys.schemas import (
    AnswersIn,
    AssistedIn,
    CodeAnswersIn,
    CodeIn,
    CommentsOut,
    CommunityScoreOut,
    GroupOut,
    IssueIn,
    IssueOut,
    OptionOut,
    QuestionIn,
    QuestionnaireOut,
    QuestionOut,
    QuestionResultOut,
    RateOut,
    RatesOut,
    ReceiptOut,
    ResultsOut,
    ScoreOut,
    ScoresOut,
    SurveyDetailOut,
    SurveyIn,
    SurveyOut,
    SurveyPageOut,
    TransitionIn,
)

router = Router(tags=["surveys"])
public_router = Router(tags=["surveys"])


class AnonymousWithCsrf:
    """For the public answering endpoints: no account, but the CSRF token (cookie + X-CSRFToken header, as any
    page's form carries) is required, checked before the body is read. A client gets the cookie from GET /s/."""

    def __call__(self, request: HttpRequest) -> bool:
        if check_csrf(request):
            raise AuthorizationError(403, "CSRF 校验失败 / CSRF check failed")
        return True


ANONYMOUS = [AnonymousWithCsrf()]

PUBLIC_ERRORS: dict[int, Any] = {**ERRORS, 429: ErrorOut}
RETRY: Any = Header(
    None,
    alias="Idempotency-Key",
    description="可选:重发同一答卷时带上同一个值 / optional: the same value when resending the same answers",
)


# --- helpers ----------------------------------------------------------------------------------------------------


def _survey(request: HttpRequest, pk: int, *, manage: bool = False) -> Survey:
    return permissions.get_survey_for_user(current_user(request), pk, manage=manage)


def _question_for_manager(request: HttpRequest, pk: int) -> Question:
    question = Question.objects.select_related("survey", "survey__scope").filter(pk=pk).first()
    if question is None or not permissions.can_manage_survey(current_user(request), question.survey):
        raise NotFound("未找到该题目 / question not found")
    return question


def _question_out(q: Question) -> QuestionOut:
    return QuestionOut(
        id=q.pk,
        position=q.position,
        key=q.key,
        kind=q.kind,
        text=q.text,
        help=q.help,
        required=q.required,
        options=list(q.options),
        low_label=q.low_label,
        high_label=q.high_label,
    )


def _survey_out(s: Survey) -> dict[str, Any]:
    return {
        "id": s.pk,
        "series": str(s.series),
        "version": s.version,
        "previous_id": s.previous_id,
        "title": s.title,
        "intro": s.intro,
        "purpose": s.purpose,
        "respondents": s.respondents,
        "scope": {"id": s.scope_id, "name": s.scope.name},
        "owner": {"id": s.owner_id, "name": s.owner.name},
        "status": s.status,
        "closes_on": s.closes_on,
        "opened_on": s.opened_on,
        "closed_on": s.closed_on,
        "is_sample": s.is_sample,
    }


def _detail(s: Survey) -> SurveyDetailOut:
    return SurveyDetailOut(
        **_survey_out(s), questions=[_question_out(q) for q in s.questions.order_by("position")]
    )


def _spec(q: QuestionIn) -> services.QuestionSpec:
    return services.QuestionSpec(**q.dict())


def _score(cell: queries.ScoreCell) -> ScoreOut:
    return ScoreOut(
        suppressed=cell.suppressed,
        n=cell.n,
        mean=cell.mean,
        sd=cell.sd,
        margin=cell.margin,
        low=cell.low,
        high=cell.high,
        population=cell.population,
        score100=cell.score100,
        margin100=cell.margin100,
    )


def _rate(r: queries.RateRow) -> RateOut:
    return RateOut(
        community_id=r.community_id,
        community=r.community,
        eligible=r.eligible,
        invited=r.invited,
        responded=r.responded,
        by_code=r.by_code,
        by_account=r.by_account,
        assisted=r.assisted,
        rate=r.rate,
    )


def _scores(
    table: queries.ScoreTable, names: dict[int, str], visible: set[int] | None, key: str | None
) -> ScoresOut:
    return ScoresOut(
        question=key,
        overall=_score(table.overall),
        communities=[
            CommunityScoreOut(community_id=cid, community=names[cid], score=_score(cell))
            for cid, cell in table.communities.items()
            if visible is None or cid in visible
        ],
    )


def _group(g: queries.GroupResults, community_id: int | None) -> GroupOut:
    return GroupOut(
        label=g.label,
        community_id=community_id,
        responses=g.responses,
        questions=[
            QuestionResultOut(
                question_id=r.question.pk,
                position=r.question.position,
                kind=r.question.kind,
                text=r.question.text,
                answered=r.answered,
                options=[OptionOut(label=o.label, count=o.count) for o in r.options],
                score=_score(r.score) if r.score is not None else None,
                texts=r.answered if r.question.is_text else None,
            )
            for r in g.questions
        ],
    )


def _receipt(receipt: services.Receipt) -> Status[ReceiptOut]:
    message = "答卷此前已收到 / already received" if receipt.replayed else "已收到,谢谢 / received, thank you"
    return Status(
        200 if receipt.replayed else 201,
        ReceiptOut(survey_id=receipt.survey.pk, replayed=receipt.replayed, message=message),
    )


def _retry(key: str | None) -> str:
    """The Idempotency-Key header as the services' retry token, refused here under the header's own name."""
    if key and not services.TOKEN_RE.match(key):
        raise ValidationFailed(
            "Idempotency-Key 须为8–200个可见ASCII字符 / Idempotency-Key must be 8–200 printable ASCII characters",
            fields={"Idempotency-Key": "invalid"},
        )
    return key or ""


def _throttled(bucket: str) -> HttpResponse:
    response = error_response(429)
    response["Retry-After"] = str(ratelimit.retry_after(bucket))
    return response


# --- public: answering with a code --------------------------------------------------------------------------------


@public_router.post(
    "/questionnaire",
    response={200: QuestionnaireOut, **PUBLIC_ERRORS},
    url_name="surveys_questionnaire",
    auth=ANONYMOUS,
    summary="凭邀请码读取问卷 / the questionnaire behind a code",
)
def questionnaire(request: HttpRequest, payload: CodeIn) -> Any:
    if ratelimit.exceeded("lookup", request):
        return _throttled("lookup")
    match = services.find_invitation(payload.code)
    if match is None:
        ratelimit.hit("lookup", request)
        raise NotFound("邀请码无效 / the code is not valid")
    s = match.survey
    answered = Participation.objects.filter(
        series=s.series, respondent_key=match.invitation.respondent_key
    ).exists()
    return QuestionnaireOut(
        id=s.pk,
        title=s.title,
        intro=s.intro,
        open=s.is_open,
        answered=answered,
        questions=[_question_out(q) for q in s.questions.order_by("position")],
    )


@public_router.post(
    "/answer",
    response={200: ReceiptOut, 201: ReceiptOut, **PUBLIC_ERRORS},
    url_name="surveys_answer_by_code",
    auth=ANONYMOUS,
    summary="凭邀请码提交答卷 / answer with a code",
)
def answer_by_code(request: HttpRequest, payload: CodeAnswersIn, idempotency_key: str | None = RETRY) -> Any:
    if not ratelimit.hit("submit", request):
        return _throttled("submit")
    receipt = services.submit_with_code(
        code=payload.code, answers=payload.answers, retry_token=_retry(idempotency_key)
    )
    return _receipt(receipt)


# --- signed in: building and running ----------------------------------------------------------------------------


@router.get(
    "", response={200: SurveyPageOut, **ERRORS}, url_name="surveys_list", summary="问卷列表 / surveys"
)
def survey_list(request: HttpRequest, params: Query[PageParams]) -> Any:
    page = paginate(permissions.surveys_for_user(current_user(request)).order_by("-id"), params)
    page["results"] = [SurveyOut(**_survey_out(s)) for s in page["results"]]
    return page


@router.post(
    "", response={201: SurveyDetailOut, **ERRORS}, url_name="surveys_create", summary="新建问卷 / create"
)
@idempotent(status=201)
def survey_create(request: HttpRequest, payload: SurveyIn) -> SurveyDetailOut:
    scope = Region.objects.filter(pk=payload.scope_id).first()
    if scope is None:
        raise ValidationFailed("未知的区域 / unknown region", fields={"scope_id": "unknown"})
    survey = services.create_survey(
        actor=current_user(request),
        scope=scope,
        title=payload.title,
        intro=payload.intro,
        purpose=payload.purpose,
        respondents=payload.respondents,
        closes_on=payload.closes_on,
        questions=[_spec(q) for q in payload.questions],
    )
    return _detail(survey)


@router.get(
    "/{pk}", response={200: SurveyDetailOut, **ERRORS}, url_name="surveys_detail", summary="问卷 / survey"
)
def survey_detail(request: HttpRequest, pk: int = object_id()) -> SurveyDetailOut:
    return _detail(_survey(request, pk))


@router.post(
    "/{pk}/questions",
    response={201: QuestionOut, **ERRORS},
    url_name="surveys_question_add",
    summary="添加题目",
)
@idempotent(status=201)
def question_add(request: HttpRequest, payload: QuestionIn, pk: int = object_id()) -> QuestionOut:
    survey = _survey(request, pk, manage=True)
    return _question_out(
        services.add_question(actor=current_user(request), survey=survey, spec=_spec(payload))
    )


@router.put(
    "/questions/{pk}",
    response={200: QuestionOut, **ERRORS},
    url_name="surveys_question_update",
    summary="修改题目",
)
def question_update(request: HttpRequest, payload: QuestionIn, pk: int = object_id()) -> QuestionOut:
    question = _question_for_manager(request, pk)
    return _question_out(
        services.update_question(actor=current_user(request), question=question, spec=_spec(payload))
    )


@router.delete(
    "/questions/{pk}", response={204: None, **ERRORS}, url_name="surveys_question_delete", summary="删除题目"
)
def question_delete(request: HttpRequest, pk: int = object_id()) -> Any:
    services.delete_question(actor=current_user(request), question=_question_for_manager(request, pk))
    return Status(204, None)


@router.post(
    "/{pk}/transitions",
    response={200: SurveyOut, **ERRORS},
    url_name="surveys_move",
    summary="开放或结束 / open, close",
)
def survey_move(request: HttpRequest, payload: TransitionIn, pk: int = object_id()) -> SurveyOut:
    survey = _survey(request, pk, manage=True)
    user = current_user(request)
    if payload.to == "open":
        survey = services.open_survey(actor=user, survey=survey)
    else:
        survey = services.close_survey(actor=user, survey=survey)
    return SurveyOut(**_survey_out(survey))


@router.post(
    "/{pk}/versions",
    response={201: SurveyDetailOut, **ERRORS},
    url_name="surveys_new_version",
    summary="新版本",
)
@idempotent(status=201)
def survey_new_version(request: HttpRequest, pk: int = object_id()) -> SurveyDetailOut:
    survey = _survey(request, pk, manage=True)
    return _detail(services.new_version(actor=current_user(request), survey=survey))


@router.post(
    "/{pk}/invitations",
    response={200: IssueOut, **ERRORS},
    url_name="surveys_issue",
    summary="发放邀请码(计数)",
)
def survey_issue(request: HttpRequest, payload: IssueIn, pk: int = object_id()) -> IssueOut:
    survey = _survey(request, pk)
    community = None
    if payload.community_id is not None:
        community = Region.objects.filter(pk=payload.community_id).first()
        if community is None:
            raise ValidationFailed("未知的社区 / unknown community", fields={"community_id": "unknown"})
    result = services.issue_invitations(actor=current_user(request), survey=survey, community=community)
    return IssueOut(created=result.created, existing=result.existing, communities=result.communities)


# --- signed in: answering -----------------------------------------------------------------------------------------


@router.post(
    "/{pk}/answer",
    response={200: ReceiptOut, 201: ReceiptOut, **ERRORS},
    url_name="surveys_answer_account",
    summary="为本户提交答卷 / answer for my household",
)
def answer_account(
    request: HttpRequest, payload: AnswersIn, pk: int = object_id(), idempotency_key: str | None = RETRY
) -> Any:
    user = current_user(request)
    survey = Survey.objects.select_related("scope").filter(pk=pk).first()
    if survey is None or permissions.account_respondent(user, survey) is None:
        raise NotFound("未找到该问卷 / survey not found")
    return _receipt(
        services.submit_with_account(
            actor=user, survey=survey, answers=payload.answers, retry_token=_retry(idempotency_key)
        )
    )


@router.post(
    "/{pk}/assisted",
    response={200: ReceiptOut, 201: ReceiptOut, **ERRORS},
    url_name="surveys_answer_assisted",
    summary="社区代录 / staff-assisted entry",
)
def answer_assisted(
    request: HttpRequest, payload: AssistedIn, pk: int = object_id(), idempotency_key: str | None = RETRY
) -> Any:
    user = current_user(request)
    survey = _survey(request, pk)
    return _receipt(
        services.submit_assisted(
            actor=user,
            survey=survey,
            respondent_id=payload.respondent_id,
            answers=payload.answers,
            retry_token=_retry(idempotency_key),
        )
    )


# --- signed in: aggregates ----------------------------------------------------------------------------------------


@router.get(
    "/{pk}/rates", response={200: RatesOut, **ERRORS}, url_name="surveys_rates", summary="参与率 / rates"
)
def survey_rates(request: HttpRequest, pk: int = object_id()) -> RatesOut:
    survey = _survey(request, pk)
    report = queries.response_rates(
        survey, communities=permissions.visible_communities(current_user(request), survey)
    )
    return RatesOut(rows=[_rate(r) for r in report.rows], total=_rate(report.total))


def _released(request: HttpRequest, pk: int) -> Survey:
    survey = _survey(request, pk)
    if survey.is_draft:
        raise NotFound("未找到该问卷 / survey not found")
    return survey


@router.get(
    "/{pk}/results",
    response={200: ResultsOut, **ERRORS},
    url_name="surveys_results",
    summary="汇总结果 / results",
)
def survey_results(request: HttpRequest, pk: int = object_id()) -> ResultsOut:
    survey = _released(request, pk)
    visible = permissions.visible_communities(current_user(request), survey)
    res = queries.results(survey, communities=visible)
    names = dict(
        Region.objects.filter(pk__in=permissions.community_ids_in(survey.scope)).values_list("pk", "name")
    )
    return ResultsOut(
        survey_id=survey.pk,
        min_cell=queries.MIN_CELL,
        overall=_group(res.overall, None),
        communities=[_group(g, g.community_id) for g in res.communities],
        index=_scores(res.index, names, visible, None) if res.index is not None else None,
    )


@router.get(
    "/{pk}/scores",
    response={200: ScoresOut, **ERRORS},
    url_name="surveys_scores",
    summary="评分及95%误差 / scores with 95 % margins",
)
def survey_scores(request: HttpRequest, pk: int = object_id(), question: str | None = None) -> ScoresOut:
    survey = _released(request, pk)
    visible = permissions.visible_communities(current_user(request), survey)
    key: str | int | None = question
    if question is not None and question.isdigit():
        key = int(question)
    try:
        table = queries.scores(survey, key)
    except LookupError as exc:
        raise ValidationFailed(
            "没有这道评分题 / no such 1–5 question", fields={"question": "unknown"}
        ) from exc
    names = dict(Region.objects.filter(pk__in=table.communities).values_list("pk", "name"))
    return _scores(table, names, visible, question)


@router.get(
    "/questions/{pk}/comments",
    response={200: CommentsOut, **ERRORS},
    url_name="surveys_comments",
    summary="文字意见(仅发起方)/ text answers (managers only)",
)
def question_comments(request: HttpRequest, pk: int = object_id()) -> CommentsOut:
    question = Question.objects.select_related("survey", "survey__scope").filter(pk=pk, kind="text").first()
    if question is None or not permissions.can_view_comments(current_user(request), question.survey):
        raise NotFound("未找到该题目 / question not found")
    texts = queries.comments(question)
    return CommentsOut(question_id=question.pk, withheld=texts is None, texts=texts or [])
