"""The panel's review pages stay bounded at city scale (one direction at a time, a page of subjects, each
subject's evidence on its own page), and while rating is open they list the subjects with the ratings so far."""

from __future__ import annotations

import pytest

from conftest import login
from gongzhi.evaluations import services, views
from gongzhi.evaluations.tests.helpers import make_cycle

pytestmark = pytest.mark.django_db


def test_review_pages_one_direction_a_page_at_a_time(city, approval_officer, panel_member, monkeypatch):
    monkeypatch.setattr(views, "REVIEW_PAGE_SIZE", 1)
    cycle = make_cycle(city, approval_officer)
    services.move_cycle(actor=approval_officer, cycle=cycle, to="open")
    panel = login(panel_member)
    base = f"/evaluations/cycles/{cycle.pk}/review/"

    # open: nothing computed yet, the communities are listed (their pages show the ratings so far)
    page = panel.get(base)
    assert page.status_code == 200
    text = page.content.decode()
    assert f'href="{base}community/{city.tongxia.pk}/"' in text
    assert "狮子山社区" not in text  # one subject a page here: it is on page 2
    assert "page=2" in text

    services.move_cycle(actor=approval_officer, cycle=cycle, to="reviewing")
    # in review the list is ranked by total: one community on each page, page 2 linking back
    first = panel.get(base, {"direction": "community"}).content.decode()
    second = panel.get(base, {"direction": "community", "page": "2"}).content.decode()
    assert 'rel="prev"' in second and 'rel="next"' in first
    for community in (city.tongxia, city.shizishan):
        link = f'href="{base}community/{community.pk}/"'
        assert (link in first) != (link in second)
    # the name search narrows the list
    found = panel.get(base, {"direction": "community", "q": "狮子山"}).content.decode()
    assert "狮子山社区" in found and f"{base}community/{city.tongxia.pk}/" not in found
    # the department tab
    assert "铜陵市民政局" in panel.get(base, {"direction": "department"}).content.decode()

    # a subject's page: its scores with their evidence and the adjustment forms (the panel, in review)
    detail = panel.get(f"{base}community/{city.tongxia.pk}/").content.decode()
    assert "铜霞社区" in detail and "/adjust/" in detail and "协议事项数" in detail
    # not a subject of the cycle, or not a direction
    assert panel.get(f"{base}community/{city.dept.pk + 10_000}/").status_code == 404
    assert panel.get(f"{base}nowhere/{city.tongxia.pk}/").status_code == 404
    # the office sees the evidence but has no adjustment form
    office_view = login(approval_officer).get(f"{base}community/{city.tongxia.pk}/").content.decode()
    assert "协议事项数" in office_view and "/adjust/" not in office_view
