"""Fixtures of the clean-up tests: uploaded files go to a temporary directory, the sample lists are published (so
that the matcher classifies), the allowed set is configured, and small images and workbooks are at hand."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from gongzhi.cleanup import demo as cleanup_demo
from gongzhi.cleanup import services
from gongzhi.cleanup.models import AllowedPlaque, Campaign
from gongzhi.core.roles import OrgKind, Role
from gongzhi.duties import demo as duties_demo
from gongzhi.orgs import services as org_services

PNG = cleanup_demo.tiny_png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def lists(city: Any) -> None:
    """The sample editions (city and 铜官区) published, so that the matcher has lists to judge against."""
    duties_demo.load(actor=None)


@pytest.fixture
def allowed(city: Any) -> list[AllowedPlaque]:
    return [
        services.add_allowed_plaque(
            actor=None, region=city.city, name=name, placement=placement, kind=kind, keywords=keywords
        )
        for name, placement, kind, keywords in cleanup_demo.ALLOWED
    ]


@pytest.fixture
def centre(city: Any) -> Any:
    return org_services.create_organization(
        actor=None, name="铜霞社区服务中心", kind=OrgKind.SERVICE_CENTRE, region=city.tongxia
    )


@pytest.fixture
def dept_head_other(city: Any) -> Any:
    """A clerk of the other department (统计局)."""
    from conftest import make_user

    return make_user("stats", city.other_dept, Role.DEPT_CLERK)


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def workbook(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header or ["事项名称", "交办部门", "内容说明", "依据", "每月报表(份)"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def task_campaign(officer: Any, scope: Any, *, to: str = Campaign.Status.INVENTORY) -> Campaign:
    campaign = services.create_campaign(actor=officer, kind=Campaign.Kind.TASKS, title="减事务", scope=scope)
    paths: dict[str, list[str]] = {
        "draft": [],
        "inventory": ["inventory"],
        "review": ["inventory", "review"],
    }
    path = paths[to]
    for step in path:
        services.move_campaign(actor=officer, campaign=campaign, to=step)
    return campaign


def plaque_campaign(officer: Any, scope: Any) -> Campaign:
    return services.create_campaign(actor=officer, kind=Campaign.Kind.PLAQUES, title="减牌子", scope=scope)
