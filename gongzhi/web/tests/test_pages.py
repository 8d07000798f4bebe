"""Home page, public directory, base layout (language switch, navigation, account menu) through HTTP."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from conftest import City, login
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind, Role
from gongzhi.orgs import services as org_services
from gongzhi.orgs.models import Membership, Organization
from gongzhi.web.nav import NAV
from gongzhi.web.tests.helpers import inline_code, unlabelled_fields, viewport


def main_text(response: Any) -> str:
    body = response.content.decode()
    match = re.search(r"<main\b.*?</main>", body, re.S)
    assert match, "page has no <main>"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(0)))


# --- Home -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_anonymous_explains_gongzhi_and_links_to_directory_and_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<li><strong>") == 6  # the six mechanisms, one line each
    for name in ("确权勘界", "平等合作", "准入与减负", "双向评估", "社区自治", "多元共治"):
        assert name in body
    assert 'href="/directory/"' in body
    assert f'href="{reverse("core:login")}' in body
    assert "user-menu" not in body
    assert "居民信息" not in body  # no staff navigation for anonymous visitors


PERSONAS = {
    "dept_clerk": ("铜陵市民政局", "部门经办人", ["提交社区工作事项准入申请"], ["对准入申请作出决定"]),
    "dept_finance": ("铜陵市民政局", "部门财务人员", ["支付协议款项"], ["提交社区工作事项准入申请"]),
    "approval_officer": ("深改办", "审批办经办人", ["审查准入申请并提出意见", "编制和发布社区工作清单"], []),
    "authority_member": ("深改办", "审批机构成员", ["对准入申请作出决定"], ["审查准入申请并提出意见"]),
    "community_director": ("铜霞社区居委会", "社区居委会主任", ["查看居民完整个人信息(留痕)"], []),
    "community_staff": (
        "铜霞社区居委会",
        "社区工作者",
        ["管理本社区事务与居民信息"],
        ["查看居民完整个人信息(留痕)"],
    ),
    "resident": (
        "铜霞社区居委会",
        "居民",
        ["参与社区事务:问卷、议事、反映问题"],
        ["管理本社区事务与居民信息"],
    ),
    "outsider": ("狮子山社区居委会", "社区居委会主任", ["管理本社区事务与居民信息"], []),
    "panel_member": ("第三方评估组", "评估组成员", ["第三方评估:审阅并签署评估结果"], []),
    "platform_admin": ("平台运维组", "平台管理员", ["管理平台用户与机构"], ["查阅审计日志"]),
}


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_home_shows_each_persona_their_organizations_roles_and_capabilities(
    request: pytest.FixtureRequest, persona: str
) -> None:
    user: User = request.getfixturevalue(persona)
    org, role, caps, not_caps = PERSONAS[persona]
    response = login(user).get("/")
    assert response.status_code == 200
    text = main_text(response)
    assert "您好" in text
    assert org in text
    assert role in text
    for cap in caps:
        assert cap in text
    for cap in not_caps:
        assert cap not in text
    body = response.content.decode()
    assert 'class="user-menu"' in body
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_home_groups_several_roles_in_one_organization(city: City) -> None:
    from conftest import make_user

    user = make_user("two-hats", city.committee, Role.COMMUNITY_STAFF)
    org_services.grant_membership(actor=None, user=user, organization=city.dept, role=Role.DEPT_HEAD)
    text = main_text(login(user).get("/"))
    assert text.count("铜霞社区居委会") == 1
    assert "社区工作者" in text and "部门负责人" in text
    assert "签署委托协议" in text  # the department head's capability


@pytest.mark.django_db
def test_home_for_a_user_without_memberships_says_so(city: City) -> None:
    from conftest import make_user

    text = main_text(login(make_user("nobody")).get("/"))
    assert "还没有在任何机构任职" in text


def test_home_links_community_staff_to_the_residents_page(community_director: User, resident: User) -> None:
    residents_url = reverse("orgs:resident_list")
    director_page = login(community_director).get("/").content.decode()
    assert f'href="{residents_url}"' in director_page
    resident_page = login(resident).get("/").content.decode()
    assert f'href="{residents_url}"' not in resident_page


# --- Navigation -------------------------------------------------------------------------------------------


def test_every_navigation_entry_resolves() -> None:
    for item in NAV:
        assert item.url().startswith("/"), item.url_name


def test_navigation_follows_capabilities_and_a_revoked_role_drops_at_once(community_staff: User) -> None:
    client = login(community_staff)
    residents_link = f'href="{reverse("orgs:resident_list")}"'
    assert residents_link in client.get("/directory/").content.decode()
    membership = Membership.objects.get(user=community_staff)
    org_services.revoke_membership(actor=None, membership=membership, reason="test")
    assert residents_link not in client.get("/directory/").content.decode()


def test_current_page_is_marked_in_navigation(client: Client, city: City) -> None:
    body = client.get("/directory/").content.decode()
    assert '<a href="/directory/" aria-current="page">' in body
    assert '<a href="/" aria-current="page">' not in body


# --- Base layout ------------------------------------------------------------------------------------------


def test_signed_in_menu_has_profile_password_and_logout_as_post(dept_clerk: User) -> None:
    body = login(dept_clerk).get("/").content.decode()
    assert f'href="{reverse("core:profile")}"' in body
    assert f'href="{reverse("core:password")}"' in body
    assert f'href="{reverse("core:tokens")}"' in body
    assert re.search(
        rf'<form method="post" action="{reverse("core:logout")}">\s*<input type="hidden" name="csrf', body
    )
    assert "民政经办" in body  # the display name in the menu


@pytest.mark.django_db
def test_skip_link_comes_first_and_targets_main(client: Client) -> None:
    body = client.get("/").content.decode()
    first_link = re.search(r"<a\b[^>]*>", body)
    assert first_link and 'href="#main"' in first_link.group(0)
    assert '<main id="main"' in body


def _pages(city: City, director: User) -> list[tuple[Client, str]]:
    anonymous = Client()
    staff = login(director)
    return [
        (anonymous, "/"),
        (anonymous, "/directory/"),
        (anonymous, reverse("web:directory_community", args=[city.tongxia.pk])),
        (anonymous, reverse("web:directory_org", args=[city.committee.pk])),
        (anonymous, reverse("core:login")),
        (staff, "/"),
        (staff, reverse("orgs:resident_list")),
        (staff, reverse("orgs:resident_detail", args=[city.resident_record.pk])),
        (staff, reverse("core:profile")),
        (staff, reverse("core:password")),
    ]


def test_pages_are_phone_ready_and_csp_clean(city: City, community_director: User) -> None:
    for client, path in _pages(city, community_director):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert viewport(body) == "width=device-width, initial-scale=1", path
        assert inline_code(body) == [], path
        # no CDN: every script and stylesheet comes from this site
        assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', body), path


def test_every_form_field_has_a_label(city: City, community_director: User) -> None:
    for client, path in _pages(city, community_director):
        body = client.get(path).content.decode()
        assert unlabelled_fields(body) == [], path


def test_server_error_page_stands_alone_and_is_bilingual() -> None:
    from django.template.loader import render_to_string

    body = render_to_string("500.html")  # rendered without a request or context processors
    assert "服务器出错" in body and "Server error" in body
    assert viewport(body) == "width=device-width, initial-scale=1"
    assert inline_code(body) == []


def test_stylesheet_is_served_from_our_own_static_files() -> None:
    from django.contrib.staticfiles import finders

    path = finders.find("web/site.css")
    assert path
    css = Path(str(path)).read_text(encoding="utf-8")
    assert ":focus-visible" in css  # visible focus
    assert "@media (max-width: 40rem)" in css  # tables reflow on phones
    assert re.search(r"body\s*\{[^}]*font-size:\s*1\.0625rem", css)  # 17 px body text
    assert "@import" not in css and "url(http" not in css


# --- Language ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_chinese_by_default_even_for_an_english_browser(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    body = response.content.decode()
    assert '<html lang="zh-Hans">' in body
    assert "社区与部门名录" in body
    assert response["Content-Language"] == "zh-hans"


def test_english_switch_renders_english(client: Client, city: City) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/directory/"})
    assert response.status_code == 302
    assert response["Location"] == "/directory/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    body = html.unescape(client.get("/directory/").content.decode())
    assert '<html lang="en">' in body
    assert "Directory of communities and departments" in body
    assert "City departments" in body
    assert "社区与部门名录" not in body
    assert "铜陵市民政局" in body  # names are data, not translated
    home = html.unescape(client.get("/").content.decode())
    assert "Six mechanisms" in home and "Two-way evaluation" in home
    # and back to Chinese
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "六项机制" in client.get("/").content.decode()


def test_english_home_for_a_signed_in_user(dept_clerk: User) -> None:
    client = login(dept_clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = main_text(client.get("/"))
    assert "Hello, 民政经办" in text
    assert "Department clerk" in text
    assert "File admission requests for community tasks" in text


def test_language_switch_is_a_form_that_works_without_javascript(client: Client, city: City) -> None:
    body = client.get("/directory/").content.decode()
    form = re.search(r'<form class="lang" action="([^"]+)" method="post".*?</form>', body, re.S)
    assert form and form.group(1) == reverse("set_language")
    assert 'name="next" value="/directory/"' in form.group(0)
    assert 'name="language" value="en"' in form.group(0)
    assert 'name="language" value="zh-hans"' in form.group(0)
    assert 'name="csrfmiddlewaretoken"' in form.group(0)


def test_unknown_language_is_ignored(client: Client, city: City) -> None:
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    assert "社区与部门名录" in client.get("/").content.decode()


def test_forged_language_cookie_falls_back_to_chinese(client: Client, city: City) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert '<html lang="zh-Hans">' in client.get("/").content.decode()


def test_language_switch_requires_csrf(city: City) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 403


# --- Directory --------------------------------------------------------------------------------------------


def _furnish(city: City) -> dict[str, Organization]:
    s = org_services
    party = s.create_organization(actor=None, name="铜霞社区党委", kind=OrgKind.PARTY, region=city.tongxia)
    centre = s.create_organization(
        actor=None, name="铜霞社区服务中心", kind=OrgKind.SERVICE_CENTRE, region=city.tongxia, is_sample=True
    )
    company = s.create_organization(
        actor=None,
        name="铜都物业公司",
        kind=OrgKind.PROPERTY_COMPANY,
        region=city.district,
        office_phone="0562-1234567",
        address="长江路1号",
        description="示范物业服务企业",
    )
    hoa = s.create_organization(
        actor=None, name="铜霞花园业委会", kind=OrgKind.HOMEOWNERS, region=city.tongxia
    )
    s.create_estate(
        actor=None,
        name="铜霞花园",
        community=city.tongxia,
        property_company=company,
        homeowners_committee=hoa,
        is_sample=True,
    )
    return {"party": party, "centre": centre, "company": company, "hoa": hoa}


def test_directory_is_public_and_lists_communities_and_departments(client: Client, city: City) -> None:
    _furnish(city)
    response = client.get("/directory/")
    assert response.status_code == 200
    text = main_text(response)
    for name in (
        "铜陵市",
        "铜官区",
        "铜霞社区",
        "狮子山社区",
        "铜霞社区居委会",
        "铜霞社区党委",
        "铜霞社区服务中心",
        "铜霞花园",
        "铜都物业公司",
        "铜霞花园业委会",
        "铜陵市民政局",
        "铜陵市统计局",
        "深改办",
        "第三方评估组",
    ):
        assert name in text, name
    assert "示例" in text  # the sample service centre and estate are marked
    assert "平台运维组" not in text  # not a public body
    assert "张三" not in text and "13800138000" not in text  # no residents


@pytest.mark.django_db
def test_directory_runs_a_fixed_number_of_queries(
    client: Client, city: City, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):
        assert client.get("/directory/").status_code == 200
    s = org_services
    for n in range(6):
        community = s.create_region(
            actor=None,
            name=f"示例社区{n}",
            kind="community",
            code=f"3407059{n:02d}",
            parent=city.district,
            is_sample=True,
        )
        s.create_organization(actor=None, name=f"示例社区{n}居委会", kind=OrgKind.COMMITTEE, region=community)
        company = s.create_organization(
            actor=None, name=f"示例物业{n}", kind=OrgKind.PROPERTY_COMPANY, region=community
        )
        hoa = s.create_organization(
            actor=None, name=f"示例业委会{n}", kind=OrgKind.HOMEOWNERS, region=community
        )
        s.create_estate(
            actor=None,
            name=f"示例小区{n}",
            community=community,
            property_company=company,
            homeowners_committee=hoa,
        )
    with django_assert_max_num_queries(3):
        response = client.get("/directory/")
    assert "示例小区5" in response.content.decode()


def test_community_page_shows_its_bodies_and_estates(client: Client, city: City) -> None:
    orgs = _furnish(city)
    response = client.get(reverse("web:directory_community", args=[city.tongxia.pk]))
    assert response.status_code == 200
    text = main_text(response)
    for name in (
        "铜霞社区居委会",
        "铜霞社区党委",
        "铜霞社区服务中心",
        "铜霞花园",
        "铜都物业公司",
        "铜霞花园业委会",
    ):
        assert name in text
    assert "狮子山" not in text
    assert f'href="{reverse("web:directory_org", args=[orgs["company"].pk])}"' in response.content.decode()


def test_community_page_answers_404_for_other_regions(client: Client, city: City) -> None:
    assert client.get(reverse("web:directory_community", args=[city.district.pk])).status_code == 404
    assert client.get(reverse("web:directory_community", args=[999999])).status_code == 404
    assert client.get("/directory/community/abc/").status_code == 404


def test_organization_page_shows_public_fields_only(client: Client, city: City) -> None:
    orgs = _furnish(city)
    response = client.get(reverse("web:directory_org", args=[orgs["company"].pk]))
    assert response.status_code == 200
    text = main_text(response)
    for value in (
        "铜都物业公司",
        "物业服务企业",
        "铜官区",
        "长江路1号",
        "0562-1234567",
        "示范物业服务企业",
        "铜霞花园",
    ):
        assert value in text
    centre = client.get(reverse("web:directory_org", args=[orgs["centre"].pk]))
    assert "示例" in main_text(centre)


def test_organization_page_answers_404_for_hidden_or_unknown(client: Client, city: City) -> None:
    assert client.get(reverse("web:directory_org", args=[city.platform.pk])).status_code == 404
    Organization.objects.filter(pk=city.other_dept.pk).update(is_active=False)
    assert client.get(reverse("web:directory_org", args=[city.other_dept.pk])).status_code == 404
    assert client.get(reverse("web:directory_org", args=[999999])).status_code == 404
    assert client.get(reverse("web:directory_org", args=[city.dept.pk])).status_code == 200


def test_public_pages_are_read_only(client: Client, city: City) -> None:
    for path in ("/", "/directory/", reverse("web:directory_community", args=[city.tongxia.pk])):
        assert client.post(path).status_code == 405, path
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/directory/").status_code == 403  # CSRF first: nothing unsafe gets through
