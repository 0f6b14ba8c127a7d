"""The packages of ``idp`` form layers: a module imports only from its own layer or below.

From the bottom: the pure rules, storage and observability (metrics, log format);
security, delivery and audit; tenants (directories, clients, keys, grants); the sign-in
methods; users (sessions, profile, notifications); the OIDC wiring and administration;
the web. The composition root (``idp.app``, the command line, the production server and
gunicorn's hooks) sits on top. Read from the source, nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "idp"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("idp.domain", "idp.storage", "idp.clock", "idp.config", "idp.errors", "idp.i18n",
     "idp.observability"),
    ("idp.security", "idp.delivery", "idp.audit"),
    ("idp.tenants",),
    ("idp.methods",),
    ("idp.users",),
    ("idp.admin", "idp.oidc", "idp.services"),
    ("idp.web",),
    ("idp.app", "idp.cli", "idp.demo", "idp.__main__", "idp.gunicorn_conf", "idp.production",
     "idp"),
)


def layer_of(module: str) -> int:
    """Return the layer of a module: the one whose longest name prefix it has."""
    best, length = None, -1
    for index, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > length:
                best, length = index, len(name)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add its package to LAYERS")
    return best


def module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def imported(path: Path) -> set[str]:
    """Return the idp modules (or packages) a source file imports."""
    module, is_package = module_name(path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "idp")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "idp":
                continue
            for alias in node.names:  # `from pkg import submodule` names the submodule
                sub = f"{target}.{alias.name}"
                is_module = (ROOT / Path(*sub.split("."))).with_suffix(".py").exists() or \
                    (ROOT / Path(*sub.split(".")) / "__init__.py").exists()
                found.add(sub if is_module else target)
    return found


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_imports_only_its_own_layer_and_those_below(path):
    module, _ = module_name(path)
    upward = sorted(target for target in imported(path)
                    if target != "idp" and layer_of(target) > layer_of(module))
    assert upward == [], f"{module} (layer {layer_of(module)}) imports upward: {upward}"


def test_no_module_sits_loose_at_the_top_of_the_package():
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "app.py", "cli.py", "clock.py",
                     "config.py", "demo.py", "errors.py", "gunicorn_conf.py", "i18n.py",
                     "production.py", "services.py"]


def test_an_upward_import_is_found():
    assert layer_of("idp.domain.acr") < layer_of("idp.web.context")
    assert "idp.web.context" in imported(PACKAGE / "web" / "attempts.py")
