"""A user agent for tests: a requests session that reads pages and submits forms by label."""

from __future__ import annotations

from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup


class Page:
    """A fetched HTML page with helpers to find forms, fields and buttons as people do."""

    def __init__(self, response: requests.Response):
        self.response = response
        self.url = response.url
        self.status = response.status_code
        self.soup = BeautifulSoup(response.text, "html.parser")

    @property
    def title(self) -> str:
        heading = self.soup.find("h1")
        return heading.get_text(" ", strip=True) if heading else ""

    @property
    def text(self) -> str:
        return self.soup.get_text(" ", strip=True)

    def field_name(self, label: str) -> str:
        """Return the name of the input whose <label> reads `label`."""
        for tag in self.soup.find_all("label"):
            if tag.get_text(strip=True) == label:
                target = self.soup.find(id=tag.get("for"))
                assert target is not None, f"label {label!r} points nowhere"
                return target["name"]
        raise AssertionError(f"no field labelled {label!r} on {self.url}: {self.text[:300]}")

    def form_with_button(self, button_prefix: str):
        """Return the form and the button whose text starts with `button_prefix`."""
        for button in self.soup.find_all("button"):
            if button.get_text(strip=True).startswith(button_prefix):
                return button.find_parent("form"), button
        raise AssertionError(f"no button {button_prefix!r} on {self.url}: {self.text[:300]}")

    def link(self, text_prefix: str) -> str:
        """Return the absolute URL of the link whose text starts with `text_prefix`."""
        for anchor in self.soup.find_all("a"):
            if anchor.get_text(strip=True).startswith(text_prefix):
                return urljoin(self.url, anchor["href"])
        raise AssertionError(f"no link {text_prefix!r} on {self.url}: {self.text[:300]}")


class Agent:
    """A browser without JavaScript: cookies, redirects within the provider, forms."""

    def __init__(self, provider_url: str):
        self.provider_url = provider_url
        self.http = requests.Session()

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.follow(self.http.get(url, allow_redirects=False, timeout=30, **kwargs))

    def follow(self, response: requests.Response) -> requests.Response:
        """Follow redirects that stay on the provider; stop at one leaving it."""
        while response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if not target.startswith(self.provider_url):
                return response
            response = self.http.get(target, allow_redirects=False, timeout=30)
        return response

    def submit(self, page: Page, button: str, fields: dict[str, str] | None = None,
               by_label: dict[str, str] | None = None, follow: bool = True) -> requests.Response:
        """Fill fields (by name or label) and press the button whose text starts `button`.

        A form that says method="get" is sent as a query; any other is POSTed. Redirects
        within the provider are followed unless `follow` is false.
        """
        form, pressed = page.form_with_button(button)
        data = {tag["name"]: tag.get("value", "") for tag in form.find_all("input")
                if tag.get("name") and tag.get("type") != "submit"
                and (tag.get("type") not in ("checkbox", "radio") or tag.has_attr("checked"))}
        for label, value in (by_label or {}).items():
            data[page.field_name(label)] = value
        data.update(fields or {})
        if pressed.get("name"):
            data[pressed["name"]] = pressed.get("value", "")
        action = urljoin(page.url, form.get("action") or page.url)
        if (form.get("method") or "").lower() == "get":
            response = self.http.get(action, params=data, allow_redirects=False, timeout=30)
        else:
            response = self.http.post(action, data=data, allow_redirects=False, timeout=30)
        return self.follow(response) if follow else response


def past_codes_left(agent: Agent, response: requests.Response) -> requests.Response:
    """Go on past the page that says how many recovery codes are left after one was used;
    any other answer (a refused code) is returned as it is."""
    if response.status_code != 200 or Page(response).title != "You used a recovery code":
        return response
    return agent.submit(Page(response), "Continue")
