"""Evaluation fixtures: 铜霞社区 dealt with 民政局 in 2026 (an admitted task), so its committee may rate that
department; 统计局 had no dealings with it."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from conftest import City
from gongzhi.evaluations.tests.helpers import admit


@pytest.fixture(autouse=True)
def _dealings(city: City) -> None:
    admit(city, city.tongxia, city.dept)


@pytest.fixture(autouse=True)
def _no_cached_results() -> None:
    # the public results of a published cycle are cached by cycle id and publication time; a test's rolled-back
    # cycle may share both with another test's (a frozen clock, a reused id)
    cache.clear()
