"""Places: the area tree (city → district → street → community → grid) and standard addresses
(estate 小区 → building 楼栋 → unit 单元 → dwelling 户). Coordinates are WGS84 (GCJ-02 input is converted)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhizhi.core.roles import AreaLevel


class Area(models.Model):
    """行政区域/网格 — one node of the area tree, identified by its official code.

    Codes nest: district 6 digits, street 9, community 12, grid 14, so a code's prefixes are its ancestors.
    `boundary` is a GeoJSON Polygon/MultiPolygon in WGS84 (lon, lat), optional above grid level.
    """

    level = models.CharField(_("level"), max_length=16, choices=AreaLevel.choices, db_index=True)
    code = models.CharField(_("code"), max_length=14, unique=True)
    name = models.CharField(_("name"), max_length=64)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    boundary = models.JSONField(_("boundary (GeoJSON, WGS84)"), null=True, blank=True)
    center_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    center_lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    revision = models.PositiveIntegerField(
        _("revision"),
        default=0,
        editable=False,
        help_text=_("Counts saves; lets other processes see a change."),
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        # The grid index cache (areas.spatial) compares the sum of revisions to notice changes made elsewhere.
        self.revision = (self.revision or 0) + 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "revision"}
        super().save(*args, **kwargs)


class Estate(models.Model):
    """小区 — a residential estate (or a block of street-front buildings) inside a community."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=64)
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="estates")
    address = models.CharField(_("street address"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """楼栋 — a building of an estate, located in one grid."""

    code = models.CharField(_("code"), max_length=18, unique=True)
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="buildings")
    number = models.CharField(_("number"), max_length=16, help_text=_("e.g. 3 for 3幢"))
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="buildings")
    area_code = models.CharField(_("grid code"), max_length=14, db_index=True, editable=False)
    floors = models.PositiveSmallIntegerField(_("floors"), default=6)
    built_year = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["estate", "number"], name="building_number_in_estate")]

    def __str__(self) -> str:
        return f"{self.estate.name}{self.number}幢"

    def save(self, *args, **kwargs):
        self.area_code = self.grid.code
        super().save(*args, **kwargs)


class Unit(models.Model):
    """单元 — a stairwell/entrance of a building."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    number = models.CharField(_("number"), max_length=8)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["building", "number"], name="unit_number_in_building")]

    def __str__(self) -> str:
        return f"{self.building}{self.number}单元"


class Dwelling(models.Model):
    """户 — one dwelling (flat/room) with its standard address."""

    code = models.CharField(_("code"), max_length=24, unique=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="dwellings")
    number = models.CharField(_("room"), max_length=8, help_text=_("e.g. 502"))
    floor = models.SmallIntegerField(_("floor"), default=1)
    area_code = models.CharField(_("grid code"), max_length=14, db_index=True, editable=False)
    address = models.CharField(_("standard address"), max_length=200, db_index=True, editable=False)

    class Meta:
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="dwelling_number_in_unit")]

    def __str__(self) -> str:
        return self.address
