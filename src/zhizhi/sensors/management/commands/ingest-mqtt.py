"""`zhizhi ingest-mqtt` — consume Zigbee2MQTT messages into normalised events (see zhizhi.sensors.mqtt).

Run one process per core; give each a stable, distinct --client-id (its persistent session carries what
arrives while it is down) and the same --group (they share the subscription).
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.core.management.base import BaseCommand, CommandError

from zhizhi.sensors.mqtt import Broker, Consumer, ConsumerSettings, stop_on_signals


class Command(BaseCommand):
    help = "Consume device messages from MQTT (QoS 1, persistent session, acknowledged after commit)."

    def add_arguments(self, parser):
        env = os.environ.get
        parser.add_argument(
            "--mqtt", default=env("ZHIZHI_MQTT_URL", "mqtt://127.0.0.1:1883"), help="broker URL"
        )
        parser.add_argument("--prefix", action="append", help="Zigbee2MQTT base topic (repeatable)")
        parser.add_argument(
            "--group",
            default=env("ZHIZHI_MQTT_GROUP", "zhizhi"),
            help='shared-subscription group ("" for a plain subscription)',
        )
        parser.add_argument(
            "--client-id", default=env("ZHIZHI_MQTT_CLIENT_ID", f"zhizhi-ingest-{socket.gethostname()}")
        )
        parser.add_argument("--batch", type=int, default=2000, help="most messages per transaction")
        parser.add_argument(
            "--max-wait", type=float, default=0.2, help="seconds a message may wait for its batch to fill"
        )
        parser.add_argument(
            "--receive-maximum",
            type=int,
            default=65535,
            help="unacknowledged messages the broker may send ahead (MQTT 5 Receive Maximum, 1–65535)",
        )
        parser.add_argument("--session-expiry", type=int, default=7 * 86400, help="seconds")
        parser.add_argument(
            "--check-interval",
            type=float,
            default=2.0,
            help="seconds between alarm checks (a door left open at night alarms within this)",
        )
        parser.add_argument(
            "--no-checks", action="store_true", help="only ingest; run `sensors tick` elsewhere"
        )
        parser.add_argument(
            "--max-messages", type=int, help="stop after storing this many (tests, benchmarks)"
        )

    def handle(self, *args, **options):
        try:
            Broker.from_url(options["mqtt"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        if not 1 <= options["receive_maximum"] <= 65535:
            raise CommandError("--receive-maximum must be from 1 to 65535")
        logging.getLogger("zhizhi.sensors").setLevel(
            logging.INFO if options["verbosity"] > 1 else logging.WARNING
        )
        settings = ConsumerSettings(
            url=options["mqtt"],
            prefixes=tuple(options["prefix"] or ["zigbee2mqtt"]),
            group=options["group"],
            client_id=options["client_id"],
            batch_size=options["batch"],
            max_wait_s=options["max_wait"],
            receive_maximum=options["receive_maximum"],
            session_expiry_s=options["session_expiry"],
            check_interval_s=options["check_interval"],
            run_checks=not options["no_checks"],
        )
        stop = threading.Event()
        stop_on_signals(stop)
        stored = Consumer(settings, stop).run(max_messages=options["max_messages"])
        if options["verbosity"] > 0:
            self.stdout.write(f"stored {stored} message(s)")
