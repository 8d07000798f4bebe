"""Read-only admin views of the lists: every change goes through the services (and the audit), never the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gongzhi.duties.models import ListEdition, ListItem


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ListEdition)
class ListEditionAdmin(ReadOnlyAdmin):
    list_display = ("title", "scope", "doc_number", "status", "effective_from", "effective_to", "is_sample")
    list_filter = ("status", "is_sample")
    search_fields = ("title", "doc_number")


@admin.register(ListItem)
class ListItemAdmin(ReadOnlyAdmin):
    list_display = ("code", "title", "kind", "edition", "department", "funding_fen")
    list_filter = ("kind",)
    search_fields = ("code", "title", "keywords")
