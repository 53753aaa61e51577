"""Programmes as data (惠民直达): who qualifies (a rule in the eligibility language), what they get,
how often and who delivers it; the local standards rules refer to; welfare facts the people registry
does not hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Target(models.TextChoices):
    PERSON = "person", _("Person")
    HOUSEHOLD = "household", _("Household")


class BenefitKind(models.TextChoices):
    CASH = "cash", _("Cash")
    IN_KIND = "in_kind", _("In kind or service")
    FEE_REDUCTION = "fee_reduction", _("Fee reduction")
    VOUCHER = "voucher", _("Service voucher or points")


class Unit(models.TextChoices):
    YUAN = "yuan", _("yuan")
    KWH = "kwh", _("kWh")
    CUBIC_METRE = "m3", _("cubic metres")
    POINTS = "points", _("points")
    VISITS = "visits", _("visits")


class Cycle(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    ONCE = "once", _("Once (on demand)")


class Delivery(models.TextChoices):
    CSV = "csv", _("CSV file")
    XLSX = "xlsx", _("Excel file")
    HTTP = "http", _("Push to the partner's HTTP endpoint")


class IdMode(models.TextChoices):
    MASKED = "masked", _("Masked ID number")
    HASHED = "hashed", _("Hashed ID number (SHA-256 with the agreed salt)")


class Partner(models.Model):
    """交换对象 — who delivers a benefit: the power company, the water company, a bank, a service platform."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    delivery = models.CharField(_("delivery"), max_length=8, choices=Delivery.choices, default=Delivery.XLSX)
    endpoint_url = models.URLField(_("endpoint"), blank=True)
    fields = models.JSONField(
        _("agreed fields"),
        default=list,
        help_text=_("Columns of the exchange file, in order (see welfare.exchange.formats.FIELDS)."),
    )
    id_mode = models.CharField(_("ID number as"), max_length=8, choices=IdMode.choices, default=IdMode.MASKED)
    hash_salt = models.CharField(_("hash salt"), max_length=64, blank=True)
    contact = models.CharField(_("contact"), max_length=128, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("delivery partner")
        verbose_name_plural = _("delivery partners")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Programme(models.Model):
    """帮扶项目 — one programme (低保, 高龄津贴, 电费减免 …): target, rule, benefit, cycle, partner."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    policy = models.TextField(_("policy in words"), blank=True)
    target = models.CharField(_("target"), max_length=16, choices=Target.choices, default=Target.PERSON)
    rule = models.TextField(_("eligibility rule"))
    benefit_kind = models.CharField(_("benefit"), max_length=16, choices=BenefitKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    formula = models.TextField(
        _("amount formula"), blank=True, help_text=_("Used when no fixed amount is set.")
    )
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, default=Unit.YUAN)
    cycle = models.CharField(_("cycle"), max_length=16, choices=Cycle.choices, default=Cycle.MONTHLY)
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programmes",
        verbose_name=_("partner"),
    )
    requires_consent = models.BooleanField(_("consent required"), default=False)
    area_code = models.CharField(_("area code"), max_length=14, blank=True, help_text=_("Empty: everywhere."))
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    evaluated_at = models.DateTimeField(_("last evaluated"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class LocalStandard(models.Model):
    """地方标准 — a figure rules refer to by name (低保标准 dibao_standard …), per area, from a date."""

    code = models.SlugField(_("code"), max_length=32)
    area_code = models.CharField(_("area code"), max_length=14, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("local standard")
        verbose_name_plural = _("local standards")
        ordering = ["code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "area_code", "valid_from"], name="welfare_standard_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.amount} ({self.valid_from})"


class DisabilityKind(models.TextChoices):
    NONE = "", _("None")
    VISUAL = "visual", _("Visual")
    HEARING = "hearing", _("Hearing")
    SPEECH = "speech", _("Speech")
    PHYSICAL = "physical", _("Physical")
    INTELLECTUAL = "intellectual", _("Intellectual")
    MENTAL = "mental", _("Mental")
    MULTIPLE = "multiple", _("Multiple")


class WelfareProfile(models.Model):
    """民生档案 — what welfare rules need and the people registry lacks: disability, illness, income."""

    resident = models.OneToOneField(
        "people.Resident",
        on_delete=models.CASCADE,
        related_name="welfare_profile",
        verbose_name=_("resident"),
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"), default=0, help_text=_("1 (most severe) to 4; 0 when none")
    )
    disability_kind = models.CharField(
        _("disability kind"), max_length=16, choices=DisabilityKind.choices, blank=True, default=""
    )
    chronic_illness = models.BooleanField(_("chronic or serious illness"), default=False)
    monthly_income = models.DecimalField(
        _("monthly income"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty until the income is assessed."),
    )
    updated_at = models.DateTimeField(_("updated"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("welfare profile")
        verbose_name_plural = _("welfare profiles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(disability_grade__lte=4), name="welfare_profile_grade_0_4"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}"


class PartnerAccount(models.Model):
    """户号/账号 — a household's (or person's) account number with a partner: electricity, water, bank."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="accounts")
    household = models.ForeignKey(
        "people.Household", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    resident = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    account_number = models.CharField(_("account number"), max_length=40)

    class Meta:
        verbose_name = _("partner account")
        verbose_name_plural = _("partner accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "household"],
                condition=models.Q(household__isnull=False),
                name="account_per_household",
            ),
            models.UniqueConstraint(
                fields=["partner", "resident"],
                condition=models.Q(resident__isnull=False),
                name="account_per_resident",
            ),
            models.CheckConstraint(
                condition=models.Q(household__isnull=False) | models.Q(resident__isnull=False),
                name="account_has_holder",
            ),
        ]

    def __str__(self) -> str:
        return self.account_number
