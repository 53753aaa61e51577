"""People: residents, households, where each person lives, and their contacts.

ID numbers and phones are stored encrypted, with a blind index for exact lookup and a masked copy for lists
(see zhizhi.core.pii). `area_code` on a resident is the code of the grid of their primary dwelling (or the
community when the dwelling is unknown): every scope check is a prefix test on it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhizhi.core.pii import EncryptedTextField


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class ResidentStatus(models.TextChoices):
    ACTIVE = "active", _("Living here")
    MOVED_OUT = "moved_out", _("Moved out")
    DECEASED = "deceased", _("Deceased")


class Tag(models.Model):
    """人员标签 — 独居, 高龄, 低保, 低边, 特困, 残疾, 失能, 党员, 志愿者 … (data, editable)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """户 — a registered household (family or collective) at a dwelling."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("Family household")
        COLLECTIVE = "collective", _("Collective household")

    number = models.CharField(_("household number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FAMILY)
    dwelling = models.ForeignKey(
        "areas.Dwelling", null=True, blank=True, on_delete=models.PROTECT, related_name="households"
    )
    head = models.ForeignKey(
        "Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("head")
    )
    area_code = models.CharField(_("area code"), max_length=14, db_index=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class Resident(models.Model):
    """居民 — a person in the registry, unique by ID number."""

    name = models.CharField(_("name"), max_length=64)
    name_pinyin = models.CharField(_("pinyin"), max_length=200, blank=True, db_index=True, editable=False)
    id_number = EncryptedTextField(_("ID number"))
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    birth_date = models.DateField(_("date of birth"), editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=ResidentStatus.choices, default="active")
    tags = models.ManyToManyField(Tag, blank=True, related_name="residents", verbose_name=_("tags"))
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    relation_to_head = models.CharField(_("relation to head"), max_length=16, blank=True)
    home = models.ForeignKey(
        "areas.Dwelling",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("primary dwelling"),
    )
    area_code = models.CharField(_("area code"), max_length=14)  # indexed with name: see Meta
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["area_code", "name", "id"]
        indexes = [
            # Scope (a code range) and list order in one index; on PostgreSQL it also carries the pinyin, so
            # a pinyin filter is checked in the index. Search indexes (trigram, name chars): migration 0004.
            models.Index(
                fields=["area_code", "name", "id"], include=["name_pinyin"], name="resident_area_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Residence(models.Model):
    """居住关系 — a person lives at (or owns) a dwelling."""

    class Relation(models.TextChoices):
        OWNER = "owner", _("Owner")
        TENANT = "tenant", _("Tenant")
        FAMILY = "family", _("Family member")
        COLLECTIVE = "collective", _("Collective")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="residences")
    dwelling = models.ForeignKey("areas.Dwelling", on_delete=models.PROTECT, related_name="residences")
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    is_primary = models.BooleanField(_("primary"), default=True)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        constraints = [
            models.UniqueConstraint(fields=["resident", "dwelling"], name="one_residence_per_dwelling")
        ]

    def __str__(self) -> str:
        return f"{self.resident} @ {self.dwelling}"


class Contact(models.Model):
    """亲属/紧急联系人 — a family or emergency contact of a resident."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("Family")
        EMERGENCY = "emergency", _("Emergency contact")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=64)
    relation = models.CharField(_("relation"), max_length=16, blank=True)
    phone = EncryptedTextField(_("phone"))
    phone_masked = models.CharField(_("phone"), max_length=20, editable=False)
    contact_resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.PositiveSmallIntegerField(_("priority"), default=1)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["resident", "priority"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relation})"


class ExportKind(models.TextChoices):
    RESIDENTS = "residents", _("Residents")
    HOUSEHOLDS = "households", _("Households")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """导出任务 — an Excel export built in the background (people.tasks.build_export) for the one who asked.

    The file is built with the requester's scope and reveal rights at the time it runs, kept in the row, and
    offered only to the requester.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    area_code = models.CharField(_("area code"), max_length=14, blank=True, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=ExportKind.choices)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    file = models.BinaryField(_("file"), null=True, blank=True, editable=False)
    filename = models.CharField(_("file name"), max_length=128, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "created_at"], name="exportjob_owner_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"
