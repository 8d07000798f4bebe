"""Fixtures of the funds tests: 民政局's 2026 budget (funded with 1,000,000.00 yuan by its finance) and the
铜霞 committee's community account."""

from __future__ import annotations

from typing import Any

import pytest

from gongzhi.funds import services
from gongzhi.funds.models import Account

FUNDED = 100_000_000  # fen = 1,000,000.00 yuan


@pytest.fixture
def budget(city: Any, dept_finance: Any) -> Account:
    account = services.ensure_account(actor=dept_finance, organization=city.dept, kind="budget", year=2026)
    services.fund_budget(actor=dept_finance, account=account, amount=FUNDED, memo="2026年度协助事项经费")
    account.refresh_from_db()
    return account


@pytest.fixture
def community_account(city: Any) -> Account:
    return services.ensure_account(actor=None, organization=city.committee, kind="community")


@pytest.fixture
def other_community_account(city: Any) -> Account:
    return services.ensure_account(actor=None, organization=city.other_committee, kind="community")


def fresh(account: Account) -> Account:
    account.refresh_from_db()
    return account
