"""The funds demo: after the Tongling organizations, every department has a funded 2026 budget (sample amounts,
labelled), every committee a community and an escrow account, every service body an account; loading again adds
nothing; the ledger verifies."""

from __future__ import annotations

import pytest

from gongzhi.core.roles import OrgKind
from gongzhi.funds import demo
from gongzhi.funds.models import Account, Transfer
from gongzhi.funds.queries import verify_ledger
from gongzhi.orgs import demo as orgs_demo
from gongzhi.orgs.models import Organization

pytestmark = pytest.mark.django_db


def test_demo_funds_the_2026_budgets_once():
    orgs_demo.load(actor=None)
    first = demo.load(actor=None)
    departments = Organization.objects.filter(kind=OrgKind.DEPARTMENT)
    assert first["budgets"] == departments.count() >= 10
    minzheng = Account.objects.get(organization__short_name="民政局", kind="budget", year=2026)
    assert minzheng.balance == 1_200_000 * 100 and minzheng.is_sample
    assert all(t.memo == demo.MEMO and "示例" in t.memo for t in Transfer.objects.all())
    committees = Organization.objects.filter(kind=OrgKind.COMMITTEE).count()
    assert Account.objects.filter(kind="community").count() == committees
    assert Account.objects.filter(kind="escrow").count() == committees
    assert (
        Account.objects.filter(kind="service").count()
        == Organization.objects.filter(kind__in=(OrgKind.SERVICE_CENTRE, OrgKind.SOCIAL_ORG)).count()
    )
    again = demo.load(actor=None)
    assert again == first
    assert verify_ledger().ok
