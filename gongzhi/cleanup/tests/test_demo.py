"""The clean-up demo: a realistic before/after at 铜霞社区 (sample numbers), idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from gongzhi.cleanup import demo, queries
from gongzhi.cleanup.models import Campaign, CarriedTask, Plaque, PlaqueReview
from gongzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.GONGZHI_DEMO_PASSWORD = "Demo-pass-2026"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def test_demo_before_after_and_idempotent(demo_settings):
    call_command("load_demo", only=["orgs", "duties", "cleanup"], stdout=StringIO())
    closed = Campaign.objects.filter(status="closed")
    assert set(closed.values_list("title", flat=True)) == {demo.TASK_CAMPAIGN, demo.PLAQUE_PILOT}
    assert Campaign.objects.get(title=demo.PLAQUE_CAMPAIGN).status == "review"
    assert all(c.is_sample for c in Campaign.objects.all())
    tasks = queries.campaign_counts(Campaign.objects.get(title=demo.TASK_CAMPAIGN))
    tongxia = next(r for r in tasks.communities if r.label == "铜霞社区")
    assert tongxia.before == sum(len(v) for v in demo.TASKS.values()) == 124
    assert tongxia.after < 60  # far fewer after: only statutory and assisting work stays
    assert tongxia.decided == tongxia.before
    assert CarriedTask.objects.filter(decision="keep_assisting").exists()
    assert CarriedTask.objects.filter(decision__in=["to_centre", "to_social_org"]).exists()
    pilot = queries.campaign_counts(Campaign.objects.get(title=demo.PLAQUE_PILOT))
    assert (pilot.total.before, pilot.total.after) == (15, 7)
    assert pilot.confirmed == pilot.removals == 8
    assert Plaque.objects.filter(community__name="铜霞社区", status="active").count() == 7
    assert not PlaqueReview.objects.filter(campaign__title=demo.PLAQUE_CAMPAIGN).exclude(decision="").exists()
    board = queries.region_dashboard(Campaign.objects.get(title=demo.TASK_CAMPAIGN).scope)
    assert board.total.tasks_before == CarriedTask.objects.count()
    rows = (
        CarriedTask.objects.count(),
        Plaque.objects.count(),
        Campaign.objects.count(),
        AuditEntry.objects.count(),
    )
    call_command("load_demo", only=["orgs", "duties", "cleanup"], stdout=StringIO())
    assert (
        CarriedTask.objects.count(),
        Plaque.objects.count(),
        Campaign.objects.count(),
        AuditEntry.objects.count(),
    ) == rows
