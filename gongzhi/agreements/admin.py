"""Read-only admin views of the agreements: every change goes through the services (and the audit), never the
admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gongzhi.agreements.models import (
    Agreement,
    AgreementTemplate,
    Completion,
    Instalment,
    Payment,
    Signature,
    Version,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AgreementTemplate)
class TemplateAdmin(ReadOnlyAdmin):
    list_display = ("year", "kind", "region", "title", "is_sample")
    list_filter = ("kind", "year")


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "year", "department", "community", "party", "status", "is_sample")
    list_filter = ("kind", "status", "year")
    search_fields = ("number",)


@admin.register(Version)
class VersionAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "number", "status", "total_fen", "digest", "effective_at")
    list_filter = ("status",)


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ("version", "side", "organization", "signer_name", "signed_at", "minutes_no", "voided_at")


@admin.register(Instalment)
class InstalmentAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "seq", "label", "due_on", "amount_fen", "paid_fen")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "instalment", "amount_fen", "paid_at", "transfer")


@admin.register(Completion)
class CompletionAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "task", "status", "reported_at", "reviewed_at", "resolved_at")
    list_filter = ("status",)
