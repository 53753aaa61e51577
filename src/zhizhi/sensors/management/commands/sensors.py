"""`zhizhi sensors …` — replay and evaluate logs, and the sensors app's periodic and operator commands.

zhizhi sensors evaluate --format {kasteren,csv} FILE --json [--door SENSOR] [--sweep] [--notice LEAVES,BACK_BY]
    [--only SENSOR[,SENSOR…]]
zhizhi sensors replay --format {kasteren,csv} FILE [--speed N] [--mqtt URL] [--prefix P]
zhizhi sensors tick [--loop] [--interval 2]      due alarms, ladder steps, retries, health (periodic)
zhizhi sensors learn                             relearn every watched person's baseline (nightly)
zhizhi sensors add-device --vendor-id V [--name N] [--gateway P] [--kind door] [--dwelling CODE]
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError

from zhizhi.core.errors import DomainError
from zhizhi.sensors.detection.evaluate import DEFAULT_SEED, evaluate, split_moment, sweep
from zhizhi.sensors.detection.events import LogFormatError, Skipped, guess_door, local_seconds, read_log
from zhizhi.sensors.detection.rules import RuleConfig


def _log_arguments(parser) -> None:
    parser.add_argument("--format", choices=["kasteren", "csv"], required=True, dest="log_format")
    parser.add_argument("file")
    parser.add_argument("--tz", default="UTC", help="zone in which aware csv timestamps are read")
    parser.add_argument(
        "--door",
        help='the front-door sensor (default: a name with "front", "entrance", 入户门 …, else the only one with '
        '"door"; where several or none fit, the one that behaves like the way out in the first half)',
    )


def _notice(text: str) -> tuple[float, float]:
    """`LEAVES,BACK_BY` (ISO-8601 wall-clock times) → local seconds, as the detector reads the log."""
    try:
        leaves, back_by = (dt.datetime.fromisoformat(part.strip()) for part in text.split(","))
    except ValueError:
        raise CommandError(f"--notice: expected LEAVES,BACK_BY as ISO-8601 times, got {text!r}") from None
    if back_by <= leaves:
        raise CommandError(f"--notice: the return must come after the departure ({text!r})")
    return local_seconds(leaves.replace(tzinfo=dt.UTC)), local_seconds(back_by.replace(tzinfo=dt.UTC))


def _only(events: list, names: str) -> list:
    """The firings of the named sensors; an unknown name is an error that lists the log's sensors."""
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    sensors = sorted({e.sensor for e in events})
    unknown = [n for n in wanted if n not in sensors]
    if not wanted or unknown:
        raise CommandError(
            f"--only: no sensor {', '.join(unknown) or names!r} in the log (sensors: {', '.join(sensors)})"
        )
    return [e for e in events if e.sensor in wanted]


class Command(BaseCommand):
    help = "Replay or evaluate a door-sensor log; periodic checks; operator commands of the sensors app."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("evaluate", help="measure the detector on a log")
        _log_arguments(ev)
        ev.add_argument("--json", action="store_true", help="print JSON objects only")
        ev.add_argument("--sweep", action="store_true", help="one line per sensitivity setting first")
        ev.add_argument(
            "--alpha",
            type=float,
            default=RuleConfig.alpha,
            help="baseline level (for a home with 6 silences a day)",
        )
        ev.add_argument(
            "--only",
            metavar="SENSOR[,SENSOR…]",
            help="keep only these sensors' firings, e.g. the front door alone, to see what a flat fitted with"
            " fewer sensors would get",
        )
        ev.add_argument("--cuts", type=int, default=200, help="emergency moments (at least 100)")
        ev.add_argument("--seed", type=int, default=DEFAULT_SEED)
        ev.add_argument(
            "--notice",
            action="append",
            default=[],
            metavar="LEAVES,BACK_BY",
            help="an away notice (外出报备) in the log's wall-clock time, e.g. 2008-03-21T19:00,2008-03-23T19:30;"
            " repeatable",
        )
        rp = sub.add_parser("replay", help="publish a log as Zigbee2MQTT messages")
        _log_arguments(rp)
        rp.add_argument("--speed", type=float, default=1.0, help="time acceleration (0: no waiting)")
        rp.add_argument("--mqtt", default="mqtt://127.0.0.1:1883", help="broker URL")
        rp.add_argument("--prefix", default="zigbee2mqtt", help="Zigbee2MQTT base topic")
        tk = sub.add_parser("tick", help="raise due alarms, climb ladders, retry contacts and cases")
        tk.add_argument("--loop", action="store_true", help="run until stopped")
        tk.add_argument("--interval", type=float, default=2.0, help="seconds between checks when looping")
        sub.add_parser("learn", help="relearn every watched person's baseline")
        ad = sub.add_parser("add-device", help="register a device")
        ad.add_argument("--vendor-id", required=True)
        ad.add_argument("--name", default="", help="Zigbee2MQTT friendly name (default: the vendor id)")
        ad.add_argument("--gateway", default="zigbee2mqtt", help="the gateway's name (MQTT base topic)")
        ad.add_argument("--kind", default="door")
        ad.add_argument("--dwelling", help="standard-address code of the dwelling")
        ad.add_argument("--interior", action="store_true", help="not the front door")

    def handle(self, *args, **options):
        action = options["action"]
        if action in ("evaluate", "replay"):
            return self._log_command(action, options)
        try:
            getattr(self, "_" + action.replace("-", "_"))(options)
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'input'}: {exc.message}") from exc

    # -- logs -------------------------------------------------------------------------------------
    def _log_command(self, action: str, options: dict) -> None:
        away = [_notice(text) for text in options.get("notice") or []]  # bad input first, before the file
        skipped = Skipped()
        try:
            events = read_log(options["file"], options["log_format"], options["tz"], skipped)
        except FileNotFoundError as exc:
            raise CommandError(f"no such file: {options['file']}") from exc
        except (LogFormatError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if skipped.rows:
            # Real logs carry readings (temperature, light) next to their contacts: left out, and said so.
            self.stderr.write(skipped.summary())
        if options.get("only"):
            events = _only(events, options["only"])
        try:
            # A door told by its behaviour is learned on the first half only, as the baseline is.
            door = guess_door(events, options.get("door"), until=split_moment(events) if events else None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not events:
            raise CommandError("the log holds no events")
        if door is None and action == "evaluate":
            self.stderr.write(
                "no front door found (by name or by behaviour): every silence is read as one at home; "
                "name it with --door"
            )
        if action == "replay":
            from zhizhi.sensors.replay import replay_log

            try:
                replay_log(events, options, self.stdout)
            except (ConnectionError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            return
        config = replace(RuleConfig(), alpha=options["alpha"])
        kwargs = {
            "cuts": max(100, options["cuts"]),
            "seed": options["seed"],
            "notices": away,
        }
        try:
            if options["sweep"]:
                for result in sweep(events, door, config=config, **kwargs):
                    self._print(result, options)
            self._print(evaluate(events, door, config=config, **kwargs), options, door)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

    def _print(self, result, options, door=None):
        data = result.as_dict()
        if options["json"]:
            if door is not None:
                data["front_door"] = door  # the last line: which sensor was read as the way out
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        median, p90, missed = (
            data["detection_delay_h_median"],
            data["detection_delay_h_p90"],
            data["missed_fraction"],
        )
        self.stdout.write(
            f"alpha={data['alpha']}: median delay {median} h, p90 {p90} h, missed {missed:.1%}, "
            f"false alarms {data['false_alarms_per_day']}/person-day"
            + (f" (front door: {door})" if door else "")
        )

    # -- operations -------------------------------------------------------------------------------
    def _tick(self, options: dict) -> None:
        from zhizhi.sensors.mqtt import stop_on_signals
        from zhizhi.sensors.services import tick

        stop = threading.Event()
        if options["loop"]:
            stop_on_signals(stop)
        next_health = 0.0
        while True:
            health = time.monotonic() >= next_health
            report = tick(health_check=health)
            if health:
                next_health = time.monotonic() + 60
            if options["verbosity"] > 1 or not options["loop"]:
                self.stdout.write(json.dumps(report))
            if not options["loop"] or stop.wait(options["interval"]):
                return

    def _learn(self, options: dict) -> None:
        from zhizhi.sensors.services.profiles import learn_all

        self.stdout.write(f"learned {learn_all()} profile(s)")

    def _add_device(self, options: dict) -> None:
        from zhizhi.areas.models import Dwelling
        from zhizhi.sensors.models import Gateway
        from zhizhi.sensors.services import devices

        gateway, _ = Gateway.objects.get_or_create(name=options["gateway"])
        dwelling = None
        if options.get("dwelling"):
            dwelling = Dwelling.objects.filter(code=options["dwelling"]).first()
            if dwelling is None:
                raise CommandError(f"no dwelling with code {options['dwelling']}")
        device = devices.register_device(
            None,
            vendor_id=options["vendor_id"],
            friendly_name=options["name"],
            gateway=gateway,
            kind=options["kind"],
            dwelling=dwelling,
            is_entrance=not options["interior"],
        )
        self.stdout.write(f"device {device.pk}: {gateway.name}/{device.friendly_name}")
