"""Settings are read through one typed object of idp/config.py, never by a key's name."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import idp
from idp import create_app
from idp.config import KEYS, Settings, current_settings, load_settings
from tests.support.live import TEST_SETTINGS

PACKAGE = Path(idp.__file__).parent
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if path != PACKAGE / "config.py")
TYPES = {"_int": int, "_float": float, "_bool": bool, "_str": str}


def reads_by_name(path: Path) -> list[str]:
    """Return where a module reads a setting by its name: settings["IDP_X"], .get("IDP_X")."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Subscript) and _names_a_key(node.slice):
            found.append(f"{node.lineno}: [{ast.unparse(node.slice)}]")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "get" and node.args and _names_a_key(node.args[0])):
            found.append(f"{node.lineno}: .get({ast.unparse(node.args[0])})")
    return sorted(found, key=lambda read: int(read.split(":")[0]))


def _names_a_key(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr) and node.values:
        node = node.values[0]
    return isinstance(node, ast.Constant) and str(node.value).startswith("IDP_")


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_module_reads_no_setting_by_its_name(path):
    assert reads_by_name(path) == []


def test_the_check_notices_reads_by_name(tmp_path):
    module = tmp_path / "reads.py"
    module.write_text('a = settings["IDP_ENV"]\nb = config.get("IDP_BASE_URL", "")\n'
                      'c = settings[f"IDP_{name}_TTL_SECONDS"]\nd = settings["OTHER"]\n',
                      encoding="utf-8")
    assert reads_by_name(module) == ["1: ['IDP_ENV']", "2: .get('IDP_BASE_URL')",
                                     "3: [f'IDP_{name}_TTL_SECONDS']"]


def test_every_key_has_one_typed_field():
    fields = {field.name: field.type for field in dataclasses.fields(Settings)}
    assert fields == {key.name.removeprefix("IDP_").lower(): TYPES[key.parse.__name__].__name__
                      for key in KEYS}


def test_the_typed_settings_hold_the_loaded_values_and_cannot_change():
    settings = Settings.from_mapping(load_settings(environ={"IDP_SMTP_PORT": "2525",
                                                            "IDP_RATE_LIMITS_ENABLED": "no"}))
    assert (settings.smtp_port, settings.rate_limits_enabled) == (2525, False)
    assert settings.id_token_ttl_seconds == 3600
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.smtp_port = 25  # type: ignore[misc]


def test_the_app_reads_the_settings_it_was_built_with():
    app = create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": "sqlite://",
                      "IDP_FRESH_LOGIN_SECONDS": 120})
    with app.app_context():
        assert current_settings().fresh_login_seconds == 120
        assert current_settings().base_url == "http://localhost:5000"
