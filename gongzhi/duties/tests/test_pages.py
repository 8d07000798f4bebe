import re
from datetime import date
from typing import Any

import pytest
from django.test import Client

from conftest import login
from gongzhi.core.models import AuditEntry
from gongzhi.duties import demo, services
from gongzhi.duties.models import ListEdition, ListItem
from gongzhi.duties.tests.helpers import item


@pytest.fixture
def current(city):
    demo.load(actor=None)
    return ListEdition.objects.get(scope=city.city, status="published")


@pytest.fixture
def draft(current):
    return services.copy_edition(actor=None, source=current, title="修订稿")


def state() -> Any:
    """A fingerprint of everything the list pages can change."""
    return (
        list(ListEdition.objects.order_by("pk").values_list("pk", "status", "title", "revision")),
        list(ListItem.objects.order_by("pk").values_list("pk", "code", "title", "kind")),
        AuditEntry.objects.count(),
    )


# --- public pages ---------------------------------------------------------------------------------------------


def test_public_pages_need_no_sign_in(city, current):
    anonymous = Client()
    superseded = ListEdition.objects.get(scope=city.city, status="superseded")
    old_item = superseded.items.get(code="Z-01")
    for url in (
        "/lists/",
        f"/lists/c/{city.tongxia.code}/",
        "/lists/search/?q=开具亲属关系证明",
        f"/lists/items/{current.items.get(code='A-09').pk}/",
        f"/lists/items/{old_item.pk}/",
        "/lists/editions/",
        f"/lists/editions/{current.pk}/",
        f"/lists/editions/{current.pk}/diff/",
        f"/lists/editions/{superseded.pk}/",
    ):
        response = anonymous.get(url)
        assert response.status_code == 200, url


def test_community_page_shows_city_and_district_lists_grouped_by_kind(city, current):
    html = Client().get(f"/lists/c/{city.tongxia.code}/").content.decode()
    assert 'id="kind-statutory"' in html and 'id="kind-excluded"' in html
    assert "协助做好网格化服务管理" in html  # 铜官区's addition
    assert "调解民间纠纷" in html
    # another district's community does not get 铜官区's addition
    assert Client().get("/lists/c/000/").status_code == 404


def test_item_detail_shows_legal_basis_and_source(current):
    it = current.items.get(code="S-09")
    html = Client().get(f"/lists/items/{it.pk}/").content.decode()
    assert "第十五条" in html and "shexun.cn" in html and "依法履行职责事项" in html
    assessed = current.items.get(code="A-09")
    assert "12000.00" in Client().get(f"/lists/items/{assessed.pk}/").content.decode()


def test_search_answers_whether_it_is_the_committees_job(current):
    html = Client().get("/lists/search/", {"q": "为居民开具无犯罪记录证明"}).content.decode()
    assert "verdict-excluded" in html and "Z-05" in html
    html = Client().get("/lists/search/", {"q": "召开居民代表会议"}).content.decode()
    assert "verdict-statutory" in html
    assert Client().get("/lists/search/", {"q": "x" * 201}).status_code == 400
    assert Client().get("/lists/search/", {"q": "低保", "community": "nope"}).status_code == 404
    assert (
        "verdict"
        not in Client().get("/lists/search/").content.decode().split("<main")[1].split("search-box")[0]
    )


def test_diff_page_shows_the_clean_up(city, current):
    html = Client().get(f"/lists/editions/{current.pk}/diff/").content.decode()
    found = re.search(r'big-number">(\d+) → (\d+)<', html)
    assert found is not None
    before, after = map(int, found.groups())
    assert before > 2 * after
    assert "Z-01" in html and "C-03" in html  # a certificate now excluded; a merged one removed
    first = ListEdition.objects.get(scope=city.city, status="superseded")
    assert "第一版" in Client().get(f"/lists/editions/{first.pk}/diff/").content.decode()
    assert Client().get(f"/lists/editions/{current.pk}/diff/?against=abc").status_code == 404
    assert Client().get(f"/lists/editions/{current.pk}/diff/?against={first.pk}").status_code == 200


def test_drafts_are_hidden_from_everyone_but_list_editors(draft, dept_clerk, outsider, approval_officer):
    it = draft.items.first()
    urls = [
        f"/lists/editions/{draft.pk}/",
        f"/lists/editions/{draft.pk}/diff/",
        f"/lists/editions/{draft.pk}/export.xlsx",
        f"/lists/items/{it.pk}/",
    ]
    for client in (Client(), login(dept_clerk), login(outsider)):
        for url in urls:
            assert client.get(url).status_code == 404, url
        assert "修订稿" not in client.get("/lists/editions/").content.decode()
    officer = login(approval_officer)
    for url in urls:
        assert officer.get(url).status_code == 200, url
    assert "修订稿" in officer.get("/lists/editions/").content.decode()


def test_public_pages_refuse_writes(current):
    assert Client().post("/lists/").status_code == 405
    assert Client().post(f"/lists/editions/{current.pk}/").status_code == 405


# --- the editors' pages ----------------------------------------------------------------------------------------


def test_management_needs_the_approval_office(current, dept_clerk, community_director, approval_officer):
    anonymous = Client().get("/lists/manage/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert login(dept_clerk).get("/lists/manage/").status_code == 403
    assert login(community_director).get("/lists/manage/").status_code == 403
    page = login(approval_officer).get("/lists/manage/")
    assert page.status_code == 200 and "从工作簿导入新草稿" in page.content.decode()


def test_nav_shows_list_management_only_to_editors(current, approval_officer, dept_clerk):
    assert "/lists/manage/" in login(approval_officer).get("/lists/").content.decode()
    assert "/lists/manage/" not in login(dept_clerk).get("/lists/").content.decode()
    assert "/lists/" in Client().get("/").content.decode()


def test_create_edit_and_publish_a_draft_through_the_pages(city, current, approval_officer):
    officer = login(approval_officer)
    response = officer.post(
        "/lists/manage/new/",
        {
            "scope": city.city.pk,
            "title": "2026年修订稿",
            "effective_from": "2026-01-01",
            "doc_number": "示例〔2026〕1号",
        },
    )
    assert response.status_code == 302
    new = ListEdition.objects.get(title="2026年修订稿")
    assert new.status == "draft" and new.created_by == approval_officer
    response = officer.post(
        f"/lists/editions/{new.pk}/items/new/",
        {"kind": "assisting", "code": "A-01", "title": "协助做好社会救助", "source": "测试", "funding_yuan": "1234.50",
         "department": city.dept.pk},
    )  # fmt: skip
    assert response.status_code == 302
    added = new.items.get()
    assert added.funding_fen == 123450 and added.department == city.dept
    response = officer.post(
        f"/lists/items/{added.pk}/edit/",
        {"kind": "assisting", "code": "A-01", "title": "协助做好低保", "source": "测试"},
    )
    assert response.status_code == 302
    added.refresh_from_db()
    assert added.title == "协助做好低保" and added.funding_fen == 0
    response = officer.post(
        f"/lists/editions/{new.pk}/edit/", {"title": "2026年版", "effective_from": "2026-01-01"}
    )
    assert response.status_code == 302
    response = officer.post(f"/lists/editions/{new.pk}/publish/")
    assert response.status_code == 302 and response["Location"] == f"/lists/editions/{new.pk}/diff/"
    new.refresh_from_db()
    current.refresh_from_db()
    assert new.status == "published" and new.title == "2026年版" and current.status == "superseded"
    diff = officer.get(response["Location"]).content.decode()
    assert "新增0项" in diff and "A-01" in diff


def test_bad_form_input_changes_nothing(city, draft, approval_officer):
    officer = login(approval_officer)
    before = state()
    assert officer.post("/lists/manage/new/", {"scope": city.city.pk, "title": ""}).status_code == 422
    assert officer.post("/lists/manage/new/", {"scope": city.tongxia.pk, "title": "x"}).status_code == 422
    bad_items = [
        {"kind": "magic", "code": "X-1", "title": "x", "source": "s"},
        {"kind": "statutory", "code": "带 空格", "title": "x", "source": "s"},
        {"kind": "statutory", "code": "X-2", "title": "x", "source": "s", "funding_yuan": "10"},
        {"kind": "assisting", "code": "X-3", "title": "x", "source": "s", "funding_yuan": "-1"},
        {"kind": "statutory", "code": "S-01", "title": "duplicate", "source": "s"},
        {"kind": "statutory", "code": "X-4", "title": "x", "source": ""},
    ]
    for data in bad_items:
        response = officer.post(f"/lists/editions/{draft.pk}/items/new/", data)
        assert response.status_code in (409, 422), data
    response = officer.post(
        f"/lists/editions/{draft.pk}/edit/",
        {"title": "x", "effective_from": "2026-02-01", "effective_to": "2026-01-01"},
    )
    assert response.status_code == 422
    assert state() == before


def test_published_editions_are_frozen(current, approval_officer):
    officer = login(approval_officer)
    before = state()
    it = current.items.first()
    assert officer.post(f"/lists/editions/{current.pk}/edit/", {"title": "改"}).status_code == 409
    assert officer.post(f"/lists/editions/{current.pk}/items/new/", {"kind": "statutory", "code": "N-1",
                                                                      "title": "x", "source": "s"}).status_code == 409  # fmt: skip
    data = {"kind": it.kind, "code": it.code, "title": "改", "source": "s"}
    assert officer.post(f"/lists/items/{it.pk}/edit/", data).status_code == 409
    assert officer.post(f"/lists/items/{it.pk}/delete/").status_code == 409
    assert officer.post(f"/lists/editions/{current.pk}/publish/").status_code == 409
    assert officer.post(f"/lists/editions/{current.pk}/delete/").status_code == 409
    assert state() == before


@pytest.mark.parametrize(
    "who", ["dept_clerk", "community_director", "resident", "authority_member", "platform_admin"]
)
def test_only_the_approval_office_edits(request, who, current, draft):
    client = login(request.getfixturevalue(who))
    before = state()
    it = draft.items.first()
    public_item = current.items.first()
    item_data = {"kind": "statutory", "code": "N-1", "title": "x", "source": "s"}
    posts = [
        ("/lists/manage/new/", {"title": "x"}),
        (f"/lists/editions/{draft.pk}/edit/", {"title": "x"}),
        (f"/lists/editions/{draft.pk}/items/new/", item_data),
        (f"/lists/items/{it.pk}/edit/", item_data),
        (f"/lists/items/{it.pk}/delete/", {}),
        (f"/lists/editions/{draft.pk}/publish/", {}),
        (f"/lists/editions/{draft.pk}/delete/", {}),
        (f"/lists/editions/{current.pk}/copy/", {}),
        (f"/lists/editions/{current.pk}/edit/", {"title": "x"}),
        (f"/lists/items/{public_item.pk}/edit/", item_data),
        ("/lists/manage/import/", {}),
        (f"/lists/editions/{draft.pk}/import/", {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code in (403, 404), url
    for url in ("/lists/manage/", "/lists/manage/new/", f"/lists/editions/{draft.pk}/edit/"):
        assert client.get(url).status_code in (403, 404), url
    assert state() == before


def test_editor_actions_on_drafts(current, draft, approval_officer):
    officer = login(approval_officer)
    it = draft.items.get(code="S-01")
    assert officer.get(f"/lists/items/{it.pk}/edit/").status_code == 200
    assert officer.get(f"/lists/editions/{draft.pk}/items/new/").status_code == 200
    assert officer.get(f"/lists/editions/{draft.pk}/edit/").status_code == 200
    assert officer.get("/lists/manage/new/").status_code == 200
    assert officer.post(f"/lists/items/{it.pk}/delete/").status_code == 302
    assert not draft.items.filter(code="S-01").exists()
    response = officer.post(f"/lists/editions/{current.pk}/copy/")
    assert response.status_code == 302
    assert ListEdition.objects.filter(status="draft").count() == 2
    assert officer.post(f"/lists/editions/{draft.pk}/delete/").status_code == 302
    assert not ListEdition.objects.filter(pk=draft.pk).exists()


def test_a_district_office_cannot_touch_the_citys_list(city, current):
    from conftest import make_user
    from gongzhi.core.roles import OrgKind, Role
    from gongzhi.orgs import services as org_services

    office = org_services.create_organization(
        actor=None, name="铜官区深改办", kind=OrgKind.APPROVAL_AUTHORITY, region=city.district
    )
    client = login(make_user("district-officer", office, Role.APPROVAL_OFFICER))
    assert client.get("/lists/manage/").status_code == 200
    assert client.post(f"/lists/editions/{current.pk}/copy/").status_code == 403
    district_draft = services.copy_edition(actor=None, source=ListEdition.objects.get(scope=city.district))
    services.add_item(actor=None, edition=district_draft, data=item("TG-S-09"))
    # publishing needs a start date: a copy has none yet
    assert client.post(f"/lists/editions/{district_draft.pk}/publish/").status_code == 422
    data = services.EditionData(title="铜官区补充清单2026", effective_from=date(2026, 1, 1))
    services.update_edition(actor=None, edition=district_draft, data=data)
    assert client.post(f"/lists/editions/{district_draft.pk}/publish/").status_code == 302
    assert ListEdition.objects.get(scope=city.district, status="published").pk == district_draft.pk
