"""The audit log's rules without a database: reading filters, describing events and their
detail, and CSV cells a spreadsheet can never run."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from idp.admin import audit_log as log
from idp.admin.audit_log import AuditQuery, FilterError, parse_query
from idp.audit import events

# -- reading the filter ----------------------------------------------------------------------


def test_an_empty_query_shows_everything_from_the_newest():
    assert parse_query({}) == AuditQuery()
    assert not parse_query({}).filtered


def test_a_full_query_is_read_and_normalised():
    query = parse_query({"event": "login", "user": " alice ", "client": "portal",
                         "ip": "2001:DB8:0:0::1", "from": "2025-03-01", "to": "2025-03-31",
                         "before": "1234"})
    assert query == AuditQuery("login", "alice", "portal", "2001:db8::1", date(2025, 3, 1),
                               date(2025, 3, 31), before=1234)
    assert query.filter_args() == {"event": "login", "user": "alice", "client": "portal",
                                   "ip": "2001:db8::1", "from": "2025-03-01",
                                   "to": "2025-03-31"}


@pytest.mark.parametrize("value", ["login", "=login", "login.failed", "admin",
                                   "admin.some_future_action", "recovery_codes.issued"])
def test_event_filters_of_known_families_are_accepted(value):
    assert parse_query({"event": value}).event == value


@pytest.mark.parametrize(("field", "value"), [
    ("event", "nope"), ("event", "nope.login"), ("event", "="), ("event", "=nope"),
    ("event", "Login"), ("event", "login."), ("event", "login..failed"), ("event", "l" * 61),
    ("event", "login%"), ("event", "login_"), ("event", "login'--"),
    ("user", "u" * 255), ("user", "a\x00b"), ("user", "a\nb"), ("client", "c" * 101),
    ("client", "\x7f"), ("ip", "256.0.0.1"), ("ip", "10.0.0.0/8"), ("ip", "localhost"),
    ("from", "2025-02-29"), ("from", "2025/03/01"), ("from", "20250301"),
    ("from", "2025-W10-1"), ("from", "1969-12-31"), ("to", "10000-01-01"), ("to", "\x00"),
])
def test_a_field_that_cannot_be_read_is_named_with_why(field, value):
    with pytest.raises(FilterError) as refused:
        parse_query({field: value})
    assert list(refused.value.problems) == [field]
    assert refused.value.problems[field]


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "1e3", "0x1", " 1", "9" * 19, "", "1\x00"])
def test_page_links_are_digits_only(value):
    if value == "":
        assert parse_query({"before": value}).before is None
        return
    with pytest.raises(FilterError) as refused:
        parse_query({"before": value})
    assert list(refused.value.problems) == ["before"]


def test_both_page_links_at_once_are_refused():
    with pytest.raises(FilterError):
        parse_query({"before": "5", "after": "3"})


def test_dates_in_the_wrong_order_are_refused():
    with pytest.raises(FilterError) as refused:
        parse_query({"from": "2025-03-02", "to": "2025-03-01"})
    assert list(refused.value.problems) == ["to"]


def test_the_export_ignores_page_links():
    assert parse_query({"before": "junk", "client": "x"}, paging=False) == AuditQuery(
        client_id="x")


def test_every_problem_is_reported_at_once():
    with pytest.raises(FilterError) as refused:
        parse_query({"event": "nope", "ip": "nope", "from": "nope"})
    assert set(refused.value.problems) == {"event", "ip", "from"}


# -- the event filter in SQL -----------------------------------------------------------------


def sql(condition) -> str:
    return str(condition.compile(compile_kwargs={"literal_binds": True}))


PRESENT = ["app.approved", "login", "login.denied", "login.failed", "loginx", "logout",
           "recovery_codes.issued", "recoveryXcodes.issued"]


def test_a_family_is_its_own_event_and_its_dotted_events_the_log_holds():
    assert sql(log.event_condition("login", PRESENT)) == \
        "audit_event.event IN ('login', 'login.denied', 'login.failed')"


def test_an_underscore_in_a_family_is_no_wildcard():
    assert sql(log.event_condition("recovery_codes", PRESENT)) == \
        "audit_event.event IN ('recovery_codes.issued')"


def test_a_family_the_log_does_not_hold_matches_nothing():
    assert sql(log.event_condition("admin", PRESENT)) == "false"


@pytest.mark.parametrize(("value", "event"), [("=login", "login"),
                                               ("login.failed", "login.failed")])
def test_an_exact_event_matches_only_itself(value, event):
    assert sql(log.event_condition(value, PRESENT)) == f"audit_event.event = '{event}'"


# -- descriptions ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["admin.user_created", "admin.user_disabled",
                                  "admin.method_removed", "admin.client_created",
                                  "admin.client_secret_rotated", "profile.email_changed",
                                  "profile.phone_changed", "profile.password_changed",
                                  "method.removed", "session.ended", "device.revoked",
                                  "settings.changed", "account.locked"])
def test_the_events_other_pages_record_are_described(name):
    assert log.describe(name) == (events.EVENTS[name].admin_text, {})


def test_an_unknown_event_is_shown_by_its_name():
    assert log.describe("future.thing") == ("%(event)s", {"event": "future.thing"})


def test_every_family_and_event_is_offered_in_the_filter():
    offered = {value for family, _label, choices in log.event_choices()
               for value in [family, *(v for v, _t in choices)]}
    assert set(events.FAMILIES) <= offered
    for name in events.EVENTS:
        assert name in offered or "=" + name in offered


def test_time_is_utc_iso_to_the_second():
    assert log.format_time(1743429909.75) == "2025-03-31T14:05:09Z"


# -- detail summaries --------------------------------------------------------------------------


def test_a_login_summary_names_methods_level_and_proofs():
    items = log.summarise({"acr": "30", "amr": ["pwd", "otp", "mfa"],
                           "methods": ["password", "totp"]}, {},
                          method_title={"password": "Password", "totp": "App"}.get)
    assert items == [("Methods", "Password, App"), ("Level (acr)", "30"),
                     ("Proofs (amr)", "pwd, otp, mfa")]


def test_the_actor_is_named_by_username_or_by_id_when_gone():
    assert log.summarise({"actor": 7}, {7: "root"}) == [("By", "root")]
    assert log.summarise({"actor": 8}, {7: "root"}) == [("By", "#8")]


def test_a_settings_change_lists_only_what_changed():
    before = {"required_level": 30, "points": {"sms": 10, "totp": 10}}
    after = {"required_level": 40, "points": {"sms": 0, "totp": 10}}
    assert log.summarise({"before": before, "after": after}, {}) == [
        ("Changes", "points.sms: 10 → 0; required_level: 30 → 40")]


def test_unknown_detail_keys_follow_by_name_and_long_values_are_cut():
    items = log.summarise({"zeta": "z" * 500, "alpha": [1, None], "method": "sms"}, {})
    assert items[0] == ("Method", "sms")
    assert items[1] == ("alpha", "1, —")
    assert items[2][0] == "zeta" and len(items[2][1]) == log.MAX_DETAIL


def test_yes_and_no_are_translated():
    translate = {"yes": "ja", "no": "nee", "Public app": "Openbare app"}.get
    assert log.summarise({"public": True}, {}, translate=translate) == [("Openbare app", "ja")]


# -- CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx",
                                  "=HYPERLINK(\"https://evil.example\",\"x\")"])
def test_a_cell_that_a_spreadsheet_would_run_gets_a_leading_quote(cell):
    assert log.neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "login", "2025-03-31T14:05:09Z", "192.0.2.1", "'quoted",
                                  " =not first", "a=b"])
def test_other_cells_are_left_alone(cell):
    assert log.neutralise(cell) == cell


def test_a_csv_line_quotes_and_neutralises_every_cell():
    line = log.csv_line([1, None, "=cmd", 'say "hi", then\nleave', "-5"])
    assert line.endswith("\r\n")
    assert next(csv.reader(io.StringIO(line))) == [
        "1", "", "'=cmd", 'say "hi", then\nleave', "'-5"]


def test_the_csv_header_has_a_cell_for_each_column():
    assert len(log.CSV_HEADER) == len(set(log.CSV_HEADER)) == 10
