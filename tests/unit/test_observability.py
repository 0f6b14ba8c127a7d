"""The rules of the metrics' labels, what audit events count, and the request log's fields."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from idp.delivery import Delivery, DeliveryFailed, Message
from idp.observability import metrics
from idp.observability.logs import FIELDS, JsonFormatter
from idp.observability.requests import path_of_rule, request_fields


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(("endpoint", "label"), [
    ("api.token", "api.token"), ("pages.method_verify", "pages.method_verify"),
    (None, "unmatched"), ("", "unmatched"), ("/d/acme/token", "other"),
    ("x" * 81, "other")])
def test_an_endpoint_label_is_a_flask_endpoint_name_or_a_fixed_word(endpoint, label):
    assert metrics.endpoint_label(endpoint) == label


@pytest.mark.parametrize(("method", "label"), [
    ("GET", "GET"), ("POST", "POST"), ("PROPFIND", "other"), ("get", "other"), (None, "other")])
def test_an_http_method_label_is_a_standard_method_or_other(method, label):
    assert metrics.method_label(method) == label


@pytest.mark.parametrize(("name", "label"), [
    ("totp", "totp"), ("email_code", "email_code"), ("sms", "sms"), ("Totp", "other"),
    ("totp; drop", "other"), ("a" * 33, "other"), (None, "other"), (3, "other")])
def test_a_method_or_channel_label_is_a_declared_name_or_other(name, label):
    assert metrics.name_label(name) == label


@pytest.mark.parametrize(("event", "metric", "labels"), [
    ("login", "idp_logins_total", {"outcome": "success"}),
    ("login.failed", "idp_logins_total", {"outcome": "failed"}),
    ("login.disabled", "idp_logins_total", {"outcome": "disabled"}),
    ("login.denied", "idp_logins_total", {"outcome": "denied"}),
    ("method.completed", "idp_methods_completed_total", {"method": "totp"}),
    ("method.failed", "idp_method_failures_total", {"method": "totp"}),
    ("account.locked", "idp_account_lockouts_total", {}),
])
def test_an_audit_event_counts_in_its_metric(event, metric, labels):
    before = sample(metric, **labels), sample("idp_audit_events_total", event=event)

    metrics.count_audit_event(event, "totp")

    assert (sample(metric, **labels), sample("idp_audit_events_total", event=event)) == \
        (before[0] + 1, before[1] + 1)


def test_a_failed_send_is_counted_as_sent_and_failed():
    class Refusing:
        def send(self, message: Message) -> None:
            raise DeliveryFailed("gateway said no")

    class Taking:
        def send(self, message: Message) -> None:
            pass

    before = sample("idp_deliveries_total", channel="sms"), \
        sample("idp_delivery_failures_total", channel="sms")
    Delivery({"sms": Taking()}).send(Message(channel="sms", to="+31611111111", text="x"))
    with pytest.raises(DeliveryFailed):
        Delivery({"sms": Refusing()}).send(Message(channel="sms", to="+31611111111", text="x"))

    assert sample("idp_deliveries_total", channel="sms") == before[0] + 2
    assert sample("idp_delivery_failures_total", channel="sms") == before[1] + 1


@pytest.mark.parametrize(("rule", "values", "path"), [
    ("/d/<slug>/token", {"slug": "acme"}, "/d/acme/token"),
    ("/d/<slug>/reset/<token>", {"slug": "acme", "token": "s3cret"}, "/d/acme/reset/{token}"),
    ("/d/<slug>/invitation/<token>", {"slug": "acme", "token": "s3cret"},
     "/d/acme/invitation/{token}"),
    ("/d/<slug>/i/<uid>/method/<name>", {"slug": "acme", "uid": "u1", "name": "totp"},
     "/d/acme/i/u1/method/totp"),
    ("/d/<slug>/brand/<path:rest>", {}, "/d/{slug}/brand/{rest}"),
])
def test_a_logged_path_leaves_secret_route_variables_out(rule, values, path):
    assert path_of_rule(rule, values) == path


def test_a_request_line_has_no_query_and_only_a_plain_request_id():
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/d/acme/authorize",
               "QUERY_STRING": "code=s3cret", "HTTP_X_REQUEST_ID": "bad id\nforged",
               "HTTP_AUTHORIZATION": "Bearer s3cret", "HTTP_COOKIE": "s=s3cret"}

    fields = request_fields(environ, 200, 0.0123)

    assert fields == {"method": "GET", "endpoint": None, "path": "/d/acme/authorize",
                      "directory": "acme", "client_id": None, "status": 200,
                      "duration_ms": 12.3, "request_id": None}
    assert request_fields({**environ, "HTTP_X_REQUEST_ID": "4f1c-9a"}, 200, 0)[
        "request_id"] == "4f1c-9a"


def test_a_json_log_line_is_one_line_with_the_error_and_the_fields():
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        record = logging.LogRecord("idp.web", logging.ERROR, __file__, 1, "failed on %s",
                                   ("GET /x",), sys.exc_info())
    setattr(record, FIELDS, {"status": 500})

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "error" and entry["logger"] == "idp.web"
    assert entry["message"] == "failed on GET /x" and entry["status"] == 500
    assert "ValueError: broken" in entry["exception"]
    assert entry["time"].endswith("+00:00")
