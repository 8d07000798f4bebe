"""Writes on regions, organizations, estates, households, residents and memberships (all audited)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from gongzhi.core import audit, crypto
from gongzhi.core.errors import Conflict, PermissionDenied, ValidationFailed
from gongzhi.core.models import User
from gongzhi.core.pii import is_id_number, is_mobile, mask_id, mask_phone, normalize_id, normalize_phone
from gongzhi.core.roles import EXCLUSIVE_ROLES, ROLES_BY_KIND, OrgKind, Role
from gongzhi.orgs import permissions
from gongzhi.orgs.models import Estate, Household, Membership, Organization, Region, Resident


@transaction.atomic
def create_region(
    *,
    actor: User | None,
    name: str,
    kind: str,
    code: str,
    parent: Region | None = None,
    is_sample: bool = False,
    source: str = "",
) -> Region:
    if kind not in Region.Kind.values:
        raise ValidationFailed(f"未知的区域层级 / unknown region kind: {kind}", fields={"kind": "invalid"})
    allowed = Region.PARENT_KINDS[kind]
    if (parent is None and allowed) or (parent is not None and parent.kind not in allowed):
        raise ValidationFailed(
            "上级区域层级不符 / the parent region's level does not fit", fields={"parent": "invalid"}
        )
    region = Region.objects.create(
        name=name, kind=kind, code=code, parent=parent, is_sample=is_sample, source=source
    )
    audit.record("orgs.region.create", actor=actor, target=region, data={"kind": kind, "code": code})
    return region


@transaction.atomic
def create_organization(
    *,
    actor: User | None,
    name: str,
    kind: str,
    region: Region,
    short_name: str = "",
    address: str = "",
    office_phone: str = "",
    description: str = "",
    is_sample: bool = False,
    source: str = "",
) -> Organization:
    if kind not in OrgKind.values:
        raise ValidationFailed(
            f"未知的机构类型 / unknown organization kind: {kind}", fields={"kind": "invalid"}
        )
    community_kinds = {OrgKind.COMMITTEE, OrgKind.PARTY, OrgKind.SERVICE_CENTRE}
    if kind in community_kinds and not region.is_grassroots:
        raise ValidationFailed(
            "居委会、社区党组织、服务中心须属于社区 / this body must belong to a community",
            fields={"region": "invalid"},
        )
    if Organization.objects.filter(region=region, name=name).exists():
        raise Conflict(
            "同一区域内已有同名机构 / an organization of that name exists here", fields={"name": "taken"}
        )
    if kind in community_kinds and Organization.objects.filter(region=region, kind=kind).exists():
        raise Conflict("该社区已有此类机构 / this community already has one", fields={"kind": "taken"})
    org = Organization.objects.create(
        name=name,
        kind=kind,
        region=region,
        short_name=short_name,
        address=address,
        office_phone=office_phone,
        description=description,
        is_sample=is_sample,
        source=source,
    )
    audit.record(
        "orgs.organization.create", actor=actor, target=org, data={"kind": kind, "region": region.pk}
    )
    return org


@transaction.atomic
def create_estate(
    *,
    actor: User | None,
    name: str,
    community: Region,
    address: str = "",
    property_company: Organization | None = None,
    homeowners_committee: Organization | None = None,
    is_sample: bool = False,
) -> Estate:
    if not community.is_grassroots:
        raise ValidationFailed(
            "小区须属于社区 / an estate belongs to a community", fields={"community": "invalid"}
        )
    if property_company is not None and property_company.kind != OrgKind.PROPERTY_COMPANY:
        raise ValidationFailed(
            "物业须为物业服务企业 / not a property company", fields={"property_company": "invalid"}
        )
    if homeowners_committee is not None and homeowners_committee.kind != OrgKind.HOMEOWNERS:
        raise ValidationFailed(
            "须为业主委员会 / not a homeowners' committee", fields={"homeowners_committee": "invalid"}
        )
    estate = Estate.objects.create(
        name=name,
        community=community,
        address=address,
        property_company=property_company,
        homeowners_committee=homeowners_committee,
        is_sample=is_sample,
    )
    audit.record("orgs.estate.create", actor=actor, target=estate, data={"community": community.pk})
    return estate


@transaction.atomic
def create_household(
    *, actor: User | None, estate: Estate, address: str, size: int = 1, is_sample: bool = False
) -> Household:
    if size < 1 or size > 30:
        raise ValidationFailed("人数须在1到30之间 / size must be 1–30", fields={"size": "range"})
    if Household.objects.filter(estate=estate, address=address).exists():
        raise Conflict("该门牌已登记 / that address is already registered", fields={"address": "taken"})
    household = Household.objects.create(
        estate=estate, community_id=estate.community_id, address=address, size=size, is_sample=is_sample
    )
    audit.record("orgs.household.create", actor=actor, target=household)
    return household


def _pi_values(phone: str, id_number: str) -> dict[str, str]:
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    if phone:
        phone = normalize_phone(phone)
        if is_mobile(phone):
            values.update(phone=phone, phone_index=crypto.blind_index(phone))
        else:
            errors["phone"] = "手机号格式不正确 / invalid mobile number"
    if id_number:
        id_number = normalize_id(id_number)
        if is_id_number(id_number):
            values.update(id_number=id_number, id_index=crypto.blind_index(id_number))
        else:
            errors["id_number"] = "身份证号码校验失败 / ID number fails the GB 11643 check"
    if errors:
        raise ValidationFailed("个人信息格式不正确 / invalid personal data", fields=errors)
    return values


@transaction.atomic
def register_resident(
    *,
    actor: User | None,
    household: Household,
    name: str,
    phone: str = "",
    id_number: str = "",
    birth_year: int | None = None,
    user: User | None = None,
    is_sample: bool = False,
) -> Resident:
    """Register a resident. Phone and ID are validated, SM4-encrypted and blind-indexed; the audit keeps
    only masked values."""
    if not name.strip():
        raise ValidationFailed("姓名不能为空 / name is required", fields={"name": "required"})
    values = _pi_values(phone, id_number)
    resident = Resident.objects.create(
        household=household,
        community_id=household.community_id,
        name=name.strip(),
        birth_year=birth_year,
        user=user,
        is_sample=is_sample,
        **values,
    )
    audit.record(
        "orgs.resident.create",
        actor=actor,
        target=resident,
        data={"phone": mask_phone(values.get("phone")), "id_number": mask_id(values.get("id_number"))},
    )
    return resident


@transaction.atomic
def reveal_resident_pi(*, actor: User, resident: Resident) -> dict[str, str]:
    """A full view of a resident's phone and ID number: only with the right, and always audited."""
    if not permissions.can_view_full_pi(actor, resident):
        raise PermissionDenied("无权查看完整个人信息 / not allowed to see full personal data")
    audit.record(
        "orgs.resident.view_full_pi", actor=actor, target=resident, data={"fields": ["phone", "id_number"]}
    )
    return {"phone": resident.phone or "", "id_number": resident.id_number or ""}


@transaction.atomic
def grant_membership(
    *, actor: User | None, user: User, organization: Organization, role: str, title: str = ""
) -> Membership:
    if role not in ROLES_BY_KIND.get(organization.kind, frozenset()):
        raise ValidationFailed(
            f"“{organization.get_kind_display()}”不能设置角色“{Role(role).label if role in Role.values else role}” "
            "/ this role does not fit this kind of organization",
            fields={"role": "invalid"},
        )
    held = set(Membership.objects.filter(user=user, revoked_at__isnull=True).values_list("role", flat=True))
    for group in EXCLUSIVE_ROLES:
        if role in group and held & (group - {role}):
            raise Conflict(
                "系统管理与审计管理须由不同人员担任 / system and audit admin roles must be separate",
                fields={"role": "separation_of_duties"},
            )
    if Membership.objects.filter(
        user=user, organization=organization, role=role, revoked_at__isnull=True
    ).exists():
        raise Conflict("该用户已担任此角色 / the user already holds this role", fields={"role": "taken"})
    membership = Membership.objects.create(
        user=user, organization=organization, role=role, title=title, granted_by=actor
    )
    audit.record(
        "orgs.membership.grant",
        actor=actor,
        target=membership,
        data={"user": user.pk, "organization": organization.pk, "role": role},
    )
    return membership


@transaction.atomic
def revoke_membership(*, actor: User | None, membership: Membership, reason: str = "") -> Membership:
    if membership.revoked_at is not None:
        raise Conflict("该任职已撤销 / already revoked")
    membership.revoked_at = timezone.now()
    membership.save(update_fields=["revoked_at"])
    audit.record(
        "orgs.membership.revoke",
        actor=actor,
        target=membership,
        data={
            "user": membership.user_id,
            "organization": membership.organization_id,
            "role": membership.role,
            "reason": reason,
        },
    )
    return membership


def _encrypt_present(values: list[str]) -> list[bytes | None]:
    """crypto.encrypt of each non-empty value, None (NULL) for an empty one: what EncryptedTextField stores."""
    sealed = iter(crypto.encrypt_many([v for v in values if v]))
    return [next(sealed) if v else None for v in values]


def _insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """INSERT rows (values already in their database form) with one executemany, in the caller's transaction.

    `fields` must name every concrete field but the primary key, in the order of the values, so that a field
    added to the model later cannot be left out silently.
    """
    meta = model._meta
    column_of = {f.name: f.column for f in meta.concrete_fields if not f.primary_key}
    if sorted(fields) != sorted(column_of):
        raise RuntimeError(
            f"_insert_rows({meta.label}): fields {sorted(fields)} ≠ columns {sorted(column_of)}"
        )
    if not rows:
        return
    qn = connection.ops.quote_name
    columns = ", ".join(qn(column_of[name]) for name in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608


@dataclass(frozen=True)
class ResidentRow:
    name: str
    phone: str = ""
    id_number: str = ""
    birth_year: int | None = None


@dataclass(frozen=True)
class HouseholdRow:
    estate: Estate
    address: str
    size: int = 1
    residents: Sequence[ResidentRow] = field(default_factory=tuple)


@transaction.atomic
def bulk_register_households(
    *, actor: User | None, rows: Sequence[HouseholdRow], is_sample: bool = False, note: str = ""
) -> tuple[int, int]:
    """Register many households with their residents at once (imports, the benchmark generator).

    Same rules as create_household/register_resident (size 1–30, unique address per estate, names required,
    phone and ID validated, SM4-encrypted and blind-indexed), but written with bulk inserts and recorded as ONE
    audit entry per call that states the counts (never the personal data). All or nothing: any bad row refuses
    the whole batch. Returns (households, residents) created.
    """
    if not rows:
        return 0, 0
    errors: dict[str, str] = {}
    seen: set[tuple[int, str]] = set()
    for i, row in enumerate(rows):
        key = (row.estate.pk, row.address)
        if not row.address.strip():
            errors[f"rows.{i}.address"] = "门牌不能为空 / address is required"
        elif key in seen:
            errors[f"rows.{i}.address"] = "批次内门牌重复 / duplicate address in this batch"
        seen.add(key)
        if row.size < 1 or row.size > 30:
            errors[f"rows.{i}.size"] = "人数须在1到30之间 / size must be 1–30"
        for j, person in enumerate(row.residents):
            if not person.name.strip():
                errors[f"rows.{i}.residents.{j}.name"] = "姓名不能为空 / name is required"
    if errors:
        raise ValidationFailed("批量数据有误 / the batch has invalid rows", fields=errors)
    estate_ids = {row.estate.pk for row in rows}
    taken = set(
        Household.objects.filter(
            estate_id__in=estate_ids, address__in={row.address for row in rows}
        ).values_list("estate_id", "address")
    )
    clashes = [f"{row.estate.name} {row.address}" for row in rows if (row.estate.pk, row.address) in taken]
    if clashes:
        raise Conflict(
            "门牌已登记 / address already registered: " + "、".join(clashes[:5]), fields={"rows": "taken"}
        )
    # Every resident's phone and ID number are validated (and blind-indexed) before anything is written.
    people: list[tuple[int, ResidentRow, dict[str, str]]] = []
    for i, row in enumerate(rows):
        for j, person in enumerate(row.residents):
            try:
                people.append((i, person, _pi_values(person.phone, person.id_number)))
            except ValidationFailed as exc:
                fields = {f"rows.{i}.residents.{j}.{k}": v for k, v in exc.fields.items()}
                raise ValidationFailed(exc.message, fields=fields) from exc
    # Plain tuples and one executemany per table instead of a model instance and the ORM's per-value compilation
    # for every row (that was most of the time). The households' ids are read back by their unique address.
    _insert_rows(
        Household,
        ("estate", "community", "address", "size", "is_sample"),
        [(row.estate.pk, row.estate.community_id, row.address, row.size, is_sample) for row in rows],
    )
    ids_by_key = {
        (estate_id, address): pk
        for estate_id, address, pk in Household.objects.filter(
            estate_id__in=estate_ids, address__in={row.address for row in rows}
        ).values_list("estate_id", "address", "pk")
    }
    household_ids = [ids_by_key[row.estate.pk, row.address] for row in rows]
    # The values are what EncryptedTextField would write (SM4-GCM by crypto.encrypt, NULL when empty), encrypted
    # in one pass per field under a key looked up once.
    phones = _encrypt_present([values.get("phone", "") for _, _, values in people])
    ids = _encrypt_present([values.get("id_number", "") for _, _, values in people])
    _insert_rows(
        Resident,
        (
            "household",
            "community",
            "name",
            "phone",
            "phone_index",
            "id_number",
            "id_index",
            "birth_year",
            "user",
            "is_sample",
        ),
        [
            (
                household_ids[i],
                rows[i].estate.community_id,
                person.name.strip(),
                phone,
                values.get("phone_index", ""),
                id_number,
                values.get("id_index", ""),
                person.birth_year,
                None,
                is_sample,
            )
            for (i, person, values), phone, id_number in zip(people, phones, ids, strict=True)
        ],
    )
    audit.record(
        "orgs.household.bulk_register",
        actor=actor,
        data={
            "households": len(rows),
            "residents": len(people),
            "estates": sorted(estate_ids),
            "sample": is_sample,
            "note": note,
        },
    )
    return len(rows), len(people)
