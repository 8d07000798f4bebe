"""Read-only admin views of the clean-up: every change goes through the services (and the audit), never the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gongzhi.cleanup.models import AllowedPlaque, Campaign, CarriedTask, Plaque, PlaqueReview


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "scope", "status", "starts_on", "ends_on", "is_sample")
    list_filter = ("kind", "status", "is_sample")
    search_fields = ("title", "doc_number")


@admin.register(CarriedTask)
class CarriedTaskAdmin(ReadOnlyAdmin):
    list_display = ("title", "community", "department", "verdict", "suggestion", "decision", "campaign")
    list_filter = ("verdict", "decision", "source")
    search_fields = ("title",)


@admin.register(Plaque)
class PlaqueAdmin(ReadOnlyAdmin):
    list_display = ("name", "community", "placement", "issuer", "status", "placed_on")
    list_filter = ("status", "placement")
    search_fields = ("name",)
    exclude = ("photo",)


@admin.register(PlaqueReview)
class PlaqueReviewAdmin(ReadOnlyAdmin):
    list_display = ("plaque", "campaign", "suggestion", "decision", "confirmed_at")
    list_filter = ("suggestion", "decision")
    exclude = ("removal_photo",)


@admin.register(AllowedPlaque)
class AllowedPlaqueAdmin(ReadOnlyAdmin):
    list_display = ("name", "region", "kind", "placement", "keywords")
    list_filter = ("kind", "placement")
