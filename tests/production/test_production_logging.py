"""Under gunicorn the provider logs through gunicorn's error log, not to stderr."""

from __future__ import annotations

import time

from tests.support.live import new_directory


def test_an_application_warning_goes_to_the_error_logfile_not_to_stderr(outage_rig):
    provider = outage_rig.provider
    slug = new_directory(provider).slug
    path = f"/d/{slug}/.well-known/openid-configuration"

    outage_rig.database.cut()
    try:
        response = provider.http().get(provider.url + path, timeout=30)
    finally:
        outage_rig.database.restore()

    assert response.status_code == 503, response.text
    line = f"database unavailable: GET {path} answered 503"
    deadline = time.monotonic() + 10
    while line not in provider.error_log() and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker's handler writes it after answering
    assert line in provider.error_log(), provider.error_log()[-2000:]
    assert line not in provider.stderr(), provider.stderr()[-2000:]
    assert "Traceback" not in provider.error_log() + provider.stderr()
