"""The device client (``python -m clients.device``) against the live provider, approved by a
person in a browser (an Agent), as clients/device and the README describe.

Two runs are real processes (they wait the provider's 5-second interval once); the rest call
the same code in this process, where the provider's clock stands in for the waits.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clients.device import DeviceFlow, DeviceFlowError
from clients.device.cli import main
from tests.support.device import answer_at
from tests.support.live import free_port
from tests.support.rp import StrictRP

ROOT = Path(__file__).resolve().parents[2]
OPEN_LINE = re.compile(r"^Or open (\S+)$")
CODE_LINE = re.compile(r"^\s+([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})$")


@pytest.fixture
def tv(directory):
    """A public app that may sign in devices, registered without a redirect URI."""
    return directory.add_client(public=True, device_grant=True)


@pytest.fixture
def person(directory):
    """A person with a password and an authenticator app (the default level 30)."""
    return directory.add_user(totp=True)


def start_device(directory, client, *args: str) -> tuple[subprocess.Popen, str, str]:
    """Start the command; return it, its verification URL and its code, once printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "clients.device", "--issuer", directory.issuer,
         "--client-id", client.client_id, *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    code = url = None
    assert process.stdout is not None
    for line in process.stdout:
        line = line.rstrip("\n")
        if CODE_LINE.match(line):
            code = CODE_LINE.match(line).group(1)
        if OPEN_LINE.match(line):
            url = OPEN_LINE.match(line).group(1)
            break
    assert url and code, process.communicate(timeout=30)
    return process, url, code


def test_the_command_prints_the_claims_once_a_person_approves(directory, tv, person):
    process, url, code = start_device(directory, tv, "--acr-values", "30")
    assert url == f"{directory.issuer}/device?user_code={code}"

    done = answer_at(StrictRP(directory, tv), url, person, "Approve")
    assert done.title == "Your device is signed in"

    out, err = process.communicate(timeout=90)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    claims = json.loads(out[out.index("{"):])
    assert claims["sub"] == person.subject
    assert claims["aud"] == tv.client_id and claims["iss"] == directory.issuer
    assert claims["acr"] == "30" and "otp" in claims["amr"]


def test_the_command_says_when_the_sign_in_is_denied(directory, tv, person):
    process, url, _code = start_device(directory, tv)
    answer_at(StrictRP(directory, tv), url, person, "Deny")
    out, err = process.communicate(timeout=90)
    assert process.returncode == 1, (out, err)
    assert err.strip() == "device: The sign-in was not allowed."
    assert "Traceback" not in err


def test_the_flow_waits_the_interval_and_longer_after_slow_down(directory, tv, person,
                                                               provider_clock):
    flow = DeviceFlow(directory.issuer, tv.client_id)
    started = flow.start("openid profile")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            provider_clock(1)  # too soon: the provider answers slow_down
            return
        if len(waits) == 3:
            answer_at(StrictRP(directory, tv), started.verification_uri_complete, person,
                      "Approve")
        provider_clock(seconds)

    tokens = flow.poll(started, sleep=sleep)
    assert waits == [5, 5, 10]
    claims = flow.id_token_claims(tokens["id_token"])
    assert claims["sub"] == person.subject


def test_an_expired_code_ends_the_flow(directory, tv, provider_clock):
    flow = DeviceFlow(directory.issuer, tv.client_id)
    started = flow.start("openid")
    with pytest.raises(DeviceFlowError, match="expired"):
        flow.poll(started, sleep=lambda seconds: provider_clock(601))


def test_an_app_without_the_switch_is_refused_with_the_providers_reason(directory):
    plain = directory.add_client(public=True)
    err = io.StringIO()
    status = main(["--issuer", directory.issuer, "--client-id", plain.client_id],
                  out=io.StringIO(), err=err)
    assert status == 1
    assert err.getvalue().startswith("device: ") and "unauthorized_client" in err.getvalue()


def test_a_provider_that_cannot_be_reached_is_one_line(directory):
    err = io.StringIO()
    status = main(["--issuer", f"http://127.0.0.1:{free_port()}/d/x", "--client-id", "tv",
                   "--timeout", "2"], out=io.StringIO(), err=err)
    assert status == 1
    assert err.getvalue().startswith("device: Cannot reach ")


def test_an_id_token_for_another_app_is_refused(directory, tv, person, provider_clock):
    flow = DeviceFlow(directory.issuer, tv.client_id)
    started = flow.start("openid")
    answer_at(StrictRP(directory, tv), started.verification_uri_complete, person, "Approve")
    tokens = flow.poll(started, sleep=provider_clock)
    other = DeviceFlow(directory.issuer, "another-app")
    with pytest.raises(DeviceFlowError, match="not valid"):
        other.id_token_claims(tokens["id_token"])


def test_missing_arguments_are_a_usage_error():
    with pytest.raises(SystemExit) as exit_info:
        main(["--client-id", "tv"], out=io.StringIO(), err=io.StringIO())
    assert exit_info.value.code == 2
