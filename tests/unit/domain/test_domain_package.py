"""The domain package stays pure and exports what the rest of the app codes against."""

import ast
import importlib
from pathlib import Path

import pytest

import idp.domain

PACKAGE = Path(idp.domain.__file__).parent
MODULES = sorted(path for path in PACKAGE.glob("*.py"))
PURE_IMPORTS = {"__future__", "collections.abc", "dataclasses", "enum", "re", "types",
                "typing"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_domain_module_imports_only_pure_modules(path):
    impure = {
        name
        for name in imported_modules(path)
        if name not in PURE_IMPORTS and not name.startswith("idp.domain")
    }
    assert impure == set()


def test_purity_check_notices_an_impure_import(tmp_path):
    module = tmp_path / "clocky.py"
    module.write_text("import time\nfrom flask import request\n", encoding="utf-8")
    assert imported_modules(module) == {"time", "flask"}


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (
            "errors",
            [
                "DomainError",
                "InvalidSettings",
                "InvalidAcrRequest",
                "UnmetAuthenticationRequirements",
            ],
        ),
        (
            "settings",
            [
                "METHODS",
                "DEFAULT_POINTS",
                "DEFAULT_REQUIRED_LEVEL",
                "MAX_POINTS",
                "MAX_LEVEL",
                "MethodInfo",
                "METHOD_INFO",
                "LevelSettings",
                "max_reachable",
            ],
        ),
        ("ledger", ["Completion", "counted_completions", "session_level"]),
        (
            "acr",
            [
                "AcrRequest",
                "parse_acr_request",
                "effective_minimum",
                "ensure_reachable",
                "check_request",
                "resolve_acr",
                "build_amr",
                "latest_auth_time",
            ],
        ),
        ("stepup", ["StepUpPlan", "plan_step_up"]),
        ("prompt", ["PromptContext", "PromptCheck", "CHECKS", "pending_checks"]),
        ("outcome", ["LoginOutcome", "conclude_login"]),
        ("preview", ["Affected", "Combination", "Member", "SettingsPreview",
                     "describe_combination", "enrol_counts", "enrol_options", "first_steps",
                     "preview_settings", "reaches", "reaching_combinations"]),
    ],
)
def test_public_names_live_in_their_module_and_are_re_exported(module, names):
    loaded = importlib.import_module(f"idp.domain.{module}")
    for name in names:
        assert getattr(idp.domain, name) is getattr(loaded, name)
        assert name in idp.domain.__all__


def test_every_exported_name_exists():
    assert all(hasattr(idp.domain, name) for name in idp.domain.__all__)


def test_readme_says_the_package_does_no_io_and_names_every_module():
    readme = (PACKAGE / "README.md").read_text(encoding="utf-8")
    assert "does no I/O" in readme
    for path in MODULES:
        if path.name != "__init__.py":
            assert f"`{path.name}`" in readme
