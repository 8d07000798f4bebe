"""Who is told what when an agreement moves or money is due (through gongzhi.core.notify).

Called by the services inside their transaction: the in-app rows roll back with the change and mail goes out only
after commit. The actor is never notified of their own action.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from gongzhi.agreements.models import Agreement, Completion, Instalment, Kind, Payment, yuan
from gongzhi.core import notify
from gongzhi.core.models import User
from gongzhi.core.roles import CAPS_BY_ROLE, Cap, OrgKind
from gongzhi.orgs.models import Membership, Organization


def _holders(orgs: Iterable[Organization], caps: set[str] | None = None) -> list[User]:
    members = Membership.objects.filter(
        organization__in=list(orgs), revoked_at__isnull=True, user__is_active=True
    ).select_related("user")
    users: dict[int, User] = {}
    for m in members:
        if caps is None or caps & CAPS_BY_ROLE.get(m.role, frozenset()):
            users[m.user_id] = m.user
    return list(users.values())


def department_users(agreement: Agreement) -> list[User]:
    return _holders([agreement.department])


def party_users(agreement: Agreement) -> list[User]:
    if agreement.kind == Kind.ENTRUSTMENT:
        orgs = Organization.objects.filter(region_id=agreement.community_id, is_active=True)
        return _holders(orgs, {Cap.MANAGE_COMMUNITY, Cap.REFUSE_TASKS, Cap.SIGN_AGREEMENTS})
    return _holders([agreement.party])


def office_users(agreement: Agreement) -> list[User]:
    region = agreement.department.region
    ids = [region.pk, *(a.pk for a in region.ancestors())]
    offices = Organization.objects.filter(kind=OrgKind.APPROVAL_AUTHORITY, region_id__in=ids, is_active=True)
    return _holders(offices, {Cap.EXAMINE_REQUESTS})


def _url(agreement: Agreement) -> str:
    return reverse("agreements:detail", args=[agreement.pk])


def sent(agreement: Agreement, version: int, actor: User) -> None:
    what = "补充协议" if version > 1 else "委托协议"
    notify.send(
        party_users(agreement),
        event="agreements.sent",
        title=f"{agreement.department.name}送来{what}待审阅:{agreement.number} / an agreement was sent to you",
        body="请审阅协议文本;部门签署后,经社区居委会会议讨论通过再签署。",
        url=_url(agreement),
        exclude=actor,
    )


def reopened(agreement: Agreement, reason: str, actor: User) -> None:
    notify.send(
        [*department_users(agreement), *party_users(agreement)],
        event="agreements.reopened",
        title=f"协议退回修改:{agreement.number} / an agreement went back to draft",
        body=reason,
        url=_url(agreement),
        exclude=actor,
    )


def signed(agreement: Agreement, side_label: str, actor: User) -> None:
    notify.send(
        [*department_users(agreement), *party_users(agreement)],
        event="agreements.signed",
        title=f"{side_label}已签署协议 {agreement.number} / the agreement was signed",
        url=_url(agreement),
        exclude=actor,
    )


def activated(agreement: Agreement, version: int, actor: User | None) -> None:
    what = f"第{version}版(补充协议)" if version > 1 else "协议"
    notify.send(
        [*department_users(agreement), *party_users(agreement)],
        event="agreements.active",
        title=f"{agreement.number} {what}已生效,经费已全部预留 / the agreement is in force, fully funded",
        url=_url(agreement),
        exclude=actor,
    )


def paid(payment: Payment, actor: User) -> None:
    agreement = payment.agreement
    notify.send(
        party_users(agreement),
        event="agreements.paid",
        title=f"协议款项已支付:{agreement.number} 人民币{payment.amount_yuan}元 / an instalment was paid",
        body=payment.instalment.label,
        url=_url(agreement),
        exclude=actor,
    )


def settled(instalment: Instalment, paid_fen: int, released_fen: int, actor: User) -> None:
    agreement = instalment.agreement
    notify.send(
        [*department_users(agreement), *party_users(agreement)],
        event="agreements.settled",
        title=(
            f"协议尾款已按评估结算:{agreement.number} 结算人民币{yuan(instalment.amount_fen)}元 / the final "
            "instalment was settled from the evaluation"
        ),
        body=(
            f"{instalment.label}:原应付{yuan(instalment.settled_from_fen or 0)}元,按评估得分结算"
            f"{yuan(instalment.amount_fen)}元,本次支付{yuan(paid_fen)}元,退回预算{yuan(released_fen)}元。"
        ),
        url=_url(agreement),
        exclude=actor,
    )


def overdue(instalment: Instalment, *, short: bool, on: str) -> None:
    agreement = instalment.agreement
    what = "未足额支付" if short else "逾期未付"
    notify.send(
        [*department_users(agreement), *party_users(agreement), *office_users(agreement)],
        event="agreements.overdue",
        title=f"协议款项{what}:{agreement.number} 第{instalment.seq}期 / an instalment is "
        + ("short" if short else "overdue"),
        body=(
            f"{instalment.label}:应于{instalment.due_on.isoformat()}支付人民币{instalment.amount_yuan}元,"
            f"已付{instalment.paid_yuan}元,尚欠{yuan(instalment.outstanding_fen)}元(截至{on})。"
        ),
        url=_url(agreement),
        key=f"agreements.overdue.{instalment.pk}.{instalment.amount_fen}.{instalment.paid_fen}",
    )


def terminated(agreement: Agreement, actor: User) -> None:
    notify.send(
        [*department_users(agreement), *party_users(agreement), *office_users(agreement)],
        event="agreements.terminated",
        title=f"协议已终止:{agreement.number} / the agreement was terminated",
        body=agreement.termination_reason,
        url=_url(agreement),
        exclude=actor,
    )


def completion_reported(completion: Completion, actor: User) -> None:
    notify.send(
        department_users(completion.agreement),
        event="agreements.completion.reported",
        title=f"社区报告事项完成,请确认:{completion.task.title} / a task was reported done",
        url=_url(completion.agreement),
        exclude=actor,
    )


def completion_reviewed(completion: Completion, actor: User) -> None:
    agreement = completion.agreement
    users = party_users(agreement)
    if completion.status == Completion.Status.DISPUTED:
        users = [*users, *office_users(agreement)]
    notify.send(
        users,
        event=f"agreements.completion.{completion.status}",
        title=f"{completion.task.title}:{completion.get_status_display()} / completion {completion.status}",
        body=completion.review_note,
        url=_url(agreement),
        exclude=actor,
    )


def completion_resolved(completion: Completion, actor: User) -> None:
    agreement = completion.agreement
    notify.send(
        [*department_users(agreement), *party_users(agreement)],
        event=f"agreements.completion.{completion.status}",
        title=f"{completion.task.title}:{completion.get_status_display()} / dispute resolved",
        body=completion.resolution_note,
        url=_url(agreement),
        exclude=actor,
    )
