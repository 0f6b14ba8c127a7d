"""Directories, their apps, discovery and JWKS kept in each worker's memory follow changes
made elsewhere.

Two worker processes of `idp run` each keep them; the changes are made by another
process (this one, as the `idp` command would), so only the bound IDP_CACHE_SECONDS
brings them: a worker keeps serving what it has from memory for a while, and every
worker answers the new state within the bound.
"""

from __future__ import annotations

import time

import pytest

from idp.clock import now
from idp.storage import db
from idp.tenants.clients import get_client, set_client_disabled
from idp.tenants.directories import get_directory
from tests.protocol._helpers import rotate_signing_keys
from tests.protocol.test_directory_disabled import set_disabled
from tests.support.live import new_directory
from tests.support.served import ServedProvider

pytestmark = pytest.mark.storage

BOUND = 3  # IDP_CACHE_SECONDS of the instance
ANSWERS = 24


@pytest.fixture(scope="module")
def two_workers(backend, database_url_factory):
    provider = ServedProvider({"IDP_DATABASE_URL": database_url_factory(backend),
                               "IDP_CACHE_SECONDS": BOUND}, workers=2)
    with provider:
        yield provider


def fresh_answers(provider, url: str) -> list:
    """Answers on new connections each, which either worker may take."""
    with provider.http() as http:
        return [http.get(url, headers={"Connection": "close"}, timeout=30)
                for _ in range(ANSWERS)]


def kids(response) -> frozenset[str]:
    return frozenset(key["kid"] for key in response.json()["keys"])


def until_settled(check):
    """Return what `check` returns once it is true, asked over at most ten times the bound."""
    deadline = time.monotonic() + 10 * BOUND
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(BOUND / 6)


def test_a_rotation_by_another_process_reaches_every_worker_within_the_bound(two_workers):
    directory = new_directory(two_workers)
    url = f"{directory.issuer}/jwks"
    with two_workers.http() as kept:  # one connection: always the same worker
        old = kids(kept.get(url, timeout=30))

        rotate_signing_keys(directory)

        assert kids(kept.get(url, timeout=30)) == old, "served from that worker's memory"

        def everywhere():
            return old < kids(kept.get(url, timeout=30)) and all(
                old < kids(answer) for answer in fresh_answers(two_workers, url))
        assert until_settled(everywhere), "every worker publishes the new keys"


@pytest.mark.parametrize(("path", "before"), [
    ("/.well-known/openid-configuration", 200),  # a published document, kept as it was
    ("/userinfo", 401),  # answered by the app, with the directory kept in memory
])
def test_a_directory_disabled_by_another_process_is_refused_everywhere_within_the_bound(
        two_workers, path, before):
    directory = new_directory(two_workers)
    url = f"{directory.issuer}{path}"
    with two_workers.http() as kept:
        assert kept.get(url, timeout=30).status_code == before

        set_disabled(directory, True)

        assert kept.get(url, timeout=30).status_code == before, "served from memory"

        def refused():
            return kept.get(url, timeout=30).status_code == 403 and {
                answer.status_code for answer in fresh_answers(two_workers, url)} == {403}
        assert until_settled(refused)


def test_the_workers_answer_one_version_of_a_document_with_one_etag(two_workers):
    directory = new_directory(two_workers)
    found = fresh_answers(two_workers, f"{directory.issuer}/jwks")
    assert {r.headers["ETag"] for r in found} == {found[0].headers["ETag"]}
    assert {r.content for r in found} == {found[0].content}


def set_client_disabled_elsewhere(directory, client_id: str) -> None:
    """Disable an app as the admin page does, from this process."""
    with directory.live.app.app_context():
        set_client_disabled(get_client(get_directory(directory.slug), client_id), True, now())
        db.session.commit()


def test_an_app_disabled_by_another_process_is_refused_everywhere_within_the_bound(
        two_workers):
    directory = new_directory(two_workers)
    client = directory.add_client()
    url = f"{directory.issuer}/introspect"

    def introspect(http) -> int:
        return http.post(url, data={"token": "no-such-token"}, timeout=30,
                         auth=(client.client_id, client.secret)).status_code
    with two_workers.http() as kept:
        assert introspect(kept) == 200  # the app is kept in that worker's memory

        set_client_disabled_elsewhere(directory, client.client_id)

        assert introspect(kept) == 200, "served from memory"

        def refused():
            with two_workers.http() as fresh:
                fresh.headers["Connection"] = "close"
                return introspect(kept) == 401 and {
                    introspect(fresh) for _ in range(ANSWERS)} == {401}
        assert until_settled(refused)
