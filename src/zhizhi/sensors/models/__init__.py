"""Models of the sensors app (智能门磁): devices, events, health tickets, watched elders and their alarms."""

from zhizhi.sensors.models.alarms import (
    Alarm,
    AlarmAction,
    AlarmKind,
    AlarmLog,
    AlarmStatus,
    AwayNotice,
    ContactAttempt,
    ContactStatus,
    LadderStep,
    Outcome,
    Watch,
)
from zhizhi.sensors.models.devices import Device, DeviceKind, Gateway, GatewayKind, Installation
from zhizhi.sensors.models.events import (
    DeadLetter,
    EventKind,
    MaintenanceTicket,
    SensorEvent,
    Source,
    TicketKind,
    TicketStatus,
    UnknownDevice,
)
from zhizhi.sensors.models.tuning import ThresholdChange, TuningParameter, TuningStatus

__all__ = [
    "Alarm",
    "AlarmAction",
    "AlarmKind",
    "AlarmLog",
    "AlarmStatus",
    "AwayNotice",
    "ContactAttempt",
    "ContactStatus",
    "DeadLetter",
    "Device",
    "DeviceKind",
    "EventKind",
    "Gateway",
    "GatewayKind",
    "Installation",
    "LadderStep",
    "MaintenanceTicket",
    "Outcome",
    "SensorEvent",
    "Source",
    "TicketKind",
    "ThresholdChange",
    "TicketStatus",
    "TuningParameter",
    "TuningStatus",
    "UnknownDevice",
    "Watch",
]
