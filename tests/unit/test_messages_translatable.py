"""Every message Python builds for a person goes through gettext, so it can be in Dutch.

The modules whose errors reach the pages are read as source: an error raised with a bare
string, an f-string or an ``error=`` of a page given one cannot be translated. The JSON
APIs (web/api/, the app's own refusals) keep their English on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(
    [*ROOT.glob("idp/methods/**/*.py"), *ROOT.glob("idp/web/*.py"),
     *ROOT.glob("idp/web/login/*.py"), *ROOT.glob("idp/web/api/*.py")]
    + [ROOT / "idp" / name for name in ("delivery/addresses.py", "tenants/accounts.py",
                                        "security/webauthn.py", "errors.py")])
JSON_ONLY = {"idp/web/api/oidc.py", "idp/web/api/app.py"}
# Errors whose message is shown to people on a page.
FOR_PEOPLE = {"MethodFailed", "MethodThrottled", "MethodUnavailable", "LoginDenied",
              "ContactError", "AccountError", "PasskeyRejected", "IdpError", "NotFound",
              "InteractionExpired", "Busy"}


def untranslated(node: ast.AST | None) -> bool:
    """Return whether an expression is text written in the source (not a gettext call)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value.strip())
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return untranslated(node.left) or untranslated(node.right)
    return False


def findings(path: Path, root: Path = ROOT) -> list[str]:
    """Return where the module gives a person text that gettext never sees."""
    tree = ast.parse(path.read_text(), filename=str(path))
    where = str(path.relative_to(root))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else "")
        if name in FOR_PEOPLE and node.args and untranslated(node.args[0]):
            found.append(f"{where}:{node.lineno} {name}(...)")
        if name in ("flash", "render_template", "page", "login_page"):
            for keyword in node.keywords:
                if keyword.arg in ("error", "notice") and untranslated(keyword.value):
                    found.append(f"{where}:{node.lineno} {keyword.arg}=")
        if name == "flash" and node.args and untranslated(node.args[0]):
            found.append(f"{where}:{node.lineno} flash(...)")
    return found


@pytest.mark.parametrize("path", [p for p in MODULES
                                  if str(p.relative_to(ROOT)) not in JSON_ONLY],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_messages_for_people_are_wrapped_for_translation(path):
    assert findings(path) == []


def test_the_check_finds_an_unwrapped_message(tmp_path):
    path = tmp_path / "sample.py"
    path.write_text('raise MethodFailed("Wrong.")\n'
                    'raise ContactError(f"Bad {x}.")\n'
                    'raise MethodFailed(gettext("Fine."))\n'
                    'raise NotFound(lazy_gettext("Fine too."))\n'
                    'page("x.html", row, error="Oops")\n'
                    'flash("Sent.")\n')

    found = findings(path, root=tmp_path)

    assert found == ["sample.py:1 MethodFailed(...)", "sample.py:2 ContactError(...)",
                     "sample.py:5 error=", "sample.py:6 flash(...)"], found
