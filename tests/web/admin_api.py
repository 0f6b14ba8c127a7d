"""Calling a directory's admin API as a service account, and checking every answer against
idp/web/api/admin.openapi.yaml with openapi-core."""

from __future__ import annotations

from functools import cache
from typing import Any

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from idp.tenants.service_accounts import ADMIN_SCOPES
from idp.web.api.admin import SPEC_PATH
from tests.support.live import TestClient, TestDirectory

ALL_SCOPES = " ".join(ADMIN_SCOPES)


@cache
def spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_PATH))


def token_of(directory: TestDirectory, client: TestClient, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    response = requests.post(f"{directory.issuer}/token", data=data,
                             auth=(client.client_id, client.secret or ""), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


class AdminApi:
    """A service account's calls to one directory's admin API, each answer validated."""

    def __init__(self, directory: TestDirectory, token: str | None):
        self.directory = directory
        self.token = token
        self.base = f"{directory.issuer}/api/admin/v1"

    def call(self, method: str, path: str, *, json: Any = None, data: Any = None,
             params: dict | None = None, headers: dict | None = None,
             validate: bool = True) -> requests.Response:
        sent = {**({"Authorization": f"Bearer {self.token}"} if self.token else {}),
                **(headers or {})}
        response = requests.request(method, self.base + path, json=json, data=data,
                                    params=params, headers=sent, timeout=30)
        assert response.status_code < 500, response.text
        assert response.headers["Content-Type"].startswith("application/json"), response.text
        if validate:
            check_response(response)
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.call("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.call("DELETE", path, **kwargs)


def check_response(response: requests.Response) -> None:
    """Validate the answer (status, headers, body) against the operation in the OpenAPI file."""
    spec().validate_response(RequestsOpenAPIRequest(response.request),
                             RequestsOpenAPIResponse(response))


def service_api(directory: TestDirectory, scopes: str = ALL_SCOPES,
                ask: str | None = None) -> AdminApi:
    """Register a service account granted `scopes`; return its API (token asking `ask`)."""
    client = directory.add_client(service_scopes=scopes)
    api = AdminApi(directory, token_of(directory, client, ask))
    api.client = client  # type: ignore[attr-defined]
    return api


def assert_api_error(response: requests.Response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error, body
    assert body["error_description"]
    return body
