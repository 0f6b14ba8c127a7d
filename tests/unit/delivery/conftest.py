"""Fixtures for the delivery tests: a trusted certificate, an SMTP mailbox, an SMS gateway."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.mailbox import Mailbox
from tests.support.sms_gateway import SmsGateway
from tests.support.tls import make_certificate, server_context


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """Return (cert, key) of a self-signed localhost certificate."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def other_certificate(tmp_path_factory) -> tuple[Path, Path]:
    """Return (cert, key) of another self-signed certificate, one the server does not use."""
    return make_certificate(tmp_path_factory.mktemp("other-tls"))


@pytest.fixture
def mailbox_factory(certificate) -> Iterator[Callable[..., Mailbox]]:
    """Return a function starting a Mailbox; tls=True serves the test certificate."""
    started: list[Mailbox] = []

    def start(*, tls: bool = False, **kwargs) -> Mailbox:
        if tls:
            kwargs["tls_context"] = server_context(*certificate)
        mailbox = Mailbox(**kwargs).start()
        started.append(mailbox)
        return mailbox

    yield start
    for mailbox in started:
        mailbox.stop()


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    """Return a running SMS gateway."""
    with SmsGateway() as running:
        yield running
