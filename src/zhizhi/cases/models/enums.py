"""Choices of the case models. Workflow values mirror the pure `cases.workflow` enums (a test keeps them
equal)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # 待立案
    REGISTERED = "registered", _("Registered, to dispatch")  # 已立案
    REJECTED = "rejected", _("Not registered")  # 不予立案
    MERGED = "merged", _("Merged into another case")  # 已合并
    DISPATCHED = "dispatched", _("Dispatched, to sign for")  # 待签收
    ACCEPTED = "accepted", _("Signed for")  # 已签收
    IN_HANDLING = "in_handling", _("In handling")  # 处置中
    HANDLED = "handled", _("Handled, to verify")  # 待核查
    VERIFIED = "verified", _("Verified, to close")  # 待结案
    CLOSED = "closed", _("Closed")  # 已结案
    BACKLOGGED = "backlogged", _("Backlogged")  # 挂账


class CaseAction(models.TextChoices):
    REGISTER = "register", _("Register")  # 立案
    REJECT = "reject", _("Reject")  # 不予立案
    MERGE = "merge", _("Merge")  # 合并
    DISPATCH = "dispatch", _("Dispatch")  # 派遣
    ACCEPT = "accept", _("Sign for")  # 签收
    START = "start", _("Start handling")  # 开始处置
    SUBMIT = "submit", _("Submit handling feedback")  # 处置反馈
    VERIFY = "verify", _("Verify")  # 核查通过
    REWORK = "rework", _("Send back for rework")  # 返工
    CLOSE = "close", _("Close")  # 结案
    RETURN = "return", _("Return to dispatcher")  # 退回
    ESCALATE = "escalate", _("Escalate")  # 上报
    SEND_DOWN = "send_down", _("Send down")  # 下派
    SUPERVISE = "supervise", _("Supervise")  # 督办
    REQUEST_EXTENSION = "request_extension", _("Request extension")  # 申请延期
    APPROVE_EXTENSION = "approve_extension", _("Approve extension")  # 同意延期
    REFUSE_EXTENSION = "refuse_extension", _("Refuse extension")  # 不同意延期
    BACKLOG = "backlog", _("Backlog")  # 挂账
    RESUME = "resume", _("Resume")  # 恢复办理
    REVISIT = "revisit", _("Revisit")  # 回访
    REOPEN = "reopen", _("Reopen")  # 重新办理
    WARN = "warn", _("Deadline warning")  # 预警
    OPEN = "open", _("Reported")  # 上报/受理 (the first row of every case)


class Step(models.TextChoices):
    REGISTER = "register", _("Registration")  # 立案
    DISPATCH = "dispatch", _("Dispatch")  # 派遣
    SIGN = "sign", _("Signing for")  # 签收
    HANDLE = "handle", _("Handling")  # 处置
    VERIFY = "verify", _("Verification")  # 核查
    CLOSE = "close", _("Closure")  # 结案


class LimitUnit(models.TextChoices):
    WORK_HOURS = "work_hours", _("working hours")  # 工作时
    WORK_DAYS = "work_days", _("working days")  # 工作日
    CLOCK_HOURS = "clock_hours", _("clock hours")  # 自然小时


class CategoryKind(models.TextChoices):
    EVENT = "event", _("Event")  # 事件
    COMPONENT = "component", _("Component")  # 部件


class Department(models.TextChoices):
    """The 12345 hotline's first-level department domains (一级分类)."""

    URBAN_RURAL_CONSTRUCTION = "urban_rural_construction", _("Urban and rural construction")  # 城乡建设
    ENVIRONMENT = "environment", _("Environmental protection")  # 环境保护
    TRANSPORT = "transport", _("Transport")  # 交通运输
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")  # 民政
    LABOUR = "labour", _("Labour and social security")  # 劳动和社会保障
    HEALTH = "health", _("Health")  # 卫生计生
    COMMERCE = "commerce", _("Commerce and tourism")  # 商贸旅游
    POLITICS_LAW = "politics_law", _("Public security and law")  # 政法
    EDUCATION = "education", _("Education, culture and sports")  # 教育文体
    LAND = "land", _("Land and resources")  # 国土资源


class UnitLevel(models.TextChoices):
    """四级联办 — ordered from the bottom up."""

    COMMUNITY = "community", _("Community")  # 社区
    STREET = "street", _("Street")  # 街道
    DISTRICT = "district", _("District")  # 区
    CITY = "city", _("City")  # 市


LEVEL_ORDER = [UnitLevel.COMMUNITY, UnitLevel.STREET, UnitLevel.DISTRICT, UnitLevel.CITY]


def level_above(level: str) -> UnitLevel | None:
    i = LEVEL_ORDER.index(UnitLevel(level))
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


def level_rank(level: str) -> int:
    return LEVEL_ORDER.index(UnitLevel(level))


class UnitType(models.TextChoices):
    """What a handling unit does; a category names the type that handles it by default."""

    COMMUNITY_COMMITTEE = "community_committee", _("Community residents' committee")  # 社区居委会
    COMMAND_CENTRE = "command_centre", _("Command centre")  # 指挥中心/12345
    URBAN_MANAGEMENT = "urban_management", _("Urban management")  # 城管/城建
    ENFORCEMENT = "enforcement", _("Comprehensive enforcement team")  # 综合行政执法队
    SANITATION = "sanitation", _("Sanitation")  # 环卫
    PUBLIC_WORKS = "public_works", _("Municipal facilities")  # 市政设施
    LANDSCAPING = "landscaping", _("Landscaping")  # 园林绿化
    HOUSING = "housing", _("Housing and property")  # 房管/物业监管
    SOCIAL_AFFAIRS = "social_affairs", _("Social affairs and elderly care")  # 社会事务/民政
    SAFETY = "safety", _("Public safety and mediation")  # 平安/综治/调解
    TRAFFIC = "traffic", _("Traffic")  # 交警/交通
    MARKET = "market", _("Market regulation")  # 市场监管
    ECOLOGY = "ecology", _("Ecology and environment")  # 生态环境
    WATER = "water", _("Water")  # 水务
    UTILITY = "utility", _("Utilities (power, gas, telecom)")  # 公用事业
    PLANNING = "planning", _("Planning and construction")  # 规划/住建


class Channel(models.TextChoices):
    RESIDENT = "resident", _("Resident page")  # 居民端
    STAFF = "staff", _("Staff entry")  # 工作人员录入
    HOTLINE = "hotline", _("Hotline")  # 热线
    OPEN311 = "open311", _("Open311")
    ONECALL = "onecall", _("1 Call")  # 一句话办事
    SENSOR = "sensor", _("Sensor alarm")  # 物联感知
    CAMERA = "camera", _("Camera detection")  # 视频AI
    PATROL = "patrol", _("Grid-worker patrol")  # 网格员巡查


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")  # 一般
    URGENT = "urgent", _("Urgent")  # 紧急


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    BASICALLY = "basically", _("Basically satisfied")  # 基本满意
    UNSATISFIED = "unsatisfied", _("Unsatisfied")  # 不满意


class VerificationMethod(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker on site")  # 网格员现场核查
    CAMERA = "camera", _("Camera re-check")  # 视频复核
    STAFF = "staff", _("Staff")  # 工作人员


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")  # 现场照片
    EVIDENCE = "evidence", _("Handling evidence")  # 处置凭证
    VERIFICATION = "verification", _("Verification photo")  # 核查照片
    DOCUMENT = "document", _("Document")


class NotificationChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom")  # 企业微信
    EMAIL = "email", _("Email")
    DEV = "dev", _("Development (recorded only)")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Gave up")
