"""The case, its photos and its history (one append-only row per transition)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Left
from django.utils.translation import gettext_lazy as _

from zhizhi.cases.models.enums import (
    AttachmentKind,
    CaseAction,
    CaseStatus,
    Channel,
    Satisfaction,
    Step,
    UnitLevel,
    Urgency,
)
from zhizhi.cases.models.taxonomy import Category, HandlingUnit
from zhizhi.core.pii import EncryptedTextField

OPEN_STATUSES = [
    CaseStatus.RECEIVED,
    CaseStatus.REGISTERED,
    CaseStatus.DISPATCHED,
    CaseStatus.ACCEPTED,
    CaseStatus.IN_HANDLING,
    CaseStatus.HANDLED,
    CaseStatus.VERIFIED,
    CaseStatus.BACKLOGGED,
]

# Statuses of the cases on a unit's worklist (held by the unit, not yet handed back for verification).
WORKLIST_STATUSES = [
    CaseStatus.DISPATCHED,
    CaseStatus.ACCEPTED,
    CaseStatus.IN_HANDLING,
    CaseStatus.BACKLOGGED,
]


# Columns of the search filters carried in the search indexes (filtering inside the index, no table read).
COVER = ["status", "channel", "category", "overdue"]
# Columns of a transition the indicators aggregate besides its keys (case or unit, action, at).
STEP_COLUMNS = ["on_time", "step_started_at"]


class Case(models.Model):
    """民情案件 — one public-sentiment item, from report to rating.

    `number` is read aloud on the phone (WL20261127-00042: street initials, local date, the day's serial).
    Location is WGS84 (GCJ-02 input converted at intake); `area_code` is the grid (or the finest area
    known) and `street_code` its street, both set by intake from the location. The current step's deadline
    and its 80 % warning moment are computed when the step starts and stored here, so the deadline scan is
    one indexed query. Change it only through cases.services; every change leaves a Transition row.
    """

    number = models.CharField(_("number"), max_length=24, editable=False)  # indexed: case_number
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,  # first in case_reporter
        related_name="reported_cases",
        verbose_name=_("reporter"),
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=64, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=20, blank=True, editable=False)
    lat = models.FloatField(_("latitude (WGS84)"), null=True, blank=True)
    lon = models.FloatField(_("longitude (WGS84)"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    area = models.ForeignKey(
        "areas.Area", null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid")
    )
    area_code = models.CharField(_("area code"), max_length=14)  # indexed first in case_area_created_cover
    street_code = models.CharField(_("street code"), max_length=9)  # first in case_number_per_street
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        db_index=False,  # first in case_category_open
        related_name="cases",
        verbose_name=_("category"),
    )
    title = models.CharField(_("title"), max_length=100, blank=True)
    description = models.TextField(_("description"))
    answers = models.JSONField(_("answers to the category's questions"), default=dict, blank=True)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.RECEIVED
    )
    current_unit = models.ForeignKey(
        HandlingUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,  # first in case_unit_worklist and case_unit_created
        related_name="cases",
        verbose_name=_("current unit"),
    )
    current_level = models.CharField(_("current level"), max_length=16, choices=UnitLevel.choices, blank=True)
    step = models.CharField(_("current step"), max_length=16, choices=Step.choices, blank=True)
    step_started_at = models.DateTimeField(_("step started"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline of the step"), null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField(_("warning moment"), null=True, blank=True, db_index=True)
    deadline_working = models.BooleanField(_("deadline in working time"), default=True, editable=False)
    warned = models.BooleanField(_("warned"), default=False, help_text=_("80% warning sent for this step"))
    overdue = models.BooleanField(_("overdue"), default=False, help_text=_("the step's deadline has passed"))
    supervised = models.BooleanField(_("under supervision"), default=False)  # 督办
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=128, null=True, blank=True
    )  # unique: case_idempotency_key
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="followed_cases",
        verbose_name=_("followers"),
        help_text=_("residents who reported the same problem and follow this case instead"),
    )
    source_ref = models.CharField(
        _("external reference"),
        max_length=64,
        blank=True,
        help_text=_("e.g. the camera detection or alarm id"),
    )
    created_at = models.DateTimeField(_("reported"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        # Every index is paid for on each intake (the case row is written once and read many times, but written
        # at hundreds a second): no single-column index where a composite one starts with the same column, and
        # uniqueness and lookups declared here rather than with unique=/db_index= on a CharField, which on
        # PostgreSQL adds a second, varchar_pattern_ops index for LIKE that nothing here runs.
        constraints = [
            models.UniqueConstraint(fields=["street_code", "number"], name="case_number_per_street"),
            models.UniqueConstraint(fields=["idempotency_key"], name="case_idempotency_key"),
        ]
        indexes = [
            models.Index(fields=["number"], name="case_number"),  # a number read out on the phone
            # Duplicate candidates at intake (cases.services.intake.nearby_open_cases): the open cases of a
            # category in a box, the box's longitude and the time window checked inside the index, so that
            # only the cases in the box are read from the table.
            models.Index(
                fields=["category", "lat", "lon", "created_at"],
                condition=models.Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="case_nearby_open",
            ),
            models.Index(fields=["current_unit", "status", "deadline"], name="case_unit_worklist"),
            # A grid's cases by time (area codes are at most 14 characters: a grid's prefix is an equality).
            models.Index(
                fields=["area_code", "created_at", "id"],
                include=COVER,
                name="case_area_created_cover",
            ),
            models.Index(fields=["status", "deadline"], name="case_status_deadline"),
            models.Index(fields=["category", "status", "created_at"], name="case_category_open"),
            models.Index(fields=["reporter", "created_at"], name="case_reporter"),
            # Case search (cases.queries.search_cases), newest first, with a selective filter inside a small
            # area: walk the filter's rows by time instead of the whole table.
            models.Index(fields=["channel", "created_at"], name="case_channel_created"),
            models.Index(fields=["status", "created_at"], name="case_status_created"),
            models.Index(
                fields=["created_at"], condition=models.Q(overdue=True), name="case_overdue_created"
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="case_open_created",
            ),
            # Case search in a community's or a street's cases (cases.queries.area_condition turns the code
            # prefix into an equality on these expressions), newest first, with the columns of the common
            # filters so that a rare status or channel is skipped inside the index (INCLUDE is PostgreSQL's;
            # elsewhere these are plain indexes on the key columns).
            # (area_code itself is included too: PostgreSQL reads an expression index alone only when it holds
            # every column the query names.)
            models.Index(
                Left("area_code", 9),
                "created_at",
                "id",
                include=[*COVER, "area_code"],
                name="case_street_created",
            ),
            models.Index(
                Left("area_code", 12),
                "created_at",
                "id",
                include=[*COVER, "area_code"],
                name="case_community_created",
            ),
            # The cases a unit holds, newest first (the scope of unit roles, and a UNION part for others).
            models.Index(
                fields=["current_unit", "created_at", "id"], include=COVER, name="case_unit_created"
            ),
            # A unit's worklist (cases.queries.worklist): its open cases with what orders, filters and counts
            # them, so that the counts and a page's ids come from the index alone.
            models.Index(
                fields=["current_unit", "status", "deadline", "id"],
                include=["overdue", "category"],
                condition=models.Q(status__in=[s.value for s in WORKLIST_STATUSES]),
                name="case_worklist",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseCounter(models.Model):
    """The last serial handed out per street and local day, for case numbers."""

    street_code = models.CharField(max_length=9)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case counter")
        constraints = [models.UniqueConstraint(fields=["street_code", "day"], name="case_counter_per_day")]

    def __str__(self) -> str:
        return f"{self.street_code} {self.day} #{self.last}"


class Transition(models.Model):
    """流转记录 — one step of a case's history: who did what, when, from which status to which, why, the units
    before and after, the deadline in force and the new one. Append-only; indicators are computed from
    these rows.

    `step_deadline` is the deadline that was running when the action happened, `step_started_at` when that
    step began, and `on_time` whether the action came before the deadline (按期派遣/处置/结案); `deadline`
    is the new step's deadline. Response and handling times are `at - step_started_at` of the signing and
    handling rows (cases.indicators).
    """

    # (indexed first in transition_case_steps, as unit_from and unit_to in theirs: no index of their own)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions", db_index=False)
    action = models.CharField(_("action"), max_length=24, choices=CaseAction.choices)
    from_status = models.CharField(_("from"), max_length=16, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=CaseStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    reason = models.TextField(_("reason"), blank=True)
    unit_from = models.ForeignKey(
        HandlingUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit before"),
        db_index=False,
    )
    unit_to = models.ForeignKey(
        HandlingUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit after"),
        db_index=False,
    )
    level_to = models.CharField(_("level after"), max_length=16, choices=UnitLevel.choices, blank=True)
    step_deadline = models.DateTimeField(_("deadline in force"), null=True, blank=True)
    step_started_at = models.DateTimeField(_("start of the step in force"), null=True, blank=True)
    on_time = models.BooleanField(_("on time"), null=True)
    deadline = models.DateTimeField(_("new deadline"), null=True, blank=True)
    data = models.JSONField(
        _("details"), default=dict, blank=True, help_text=_("evidence, attachment ids, …")
    )

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["at", "id"]
        # The indicators (cases.indicators.compute) read the step rows from these alone, never the table
        # (INCLUDE is PostgreSQL's; elsewhere these are plain indexes on the key columns): an area's through
        # its cases (a case's rows are also its history, and its closure facts), a unit's by (unit, action)
        # ranges of the period, what units were given by (unit_to, action).
        indexes = [
            models.Index(fields=["case", "action", "at"], include=STEP_COLUMNS, name="transition_case_steps"),
            models.Index(fields=["action", "at"], name="transition_action_at"),
            models.Index(
                fields=["unit_to", "action", "at"], include=["case"], name="transition_unitto_steps"
            ),
            models.Index(
                fields=["unit_from", "action", "at"], include=STEP_COLUMNS, name="transition_unitfrom_steps"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("transitions are append-only")
        super().save(*args, **kwargs)

    @property
    def rating_label(self) -> str:
        """A revisit's rating as people read it (满意 / 基本满意 / 不满意), not its stored value."""
        rating = (self.data or {}).get("rating", "")
        return str(Satisfaction(rating).label) if rating in Satisfaction.values else str(rating)


class CaseAttachment(models.Model):
    """案件附件 — a photo or document of a case, stored in the database (small files; limits in services)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    transition = models.ForeignKey(
        Transition, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=AttachmentKind.choices, default=AttachmentKind.PHOTO
    )
    filename = models.CharField(_("file name"), max_length=128)
    content_type = models.CharField(_("content type"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, editable=False)
    data = models.BinaryField(_("content"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.filename
