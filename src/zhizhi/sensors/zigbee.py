"""Reading Zigbee2MQTT messages (pure): topic + payload → a Reading, or Malformed with the reason.

Topics under a base topic (the gateway's name, default ``zigbee2mqtt``):
  ``<prefix>/<friendly_name>``               JSON state: contact (false = open), battery, battery_low,
                                             voltage, linkquality, tamper, last_seen
  ``<prefix>/<friendly_name>/availability``  "online"/"offline" or {"state": "online"}
  ``<prefix>/bridge/state``                  the bridge itself, same payloads
Other ``bridge/…`` topics and ``…/set``/``…/get`` commands are not device reports and are ignored.

Exactly-once needs ``last_seen`` in every message (Zigbee2MQTT ``advanced.last_seen: ISO_8601``): the dedup
key of a message is made of the device, its ``last_seen`` and its content, so a redelivered message has the
same key. Without ``last_seen`` the key falls back to the time of receipt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

STATE, AVAILABILITY, BRIDGE = "state", "availability", "bridge"
IGNORED_SUFFIXES = ("set", "get")
KNOWN_KEYS = (
    "contact",
    "battery",
    "battery_low",
    "voltage",
    "linkquality",
    "tamper",
    "last_seen",
    "occupancy",
)


class Malformed(ValueError):
    """A message that cannot be read; the text is the reason kept in the dead-letter table."""


@dataclass(slots=True)
class Reading:  # not frozen (treat it as immutable): a frozen dataclass's __init__ costs ~2 µs more a message
    gateway: str
    name: str
    kind: str  # STATE, AVAILABILITY or BRIDGE
    at: dt.datetime  # the device's last_seen, else the time of receipt
    key: str  # dedup key of the message (sha256 hex)
    contact: bool | None = None
    occupancy: bool | None = None
    battery: int | None = None
    battery_low: bool | None = None
    voltage: int | None = None
    linkquality: int | None = None
    tamper: bool | None = None
    online: bool | None = None
    has_last_seen: bool = False

    @property
    def opened(self) -> bool | None:
        """True open, False closed, None not said (a PIR's occupancy counts as an opening)."""
        if self.contact is not None:
            return not self.contact
        return self.occupancy


@lru_cache(maxsize=64)
def _longest_first(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(prefixes, key=len, reverse=True))


def split_topic(topic: str, prefixes: tuple[str, ...]) -> tuple[str, str, str] | None:
    """(gateway, device name, kind) or None for topics that are not device reports."""
    for prefix in _longest_first(prefixes):
        if not topic.startswith(prefix + "/"):
            continue
        rest = topic[len(prefix) + 1 :]
        if rest == "bridge/state":
            return prefix, "bridge", BRIDGE
        if rest.startswith("bridge/") or not rest:
            return None
        head, _, last = rest.rpartition("/")
        if last in IGNORED_SUFFIXES and head:
            return None
        if last == "availability" and head:
            return prefix, head, AVAILABILITY
        return prefix, rest, STATE
    return None


# How far ahead of our clock a bridge's last_seen is believed (clocks drift; a NTP-less bridge jumps).
MAX_AHEAD = dt.timedelta(minutes=10)


def parse_time(value: Any) -> dt.datetime:
    """last_seen as ISO-8601 (with or without zone; a local one is read as Asia/Shanghai) or epoch ms."""
    if value.__class__ is str:
        try:
            moment = dt.datetime.fromisoformat(value)  # Python 3.11 reads "Z" and "+08:00" alike
        except ValueError as exc:
            raise Malformed(f"last_seen is not a time: {value[:40]!r}") from exc
        if moment.tzinfo is None:
            from zoneinfo import ZoneInfo

            moment = moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        return moment.astimezone(dt.UTC)
    if isinstance(value, bool):
        raise Malformed("last_seen must be a time")
    if isinstance(value, int | float):
        try:
            return dt.datetime.fromtimestamp(value / 1000.0, dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:  # beyond any calendar, or NaN
            raise Malformed(f"last_seen is not a time: {value!r}") from exc
    if isinstance(value, str):  # a str subclass
        return parse_time(str(value))
    raise Malformed("last_seen must be a time")


def _bool(data: dict, key: str) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise Malformed(f"{key} must be true or false, not {json.dumps(value)[:20]}")
    return value


def _int(data: dict, key: str, low: int, high: int) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Malformed(f"{key} must be a number from {low} to {high}")
    return int(round(value))


def _state(payload: bytes | str) -> bool:
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    text = text.strip()
    value: Any = text
    if text.startswith("{"):
        try:
            value = json.loads(text).get("state")
        except (ValueError, AttributeError) as exc:
            raise Malformed("availability payload is not JSON") from exc
    if value in ("online", "offline"):
        return value == "online"
    raise Malformed('availability must be "online" or "offline"')


def message_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def parse(
    topic: str, payload: bytes | str, received_at: dt.datetime, prefixes: tuple[str, ...] = ("zigbee2mqtt",)
) -> Reading | None:
    """One message → a Reading; None for a topic that is not a device report; Malformed for bad content."""
    where = split_topic(topic, prefixes)
    if where is None:
        return None
    gateway, name, kind = where
    if kind in (AVAILABILITY, BRIDGE):
        online = _state(payload)
        key = message_key(gateway, name, kind, str(online), received_at.isoformat())
        return Reading(gateway, name, kind, received_at, key, online=online)
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise Malformed("payload is not JSON") from exc
    if data.__class__ is not dict:
        raise Malformed("payload must be a JSON object")
    raw = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    return reading_from_dict(gateway, name, data, received_at, raw=raw)


def reading_from_dict(
    gateway: str, name: str, data: dict, received_at: dt.datetime, raw: str | None = None
) -> Reading:
    """A device's JSON state (Zigbee2MQTT shape, also used by the HTTP gateway endpoint) → a Reading. The
    dedup key hashes the message as sent (`raw`, when given: a redelivery repeats it byte for byte)."""
    get = data.get
    last_seen = get("last_seen")
    at = parse_time(last_seen) if last_seen is not None else received_at
    if at > received_at + MAX_AHEAD:
        # A bridge whose clock runs ahead (or sends garbage) must not stamp activity in the future: the
        # elder's last activity would stay "later" than every real firing, and hold off every silence
        # alarm until then. The firing happened; it is stamped on arrival (the dedup key keeps the stamp).
        at = received_at
    stamp = str(last_seen) if last_seen is not None else received_at.isoformat()
    if raw is None:
        raw = json.dumps({k: data[k] for k in KNOWN_KEYS if k in data}, sort_keys=True, default=str)
    key = message_key(gateway, name, stamp, raw)
    # the usual door report (a boolean contact, an integer linkquality, nothing else) without the checks'
    # function calls; anything else goes through them (same results, same reasons)
    contact = get("contact")
    linkquality: Any = get("linkquality")  # Any: mypy does not narrow on the `__class__ is int` test below
    if (
        (contact is True or contact is False)
        and linkquality.__class__ is int
        and 0 <= linkquality <= 255
        and len(data) <= 3
        and (len(data) == 2 or last_seen is not None)
    ):
        return Reading(gateway, name, STATE, at, key, contact=contact, linkquality=linkquality,
                       has_last_seen=last_seen is not None)  # fmt: skip
    return Reading(
        gateway,
        name,
        STATE,
        at,
        key,
        contact=_bool(data, "contact"),
        occupancy=_bool(data, "occupancy"),
        battery=_int(data, "battery", 0, 100),
        battery_low=_bool(data, "battery_low"),
        voltage=_int(data, "voltage", 0, 100_000),
        linkquality=_int(data, "linkquality", 0, 255),
        tamper=_bool(data, "tamper"),
        has_last_seen=last_seen is not None,
    )


def state_payload(
    contact: bool | None = None, *, last_seen: dt.datetime | None = None, battery: int | None = None, **extra
) -> str:
    """A Zigbee2MQTT state message as a door contact would publish it (for replay and tests)."""
    data: dict[str, Any] = dict(extra)
    if contact is not None:
        data["contact"] = contact
    if battery is not None:
        data["battery"] = battery
    if last_seen is not None:
        data["last_seen"] = last_seen.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    return json.dumps(data)
