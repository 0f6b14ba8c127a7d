"""The admin's audit log and the person's recent activity say what the vocabulary declares:
one event of every declared kind, shown in English and in Dutch, on the page, in the
filter, in the CSV export and on the profile."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from idp.audit import events
from idp.clock import now
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.web.test_web_admin_audit import (
    HEADER,
    PATH,
    admin_agent,
    audit_page,
    read_csv,
    seed,
)

CATALOGUE = Path(__file__).resolve().parents[2] / "idp/translations/nl/LC_MESSAGES/messages.po"
#: The detail every seeded event carries, and what the profile makes of it.
DETAIL = {"acr": "30", "method": "no-such-method", "name": "Kitchen", "count": 2}
PARAMETERS = {"app": "an app", "level": "30", "method": "a sign-in method", "name": "Kitchen",
              "count": 2}


def dutch() -> dict[str, str]:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="nl")
    return {str(m.id): str(m.string) for m in catalogue if m.id and m.string}


def described(page: Page) -> dict[str, tuple[str, set[str]]]:
    """Return each event's description and detail labels on a page, by its stored name."""
    found = {}
    for row in page.soup.select("table.audit tbody tr"):
        cells = row.find_all("td")
        code = cells[1].find("code")
        name = code.get_text() if code else cells[1].get_text(strip=True)
        labels = {item.get_text().split(":")[0] for item in cells[6].find_all("li")}
        found[name] = (cells[1].get_text(" ", strip=True).removesuffix(" " + name), labels)
    return found


def every_page(agent: Agent, directory, **params: str) -> dict[str, tuple[str, set[str]]]:
    """Return the descriptions and detail labels of every page of the log the filter finds."""
    page = audit_page(agent, directory, **params)
    found = described(page)
    while (older := page.soup.select_one("a[rel=next]")) is not None:
        page = Page(agent.get(directory.live.url + older["href"]))
        found |= described(page)
    return found


def recorded_detail(event: events.Event) -> dict:
    """Return a detail with a value for each detail the event declares."""
    detail: dict = {}
    for declared in event.details:
        if declared is events.CHANGES:
            detail.update(before={"x": 1}, after={"x": 2})
        else:
            detail[declared.key] = 1 if declared is events.ACTOR else "v"
    return detail


def test_the_audit_log_describes_every_declared_event_with_its_texts(directory):
    user = directory.add_user()
    seed(directory, *({"event": name, "user": user.username, "at": now() - 1000 + i,
                       "detail": recorded_detail(event)}
                      for i, (name, event) in enumerate(events.EVENTS.items())))
    agent = admin_agent(directory)
    nl = dutch()

    english = every_page(agent, directory, user=user.username, lang="en")
    exported = read_csv(agent.get(directory.issuer + PATH + ".csv",
                                  params={"user": user.username, "lang": "en"}))
    netherlands = every_page(agent, directory, user=user.username, lang="nl")

    assert english == {name: (event.admin_text, {d.label for d in event.details})
                       for name, event in events.EVENTS.items()}
    assert netherlands == {name: (nl[event.admin_text], {nl[d.label] for d in event.details})
                           for name, event in events.EVENTS.items()}
    rows = [dict(zip(HEADER, row)) for row in exported[1:]]
    assert {row["event"]: row["description"] for row in rows} == {
        name: text for name, (text, _labels) in english.items()}


def test_the_filter_offers_every_declared_event_under_its_family(directory):
    page = audit_page(admin_agent(directory), directory)
    offered = {group["label"]: {option["value"]: option.get_text(strip=True)
                                for option in group.find_all("option")}
               for group in page.soup.select("#f-event optgroup")}

    assert list(offered) == [family.title for family in events.FAMILIES.values()]
    for name, event in events.EVENTS.items():
        options = offered[event.family.title]
        value = "=" + name if name == event.family.name else name
        assert options[value] == event.admin_text, name


def expected_lines(chosen: list[tuple[events.Event, dict]], language: dict[str, str] | None
                   = None) -> list[str]:
    """Return what the profile should say of the seeded events, newest first."""
    translate = (lambda text: language.get(text, text)) if language else (lambda text: text)
    parameters = {key: translate(value) if isinstance(value, str) else value
                  for key, value in PARAMETERS.items()}
    lines = []
    for event, detail in chosen:
        text = event.user_text_for(detail)
        assert text is not None
        lines.append(translate(text) % {**parameters, "what": translate(event.admin_text)})
    return lines[::-1]


def test_the_profile_says_every_shown_event_in_the_persons_words_and_no_other(directory):
    user = directory.add_user(totp=True)
    agent, _page = open_account_page(directory, user)
    shown = [(event, DETAIL) for event in events.EVENTS.values() if event.shown]
    shown.append((events.SESSION_ENDED, {**DETAIL, "others": True}))
    hidden = [event for event in events.EVENTS.values() if not event.shown]
    nl = dutch()
    start = now() + 1000

    for first in range(0, len(shown), 15):
        chosen = shown[first:first + 15]
        seed(directory, *({"event": event.name, "user": user.username, "detail": detail,
                           "at": start + first + i} for i, (event, detail) in enumerate(chosen)))
        # Events the person is not shown are newer still, and must not push any aside.
        seed(directory, *({"event": event.name, "user": user.username, "detail": DETAIL,
                           "at": start + 100 + first + i} for i, event in enumerate(hidden)))

        for language, lang in ((None, "en"), (nl, "nl")):
            page = Page(agent.get(f"{directory.issuer}/account/", params={"lang": lang}))
            lines = [row.find_all("td")[1].get_text(" ", strip=True)
                     for row in page.soup.select("#activity tbody tr")]
            assert lines[:len(chosen)] == expected_lines(chosen, language), lang
