"""The working-day calendar page and API: the approval office lists the years with their source and enters or
replaces a year's holidays and make-up working days; others are refused."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from conftest import login
from gongzhi.core import workdays
from gongzhi.core.models import AuditEntry, CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


def test_office_sees_years_with_their_source(city, approval_officer):
    response = login(approval_officer).get(reverse("cleanup:calendar"))
    assert response.status_code == 200
    years = {y["year"]: y["source"] for y in response.context["years"]}
    assert years[2026] == "package"
    this_year = date.today().year
    # Years without data (this one or the next) are named on the page; they are the ones missing from the list.
    assert set(response.context["missing"]) == {y for y in (this_year, this_year + 1) if y not in years}
    for year in response.context["missing"]:
        assert str(year) in response.content.decode()


def test_office_enters_a_year_and_deadlines_use_it(city, approval_officer):
    client = login(approval_officer)
    response = client.post(
        reverse("cleanup:calendar"),
        {
            "year": 2028,
            "source": "国办发明电〔2027〕7号",
            "holidays": "2028-01-03 元旦\n2028-01-26 春节\n2028-01-27 春节",
            "workdays": "2028-01-22 春节调休",
        },
    )
    assert response.status_code == 302
    entry = CalendarYear.objects.get(year=2028)
    assert not entry.assumed
    assert CalendarDay.objects.filter(year=entry).count() == 4
    end, cal = workdays.add_workdays(date(2028, 1, 21), 2)  # Fri → Sat 22 (make-up) → Mon 24
    assert end == date(2028, 1, 24)
    assert cal.fallback_years == []
    assert AuditEntry.objects.filter(action="core.calendar.enter", data__year=2028).count() == 1
    page = client.get(reverse("cleanup:calendar"))
    assert {y["year"]: y["source"] for y in page.context["years"]}[2028] == "table"
    # Replacing the year through the API, now marked as assumed.
    api = client.put(
        "/api/cleanup/calendar/years/2028",
        {"assumed": True, "source": "暂定", "holidays": [{"date": "2028-01-03", "name": "元旦"}]},
        content_type="application/json",
    )
    assert api.status_code == 200
    assert api.json() == {"year": 2028, "source": "assumed", "holidays": 1, "workdays": 0, "basis": "暂定"}
    assert CalendarDay.objects.filter(year__year=2028).count() == 1


@pytest.mark.parametrize(
    "holidays",
    ["2028-13-01 坏日期", "2027-12-31 不在本年", "2028-01-03 元旦\n2028-01-03 重复"],
)
def test_bad_schedules_change_nothing(city, approval_officer, holidays):
    response = login(approval_officer).post(reverse("cleanup:calendar"), {"year": 2028, "holidays": holidays})
    assert response.status_code == 422
    assert not CalendarYear.objects.filter(year=2028).exists()


def test_api_refuses_days_outside_the_year(city, approval_officer):
    response = login(approval_officer).put(
        "/api/cleanup/calendar/years/2028",
        {"holidays": [{"date": "2029-01-01", "name": "x"}]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not CalendarYear.objects.filter(year=2028).exists()


def test_who_may_see_and_enter(city, authority_member, community_director, dept_clerk):
    assert login(authority_member).get(reverse("cleanup:calendar")).status_code == 200
    assert login(authority_member).post(reverse("cleanup:calendar"), {"year": 2028}).status_code == 404
    put = login(authority_member).put(
        "/api/cleanup/calendar/years/2028", {"holidays": []}, content_type="application/json"
    )
    assert put.status_code == 403
    for user in (community_director, dept_clerk):
        assert login(user).get(reverse("cleanup:calendar")).status_code == 404
        assert login(user).get("/api/cleanup/calendar/years").status_code == 404
    assert not CalendarYear.objects.filter(year=2028).exists()
