"""Django admin for regions, organizations, estates, households, residents and memberships.

Each add form calls the orgs service (validated, audited); change views are read-only; nothing is deleted here.
Revoking a membership is an action that calls revoke_membership. Residents' phone and ID numbers are shown
masked and cannot be edited here; a full view goes through the audited page of the resident's community.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gongzhi.core.admin import ServiceAdmin
from gongzhi.core.pii import mask_id, mask_phone, validate_id_number, validate_mobile
from gongzhi.orgs import services
from gongzhi.orgs.models import Estate, Household, Membership, Organization, Region, Resident


def _actor(request: HttpRequest) -> Any:
    return request.user


class ReadOnlyOnChange(ServiceAdmin):
    """The add form shows `add_fields`; an existing row shows every field read-only."""

    add_fields: ClassVar[tuple[str, ...]] = ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return self.get_fields(request, obj)


@admin.register(Region)
class RegionAdmin(ReadOnlyOnChange):
    list_display = ("name", "kind", "code", "parent", "is_sample")
    list_filter = ("kind", "is_sample")
    search_fields = ("name", "code")
    autocomplete_fields = ("parent",)
    add_fields = ("name", "kind", "code", "parent", "is_sample", "source")
    fields = add_fields

    def create(self, request: HttpRequest, data: dict[str, Any]) -> Model:
        return services.create_region(
            actor=_actor(request),
            name=data["name"],
            kind=data["kind"],
            code=data["code"],
            parent=data.get("parent"),
            is_sample=bool(data.get("is_sample")),
            source=data.get("source", ""),
        )


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyOnChange):
    list_display = ("name", "kind", "region", "is_active", "is_sample")
    list_filter = ("kind", "is_active", "is_sample")
    search_fields = ("name", "short_name")
    autocomplete_fields = ("region",)
    add_fields = (
        "name",
        "short_name",
        "kind",
        "region",
        "address",
        "office_phone",
        "description",
        "is_sample",
        "source",
    )
    fields = (*add_fields, "is_active")

    def create(self, request: HttpRequest, data: dict[str, Any]) -> Model:
        return services.create_organization(
            actor=_actor(request),
            name=data["name"],
            kind=data["kind"],
            region=data["region"],
            short_name=data.get("short_name", ""),
            address=data.get("address", ""),
            office_phone=data.get("office_phone", ""),
            description=data.get("description", ""),
            is_sample=bool(data.get("is_sample")),
            source=data.get("source", ""),
        )


@admin.register(Estate)
class EstateAdmin(ReadOnlyOnChange):
    list_display = ("name", "community", "property_company", "homeowners_committee", "is_sample")
    list_filter = ("is_sample",)
    search_fields = ("name",)
    autocomplete_fields = ("community", "property_company", "homeowners_committee")
    add_fields = ("name", "community", "address", "property_company", "homeowners_committee", "is_sample")
    fields = add_fields

    def create(self, request: HttpRequest, data: dict[str, Any]) -> Model:
        return services.create_estate(
            actor=_actor(request),
            name=data["name"],
            community=data["community"],
            address=data.get("address", ""),
            property_company=data.get("property_company"),
            homeowners_committee=data.get("homeowners_committee"),
            is_sample=bool(data.get("is_sample")),
        )


@admin.register(Household)
class HouseholdAdmin(ReadOnlyOnChange):
    list_display = ("__str__", "community", "size", "is_sample")
    list_filter = ("is_sample",)
    search_fields = ("address", "estate__name")
    list_select_related = ("estate", "community")
    autocomplete_fields = ("estate",)
    add_fields = ("estate", "address", "size", "is_sample")
    fields = ("estate", "community", "address", "size", "is_sample")

    def create(self, request: HttpRequest, data: dict[str, Any]) -> Model:
        return services.create_household(
            actor=_actor(request),
            estate=data["estate"],
            address=data["address"],
            size=data["size"],
            is_sample=bool(data.get("is_sample")),
        )


class ResidentAddForm(forms.ModelForm):  # type: ignore[type-arg]
    # not named like the encrypted model fields (not editable): the service validates, encrypts and indexes them
    mobile = forms.CharField(label=_("手机号"), required=False, validators=[validate_mobile])
    id_card = forms.CharField(label=_("身份证号"), required=False, validators=[validate_id_number])

    class Meta:
        model = Resident
        fields = ("household", "name", "birth_year", "user", "is_sample")


@admin.register(Resident)
class ResidentAdmin(ReadOnlyOnChange):
    form = ResidentAddForm
    list_display = ("name", "masked_phone", "masked_id", "household", "community", "is_sample")
    list_filter = ("is_sample",)
    search_fields = ("name",)
    list_select_related = ("household", "household__estate", "community")
    autocomplete_fields = ("household", "user")
    add_fields = ("household", "name", "mobile", "id_card", "birth_year", "user", "is_sample")
    fields = (
        "name",
        "masked_phone",
        "masked_id",
        "household",
        "community",
        "birth_year",
        "user",
        "is_sample",
    )

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: Resident) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("身份证号"))
    def masked_id(self, obj: Resident) -> str:
        return mask_id(obj.id_number)

    def create(self, request: HttpRequest, data: dict[str, Any]) -> Model:
        return services.register_resident(
            actor=_actor(request),
            household=data["household"],
            name=data["name"],
            phone=data.get("mobile", ""),
            id_number=data.get("id_card", ""),
            birth_year=data.get("birth_year"),
            user=data.get("user"),
            is_sample=bool(data.get("is_sample")),
        )


@admin.register(Membership)
class MembershipAdmin(ReadOnlyOnChange):
    list_display = ("user", "organization", "role", "title", "granted_at", "revoked_at")
    list_filter = ("role", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "user__display_name", "organization__name")
    list_select_related = ("user", "organization")
    autocomplete_fields = ("user", "organization")
    add_fields = ("user", "organization", "role", "title")
    fields = ("user", "organization", "role", "title", "granted_at", "granted_by", "revoked_at")
    actions = ("revoke",)

    def create(self, request: HttpRequest, data: dict[str, Any]) -> Model:
        return services.grant_membership(
            actor=_actor(request),
            user=data["user"],
            organization=data["organization"],
            role=data["role"],
            title=data.get("title", ""),
        )

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self.allowed(request)

    @admin.action(description=_("撤销所选任职"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        def one(req: HttpRequest, membership: Membership) -> None:
            services.revoke_membership(actor=_actor(req), membership=membership, reason="admin")

        self.run_action(request, queryset.filter(revoked_at__isnull=True), one, str(_("已撤销")))
