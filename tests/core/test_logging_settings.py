"""ZHIZHI_LOG_LEVEL bounds what reaches the console, Django's own loggers included; a logger a process turns
up on purpose (ingest-mqtt -v sets zhizhi.sensors to INFO) still prints."""

from __future__ import annotations

import copy
import io
import logging
import logging.config

import pytest
from django.conf import settings


@pytest.fixture
def console_at():
    def configure(level: str) -> io.StringIO:
        config = copy.deepcopy(settings.LOGGING)
        config["root"]["level"] = level
        config["loggers"]["django"]["level"] = level
        stream = io.StringIO()
        config["handlers"]["console"]["stream"] = stream
        logging.config.dictConfig(config)
        return stream

    yield configure
    logging.getLogger("zhizhi.sensors").setLevel(logging.NOTSET)
    logging.config.dictConfig(settings.LOGGING)


def test_a_quiet_level_silences_djangos_request_warnings(console_at):
    stream = console_at("ERROR")
    logging.getLogger("django.request").warning("Not Found: /nowhere")
    logging.getLogger("zhizhi.cases").warning("a warning")
    logging.getLogger("zhizhi.cases").error("an error")
    assert stream.getvalue().splitlines() == ["an error"]


def test_a_logger_turned_up_on_purpose_still_prints(console_at):
    stream = console_at("ERROR")
    logging.getLogger("zhizhi.sensors").setLevel(logging.INFO)
    logging.getLogger("zhizhi.sensors.mqtt").info("connected to 127.0.0.1:1883")
    assert "connected to 127.0.0.1:1883" in stream.getvalue()
