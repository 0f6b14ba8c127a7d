"""The admin API's OpenAPI description: a valid OpenAPI 3.1 document (openapi-spec-validator)
that describes exactly the routes the provider serves, each with its scope and its errors."""

from __future__ import annotations

import re

import pytest
import yaml
from openapi_spec_validator import validate

from idp.tenants.service_accounts import ADMIN_SCOPES
from idp.web.api.admin import SPEC_PATH

PREFIX = "/d/<slug>/api/admin/v1"
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def operations(spec: dict) -> dict[tuple[str, str], dict]:
    return {(method.upper(), path): operation for path, item in spec["paths"].items()
            for method, operation in item.items() if method in METHODS}


def test_the_description_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1.")
    validate(spec)


def test_every_route_is_described_and_every_description_served(live, spec):
    served = set()
    for rule in live.app.url_map.iter_rules():
        if rule.endpoint.startswith("admin_api.") and rule.endpoint != "admin_api.description":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
            served |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == set(operations(spec))


def test_every_operation_needs_one_admin_scope_and_answers_401_and_403(spec):
    schemes = spec["components"]["securitySchemes"]["serviceAccount"]
    assert set(schemes["flows"]["clientCredentials"]["scopes"]) == set(ADMIN_SCOPES)
    for key, operation in operations(spec).items():
        (requirement,) = operation["security"]
        assert len(requirement["serviceAccount"]) == 1, key
        assert requirement["serviceAccount"][0] in ADMIN_SCOPES, key
        assert {"401", "403"} <= set(operation["responses"]), key
        if "requestBody" in operation:
            assert {"413", "415"} <= set(operation["responses"]), key
