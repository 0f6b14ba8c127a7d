"""The admin's audit log: real logins and failures appear, every filter, keyset paging, the
CSV export (headers, content, formula neutralisation), retention, refusals, hostile input."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from sqlalchemy import select

from idp.clock import now
from idp.storage import db
from idp.storage.models import AuditEvent, User
from idp.tenants.directories import get_directory
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.live import build_live, new_directory
from tests.web.helpers import assert_error_page, assert_sane, login_page, new_rp

PATH = "/admin/audit"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
#: How the audit page names BROWSER (the whole string is the cell's title).
SHOWN_BROWSER = "Firefox on Windows"
HEADER = ["id", "time", "event", "description", "user", "client_id", "ip", "user_agent",
          "details", "detail_json"]


def admin_agent(directory) -> Agent:
    """Log a new admin (password + authenticator app) in to the audit log page."""
    admin = directory.add_user(totp=True, admin=True)
    agent, page = open_account_page(directory, admin, PATH)
    assert page.title == "Audit log", page.text[:300]
    return agent


def audit_page(agent: Agent, directory, **params: str) -> Page:
    page = Page(agent.get(directory.issuer + PATH, params=params))
    assert_sane(page.response)
    return page


def shown_ids(page: Page) -> list[int]:
    """Return the ids of the events in the page's table, top to bottom."""
    return [int(row["id"].removeprefix("event-"))
            for row in page.soup.select("table.audit tbody tr")]


def rows_of(page: Page) -> list[dict[str, str]]:
    """Return the page's table as dicts by column heading."""
    headings = [th.get_text(strip=True) for th in page.soup.select("table.audit thead th")]
    return [dict(zip(headings, [td.get_text(" ", strip=True) for td in tr.find_all("td")]))
            for tr in page.soup.select("table.audit tbody tr")]


def seed(directory, *events: dict) -> list[int]:
    """Store audit events in the directory as given (event, at, user, ...); return their ids."""
    with directory.live.app.app_context():
        directory_id = get_directory(directory.slug).id
        rows = []
        for spec in events:
            spec = dict(spec)
            username = spec.pop("user", None)
            user_id = None
            if username is not None:
                user_id = db.session.scalars(select(User.id).where(
                    User.directory_id == directory_id, User.username == username)).one()
            rows.append(AuditEvent(directory_id=directory_id, at=spec.pop("at", now()),
                                   event=spec.pop("event", "admin.user_updated"),
                                   user_id=user_id, client_id=spec.pop("client_id", None),
                                   ip=spec.pop("ip", None),
                                   user_agent=spec.pop("user_agent", None),
                                   detail=spec.pop("detail", {})))
            assert not spec, spec
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def events_of(directory, event: str) -> list[AuditEvent]:
    with directory.live.app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == get_directory(directory.slug).id,
            AuditEvent.event == event).order_by(AuditEvent.id)))
        db.session.expunge_all()
        return rows


def user_id_of(directory, username: str) -> int:
    with directory.live.app.app_context():
        return db.session.scalars(select(User.id).where(
            User.directory_id == get_directory(directory.slug).id,
            User.username == username)).one()


def day(text: str) -> float:
    """Return noon UTC of a date."""
    return datetime.fromisoformat(text + "T12:00:00+00:00").timestamp()


def read_csv(response: requests.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text[:300]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


# -- what a real login leaves ------------------------------------------------------------


def test_a_login_is_logged_method_by_method_with_level_client_ip_and_browser(directory):
    client = directory.add_client()
    user = directory.add_user(totp=True)
    rp = new_rp(directory, client)
    rp.agent.http.headers["User-Agent"] = BROWSER
    rp.sign_in(user)
    agent = admin_agent(directory)

    page = audit_page(agent, directory, user=user.username)

    rows = rows_of(page)
    assert [r["Event"] for r in rows] == [
        "Logged in login", "Method completed method.completed",
        "Method completed method.completed"]
    login, totp, password = rows
    assert login["User"] == user.username and login["App"] == client.client_id
    assert login["IP address"] == "127.0.0.1" and login["Browser"] == SHOWN_BROWSER
    assert page.soup.select_one("table.audit tbody tr .agent span")["title"] == BROWSER
    assert "Methods: Password, Authenticator app" in login["Details"]
    assert "Level (acr): 30" in login["Details"]
    assert "Method: Authenticator app" in totp["Details"]
    assert "Method: Password" in password["Details"]
    # Each method's completion says from which browser, too.
    assert totp["Browser"] == SHOWN_BROWSER and password["Browser"] == SHOWN_BROWSER
    for row in rows:
        assert datetime.strptime(row["Time"], "%Y-%m-%dT%H:%M:%SZ")


def test_a_failed_login_is_logged_with_ip_and_browser(directory):
    rp = new_rp(directory, directory.add_client())
    rp.agent.http.headers["User-Agent"] = BROWSER
    user = directory.add_user()
    response = rp.agent.submit(login_page(rp), "Log in", by_label={
        "Username or email": user.username, "Password": "not the password"})
    assert response.status_code == 400
    agent = admin_agent(directory)

    rows = rows_of(audit_page(agent, directory, event="login.failed"))

    assert len(rows) == 1
    assert rows[0]["Event"] == "Failed login login.failed"
    assert rows[0]["IP address"] == "127.0.0.1" and rows[0]["Browser"] == SHOWN_BROWSER
    assert "Method: Password" in rows[0]["Details"]


def test_the_page_says_how_long_events_are_kept(directory):
    agent = admin_agent(directory)
    page = audit_page(agent, directory)
    assert "Events are kept for 365 days" in page.soup.find(id="retention").get_text()


def test_every_filter_field_has_a_label(directory):
    page = audit_page(admin_agent(directory), directory)
    form = page.soup.find("form", class_="audit-filter")
    for field in form.find_all(["input", "select"]):
        label = page.soup.find("label", attrs={"for": field["id"]})
        assert label is not None and label.get_text(strip=True), field
    assert {page.field_name(label) for label in (
        "Event", "User (username or email)", "App (client ID)", "IP address",
        "From (date, UTC)", "To (date, UTC, included)")} == {
        "event", "user", "client", "ip", "from", "to"}


# -- filters --------------------------------------------------------------------------------


@pytest.fixture
def seeded(directory):
    """A directory with two users and a known set of events; the admin's browser."""
    directory.add_user("alice", email="alice@example.org")
    directory.add_user("bob")
    names = ["login", "login.failed", "login.denied", "logout", "method.completed",
             "admin.user_disabled", "account.locked", "settings.changed"]
    specs = [
        {"event": "login", "user": "alice", "client_id": "portal", "ip": "192.0.2.1",
         "at": day("2025-03-01")},
        {"event": "login.failed", "ip": "192.0.2.2", "at": day("2025-03-02")},
        {"event": "login.denied", "user": "bob", "ip": "2001:db8::1", "at": day("2025-03-03")},
        {"event": "logout", "user": "alice", "client_id": "portal", "at": day("2025-03-04")},
        {"event": "method.completed", "user": "bob", "client_id": "other",
         "at": day("2025-03-05")},
        {"event": "admin.user_disabled", "user": "bob", "at": day("2025-03-06")},
        {"event": "account.locked", "user": "alice", "ip": "192.0.2.1", "at": day("2025-03-07")},
        {"event": "settings.changed", "at": day("2025-03-08"),
         "detail": {"before": {"required_level": 30}, "after": {"required_level": 40}}},
    ]
    ids = dict(zip(names, seed(directory, *specs)))
    # The admin's own login leaves events of today: the filters below all exclude them.
    return admin_agent(directory), ids


@pytest.mark.parametrize(("params", "expected"), [
    ({"event": "login"}, ["login.denied", "login.failed", "login"]),
    ({"event": "=login"}, ["login"]),
    ({"event": "login.failed"}, ["login.failed"]),
    ({"event": "admin"}, ["admin.user_disabled"]),
    ({"event": "account"}, ["account.locked"]),
    ({"user": "alice"}, ["account.locked", "logout", "login"]),
    ({"user": "ALICE@example.org"}, ["account.locked", "logout", "login"]),
    ({"user": "bob", "event": "login"}, ["login.denied"]),
    ({"client": "portal"}, ["logout", "login"]),
    ({"ip": "192.0.2.1"}, ["account.locked", "login"]),
    ({"ip": "2001:DB8:0::1"}, ["login.denied"]),
    ({"from": "2025-03-06", "to": "2025-03-07"}, ["account.locked", "admin.user_disabled"]),
    ({"from": "2025-03-08", "to": "2025-03-08"}, ["settings.changed"]),
    ({"to": "2025-03-01"}, ["login"]),
    ({"client": "nobody"}, []),
])
def test_each_filter_shows_exactly_the_matching_events_newest_first(seeded, directory, params,
                                                                      expected):
    agent, ids = seeded
    # The admin's own login left events of today: an end date leaves them out.
    page = audit_page(agent, directory, **{"to": "2025-12-31", **params})
    assert page.status == 200, page.text[:300]
    assert shown_ids(page) == [ids[name] for name in expected]
    if not expected:
        assert "No events match this filter." in page.soup.find(id="no-events").get_text()


def test_the_form_shows_the_filter_it_applied(seeded, directory):
    agent, _ids = seeded
    page = audit_page(agent, directory, event="login.failed", user="alice", ip="192.0.2.1",
                      **{"from": "2025-03-01"})
    assert page.soup.find("option", selected=True)["value"] == "login.failed"
    assert page.soup.find(id="f-user")["value"] == "alice"
    assert page.soup.find(id="f-from")["value"] == "2025-03-01"


def test_the_event_list_offers_the_families_and_their_events(seeded, directory):
    agent, _ids = seeded
    page = audit_page(agent, directory)
    values = [option["value"] for option in page.soup.select("#f-event option")]
    assert {"", "login", "=login", "login.failed", "method", "account", "admin",
            "settings"} <= set(values)
    groups = [group["label"] for group in page.soup.select("#f-event optgroup")]
    assert "Logins" in groups and "Admin actions" in groups


def test_an_unknown_user_finds_nothing_and_says_so(seeded, directory):
    agent, _ids = seeded
    page = audit_page(agent, directory, user="nobody-here")
    assert page.status == 200 and shown_ids(page) == []
    assert "No user of this directory has this username" in page.text


def test_an_event_the_page_does_not_know_shows_by_name_under_its_family(directory):
    [future] = seed(directory, {"event": "admin.thing_of_the_future", "detail": {"x": "y"}})
    agent = admin_agent(directory)
    page = audit_page(agent, directory, event="admin")
    assert shown_ids(page) == [future]
    [row] = rows_of(page)
    assert row["Event"] == "admin.thing_of_the_future" and row["Details"] == "x: y"
    assert shown_ids(audit_page(agent, directory, event="admin.thing_of_the_future")) == [future]


def test_a_settings_change_shows_what_changed(seeded, directory):
    agent, _ids = seeded
    [row] = rows_of(audit_page(agent, directory, event="settings"))
    assert row["Event"] == "Settings changed settings.changed"
    assert "Changes: required_level: 30 → 40" in row["Details"]


def test_another_directorys_events_never_show(seeded, directory, live):
    agent, _ids = seeded
    other = new_directory(live)
    other.add_user("alice")
    [foreign] = seed(other, {"event": "login", "user": "alice", "client_id": "portal"})

    page = audit_page(agent, directory, client="portal")
    csv_rows = read_csv(agent.get(directory.issuer + PATH + ".csv", params={"client": "portal"}))

    assert foreign not in shown_ids(page)
    assert str(foreign) not in [row[0] for row in csv_rows]


def test_an_admin_action_names_the_admin_who_did_it(directory):
    directory.add_user("carol")
    admin = directory.add_user(totp=True, admin=True)
    seed(directory, {"event": "admin.user_disabled", "user": "carol",
                     "detail": {"actor": user_id_of(directory, admin.username)}})
    agent, _page = open_account_page(directory, admin, PATH)
    [row] = rows_of(audit_page(agent, directory, event="admin.user_disabled"))
    assert row["User"] == "carol"
    assert f"By: {admin.username}" in row["Details"]


# -- paging ---------------------------------------------------------------------------------


def test_paging_walks_every_event_once_in_both_directions(directory):
    base = day("2024-06-01")
    # Ten events share each second, and later ids have earlier times: the order is by time,
    # then id, and never depends on either alone.
    times = [base - i // 10 for i in range(120)]
    ids = seed(directory, *[{"client_id": "pager", "at": at} for at in times])
    agent = admin_agent(directory)
    newest_first = [i for _at, i in sorted(zip(times, ids), reverse=True)]

    first = audit_page(agent, directory, client="pager")
    second = Page(agent.get(first.link("Older events")))
    third = Page(agent.get(second.link("Older events")))
    back = Page(agent.get(third.link("Newer events")))

    assert shown_ids(first) == newest_first[:50]
    assert shown_ids(second) == newest_first[50:100]
    assert shown_ids(third) == newest_first[100:]
    assert shown_ids(back) == shown_ids(second)
    assert not first.soup.find("a", string="Newer events")
    assert not third.soup.find("a", string="Older events")
    assert parse_qs(urlparse(back.link("Newer events")).query)["after"] == [
        str(newest_first[50])]
    # Page links keep the filter.
    assert "client=pager" in urlparse(second.url).query
    assert shown_ids(Page(agent.get(third.link("Newest events")))) == newest_first[:50]


def test_a_page_link_of_another_directory_is_refused(directory, live):
    other = new_directory(live)
    [foreign] = seed(other, {"event": "login"})
    agent = admin_agent(directory)
    for name in ("before", "after"):
        page = audit_page(agent, directory, **{name: str(foreign)})
        assert page.status == 400 and page.title == "Audit log"
        assert "Start again from the newest events" in page.soup.find(id="form-error").text


# -- the CSV export -------------------------------------------------------------------------


def test_the_csv_export_holds_the_filtered_events_with_headers(seeded, directory):
    agent, ids = seeded
    response = agent.get(directory.issuer + PATH + ".csv", params={"user": "alice"})

    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="audit-{directory.slug}-')
    assert disposition.endswith('.csv"')
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    assert rows[0] == HEADER
    assert [int(row[0]) for row in rows[1:]] == [
        ids["account.locked"], ids["logout"], ids["login"]]
    login = dict(zip(HEADER, rows[-1]))
    assert login["time"] == "2025-03-01T12:00:00Z"
    assert login["event"] == "login" and login["description"] == "Logged in"
    assert login["user"] == "alice" and login["client_id"] == "portal"
    assert login["ip"] == "192.0.2.1"


def test_the_export_ignores_page_links_and_is_itself_audited(seeded, directory):
    agent, ids = seeded
    rows = read_csv(agent.get(directory.issuer + PATH + ".csv", params={
        "client": "portal", "before": str(ids["logout"])}))
    assert len(rows) == 3
    [exported] = events_of(directory, "admin.audit_exported")
    assert exported.detail["filter"] == {"client": "portal"}
    assert exported.detail["actor"] is not None


FORMULAS = ["=HYPERLINK(\"https://evil.example\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd",
            "\r=1"]


def test_csv_cells_that_could_be_formulas_are_neutralised(directory):
    directory.add_user("@eve", email="eve@example.org")
    seed(directory, *[{"event": "login.failed", "user": "@eve", "client_id": value,
                       "user_agent": value, "detail": {"device": value}} for value in FORMULAS])
    agent = admin_agent(directory)

    rows = read_csv(agent.get(directory.issuer + PATH + ".csv",
                              params={"event": "login.failed"}))

    records = [dict(zip(HEADER, row)) for row in rows[1:]]
    assert [r["user_agent"] for r in records] == ["'" + value for value in reversed(FORMULAS)]
    assert [r["client_id"] for r in records] == ["'" + value for value in reversed(FORMULAS)]
    assert {r["user"] for r in records} == {"'@eve"}
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (cell, row)


def test_the_export_reads_in_batches_and_stops_at_its_limit(directory):
    from idp.admin.audit_log import AuditQuery, iter_events

    base = day("2024-01-01")
    times = [base + (i % 3) for i in range(7)]  # out of id order, with ties
    ids = seed(directory, *[{"client_id": "batches", "at": at} for at in times])
    newest_first = [i for _at, i in sorted(zip(times, ids), reverse=True)]
    with directory.live.app.app_context():
        found = get_directory(directory.slug)
        query = AuditQuery(client_id="batches")
        assert [e.id for e in iter_events(found, query, limit=5, batch=2)] == newest_first[:5]
        assert [e.id for e in iter_events(found, query, limit=100, batch=3)] == newest_first
        assert [e.id for e in iter_events(found, query, limit=7, batch=7)] == newest_first


def test_the_page_says_the_export_is_capped(directory):
    agent = admin_agent(directory)
    page = audit_page(agent, directory)
    assert "at most 100,000" in page.text
    response = agent.get(directory.issuer + PATH + ".csv")
    assert response.headers["X-Export-Limit"] == "100000"
    link = page.soup.find("a", string="Download CSV")
    assert link is not None and link["href"].endswith("/admin/audit.csv")


def test_the_download_link_carries_the_filter_but_not_the_page(seeded, directory):
    agent, ids = seeded
    page = audit_page(agent, directory, client="portal", before=str(ids["account.locked"]))
    href = page.soup.find("a", string="Download CSV")["href"]
    assert "client=portal" in href and "before" not in href


# -- who may look ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PATH, PATH + ".csv"])
def test_a_user_without_the_admin_role_is_refused(directory, path):
    user = directory.add_user(totp=True)
    agent, _page = open_account_page(directory, user)
    assert_error_page(agent.get(directory.issuer + path), 403, "access_denied")


@pytest.mark.parametrize("path", [PATH, PATH + ".csv"])
def test_a_browser_without_a_session_is_sent_to_log_in(directory, path):
    response = requests.get(directory.issuer + path, allow_redirects=False, timeout=30)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_an_admin_of_another_directory_is_sent_to_log_in_here(directory, live):
    other = new_directory(live)
    agent = admin_agent(other)
    response = agent.http.get(directory.issuer + PATH, allow_redirects=False, timeout=30)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


# -- hostile filters ------------------------------------------------------------------------


FILTERS = [
    ("event", "nope"), ("event", "login' OR '1'='1"), ("event", "="), ("event", "x" * 61),
    ("event", "nosuchfamily.login"), ("event", "<script>alert(1)</script>"),
    ("user", "u" * 300), ("user", "alice\x00"), ("client", "c" * 101),
    ("client", "portal\x00x"), ("ip", "999.1.1.1"), ("ip", "<script>"), ("ip", "1" * 70),
    ("from", "2025-13-01"), ("from", "yesterday"), ("from", "2025-1-1"),
    ("from", "99999-01-01"), ("to", "0001-01-01"), ("to", "2025-02-30"),
]
PAGE_LINKS = [
    ("before", "abc"), ("before", "-1"), ("before", "1e5"), ("before", "9" * 30),
    ("before", "123456789012345678"), ("after", "0x10"), ("after", "1\x00"),
    ("after", "<script>"),
]


@pytest.fixture(scope="module")
def hostile_admin(live):
    """An admin's browser in a directory of its own, shared by the hostile-input tests."""
    shared = new_directory(live)
    return shared, admin_agent(shared)


def assert_refused_with_the_form(response: requests.Response) -> Page:
    assert_sane(response)
    assert response.status_code == 400, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/html")
    page = Page(response)
    assert page.title == "Audit log"
    assert page.soup.find(id="form-error") is not None
    assert page.soup.find("form", class_="audit-filter") is not None
    assert "<script>" not in response.text and "\x00" not in response.text
    return page


@pytest.mark.parametrize(("name", "value"), FILTERS)
@pytest.mark.parametrize("path", [PATH, PATH + ".csv"])
def test_a_filter_that_cannot_be_read_is_answered_400_with_the_form(hostile_admin, path, name,
                                                                     value):
    directory, agent = hostile_admin
    page = assert_refused_with_the_form(agent.get(directory.issuer + path,
                                                  params={name: value}))
    field = page.soup.find(attrs={"name": name})
    assert field.get("aria-invalid") == "true"
    assert f"f-{name}-error" in field["aria-describedby"]
    assert page.soup.find(id=f"f-{name}-error").get_text(strip=True)


@pytest.mark.parametrize(("name", "value"), PAGE_LINKS)
def test_a_page_link_that_cannot_be_read_is_answered_400(hostile_admin, name, value):
    directory, agent = hostile_admin
    page = assert_refused_with_the_form(agent.get(directory.issuer + PATH,
                                                  params={name: value}))
    assert "Start again from the newest events" in page.soup.find(id="form-error").text


def test_dates_in_the_wrong_order_are_refused(hostile_admin):
    directory, agent = hostile_admin
    page = audit_page(agent, directory, **{"from": "2025-03-02", "to": "2025-03-01"})
    assert page.status == 400
    assert "The end date is before the start date." in page.text


def test_both_page_links_at_once_are_refused(hostile_admin):
    directory, agent = hostile_admin
    page = audit_page(agent, directory, before="5", after="3")
    assert page.status == 400


def test_a_page_link_to_an_event_that_is_gone_is_refused(hostile_admin):
    directory, agent = hostile_admin
    page = audit_page(agent, directory, before="999999999")
    assert page.status == 400
    assert page.link("Clear the filter")


# -- lock-outs --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(backend, database_url_factory):
    """A provider of its own that allows 3 failures per account and minute."""
    server = build_live(database_url_factory(backend), IDP_ACCOUNT_FAILURE_LIMIT="3 per minute")
    yield new_directory(server)
    server.stop()


def _wrong_password(rp, login: str) -> requests.Response:
    return rp.agent.submit(login_page(rp), "Log in", by_label={
        "Username or email": login, "Password": "wrong password"})


def test_reaching_the_failure_limit_logs_one_lock_out_of_the_account(limited):
    user = limited.add_user()
    rp = new_rp(limited, limited.add_client())
    rp.agent.http.headers["User-Agent"] = BROWSER

    answers = [_wrong_password(rp, user.username).status_code for _ in range(5)]

    assert answers == [400, 400, 400, 429, 429]
    [locked] = [e for e in events_of(limited, "account.locked")
                if e.user_id == user_id_of(limited, user.username)]
    assert locked.ip == "127.0.0.1" and locked.user_agent == BROWSER
    assert locked.detail["method"] == "password"
    assert locked.detail["limit"] == 3 and locked.detail["scope"] == "address"
    # The admin sees it under the user's name.
    admin = limited.add_user(totp=True, admin=True)
    agent, _page = open_account_page(limited, admin, PATH)
    [row] = rows_of(audit_page(agent, limited, event="account", user=user.username))
    assert row["Event"] == "Account locked after failed attempts account.locked"


def test_failures_below_the_limit_log_no_lock_out(limited):
    user = limited.add_user()
    rp = new_rp(limited, limited.add_client())
    assert [_wrong_password(rp, user.username).status_code for _ in range(2)] == [400, 400]
    assert not [e for e in events_of(limited, "account.locked")
                if e.user_id == user_id_of(limited, user.username)]


def test_a_lock_out_of_an_unknown_account_names_the_typed_login(limited):
    rp = new_rp(limited, limited.add_client())
    assert [_wrong_password(rp, "Nobody-Known").status_code for _ in range(4)] == \
        [400, 400, 400, 429]
    [locked] = [e for e in events_of(limited, "account.locked")
                if e.detail.get("login") == "nobody-known"]
    assert locked.user_id is None


def test_wrong_authenticator_codes_lock_out_with_the_method_named(limited):
    user = limited.add_user(totp=True)
    rp = new_rp(limited, limited.add_client())
    page = Page(rp.log_in(rp.start(), user))
    form = Page(rp.agent.get(page.link("Continue with authenticator app")))
    wrong = f"{(int(user.totp()) + 500_000) % 1_000_000:06d}"
    for _ in range(3):
        form = Page(rp.agent.submit(form, "Verify", by_label={"Code": wrong}))
    [locked] = [e for e in events_of(limited, "account.locked")
                if e.user_id == user_id_of(limited, user.username)]
    assert locked.detail["method"] == "totp"


def test_ten_wrong_app_pins_log_one_block_of_the_app(directory):
    from clients.authenticator.api import ApiError
    from tests.web.test_web_app_approval import ask_app, set_up_app, shown_number

    rp = new_rp(directory, directory.add_client())
    user = directory.add_user()
    app = set_up_app(rp, user)
    page = ask_app(new_rp(directory, rp.client), user)
    [pending] = app.pending()
    errors = []
    for _ in range(11):
        with pytest.raises(ApiError) as refused:
            app.approve(pending["id"], shown_number(page), "90417")
        errors.append(refused.value.error)

    assert errors == ["wrong_pin"] * 9 + ["device_blocked"] * 2
    [blocked] = events_of(directory, "app.blocked")
    assert blocked.user_id == user_id_of(directory, user.username)
    assert blocked.detail["device"] == "Test phone" and blocked.detail["failures"] == 10
