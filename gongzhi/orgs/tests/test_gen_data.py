import math
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from gongzhi.core import audit, crypto
from gongzhi.core.errors import Conflict, ValidationFailed
from gongzhi.core.models import AuditEntry
from gongzhi.orgs import services
from gongzhi.orgs.models import Estate, Household, Organization, Region, Resident


def gen(**kw: Any) -> str:
    out = StringIO()
    call_command("gen_data", no_progress=True, stdout=out, **kw)
    return out.getvalue()


def snapshot(seed: int) -> tuple[Any, ...]:
    communities = list(
        Region.objects.filter(code__startswith=f"g{seed}-").order_by("code").values_list("name", "code")
    )
    estates = list(
        Estate.objects.filter(community__code__startswith=f"g{seed}-")
        .order_by("community__code", "name")
        .values_list("name", flat=True)
    )
    people = sorted(
        (r.household.address, r.name, r.phone, r.id_number)
        for r in Resident.objects.filter(community__code__startswith=f"g{seed}-").select_related("household")
    )
    return communities, estates, people


def run_and_roll_back(**kw: Any) -> tuple[Any, ...]:
    with transaction.atomic():
        gen(**kw)
        seed = kw["seed"]
        result = snapshot(seed)
        transaction.set_rollback(True)
    return result


def test_same_seed_gives_the_same_city(db):
    first = run_and_roll_back(communities=3, households=25, seed=5, batch=10)
    assert Region.objects.count() == 0  # rolled back
    again = run_and_roll_back(communities=3, households=25, seed=5, batch=10)
    other = run_and_roll_back(communities=3, households=25, seed=6, batch=10)
    assert first == again
    assert len(first[0]) == 3 and first[2]
    assert first[2] != other[2]  # another seed, other people


def test_households_are_batched_with_one_audit_entry_per_batch(db):
    output = gen(communities=4, households=23, seed=9, batch=5)
    assert "23 households" in output
    communities = Region.objects.filter(code__startswith="g9-")
    assert communities.count() == 4
    for community in communities:
        kinds = set(community.organizations.values_list("kind", flat=True))
        assert {"committee", "party", "service_centre", "homeowners"} <= kinds
    assert Household.objects.filter(community__in=communities).count() == 23
    assert all(h.is_sample for h in Household.objects.all())
    batches = AuditEntry.objects.filter(action="orgs.household.bulk_register")
    assert batches.count() == math.ceil(23 / 5)
    assert sum(e.data["households"] for e in batches) == 23
    assert sum(e.data["residents"] for e in batches) == Resident.objects.count()
    # sizes: each household has as many residents as its size
    for household in Household.objects.all():
        assert household.residents.count() == household.size
    assert audit.verify_chain()[1] is None
    # a rerun adds nothing
    before = (
        Household.objects.count(),
        Resident.objects.count(),
        Organization.objects.count(),
        batches.count(),
    )
    assert "0 households" in gen(communities=4, households=23, seed=9, batch=5)
    assert (
        Household.objects.count(),
        Resident.objects.count(),
        Organization.objects.count(),
        batches.count(),
    ) == (before)


def test_bulk_created_residents_are_encrypted_at_rest(db):
    gen(communities=1, households=6, seed=11, batch=4)
    resident = Resident.objects.order_by("pk")[0]
    assert resident.phone and resident.id_number
    with connection.cursor() as cur:
        cur.execute("SELECT phone, id_number, phone_index FROM orgs_resident WHERE id = %s", [resident.pk])
        raw_phone, raw_id, index = cur.fetchone()
    raw_phone, raw_id = bytes(raw_phone), bytes(raw_id)
    assert resident.phone.encode() not in raw_phone and resident.id_number.encode() not in raw_id
    assert crypto.decrypt(raw_phone) == resident.phone and crypto.decrypt(raw_id) == resident.id_number
    assert index == crypto.blind_index(resident.phone)
    assert Resident.objects.filter(phone_index=crypto.blind_index(resident.phone)).exists()


@pytest.mark.parametrize(
    "kw",
    [
        {"communities": 0, "households": 5},
        {"communities": 2, "households": -1},
        {"communities": 2, "households": 5, "batch": 0},
        {"communities": 2, "households": 5, "seed": 10**15},
    ],
)
def test_bad_arguments_are_refused(db, kw):
    with pytest.raises(CommandError):
        gen(**kw)
    assert not Region.objects.exists()


def test_bulk_service_refuses_bad_rows_and_writes_nothing(city):
    estate = city.estate
    before = (Household.objects.count(), Resident.objects.count(), AuditEntry.objects.count())
    bad_phone = services.HouseholdRow(estate, "9-9-901", 2, [services.ResidentRow("甲", phone="12345")])
    with pytest.raises(ValidationFailed) as exc:
        services.bulk_register_households(actor=None, rows=[bad_phone])
    assert "rows.0.residents.0.phone" in exc.value.fields
    with pytest.raises(ValidationFailed):
        services.bulk_register_households(actor=None, rows=[services.HouseholdRow(estate, "9-9-902", 0)])
    with pytest.raises(ValidationFailed):
        services.bulk_register_households(
            actor=None,
            rows=[services.HouseholdRow(estate, "9-9-903"), services.HouseholdRow(estate, "9-9-903")],
        )
    with pytest.raises(Conflict):
        services.bulk_register_households(
            actor=None, rows=[services.HouseholdRow(estate, city.household.address)]
        )
    assert (Household.objects.count(), Resident.objects.count(), AuditEntry.objects.count()) == before
    good = services.HouseholdRow(estate, "9-9-904", 1, [services.ResidentRow("乙", phone="13912345678")])
    assert services.bulk_register_households(actor=None, rows=[good]) == (1, 1)
    entry = AuditEntry.objects.order_by("-seq")[0]
    assert entry.action == "orgs.household.bulk_register" and "13912345678" not in str(entry.data)


def test_bulk_rows_are_stored_like_the_orm_stores_them(city):
    """The bulk path inserts plain tuples: the columns must hold what register_resident (the ORM) writes."""
    estate = city.estate
    one = services.register_resident(
        actor=None, household=city.household, name="丙", phone="13912345670", birth_year=1990
    )
    rows = [
        services.HouseholdRow(
            estate, "9-9-905", 2, [services.ResidentRow(" 丁 ", phone="13912345671", birth_year=1990)]
        )
    ]
    assert services.bulk_register_households(actor=None, rows=rows, is_sample=True) == (1, 1)
    household = Household.objects.get(estate=estate, address="9-9-905")
    assert (household.community_id, household.size, household.is_sample) == (estate.community_id, 2, True)
    two = Resident.objects.get(household=household)
    assert (
        two.name == "丁" and two.is_sample and two.user_id is None and two.community_id == estate.community_id
    )
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id_number, id_index, phone IS NULL, length(phone_index), birth_year FROM orgs_resident "
            "WHERE id IN (%s, %s) ORDER BY id",
            [one.pk, two.pk],
        )
        stored = cur.fetchall()
    assert (
        stored[0] == stored[1] == (None, "", 0, 64, 1990)
    )  # no ID number: NULL and an empty index, as the ORM
    assert two.phone == "13912345671" and two.phone_index == crypto.blind_index("13912345671")


def test_bulk_insert_names_every_column():
    with pytest.raises(RuntimeError, match="columns"):
        services._insert_rows(
            Household, ("estate", "address", "size", "is_sample"), [(1, "1-1-101", 1, True)]
        )
