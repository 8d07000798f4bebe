from datetime import date

import pytest
from django.db import IntegrityError, transaction

from gongzhi.core.audit import verify_chain
from gongzhi.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry
from gongzhi.core.roles import OrgKind, Role
from gongzhi.duties import demo, permissions, sample, services
from gongzhi.duties.models import ListEdition, ListItem
from gongzhi.duties.tests.helpers import edition, item
from gongzhi.orgs import services as org_services


def test_publishing_supersedes_the_current_edition_in_one_step(city, approval_officer):
    first = edition(city.city, publish=True, effective_from=date(2020, 1, 1))
    second = edition(city.city, [item("S-01"), item("S-02")], effective_from=date(2024, 1, 1))
    before = AuditEntry.objects.count()
    services.publish_edition(actor=approval_officer, edition=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == "published" and second.published_by == approval_officer
    assert first.status == "superseded" and first.superseded_at == second.published_at
    assert first.effective_to == date(2023, 12, 31)
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)[before:])
    assert actions == ["duties.edition.supersede", "duties.edition.publish"]
    assert verify_chain()[1] is None


def test_one_published_edition_per_scope_is_a_database_constraint(city):
    edition(city.city, publish=True)
    other = edition(city.city)
    with pytest.raises(IntegrityError), transaction.atomic():
        ListEdition.objects.filter(pk=other.pk).update(status="published")
    # a district's edition is another scope: both may be current
    district = edition(city.district, publish=True)
    assert district.status == "published"
    assert ListEdition.objects.filter(status="published").count() == 2


def test_only_drafts_change(city):
    ed = edition(city.city, publish=True)
    it = ed.items.get()
    data = services.EditionData(title="新标题", effective_from=date(2024, 1, 1))
    for call in (
        lambda: services.update_edition(actor=None, edition=ed, data=data),
        lambda: services.add_item(actor=None, edition=ed, data=item("S-09")),
        lambda: services.update_item(actor=None, item=it, data=item("S-01", title="改")),
        lambda: services.delete_item(actor=None, item=it),
        lambda: services.delete_draft(actor=None, edition=ed),
    ):
        with pytest.raises(Conflict) as info:
            call()
        assert info.value.status == 409
    with pytest.raises(InvalidTransition):
        services.publish_edition(actor=None, edition=ed)
    ed.refresh_from_db()
    assert ed.title == "测试清单" and list(ed.items.values_list("title", flat=True)) == ["事项S-01"]


def test_publish_needs_items_and_a_start_date(city):
    empty = edition(city.city, [])
    with pytest.raises(ValidationFailed):
        services.publish_edition(actor=None, edition=empty)
    undated = services.create_edition_with_items(
        actor=None, scope=city.city, data=services.EditionData(title="x"), items=[item("S-01")]
    )
    with pytest.raises(ValidationFailed) as info:
        services.publish_edition(actor=None, edition=undated)
    assert "effective_from" in info.value.fields
    assert not ListEdition.objects.filter(status="published").exists()


def test_only_list_editors_of_the_scope_write(
    city, approval_officer, dept_clerk, community_director, authority_member, platform_admin
):
    ed = edition(city.city)
    for user in (dept_clerk, community_director, authority_member, platform_admin):
        with pytest.raises(PermissionDenied):
            services.add_item(actor=user, edition=ed, data=item("S-02"))
        with pytest.raises(PermissionDenied):
            services.publish_edition(actor=user, edition=ed)
        with pytest.raises(PermissionDenied):
            services.create_edition(actor=user, scope=city.city, data=services.EditionData(title="x"))
    services.add_item(actor=approval_officer, edition=ed, data=item("S-02"))
    assert ed.items.count() == 2
    # the city office edits its districts' lists too, but a community is not a list scope
    assert permissions.can_edit_scope(approval_officer, city.district)
    assert not permissions.can_edit_scope(approval_officer, city.tongxia)
    with pytest.raises(PermissionDenied):
        services.create_edition(
            actor=approval_officer, scope=city.tongxia, data=services.EditionData(title="x")
        )


def test_district_office_edits_only_its_district(city):
    from conftest import make_user

    office = org_services.create_organization(
        actor=None, name="铜官区深改办", kind=OrgKind.APPROVAL_AUTHORITY, region=city.district
    )
    officer = make_user("district-officer", office, Role.APPROVAL_OFFICER)
    assert permissions.can_edit_scope(officer, city.district)
    assert not permissions.can_edit_scope(officer, city.city)
    assert [r.code for r in permissions.editable_scopes(officer)] == [city.district.code]


def test_revoked_editor_loses_the_right_at_once(city, approval_officer):
    membership = approval_officer.memberships.get()
    org_services.revoke_membership(actor=None, membership=membership)
    with pytest.raises(PermissionDenied):
        services.create_edition(actor=approval_officer, scope=city.city, data=services.EditionData(title="x"))


def test_item_validation(city):
    ed = edition(city.city)
    cases = {
        "kind": item("S-02", kind="magic"),
        "code": item("编码 带空格"),
        "title": item("S-03", title=" "),
        "source": item("S-04", source=""),
        "funding_fen": item("S-05", funding_fen=100),  # funding on a statutory item
        "department": item("S-06", department=city.dept),  # a department on a statutory item
    }
    for field, data in cases.items():
        with pytest.raises(ValidationFailed) as info:
            services.add_item(actor=None, edition=ed, data=data)
        assert field in info.value.fields, field
    with pytest.raises(ValidationFailed):
        services.add_item(actor=None, edition=ed, data=item("A-01", kind="assisting", funding_fen=-1))
    with pytest.raises(ValidationFailed):
        services.add_item(
            actor=None, edition=ed, data=item("A-01", kind="assisting", department=city.committee)
        )
    with pytest.raises(Conflict):
        services.add_item(actor=None, edition=ed, data=item("S-01"))
    ok = services.add_item(
        actor=None, edition=ed, data=item("A-01", kind="assisting", department=city.dept, funding_fen=500000)
    )
    assert ok.funding_yuan == "5000.00" and ed.items.count() == 2


def test_edits_bump_the_revision_and_are_audited(city):
    ed = edition(city.city)
    start = ListEdition.objects.get(pk=ed.pk).revision
    it = services.add_item(actor=None, edition=ed, data=item("S-02"))
    services.update_item(actor=None, item=it, data=item("S-02", title="新名称"))
    services.delete_item(actor=None, item=it)
    assert ListEdition.objects.get(pk=ed.pk).revision == start + 3
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"duties.item.create", "duties.item.update", "duties.item.delete"} <= actions


def test_copy_starts_a_new_draft_with_the_same_items(city):
    ed = edition(city.city, [item("S-01"), item("A-01", kind="assisting", funding_fen=100)], publish=True)
    copy = services.copy_edition(actor=None, source=ed, title="修订稿")
    assert copy.status == "draft" and copy.scope == ed.scope and copy.title == "修订稿"
    assert list(copy.items.values_list("code", "funding_fen")) == [("S-01", 0), ("A-01", 100)]


def test_delete_draft(city):
    ed = edition(city.city)
    services.delete_draft(actor=None, edition=ed)
    assert not ListEdition.objects.exists() and not ListItem.objects.exists()


def test_demo_load_is_idempotent_and_every_item_has_a_source(city):
    first = demo.load(actor=None)
    assert first == {"editions": 3}
    assert demo.load(actor=None) == {"editions": 0}
    current = ListEdition.objects.get(scope=city.city, status="published")
    earlier = ListEdition.objects.get(scope=city.city, status="superseded")
    assert current.doc_number == sample.CURRENT_CITY.doc_number
    assert earlier.effective_to == date(2020, 12, 31)
    assert ListEdition.objects.get(scope=city.district).status == "published"
    assert all(e.is_sample and "示例" in e.note for e in ListEdition.objects.all())
    assert not ListItem.objects.filter(source="").exists()
    kinds = set(current.items.values_list("kind", flat=True))
    assert kinds == {"statutory", "assisting", "certificate", "excluded"}
    # departments are looked up by name: the fixture city has 铜陵市民政局
    assert current.items.get(code="A-09").department == city.dept
    assert current.items.get(code="A-07").department is None
    community_work = ("statutory", "assisting", "certificate")
    assert (
        earlier.items.filter(kind__in=community_work).count()
        > 2 * current.items.filter(kind__in=community_work).count()
    )


def test_demo_load_without_the_city_creates_nothing(db):
    assert demo.load(actor=None) == {"editions": 0}
    assert not ListEdition.objects.exists()
