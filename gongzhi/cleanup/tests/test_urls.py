"""Every URL of the clean-up, pages and API: one user it serves and one it refuses (404 for what they may not see).
A last test checks that no URL of the app is missing from the table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import get_resolver, reverse

from conftest import login
from gongzhi.cleanup import services
from gongzhi.cleanup.models import Campaign
from gongzhi.cleanup.tests.conftest import png, task_campaign, workbook

pytestmark = pytest.mark.django_db


@dataclass
class World:
    tasks: Campaign
    review_tasks: Campaign
    plaques: Campaign
    task: Any
    task_in_review: Any
    plaque: Any
    removal: Any
    confirmed: Any
    entry: Any


@pytest.fixture
def world(city, approval_officer, community_staff, lists, allowed, centre) -> World:
    tasks = task_campaign(approval_officer, city.district)
    task = services.add_carried_task(
        actor=approval_officer,
        campaign=tasks,
        community=city.tongxia,
        title="调解民间纠纷",
        department=city.dept,
    )
    review_tasks = task_campaign(approval_officer, city.district)
    task_in_review = services.add_carried_task(
        actor=approval_officer,
        campaign=review_tasks,
        community=city.tongxia,
        title="开展评比",
        department=city.dept,
    )
    services.move_campaign(actor=approval_officer, campaign=review_tasks, to="review")
    plaque = services.register_plaque(
        actor=community_staff,
        community=city.tongxia,
        name="社区老年学校",
        placement="outside",
        issuer=city.dept,
        photo=png(),
    )
    services.register_plaque(
        actor=community_staff, community=city.tongxia, name="平安社区", placement="outside"
    )
    services.register_plaque(
        actor=community_staff, community=city.tongxia, name="居民委员会", placement="outside"
    )
    plaques = services.create_campaign(
        actor=approval_officer, kind="plaques", title="减牌子", scope=city.district
    )
    for to in ("inventory", "review"):
        services.move_campaign(actor=approval_officer, campaign=plaques, to=to)
    services.accept_plaque_suggestions(actor=approval_officer, campaign=plaques)
    services.move_campaign(actor=approval_officer, campaign=plaques, to="execution")
    removal = plaques.plaque_reviews.get(plaque=plaque)
    confirmed = plaques.plaque_reviews.get(plaque__name="平安社区")
    services.confirm_plaque_removal(actor=community_staff, review=confirmed, photo=png())
    return World(tasks, review_tasks, plaques, task, task_in_review, plaque, removal, confirmed, allowed[0])


# (url name, method, args, data, allowed persona, expected status, denied persona)
Case = tuple[str, str, Any, Any, str, int, str]

CASES: list[Case] = [
    ("cleanup:home", "get", None, None, "community_staff", 200, "resident"),
    ("cleanup:campaign_create", "get", None, None, "approval_officer", 200, "community_director"),
    ("cleanup:campaign_detail", "get", lambda w: [w.tasks.pk], None, "dept_clerk", 200, "resident"),
    (
        "cleanup:campaign_move",
        "post",
        lambda w: [w.tasks.pk],
        {"to": "review"},
        "approval_officer",
        302,
        "community_staff",
    ),
    (
        "cleanup:campaign_accept",
        "post",
        lambda w: [w.review_tasks.pk],
        None,
        "approval_officer",
        302,
        "dept_clerk",
    ),
    ("cleanup:task_add", "get", lambda w: [w.tasks.pk], None, "community_staff", 200, "panel_member"),
    ("cleanup:task_import", "get", lambda w: [w.tasks.pk], None, "community_staff", 200, "dept_clerk"),
    ("cleanup:task_template", "get", None, None, "community_staff", 200, "resident"),
    (
        "cleanup:task_decide",
        "get",
        lambda w: [w.task_in_review.pk],
        None,
        "approval_officer",
        200,
        "dept_clerk",
    ),
    ("cleanup:task_withdraw", "post", lambda w: [w.task.pk], None, "community_staff", 302, "outsider"),
    ("cleanup:plaque_list", "get", None, None, "dept_clerk", 200, "resident"),
    ("cleanup:plaque_add", "get", None, None, "community_staff", 200, "dept_clerk"),
    ("cleanup:plaque_detail", "get", lambda w: [w.plaque.pk], None, "dept_clerk", 200, "outsider"),
    (
        "cleanup:plaque_photo_upload",
        "post",
        lambda w: [w.plaque.pk],
        "photo",
        "community_staff",
        302,
        "dept_clerk",
    ),
    ("cleanup:plaque_photo", "get", lambda w: [w.plaque.pk], None, "approval_officer", 200, "outsider"),
    (
        "cleanup:review_decide",
        "post",
        lambda w: [w.removal.pk],
        {"decision": "remove"},
        "approval_officer",
        302,
        "community_staff",
    ),
    (
        "cleanup:review_confirm",
        "get",
        lambda w: [w.removal.pk],
        None,
        "community_staff",
        200,
        "approval_officer",
    ),
    ("cleanup:review_photo", "get", lambda w: [w.confirmed.pk], None, "community_staff", 200, "outsider"),
    ("cleanup:allowed_list", "get", None, None, "approval_officer", 200, "community_director"),
    (
        "cleanup:allowed_remove",
        "post",
        lambda w: [w.entry.pk],
        None,
        "approval_officer",
        302,
        "authority_member",
    ),
    ("cleanup:dashboard", "get", None, None, "authority_member", 302, "resident"),
    (
        "cleanup:dashboard_region",
        "get",
        lambda w: [w.tasks.scope_id],
        None,
        "authority_member",
        200,
        "community_director",
    ),
    (
        "cleanup:dashboard_region_xlsx",
        "get",
        lambda w: [w.tasks.scope_id],
        None,
        "approval_officer",
        200,
        "dept_clerk",
    ),
    (
        "cleanup:dashboard_department",
        "get",
        lambda w: [w.task.department_id],
        None,
        "dept_clerk",
        200,
        "community_director",
    ),
    (
        "cleanup:dashboard_department_xlsx",
        "get",
        lambda w: [w.task.department_id],
        None,
        "approval_officer",
        200,
        "outsider",
    ),
    (
        "cleanup:public_community",
        "get",
        lambda w: [w.task.community_id],
        None,
        "resident",
        200,
        "resident:region",
    ),
    ("cleanup:calendar", "get", None, None, "approval_officer", 200, "dept_clerk"),
    # API (django-ninja names each operation after its function)
    ("api:cleanup_list_campaigns", "get", None, None, "community_staff", 200, "resident:empty"),
    (
        "api:cleanup_create_campaign",
        "post",
        None,
        "campaign",
        "approval_officer",
        201,
        "community_director:403",
    ),
    ("api:cleanup_get_campaign", "get", lambda w: [w.tasks.pk], None, "dept_clerk", 200, "panel_member"),
    (
        "api:cleanup_move_campaign",
        "post",
        lambda w: [w.tasks.pk],
        {"to": "review"},
        "approval_officer",
        200,
        "community_staff",
    ),
    (
        "api:cleanup_accept_suggestions",
        "post",
        lambda w: [w.review_tasks.pk],
        {},
        "approval_officer",
        200,
        "dept_clerk",
    ),
    ("api:cleanup_list_tasks", "get", lambda w: [w.tasks.pk], None, "community_staff", 200, "panel_member"),
    ("api:cleanup_add_task", "post", lambda w: [w.tasks.pk], "task", "community_staff", 201, "panel_member"),
    (
        "api:cleanup_import_tasks",
        "post",
        lambda w: [w.tasks.pk],
        "workbook",
        "community_staff",
        201,
        "panel_member",
    ),
    (
        "api:cleanup_decide_task",
        "post",
        lambda w: [w.task_in_review.pk],
        {"decision": "cancel", "note": "n"},
        "approval_officer",
        200,
        "community_staff:403",
    ),
    ("api:cleanup_list_plaques", "get", None, None, "community_staff", 200, "resident:empty"),
    ("api:cleanup_register_plaque", "post", None, "plaque", "community_staff", 201, "outsider:403"),
    (
        "api:cleanup_upload_plaque_photo",
        "post",
        lambda w: [w.plaque.pk],
        "photo",
        "community_staff",
        200,
        "dept_clerk",
    ),
    (
        "api:cleanup_download_plaque_photo",
        "get",
        lambda w: [w.plaque.pk],
        None,
        "dept_clerk",
        200,
        "outsider",
    ),
    (
        "api:cleanup_list_reviews",
        "get",
        lambda w: [w.plaques.pk],
        None,
        "community_staff",
        200,
        "panel_member",
    ),
    (
        "api:cleanup_decide_plaque",
        "post",
        lambda w: [w.removal.pk],
        {"decision": "remove"},
        "approval_officer",
        409,
        "outsider",
    ),
    (
        "api:cleanup_confirm_removal",
        "post",
        lambda w: [w.removal.pk],
        "photo",
        "community_staff",
        200,
        "outsider",
    ),
    (
        "api:cleanup_region_dashboard",
        "get",
        lambda w: [w.tasks.scope_id],
        None,
        "authority_member",
        200,
        "dept_clerk",
    ),
    (
        "api:cleanup_department_dashboard",
        "get",
        lambda w: [w.task.department_id],
        None,
        "dept_clerk",
        200,
        "outsider",
    ),
    ("api:cleanup_calendar_years", "get", None, None, "approval_officer", 200, "community_staff"),
    (
        "api:cleanup_enter_calendar_year",
        "put",
        lambda w: [2029],
        {"holidays": []},
        "approval_officer",
        200,
        "community_staff",
    ),
    (
        "api:cleanup_public_community",
        "get",
        lambda w: [w.task.community_id],
        None,
        "outsider",
        200,
        "resident:region",
    ),
]


def _body(kind: Any, world: World, city: Any) -> tuple[Any, dict[str, Any]]:
    """(data, extra client kwargs) for a case's request body."""
    if kind == "photo":
        return {"photo": png()}, {}
    if kind == "workbook":
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = workbook([["新登记的事", "", "", "", 0]])
        return {"community_id": city.tongxia.pk, "workbook": SimpleUploadedFile("w.xlsx", data)}, {}
    json_bodies = {
        "campaign": {"kind": "tasks", "title": "API 行动", "scope_id": city.district.pk},
        "task": {"community_id": city.tongxia.pk, "title": "API 登记的事"},
        "plaque": {"community_id": city.tongxia.pk, "name": "API 牌子", "placement": "inside"},
    }
    if isinstance(kind, str):
        return json_bodies[kind], {"content_type": "application/json", "headers": {"Idempotency-Key": kind}}
    return kind, {}


def _request(client: Any, case: Case, world: World, city: Any, args: list[Any] | None = None) -> Any:
    name, method, make_args, data, *_rest = case
    url = reverse(name, args=args if args is not None else (make_args(world) if make_args else None))
    if method == "get":
        return client.get(url)
    body, extra = _body(data, world, city) if data is not None else ({}, {})
    if name.startswith("api:") and not extra and not any(k in body for k in ("photo", "workbook")):
        extra = {"content_type": "application/json"}
    return getattr(client, method)(url, body, **extra)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_allowed(case, world, city, request):
    user = request.getfixturevalue(case[4])
    response = _request(login(user), case, world, city)
    assert response.status_code == case[5], getattr(response, "content", b"")[:500]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_denied(case, world, city, request):
    persona, _sep, how = case[6].partition(":")
    user = request.getfixturevalue(persona)
    client = login(user)
    if how == "region":  # a public page: only real communities have one
        response = _request(client, case, world, city, args=[city.district.pk])
        assert response.status_code == 404
        return
    response = _request(client, case, world, city)
    if how == "empty":  # a list answers with nothing of anyone else's
        assert response.status_code == 200
        assert response.json() == []
        return
    assert response.status_code == (403 if how == "403" else 404), getattr(response, "content", b"")[:500]


def test_every_cleanup_url_is_in_the_table():
    names = {c[0] for c in CASES}
    resolver = get_resolver()
    pages = {f"cleanup:{n}" for n in resolver.namespace_dict["cleanup"][1].reverse_dict if isinstance(n, str)}
    api = {
        f"api:{n}"
        for n in resolver.namespace_dict["api"][1].reverse_dict
        if isinstance(n, str) and n.startswith("cleanup_")
    }
    assert pages | api <= names
    assert len(pages) == 27
    assert len(api) == 21
