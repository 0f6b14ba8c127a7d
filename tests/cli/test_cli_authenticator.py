"""The authenticator-app simulator's command line, as a process, against the live provider.

A user logs in with the password through a strict RP, sets up app approval, and the
simulator (``python -m clients.authenticator``) activates, lists, approves, denies and
removes, as a person following clients/authenticator/README.md would.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from clients.authenticator import AuthenticatorApp
from tests.cli.helpers import Run
from tests.support.agent import Page
from tests.support.rp import StrictRP
from tests.web.helpers import set_up_page, step_up_page

ROOT = Path(__file__).resolve().parents[2]
PIN = "58213"
WRONG_PIN = "90417"


class AppRun(Run):
    """What one run of the simulator printed and returned."""

    def __str__(self) -> str:
        return (f"python -m clients.authenticator {' '.join(self.args)} -> {self.returncode}\n"
                f"stdout: {self.stdout!r}\nstderr: {self.stderr!r}")


def run_app(state: Path, *args: str, stdin: str = "") -> Run:
    """Run ``python -m clients.authenticator --state STATE ARGS`` in a fresh process."""
    env = {**os.environ, "HOME": str(state.parent)}  # never the real ~/.grip-authenticator.json
    done = subprocess.run(
        [sys.executable, "-m", "clients.authenticator", "--state", str(state), *args],
        input=stdin, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False)
    return AppRun(args, done.returncode, done.stdout, done.stderr)


def assert_refused(run: Run, *fragments: str) -> Run:
    """Exit 1, the provider's message on stderr, nothing on stdout, no traceback."""
    assert run.returncode == 1, str(run)
    assert "Traceback" not in run.stderr + run.stdout, str(run)
    assert not run.stdout.strip(), str(run)
    assert run.stderr.startswith("authenticator: "), str(run)
    for fragment in fragments:
        assert fragment in run.stderr, str(run)
    return run


@dataclass
class Listed:
    """One approval as `list` prints it."""

    id: str
    choices: list[int]


def listed(run: Run) -> list[Listed]:
    """Read the approvals out of the output of `list`."""
    run.assert_ok()
    ids = re.findall(r"^id:\s+(\S+)$", run.stdout, re.MULTILINE)
    choices = [[int(c) for c in line.split()]
               for line in re.findall(r"^choices:\s+(.+)$", run.stdout, re.MULTILINE)]
    assert len(ids) == len(choices), str(run)
    return [Listed(i, c) for i, c in zip(ids, choices)]


def the_one_pending(state: Path) -> Listed:
    run = run_app(state, "list")
    [approval] = listed(run)
    assert run.stdout.startswith("1 pending approval:"), str(run)
    assert len(approval.choices) == 3 and len(set(approval.choices)) == 3, str(run)
    return approval


def shown_number(page: Page) -> int:
    tag = page.soup.select_one(".match-number")
    assert tag is not None, page.text[:300]
    return int(tag.get_text(strip=True))


def activation_page(rp: StrictRP, user) -> Page:
    page = Page(rp.agent.get(set_up_page(rp, user).link("Set up app approval")))
    assert page.title == "Set up the app", page.text[:300]
    return Page(rp.agent.submit(page, "Get an activation code"))


def activation_args(how: str, rp: StrictRP, page: Page) -> list[str]:
    """The `activate` options that carry the page's code: typed, as the link, or as the QR."""
    code = page.soup.find(id="activation-code").get_text(strip=True)
    if how == "code":
        return ["--issuer", rp.directory.issuer, "--code", code]
    if how == "link":
        link = page.soup.find(id="activation-link")["href"]
        assert link.startswith(rp.directory.issuer + "/app/activate?code="), link
        return ["--link", link]
    # The text the page's QR code holds (see AppApprovalMethod.start_enrolment).
    bare = code.replace("-", "")
    return ["--qr", f"gripidp://activate?issuer={quote(rp.directory.issuer, safe='')}"
                    f"&code={bare}"]


def enrol_with_cli(rp: StrictRP, user, state: Path, how: str = "code") -> dict[str, str]:
    """Set the app up during a login, approve with the CLI; return the RP's response query."""
    page = activation_page(rp, user)
    activated = run_app(state, "activate", *activation_args(how, rp, page),
                        "--name", "Test phone", "--pin", PIN).assert_ok()
    assert activated.stdout.strip() == \
        f"Activated Test phone for {user.username} in Test {rp.directory.slug}", str(activated)
    assert run_app(state, "list").assert_ok().stdout.strip() == "No pending approvals."

    waiting = Page(rp.agent.submit(page, "I activated the app"))
    assert waiting.title == "Set up the app", waiting.text[:300]
    approval = the_one_pending(state)
    number = shown_number(waiting)
    assert number in approval.choices, (number, approval)
    approved = run_app(state, "approve", approval.id, "--number", str(number), "--pin", PIN)
    assert approved.assert_ok().stdout.strip() == "Approved.", str(approved)

    refreshed = Page(rp.agent.get(waiting.url))  # what the page's meta refresh fetches
    assert "Approved in the app." in refreshed.text, refreshed.text[:300]
    codes = Page(rp.agent.submit(refreshed, "Continue"))
    assert codes.title == "Save your recovery codes", codes.text[:300]
    return rp.response_params(rp.agent.submit(codes, "Continue"))


def ask_app(rp: StrictRP, user) -> Page:
    page = Page(rp.agent.submit(step_up_page(rp, user), "Approve in the app"))
    assert page.title == "Approve in the app", page.text[:300]
    return page


@pytest.fixture
def rp(directory):
    return StrictRP(directory, directory.add_client())


@pytest.fixture
def state(tmp_path) -> Path:
    return tmp_path / "phone" / "device.json"


@pytest.fixture
def phone(directory, rp, state):
    """A user whose simulated phone (the state file) is activated and approved once.

    Set up through the simulator's Python API: the command line itself is what the tests
    that use this exercise.
    """
    user = directory.add_user()
    page = activation_page(rp, user)
    app = AuthenticatorApp(state_path=state)
    app.activate(directory.issuer, page.soup.find(id="activation-code").get_text(),
                 "Test phone", PIN)
    waiting = Page(rp.agent.submit(page, "I activated the app"))
    [pending] = app.pending()
    app.approve(pending["id"], shown_number(waiting), PIN)
    codes = Page(rp.agent.submit(waiting, "Continue"))
    assert rp.response_params(rp.agent.submit(codes, "Continue"))["code"]
    return user


@pytest.mark.parametrize("how", ["code", "link", "qr"])
def test_activating_listing_and_approving_from_the_command_line_reaches_level_30(
        directory, rp, state, how):
    user = directory.add_user()

    params = enrol_with_cli(rp, user, state, how)

    claims = rp.exchange(params["code"])["claims"]
    assert claims["acr"] == "30"
    assert {"pop", "pin"} <= set(claims["amr"]), claims["amr"]
    assert claims["sub"] == user.subject


def test_activate_writes_a_state_file_only_its_owner_can_read(directory, rp, state):
    user = directory.add_user()
    page = activation_page(rp, user)

    run_app(state, "activate", *activation_args("code", rp, page), "--name", "Test phone",
            "--pin", PIN).assert_ok()

    mode = stat.S_IMODE(state.stat().st_mode)
    assert mode == 0o600, oct(mode)
    shown = run_app(state, "show").assert_ok()
    assert "PRIVATE KEY" not in shown.stdout, shown.stdout
    assert "Test phone" in shown.stdout and user.username in shown.stdout, shown.stdout


def test_this_wasnt_me_from_the_command_line_ends_a_later_login(directory, rp, phone, state):
    browser = StrictRP(directory, rp.client)
    page = ask_app(browser, phone)
    approval = the_one_pending(state)

    denied = run_app(state, "deny", approval.id).assert_ok()
    response = browser.agent.submit(Page(browser.agent.get(page.url)), "Back to the app")

    assert denied.stdout.strip() == "Denied.", str(denied)
    assert browser.response_params(response)["error"] == "access_denied"


def test_a_wrong_pin_says_how_many_attempts_are_left(directory, rp, phone, state):
    browser = StrictRP(directory, rp.client)
    page = ask_app(browser, phone)
    approval = the_one_pending(state)

    run = run_app(state, "approve", approval.id, "--number", str(shown_number(page)),
                  "--pin", WRONG_PIN)

    assert_refused(run, "This PIN is not right. (wrong_pin)",
                   "9 PIN attempt(s) left before the app is blocked")
    # The approval is still open: the right PIN (read from stdin) approves it.
    again = run_app(state, "approve", approval.id, "--number", str(shown_number(page)),
                    "--pin", "-", stdin=PIN + "\n").assert_ok()
    assert again.stdout.strip() == "Approved."
    response = browser.agent.submit(Page(browser.agent.get(page.url)), "Continue")
    assert browser.response_params(response)["code"]


def test_a_wrong_number_is_refused_with_the_providers_message(directory, rp, phone, state):
    browser = StrictRP(directory, rp.client)
    page = ask_app(browser, phone)
    approval = the_one_pending(state)
    wrong = next(c for c in approval.choices if c != shown_number(page))

    run = run_app(state, "approve", approval.id, "--number", str(wrong), "--pin", PIN)

    assert_refused(run, "That is not the number the browser shows.", "(wrong_number)")
    refreshed = Page(browser.agent.get(page.url))
    assert "The number picked in the app was not the one shown here." in refreshed.text


def test_remove_ends_the_device_at_the_provider_and_here(phone, state, tmp_path):
    kept = tmp_path / "copy-of-device.json"
    shutil.copy2(state, kept)

    removed = run_app(state, "remove").assert_ok()

    assert removed.stdout.strip() == f"Removed Test phone ({state} deleted)", str(removed)
    assert not state.exists()
    assert_refused(run_app(state, "list"), "not activated: no state file")
    # The old key no longer works at the provider either.
    assert_refused(run_app(kept, "list"), "This app is not activated here. (unknown_device)")


@pytest.mark.parametrize("command", [["approve", "--number", "42", "--pin", PIN], ["deny"]])
def test_an_approval_id_may_start_with_a_dash(phone, state, command):
    # Approval ids are opaque and URL-safe (api/app.openapi.yaml): about one in 64 starts
    # with "-". The command must still send it, and print the provider's answer.
    name, *options = command

    run = run_app(state, name, "-NoSuchLogin0000000000000000000000", *options)

    assert_refused(run, "There is no such login to approve. (not_found)")
