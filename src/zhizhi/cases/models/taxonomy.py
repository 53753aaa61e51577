"""The case taxonomy, the handling units of the four levels and the routing rules — all data, editable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhizhi.cases.models.enums import CategoryKind, Department, LimitUnit, Step, UnitLevel, UnitType


def _unit(default: str):
    return models.CharField(_("unit of the limit"), max_length=16, choices=LimitUnit.choices, default=default)


class Category(models.Model):
    """案件类别 — one class of the taxonomy: a digital-city-management event (事件) or component (部件), or a
    street matter (邻里纠纷, 独居老人告警 …), with its 12345 department domain, default handler, time
    limits per step, registration and closing conditions and the questions asked at intake.

    Seeded from cases/data/categories.csv; every field is editable per district. Time limits are an amount
    and a unit (working hours, working days, or clock hours for urgent matters); see cases.deadlines.
    """

    code = models.CharField(_("code"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CategoryKind.choices)
    major_code = models.CharField(_("major class code"), max_length=8)
    major_name = models.CharField(_("major class"), max_length=32)
    minor_code = models.CharField(_("minor class code"), max_length=16)
    name = models.CharField(
        _("name"), max_length=64, unique=True, help_text=_("the minor class, e.g. 暴露垃圾")
    )
    aliases = models.CharField(
        _("other names"), max_length=200, blank=True, help_text=_("comma-separated, e.g. 垃圾满溢,垃圾桶满溢")
    )
    department = models.CharField(_("12345 department domain"), max_length=32, choices=Department.choices)
    default_unit_type = models.CharField(
        _("default handling unit type"), max_length=32, choices=UnitType.choices
    )
    default_level = models.CharField(
        _("default handling level"), max_length=16, choices=UnitLevel.choices, default=UnitLevel.STREET
    )
    enforcement = models.BooleanField(
        _("enforcement case"), default=False, help_text=_("handled by 综合执法 with an enforcement record")
    )
    urgent = models.BooleanField(
        _("urgent"), default=False, help_text=_("every case of this class is urgent")
    )
    register_limit = models.DecimalField(
        _("registration limit"), default=1, max_digits=6, decimal_places=2
    )  # 立案时限
    register_limit_unit = _unit(LimitUnit.WORK_HOURS)
    dispatch_limit = models.DecimalField(
        _("dispatch limit"), default=1, max_digits=6, decimal_places=2
    )  # 派遣时限
    dispatch_limit_unit = _unit(LimitUnit.WORK_HOURS)
    sign_limit = models.DecimalField(
        _("signing limit"), default=1, max_digits=6, decimal_places=2
    )  # 签收时限
    sign_limit_unit = _unit(LimitUnit.WORK_HOURS)
    handle_limit = models.DecimalField(
        _("handling limit"), default=3, max_digits=6, decimal_places=2
    )  # 处置时限
    handle_limit_unit = _unit(LimitUnit.WORK_DAYS)
    verify_limit = models.DecimalField(
        _("verification limit"), default=4, max_digits=6, decimal_places=2
    )  # 核查时限
    verify_limit_unit = _unit(LimitUnit.WORK_HOURS)
    close_limit = models.DecimalField(
        _("closing limit"), default=2, max_digits=6, decimal_places=2
    )  # 结案时限
    close_limit_unit = _unit(LimitUnit.WORK_HOURS)
    register_condition = models.TextField(_("registration condition"), blank=True)
    close_condition = models.TextField(_("closing condition"), blank=True)
    questions = models.JSONField(
        _("intake questions"),
        default=list,
        blank=True,
        help_text=_('e.g. [{"key": "plate", "label": "车牌号", "type": "text", "required": false}]'),
    )
    limit_source = models.CharField(_("source of the limits"), max_length=255, blank=True)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(register_limit__gt=0)
                & models.Q(dispatch_limit__gt=0)
                & models.Q(sign_limit__gt=0)
                & models.Q(handle_limit__gt=0)
                & models.Q(verify_limit__gt=0)
                & models.Q(close_limit__gt=0),
                name="category_limits_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.major_name} · {self.name}"

    def limit(self, step: str) -> tuple[float, str]:
        """(amount, unit) of a step's limit."""
        step = Step(step).value
        return float(getattr(self, f"{step}_limit")), getattr(self, f"{step}_limit_unit")


class HandlingUnit(models.Model):
    """处置单位 — a unit that handles cases at one of the four levels: a community residents' committee, a
    street department (including the street's comprehensive enforcement team 综合执法队), a district
    department, a city department. `area` is where it works; `parent` is the unit a case goes to when
    escalated and no rule says otherwise; `categories` are what it handles (empty: whatever its type
    handles by default)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=UnitLevel.choices, db_index=True)
    unit_type = models.CharField(_("type"), max_length=32, choices=UnitType.choices)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    area_code = models.CharField(_("area code"), max_length=14, db_index=True, editable=False)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("reports to"),
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="units", verbose_name=_("categories handled")
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("head"),
        help_text=_("notified on supervision and escalation"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="handling_units", verbose_name=_("staff")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("handling unit")
        verbose_name_plural = _("handling units")
        ordering = ["area_code", "level", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.area_code = self.area.code
        super().save(*args, **kwargs)


class RoutingRule(models.Model):
    """派遣规则 — cases of `category` (any category when empty) located under `area_prefix` (an area code or
    its prefix; empty: everywhere) go to `unit`. The highest priority wins, then the longest prefix, then a
    rule naming the category over a catch-all."""

    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules",
        verbose_name=_("category"),
    )
    area_prefix = models.CharField(_("area code prefix"), max_length=14, blank=True, db_index=True)
    unit = models.ForeignKey(
        HandlingUnit, on_delete=models.CASCADE, related_name="rules", verbose_name=_("unit")
    )
    priority = models.IntegerField(_("priority"), default=0)
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["-priority", "area_prefix", "id"]

    def __str__(self) -> str:
        return f"{self.category or '*'} @ {self.area_prefix or '*'} → {self.unit}"
