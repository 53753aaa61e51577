"""Back office: administrators issue, limit and switch off clients' API keys; submissions and client updates
are read-only records."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from zhizhi.core import clock
from zhizhi.core.roles import Role
from zhizhi.open311 import keys
from zhizhi.open311.models import ApiKey, ClientUpdate, Submission


def _is_admin(request) -> bool:
    user = request.user
    return user.is_active and (user.is_superuser or getattr(user, "role", None) == Role.ADMIN)


class AdministratorsOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return _is_admin(request)

    def has_view_permission(self, request, obj=None):
        return _is_admin(request)

    def has_change_permission(self, request, obj=None):
        return _is_admin(request)

    def has_add_permission(self, request):
        return _is_admin(request)

    def has_delete_permission(self, request, obj=None):
        return False  # submissions refer to keys: switch a key off instead


class ApiKeyForm(forms.ModelForm):
    new_key = forms.CharField(
        label=_("key"),
        required=False,
        min_length=8,
        max_length=128,
        help_text=_("leave empty to generate one; it is shown once, after saving"),
    )

    class Meta:
        model = ApiKey
        fields = ("name", "contact", "active", "rate_limit")


@admin.register(ApiKey)
class ApiKeyAdmin(AdministratorsOnly):
    form = ApiKeyForm
    list_display = ("name", "prefix", "active", "rate_limit", "created_at", "last_used_at")
    list_filter = ("active",)
    search_fields = ("name", "contact", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    actions = ["switch_off"]

    def get_fields(self, request, obj=None):
        fields = ["name", "contact", "active", "rate_limit"]
        return fields + (["prefix", "created_at", "last_used_at"] if obj else ["new_key"])

    def save_model(self, request, obj, form, change):
        if not change:
            raw = form.cleaned_data.get("new_key") or secrets.token_urlsafe(24)
            keys.set_key(obj, raw)
            obj.created_at = clock.now()
            shown = _("The key for %(name)s is: %(key)s — copy it now, it is not shown again.")
            messages.warning(request, shown % {"name": obj.name, "key": raw})
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Switch off the selected keys"))
    def switch_off(self, request, queryset):
        queryset.update(active=False)


class ReadOnly(AdministratorsOnly):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnly):
    list_display = ("created_at", "api_key", "service_code", "case", "token", "email_masked")
    list_filter = ("api_key", "service_code")
    search_fields = ("token", "case__number", "account_id", "device_id")
    exclude = ("email",)


@admin.register(ClientUpdate)
class ClientUpdateAdmin(ReadOnly):
    list_display = ("received_at", "api_key", "case", "status", "reopen_requested", "author_name")
    list_filter = ("status", "reopen_requested", "api_key")
    search_fields = ("case__number", "client_update_id")
    exclude = ("email",)
