"""Where the provider's warnings go: standard error under `idp run`, gunicorn's error log
under gunicorn; one line, no traceback."""

from __future__ import annotations

import time

from tests.support.live import new_directory


def answer_during_a_database_cut(rig) -> str:
    """Ask for a page while the database is cut; return the warning line it must log."""
    provider = rig.provider
    path = f"/d/{new_directory(provider).slug}/.well-known/openid-configuration"
    rig.database.cut()
    try:
        response = provider.http().get(provider.url + path, timeout=30)
    finally:
        rig.database.restore()
    assert response.status_code == 503, response.text
    return f"database unavailable: GET {path} answered 503"


def logged(read, line: str) -> str:
    deadline = time.monotonic() + 10
    while line not in read() and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker's handler writes it after answering
    return read()


def test_under_idp_run_an_application_warning_is_one_line_on_stderr(outage_rig):
    line = answer_during_a_database_cut(outage_rig)
    provider = outage_rig.provider

    stderr = logged(provider.stderr, line)

    warning = [entry for entry in stderr.splitlines() if line in entry]
    assert len(warning) == 1, stderr[-2000:]
    assert "[WARNING] idp." in warning[0]
    assert "Traceback" not in provider.log()
    assert line not in provider.log().replace(stderr, "")


def test_under_gunicorn_an_application_warning_goes_to_the_error_logfile(gunicorn_outage_rig):
    line = answer_during_a_database_cut(gunicorn_outage_rig)
    provider = gunicorn_outage_rig.provider

    assert line in logged(provider.error_log, line), provider.error_log()[-2000:]
    assert line not in provider.stderr(), provider.stderr()[-2000:]
    assert "Traceback" not in provider.error_log() + provider.stderr()
