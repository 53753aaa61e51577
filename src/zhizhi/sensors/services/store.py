"""The hot path of ingestion in plain SQL: lock the batch's devices, insert events, write device state.

Django's ORM spends milliseconds per row here (model instances, bulk_update's CASE per row and field), which
caps a consumer at a few hundred messages a second; these statements keep a batch to a handful of round
trips. On PostgreSQL the rows go in with COPY (psycopg formats them in C) into session-local staging tables,
then one INSERT … ON CONFLICT DO NOTHING / one UPDATE … FROM moves them: passing Python lists as arrays cost
~40 µs a message in psycopg's list dumper. Device rows are read back in binary (psycopg's C timestamptz
loader, not Django's text one). On SQLite ``executemany`` does the same in-process.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import attrgetter
from typing import cast

import orjson
from django.db import connection
from django.db.models import Field

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
    columns = ", ".join(f"d.{_q(cast(Field, Device._meta.get_field(f)).column)}" for f in STATE_FIELDS)
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
        if pg:
            cursor.execute(sql, params, binary=True)
            return [DeviceState(*row) for row in cursor.fetchall()]
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


EVENT_COLUMNS = ("device_id", "kind", "at", "received_at", "dedup_key", "source", "data")
EVENT_STAGE = "sensors_event_stage"
STATE_STAGE = "sensors_state_stage"


def _stage(cursor, name: str, columns: str) -> None:
    """A temporary table of this session (created once; again after a rollback). The statement that reads
    it also deletes its rows, and each commit empties it (a temporary table is never vacuumed)."""
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}) ON COMMIT DELETE ROWS")


def _copy(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608
        write = copy.write_row
        for row in rows:
            write(row)


def insert_events(rows: list[tuple]) -> None:
    """rows: (device_id, kind, at, received_at, dedup_key, source, data); known dedup keys are skipped.
    `data` is a dict or its JSON text (bytes or str)."""
    if not rows:
        return
    table = _q(SensorEvent._meta.db_table)
    columns = ", ".join(_q(n) for n in EVENT_COLUMNS)
    dumps = orjson.dumps

    def text(data) -> str:
        if data.__class__ is str:
            return data
        return (data if data.__class__ is bytes else dumps(data)).decode()

    with _cursor() as cursor:
        if connection.vendor == "postgresql":
            _stage(
                cursor,
                EVENT_STAGE,
                "device_id bigint, kind varchar(16), at timestamptz, received_at timestamptz, "
                "dedup_key varchar(64), source varchar(8), data text",
            )
            _copy(cursor, EVENT_STAGE, EVENT_COLUMNS, ((*r[:6], text(r[6])) for r in rows))
            cursor.execute(  # the staging rows are taken (deleted) too: an outer transaction may go on
                f"WITH v AS (DELETE FROM {EVENT_STAGE} RETURNING *) "  # noqa: S608
                f"INSERT INTO {table} ({columns}) SELECT device_id, kind, at, received_at, dedup_key, "
                "source, data::jsonb FROM v ON CONFLICT (dedup_key) DO NOTHING"
            )
        else:
            cursor.executemany(
                f"INSERT OR IGNORE INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
                [(r[0], r[1], _adapt(r[2]), _adapt(r[3]), r[4], r[5], text(r[6])) for r in rows],
            )


def save_states(states: list[DeviceState]) -> None:
    """Write the state columns of the devices a batch touched."""
    if not states:
        return
    table = _q(Device._meta.db_table)
    columns = [cast(Field, Device._meta.get_field(f)).column for f in STATE_FIELDS]  # all concrete fields
    with _cursor() as cursor:
        if connection.vendor == "postgresql":
            _stage(
                cursor, STATE_STAGE, ", ".join(["id bigint"] + [f"{f} {PG_TYPES[f]}" for f in STATE_FIELDS])
            )
            _copy(cursor, STATE_STAGE, ("id", *STATE_FIELDS), map(attrgetter("id", *STATE_FIELDS), states))
            sets = ", ".join(f"{_q(c)} = v.{f}" for c, f in zip(columns, STATE_FIELDS, strict=True))
            cursor.execute(
                f"WITH v AS (DELETE FROM {STATE_STAGE} RETURNING *) "  # noqa: S608
                f"UPDATE {table} SET {sets} FROM v WHERE {table}.id = v.id"
            )
        else:
            sets = ", ".join(f"{_q(c)} = %s" for c in columns)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608
                [[_adapt(getattr(s, f)) for f in STATE_FIELDS] + [s.id] for s in states],
            )
