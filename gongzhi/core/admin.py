"""Django admin for core objects, and the base class every gongzhi admin uses.

Admin writes go through the services like every other write: an admin's add form is parsed by Django, then
`ServiceAdmin.save_model` calls the service (which validates, writes and audits in one transaction). Change views
are read-only and nothing is deleted from the admin; state changes (revoking a role, deactivating a user) are
admin actions that call their service. Phone and ID numbers appear masked only.

Who may use it: platform administrators (a superuser, or a platform-administrator membership) manage users and
organizations; the audit log is readable only by the audit administrator (system and audit administration are
separate roles, 等保 7.1.5) and by nobody editable. There is no search by phone or ID number: admin searches
travel in the URL, and personal data must not (DP-6).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.forms import UserCreationForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from gongzhi.core import services
from gongzhi.core.errors import DomainError
from gongzhi.core.models import AuditEntry, User
from gongzhi.core.pii import mask_phone, validate_mobile
from gongzhi.core.roles import CAPS_BY_ROLE, Cap


def _caps(user: Any) -> set[str]:
    # Read through the reverse relation so that core does not import orgs (dependencies run core ← orgs); the
    # same rule as orgs.permissions.caps_by_org, read fresh on every request.
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    roles = user.memberships.filter(revoked_at__isnull=True).values_list("role", flat=True)
    caps: set[str] = set()
    for role in roles:
        caps |= CAPS_BY_ROLE.get(role, frozenset())
    return caps


def can_administer(user: Any) -> bool:
    # staff who enter the admin and are a superuser or hold a platform-administrator membership
    if not getattr(user, "is_staff", False) or not user.is_active:
        return False
    return bool(user.is_superuser) or Cap.ADMINISTER in _caps(user)


def can_read_audit(user: Any) -> bool:
    # staff who hold the audit-administrator role; a superuser alone does not (separation of duties)
    if not getattr(user, "is_staff", False) or not user.is_active:
        return False
    return Cap.READ_AUDIT in _caps(user)


class ServiceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Add through a service, view read-only, never change or delete in place."""

    def create(self, request: HttpRequest, data: dict[str, Any]) -> Model:  # pragma: no cover - abstract
        raise NotImplementedError

    def allowed(self, request: HttpRequest) -> bool:
        return can_administer(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            raise PermissionError("admin change views are read-only")
        created = self.create(request, form.cleaned_data)
        # The admin goes on with `obj` (its log entry, the redirect): point it at the row the service wrote.
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            # The service refused: its transaction rolled back, nothing was written.
            detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
            self.message_user(request, f"{exc.message} {detail}".strip(), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def run_action(self, request: HttpRequest, queryset: QuerySet[Any], service: Any, done: str) -> None:
        ok = failed = 0
        for obj in queryset:
            try:
                service(request, obj)
                ok += 1
            except DomainError as exc:
                failed += 1
                self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        if ok:
            self.message_user(request, f"{done}: {ok}", messages.SUCCESS)


class UserAddForm(UserCreationForm):  # type: ignore[type-arg]
    # not named `phone`: the model field is encrypted and not editable; the service sets it
    mobile = forms.CharField(label=_("手机号"), required=False, validators=[validate_mobile])

    class Meta:
        model = User
        fields = ("username", "display_name", "is_staff", "is_superuser")


@admin.register(User)
class UserAdmin(ServiceAdmin):
    add_form = UserAddForm
    list_display = (
        "username",
        "display_name",
        "masked_phone",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("username", "display_name")
    ordering = ("username",)
    fields = (
        "username",
        "display_name",
        "masked_phone",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
        "password_changed_at",
    )
    readonly_fields = fields
    actions = ("deactivate",)

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            fields = ["username", "display_name", "mobile", "password1", "password2", "is_staff"]
            # only a superuser makes another superuser
            return [*fields, "is_superuser"] if request.user.is_superuser else fields
        return self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def create(self, request: HttpRequest, data: dict[str, Any]) -> Model:
        return services.create_user(
            actor=request.user,  # type: ignore[arg-type]
            username=data["username"],
            password=data["password1"],
            display_name=data.get("display_name", ""),
            phone=data.get("mobile", ""),
            is_staff=bool(data.get("is_staff")),
            is_superuser=bool(data.get("is_superuser")) and request.user.is_superuser,
        )

    def has_deactivate_permission(self, request: HttpRequest) -> bool:
        return self.allowed(request)

    @admin.action(description=_("停用所选用户(并结束其会话)"), permissions=["deactivate"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        def one(req: HttpRequest, user: User) -> None:
            if user.is_active:
                services.deactivate_user(actor=req.user, user=user)  # type: ignore[arg-type]

        self.run_action(request, queryset, one, str(_("已停用")))


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("seq", "at", "actor_label", "action", "target_type", "target_label", "result", "ip")
    list_filter = ("result",)
    search_fields = ("action", "actor_label", "target_label", "target_id")
    ordering = ("-seq",)
    list_per_page = 100
    fields = (
        "seq",
        "at",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "data",
        "ip",
        "result",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_read_audit(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_read_audit(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
