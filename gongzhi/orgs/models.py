"""Regions, organizations, estates, households, residents and memberships (who holds which role where)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import EncryptedTextField
from gongzhi.core.roles import OrgKind, Role


class Region(models.Model):
    """City → district/county → optional street → community/village. Tongling has no street level."""

    class Kind(models.TextChoices):
        CITY = "city", _("市")
        DISTRICT = "district", _("区")
        COUNTY = "county", _("县")
        STREET = "street", _("街道")
        TOWN = "town", _("乡镇")
        COMMUNITY = "community", _("社区")
        VILLAGE = "village", _("村")

    PARENT_KINDS: ClassVar[dict[str, set[str]]] = {
        "city": set(),
        "district": {"city"},
        "county": {"city"},
        "street": {"district", "county"},
        "town": {"district", "county"},
        "community": {"district", "county", "street", "town"},
        "village": {"district", "county", "town"},
    }

    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("层级"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(_("区划代码"), max_length=20, unique=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    source = models.CharField(_("资料来源"), max_length=300, blank=True)

    class Meta:
        ordering = ("code",)
        verbose_name = _("行政区域")
        verbose_name_plural = _("行政区域")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["parent", "name"], name="region_unique_name_in_parent")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_grassroots(self) -> bool:
        return self.kind in (self.Kind.COMMUNITY, self.Kind.VILLAGE)

    def ancestors(self) -> list[Region]:
        chain: list[Region] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Organization(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=OrgKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organizations")
    address = models.CharField(_("办公地址"), max_length=200, blank=True)
    office_phone = models.CharField(_("办公电话"), max_length=30, blank=True)
    description = models.TextField(_("简介"), blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    source = models.CharField(_("资料来源"), max_length=300, blank=True)

    class Meta:
        ordering = ("region__code", "kind", "name")
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["region", "name"], name="org_unique_name_in_region"),
            # A community has one committee, one party organization and one service centre.
            models.UniqueConstraint(
                fields=["region", "kind"],
                condition=Q(kind__in=["committee", "party", "service_centre"]),
                name="org_one_core_body_per_community",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Estate(models.Model):
    """小区: in a community, with its property company and homeowners' committee."""

    name = models.CharField(_("小区名称"), max_length=80)
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="estates")
    address = models.CharField(_("地址"), max_length=200, blank=True)
    property_company = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_estates"
    )
    homeowners_committee = models.OneToOneField(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="estate"
    )
    is_sample = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ("community__code", "name")
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["community", "name"], name="estate_unique_name_in_community")
        ]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="households")
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="households")
    address = models.CharField(_("门牌(楼栋-单元-室)"), max_length=80)
    size = models.PositiveSmallIntegerField(_("户籍/常住人数"), default=1)
    is_sample = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ("estate_id", "address")
        verbose_name = _("住户")
        verbose_name_plural = _("住户")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["estate", "address"], name="household_unique_address"),
        ]

    def __str__(self) -> str:
        return f"{self.estate.name} {self.address}"


class Resident(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="residents")
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="residents")
    name = models.CharField(_("姓名"), max_length=60)
    phone = EncryptedTextField(_("手机号"))
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number = EncryptedTextField(_("身份证号"))
    id_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="resident"
    )
    is_sample = models.BooleanField(_("示例数据"), default=False)

    PI_FIELDS: ClassVar[tuple[str, ...]] = ("name", "phone", "id_number")

    class Meta:
        ordering = ("household_id", "id")
        verbose_name = _("居民")
        verbose_name_plural = _("居民")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user holds a role in an organization. Revoked memberships stay for the record (revoked_at set)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("organization__name", "role")
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"],
                condition=Q(revoked_at__isnull=True),
                name="membership_one_active_per_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
