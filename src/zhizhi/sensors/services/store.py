"""The hot path of ingestion in plain SQL: lock the batch's devices, insert events, write device state.

Django's ORM spends milliseconds per row here (model instances, bulk_update's CASE per row and field), which
caps a consumer at a few hundred messages a second; these statements keep a batch to three round trips. On
PostgreSQL arrays are passed whole (``unnest``), so a batch of any size is three short statements; on SQLite
``executemany`` does the same in-process.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection

from zhizhi.sensors.models import Device, Gateway, SensorEvent

STATE_FIELDS = (
    "contact_open",
    "state_at",
    "battery",
    "battery_low",
    "voltage",
    "linkquality",
    "tamper",
    "online",
    "availability_changed_at",
    "last_seen_at",
    "last_activity_at",
)
PG_TYPES = {
    "contact_open": "boolean",
    "state_at": "timestamptz",
    "battery": "integer",
    "battery_low": "boolean",
    "voltage": "integer",
    "linkquality": "integer",
    "tamper": "boolean",
    "online": "boolean",
    "availability_changed_at": "timestamptz",
    "last_seen_at": "timestamptz",
    "last_activity_at": "timestamptz",
}


@dataclass(slots=True)
class DeviceState:
    """A device's last known state, as ingestion reads and writes it."""

    id: int
    vendor_id: str
    gateway: str
    name: str
    contact_open: bool | None
    state_at: dt.datetime | None
    battery: int | None
    battery_low: bool
    voltage: int | None
    linkquality: int | None
    tamper: bool
    online: bool
    availability_changed_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    last_activity_at: dt.datetime | None


def _cursor():
    """On PostgreSQL a server-side-binding psycopg cursor (Django's default client-side binding quotes big
    arrays in Python; with binary=True psycopg dumps them in C); elsewhere Django's cursor."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        import psycopg

        return psycopg.Cursor(connection.connection)
    return connection.cursor()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _adapt(value):
    """Datetimes as Django writes them to SQLite (naive UTC text), so stored values compare correctly."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _aware(value):
    """SQLite hands datetimes back as naive UTC (or text); make them aware."""
    if value is None or connection.vendor == "postgresql":
        return value
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def lock_devices(names: set[tuple[str, str]], vendor_ids: set[str]) -> list[DeviceState]:
    """The active devices named (gateway, friendly name) or by vendor id, locked till the transaction ends."""
    if not names and not vendor_ids:
        return []
    device, gateway = _q(Device._meta.db_table), _q(Gateway._meta.db_table)
    columns = ", ".join(f"d.{_q(Device._meta.get_field(f).column)}" for f in STATE_FIELDS)
    pg = connection.vendor == "postgresql"
    params: list = []

    def among(column: str, values: set[str]) -> str:
        if pg:
            params.append(sorted(values))
            return f"{column} = ANY(%s::varchar[])"
        params.extend(sorted(values))
        return f"{column} IN ({', '.join(['%s'] * len(values))})"

    where = []
    if names:
        by_gateway = among(f"g.{_q('name')}", {g for g, _ in names})
        by_name = among(f"d.{_q('friendly_name')}", {n for _, n in names})
        where.append(f"({by_gateway} AND {by_name})")
    if vendor_ids:
        where.append(among(f"d.{_q('vendor_id')}", vendor_ids))
    lock = " FOR UPDATE OF d" if connection.features.has_select_for_update_of else ""
    sql = (
        f"SELECT d.id, d.{_q('vendor_id')}, COALESCE(g.{_q('name')}, ''), d.{_q('friendly_name')}, {columns} "  # noqa: S608
        f"FROM {device} d LEFT JOIN {gateway} g ON g.id = d.{_q('gateway_id')} "
        f"WHERE d.{_q('active')} AND ({' OR '.join(where)}) ORDER BY d.id{lock}"
    )
    with _cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    for row in rows:
        state = DeviceState(*row)
        for name in ("state_at", "availability_changed_at", "last_seen_at", "last_activity_at"):
            setattr(state, name, _aware(getattr(state, name)))
        for name in ("battery_low", "tamper", "online"):
            setattr(state, name, bool(getattr(state, name)))
        if state.contact_open is not None:
            state.contact_open = bool(state.contact_open)
        out.append(state)
    return out


def insert_events(rows: list[tuple]) -> None:
    """rows: (device_id, kind, at, received_at, dedup_key, source, data); known dedup keys are skipped."""
    if not rows:
        return
    table = _q(SensorEvent._meta.db_table)
    names = ("device_id", "kind", "at", "received_at", "dedup_key", "source", "data")
    columns = ", ".join(_q(n) for n in names)
    with _cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT * FROM unnest(%s::bigint[], %s::varchar[], "  # noqa: S608
                "%s::timestamptz[], %s::timestamptz[], %s::varchar[], %s::varchar[], %s::jsonb[]) "
                "ON CONFLICT (dedup_key) DO NOTHING",
                [
                    [r[0] for r in rows],
                    [r[1] for r in rows],
                    [r[2] for r in rows],
                    [r[3] for r in rows],
                    [r[4] for r in rows],
                    [r[5] for r in rows],
                    [json.dumps(r[6]) for r in rows],
                ],
                binary=True,
            )
        else:
            cursor.executemany(
                f"INSERT OR IGNORE INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
                [(r[0], r[1], _adapt(r[2]), _adapt(r[3]), r[4], r[5], json.dumps(r[6])) for r in rows],
            )


def save_states(states: list[DeviceState]) -> None:
    """Write the state columns of the devices a batch touched."""
    if not states:
        return
    table = _q(Device._meta.db_table)
    columns = [Device._meta.get_field(f).column for f in STATE_FIELDS]
    with _cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{PG_TYPES[f]}[]" for f in STATE_FIELDS)
            sets = ", ".join(f"{_q(c)} = v.{_q(c)}" for c in columns)
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM unnest(%s::bigint[], {arrays}) "  # noqa: S608
                f"AS v(id, {', '.join(_q(c) for c in columns)}) WHERE {table}.id = v.id",
                [[s.id for s in states]] + [[getattr(s, f) for s in states] for f in STATE_FIELDS],
                binary=True,
            )
        else:
            sets = ", ".join(f"{_q(c)} = %s" for c in columns)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608
                [[_adapt(getattr(s, f)) for f in STATE_FIELDS] + [s.id] for s in states],
            )
