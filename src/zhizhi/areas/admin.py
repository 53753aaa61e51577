"""Back office for places, scoped like the service layer (core.admin.ScopedAdmin).

Codes of estates, buildings, units and dwellings are derived by areas.services, so the back office edits those
records but does not create them (use the Excel import or the services); areas are created here with their
official codes, checked like `services.ensure_area`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zhizhi.areas import services
from zhizhi.areas.geometry import boundary_center
from zhizhi.areas.models import Area, Building, Dwelling, Estate, Unit
from zhizhi.core.admin import ScopedAdmin
from zhizhi.core.errors import InvalidInput


class AreaForm(forms.ModelForm):
    class Meta:
        model = Area
        fields = ("level", "code", "name", "parent", "boundary")

    def clean(self):
        data = super().clean()
        if self.instance.pk is None:
            try:
                services.check_area_code(data.get("level", ""), data.get("code", ""), data.get("parent"))
            except InvalidInput as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        boundary = data.get("boundary")
        if boundary:
            try:
                self.instance.center_lat, self.instance.center_lon = boundary_center(boundary)
            except Exception:  # shapely raises several kinds for bad GeoJSON
                self.add_error("boundary", _("not a GeoJSON Polygon or MultiPolygon in lon/lat"))
        return data


@admin.register(Area)
class AreaAdmin(ScopedAdmin):
    scope_field = "code"
    form = AreaForm
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)

    def get_readonly_fields(self, request, obj=None):
        # Codes nest and records below carry them: an existing area keeps its code, level and parent.
        return ("code", "level", "parent") if obj is not None else ()


@admin.register(Estate)
class EstateAdmin(ScopedAdmin):
    scope_field = "community__code"
    list_display = ("code", "name", "community", "address")
    search_fields = ("code", "name", "address")
    readonly_fields = ("code", "community")
    list_select_related = ("community",)

    def has_add_permission(self, request):
        return False


@admin.register(Building)
class BuildingAdmin(ScopedAdmin):
    scope_field = "area_code"
    list_display = ("code", "estate", "number", "grid", "floors", "built_year")
    search_fields = ("code", "estate__name")
    # The grid and number are part of dwellings' addresses and scopes: change them through the Excel import.
    readonly_fields = ("code", "estate", "number", "grid", "area_code")
    list_select_related = ("estate", "grid")

    def has_add_permission(self, request):
        return False


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    scope_field = "building__area_code"
    list_display = ("code", "building", "number")
    search_fields = ("code",)
    readonly_fields = ("code", "building", "number")
    list_select_related = ("building", "building__estate")

    def has_add_permission(self, request):
        return False


@admin.register(Dwelling)
class DwellingAdmin(ScopedAdmin):
    scope_field = "area_code"
    list_display = ("code", "address", "floor")
    search_fields = ("code", "address")
    readonly_fields = ("code", "unit", "number", "area_code", "address")

    def has_add_permission(self, request):
        return False
