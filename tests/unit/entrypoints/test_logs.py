import json
import logging

from roost.entrypoints.logs import REQUEST_ID, JsonFormatter


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("roost.test", logging.WARNING, __file__, 1, message, (), None)


def test_a_log_line_is_json_with_the_request_id() -> None:
    token = REQUEST_ID.set("trace-42")
    try:
        line = json.loads(JsonFormatter().format(_record("feed store unavailable")))
    finally:
        REQUEST_ID.reset(token)
    assert line["request_id"] == "trace-42"
    assert line["level"] == "warning"
    assert line["logger"] == "roost.test"
    assert line["message"] == "feed store unavailable"


def test_outside_a_request_there_is_no_request_id() -> None:
    assert "request_id" not in json.loads(JsonFormatter().format(_record("started")))
