"""Plaque clean-up (减牌子): the registry with photos (type by content, ≤10 MB, UUID names, permission-checked
downloads), suggestions from the city's allowed set, decisions, and removals confirmed with a photo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import login
from gongzhi.cleanup import queries, services
from gongzhi.cleanup.models import Campaign, Plaque, PlaqueReview
from gongzhi.cleanup.tests.conftest import JPEG, PNG, plaque_campaign, png
from gongzhi.cleanup.uploads import MAX_PHOTO_BYTES
from gongzhi.core.errors import Conflict, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _register(client: Any, city: Any, **extra: Any) -> Any:
    data = {"community": city.tongxia.pk, "name": "铜霞社区居民委员会", "placement": "outside", **extra}
    return client.post(reverse("cleanup:plaque_add"), data)


def test_staff_register_a_plaque_with_a_photo_stored_under_a_uuid(city, community_staff, settings):
    photo = SimpleUploadedFile("../../etc/passwd.png", PNG, content_type="text/html")
    response = _register(
        login(community_staff), city, issuer=city.dept.pk, photo=photo, placed_on="2019-05-01"
    )
    assert response.status_code == 302
    plaque = Plaque.objects.get()
    assert plaque.issuer == city.dept
    assert plaque.photo_type == "image/png"
    stored = Path(plaque.photo.name)
    assert stored.parent.name == "cleanup"
    assert len(stored.stem) == 32 and stored.suffix == ".png"
    assert (Path(settings.MEDIA_ROOT) / plaque.photo.name).read_bytes() == PNG
    assert AuditEntry.objects.filter(action="cleanup.plaque.register", target_id=str(plaque.pk)).count() == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("evil.jpg", b"<html><script>alert(1)</script></html>"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("shell.php.jpg", b"<?php system($_GET['c']); ?>"),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00"),
    ],
)
def test_photos_are_judged_by_content(city, community_staff, name, content):
    response = _register(
        login(community_staff), city, photo=SimpleUploadedFile(name, content, content_type="image/jpeg")
    )
    assert response.status_code == 422
    assert not Plaque.objects.exists()


def test_a_photo_over_10_mb_is_refused(city, community_staff):
    big = SimpleUploadedFile("big.jpg", JPEG + b"\0" * MAX_PHOTO_BYTES, content_type="image/jpeg")
    with pytest.raises(ValidationFailed) as caught:
        services.register_plaque(
            actor=community_staff, community=city.tongxia, name="x", placement="inside", photo=big
        )
    assert caught.value.fields == {"photo": "too_large"}
    assert not Plaque.objects.exists()


def test_photo_download_is_permission_checked(
    city, community_staff, outsider, dept_clerk, approval_officer, resident
):
    plaque = services.register_plaque(
        actor=community_staff,
        community=city.tongxia,
        name="牌",
        placement="inside",
        issuer=city.dept,
        photo=png(),
    )
    url = reverse("cleanup:plaque_photo", args=[plaque.pk])
    for user in (community_staff, dept_clerk, approval_officer):
        response = login(user).get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert body == PNG
    for user in (outsider, resident):
        assert login(user).get(url).status_code == 404
    assert login(outsider).get(f"/api/cleanup/plaques/{plaque.pk}/photo").status_code == 404
    assert login(approval_officer).get(f"/api/cleanup/plaques/{plaque.pk}/photo").status_code == 200


def test_replacing_a_photo(city, community_staff, outsider):
    plaque = services.register_plaque(
        actor=community_staff, community=city.tongxia, name="牌", placement="inside"
    )
    url = reverse("cleanup:plaque_photo_upload", args=[plaque.pk])
    assert login(outsider).post(url, {"photo": png()}).status_code == 404
    assert (
        login(community_staff).post(url, {"photo": SimpleUploadedFile("x.png", b"nope")}).status_code == 422
    )
    assert login(community_staff).post(url, {"photo": png()}).status_code == 302
    plaque.refresh_from_db()
    assert plaque.photo


def test_outsiders_cannot_register_at_another_community(city, outsider):
    response = _register(login(outsider), city)
    assert response.status_code == 422  # 铜霞 is not among the communities offered to them
    with pytest.raises(PermissionDenied):
        services.register_plaque(actor=outsider, community=city.tongxia, name="x", placement="outside")
    api = login(outsider).post(
        "/api/cleanup/plaques",
        {"community_id": city.tongxia.pk, "name": "x", "placement": "outside"},
        content_type="application/json",
        headers={"Idempotency-Key": "p1"},
    )
    assert api.status_code == 403
    assert not Plaque.objects.exists()


def test_api_refuses_extra_fields(city, community_staff):
    response = login(community_staff).post(
        "/api/cleanup/plaques",
        {"community_id": city.tongxia.pk, "name": "x", "placement": "outside", "status": "removed"},
        content_type="application/json",
        headers={"Idempotency-Key": "p2"},
    )
    assert response.status_code == 422
    assert not Plaque.objects.exists()


def _plaques(city: Any, staff: Any) -> dict[str, Plaque]:
    rows = [
        ("中共铜霞社区委员会", "outside"),
        ("铜霞社区居民委员会", "outside"),
        ("铜霞社区新时代文明实践站", "outside"),  # allowed inside only
        ("新时代文明实践站", "inside"),
        ("社区组织架构图", "inside"),  # banned board
        ("社区老年学校", "outside"),  # not in the allowed set
    ]
    return {
        name: services.register_plaque(actor=staff, community=city.tongxia, name=name, placement=placement)
        for name, placement in rows
    }


def test_suggestions_follow_the_allowed_set(city, approval_officer, community_staff, allowed):
    plaques = _plaques(city, community_staff)
    campaign = plaque_campaign(approval_officer, city.district)
    services.move_campaign(actor=approval_officer, campaign=campaign, to="inventory")
    assert not campaign.plaque_reviews.exists()
    services.move_campaign(actor=approval_officer, campaign=campaign, to="review")
    suggestions = {r.plaque.name: (r.suggestion, r.suggestion_reason) for r in campaign.plaque_reviews.all()}
    assert {n: s for n, (s, _r) in suggestions.items()} == {
        "中共铜霞社区委员会": "keep",
        "铜霞社区居民委员会": "keep",
        "铜霞社区新时代文明实践站": "remove",
        "新时代文明实践站": "keep",
        "社区组织架构图": "remove",
        "社区老年学校": "remove",
    }
    assert "室内" in suggestions["铜霞社区新时代文明实践站"][1]
    assert "不准上墙" in suggestions["社区组织架构图"][1]
    assert len(plaques) == 6


def test_full_plaque_campaign_with_confirmed_removals(
    city, approval_officer, community_staff, outsider, allowed
):
    _plaques(city, community_staff)
    campaign = plaque_campaign(approval_officer, city.district)
    for to in ("inventory", "review"):
        services.move_campaign(actor=approval_officer, campaign=campaign, to=to)
    officer = login(approval_officer)
    school = campaign.plaque_reviews.get(plaque__name="社区老年学校")
    # Keeping against the suggestion needs a reason; the page shows the error and changes nothing.
    officer.post(reverse("cleanup:review_decide", args=[school.pk]), {"decision": "keep"})
    school.refresh_from_db()
    assert school.decision == ""
    officer.post(
        reverse("cleanup:review_decide", args=[school.pk]), {"decision": "keep", "reason": "居民常用"}
    )
    school.refresh_from_db()
    assert (school.decision, school.reason) == ("keep", "居民常用")
    assert officer.post(reverse("cleanup:campaign_accept", args=[campaign.pk])).status_code == 302
    assert not campaign.plaque_reviews.filter(decision="").exists()
    services.move_campaign(actor=approval_officer, campaign=campaign, to="execution")
    # Closing waits for every removal to be confirmed.
    with pytest.raises(Conflict):
        services.move_campaign(actor=approval_officer, campaign=campaign, to="closed")
    removals = list(campaign.plaque_reviews.filter(decision="remove"))
    assert len(removals) == 2  # the school is kept by decision
    first = removals[0]
    url = reverse("cleanup:review_confirm", args=[first.pk])
    assert login(outsider).post(url, {"photo": png()}).status_code == 404
    assert login(approval_officer).get(url).status_code == 404  # the office decides, the community confirms
    staff = login(community_staff)
    assert staff.get(url).status_code == 200
    assert staff.post(url, {}).status_code == 422  # the photo is required
    assert staff.post(url, {"photo": SimpleUploadedFile("x.jpg", b"<html>")}).status_code == 422
    assert staff.post(url, {"photo": png()}).status_code == 302
    first.refresh_from_db()
    assert first.confirmed_by == community_staff and first.removal_photo
    assert Plaque.objects.get(pk=first.plaque_id).status == "removed"
    assert (
        AuditEntry.objects.filter(action="cleanup.plaque.removed", target_id=str(first.plaque_id)).count()
        == 1
    )
    # Confirming twice is a conflict.
    with pytest.raises(Conflict):
        services.confirm_plaque_removal(actor=community_staff, review=first, photo=png())
    # A kept plaque cannot be "confirmed removed".
    with pytest.raises(Conflict):
        services.confirm_plaque_removal(actor=community_staff, review=school, photo=png())
    photo = staff.get(reverse("cleanup:review_photo", args=[first.pk]))
    assert photo.status_code == 200 and photo["X-Content-Type-Options"] == "nosniff"
    assert login(outsider).get(reverse("cleanup:review_photo", args=[first.pk])).status_code == 404
    for review in removals[1:]:
        api = staff.post(f"/api/cleanup/reviews/{review.pk}/confirmation", {"photo": png()})
        assert api.status_code == 200, api.content
    services.move_campaign(actor=approval_officer, campaign=campaign, to="closed")
    counts = queries.campaign_counts(campaign)
    assert (counts.total.before, counts.total.after, counts.removals, counts.confirmed) == (6, 4, 2, 2)
    assert counts.progress_percent == 100
    assert Plaque.objects.filter(community=city.tongxia, status="active").count() == 4


def test_decisions_only_in_review(city, approval_officer, community_staff, allowed):
    _plaques(city, community_staff)
    campaign = plaque_campaign(approval_officer, city.district)
    for to in ("inventory", "review"):
        services.move_campaign(actor=approval_officer, campaign=campaign, to=to)
    review = campaign.plaque_reviews.first()
    assert review is not None
    services.accept_plaque_suggestions(actor=approval_officer, campaign=campaign)
    services.move_campaign(actor=approval_officer, campaign=campaign, to="execution")
    response = login(approval_officer).post(
        f"/api/cleanup/reviews/{review.pk}/decision",
        {"decision": "keep", "reason": "r"},
        content_type="application/json",
    )
    assert response.status_code == 409
    with pytest.raises(PermissionDenied):
        services.decide_plaque(actor=community_staff, review=review, decision="keep", reason="r")


def test_allowed_set_page(city, approval_officer, community_staff):
    client = login(approval_officer)
    response = client.post(
        reverse("cleanup:allowed_list"),
        {"name": "社区党组织", "placement": "outside", "kind": "allowed", "keywords": "中共"},
    )
    assert response.status_code == 302
    again = client.post(
        reverse("cleanup:allowed_list"), {"name": "社区党组织", "placement": "outside", "kind": "allowed"}
    )
    assert again.status_code == 409
    entry = city.city.allowed_plaques.get()
    assert login(community_staff).post(reverse("cleanup:allowed_remove", args=[entry.pk])).status_code == 404
    assert client.post(reverse("cleanup:allowed_remove", args=[entry.pk])).status_code == 302
    assert not city.city.allowed_plaques.exists()


def test_plaque_review_is_not_created_twice(city, approval_officer, community_staff, allowed):
    _plaques(city, community_staff)
    campaign = plaque_campaign(approval_officer, city.district)
    for to in ("inventory", "review", "inventory", "review"):
        services.move_campaign(actor=approval_officer, campaign=campaign, to=to)
    assert PlaqueReview.objects.filter(campaign=campaign).count() == 6
    assert Campaign.objects.get(pk=campaign.pk).status == "review"


def test_a_plaque_hung_under_an_admitted_plaque_request_is_kept(
    city, approval_officer, community_staff, allowed
):
    from datetime import date

    from django.utils import timezone

    from gongzhi.admissions.models import AdmittedTask, TaskRequest

    def request(kind: str, status: str) -> TaskRequest:
        req = TaskRequest.objects.create(
            department=city.dept,
            title=f"{kind} {status}",
            description="d",
            kind=kind,
            starts_on=date(2026, 5, 1),
            status=status,
            created_by=approval_officer,
        )
        AdmittedTask.objects.create(
            request=req,
            community=city.tongxia,
            department=city.dept,
            title=req.title,
            kind=kind,
            starts_on=req.starts_on,
            admitted_at=timezone.now(),
        )
        return req

    admitted = request("plaque", "approved")
    for bad in (request("ongoing", "approved"), request("plaque", "under_review")):
        with pytest.raises(ValidationFailed):
            services.register_plaque(
                actor=community_staff, community=city.tongxia, name="x", placement="inside", task_request=bad
            )
    form = login(community_staff).get(reverse("cleanup:plaque_add"))
    offered = list(form.context["form"].fields["task_request"].queryset)
    assert offered == [admitted]
    response = _register(login(community_staff), city, name="社区养老服务站", task_request=admitted.pk)
    assert response.status_code == 302
    plaque = Plaque.objects.get(name="社区养老服务站")
    assert plaque.task_request == admitted
    campaign = plaque_campaign(approval_officer, city.district)
    for to in ("inventory", "review"):
        services.move_campaign(actor=approval_officer, campaign=campaign, to=to)
    review = campaign.plaque_reviews.get(plaque=plaque)
    assert review.suggestion == "keep"
    assert f"#{admitted.pk}" in review.suggestion_reason
