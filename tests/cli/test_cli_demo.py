"""What `make run` prints, what the package ships, and what the README says."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pyotp

from clients.demo import banner, prepare
from idp import create_app
from tests.support.live import TEST_SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def start_text(tmp_path) -> str:
    """Prepare the demo on a database of its own; return what `make run` prints."""
    app = create_app({**TEST_SETTINGS, "IDP_BASE_URL": "http://localhost:5000",
                      "IDP_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"})
    issuer, _secret, summary = prepare(app, "http://localhost:5001")
    return banner("http://localhost:5000", "http://localhost:5001", "http://localhost:5002",
                  issuer, summary)


def test_the_printed_totp_one_liner_runs_with_the_venv_python_and_prints_the_code(tmp_path):
    text = start_text(tmp_path)
    line = next(line for line in text.splitlines() if line.strip().startswith("bob /"))
    found = re.search(r"current code: (\S+) -c \"(.+)\"\)", line)
    assert found, line
    assert found.group(1) == ".venv/bin/python", line
    key = re.search(r"authenticator app key ([A-Z2-7]+)", line).group(1)
    # Run as printed, from the checkout, with nothing activated.
    done = subprocess.run([str(ROOT / found.group(1)), "-c", found.group(2)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert pyotp.TOTP(key).verify(done.stdout.strip(), valid_window=1), done.stdout


def test_the_issuer_is_printed_once_and_carols_email_address_is_printed(tmp_path):
    text = start_text(tmp_path)
    assert text.count("http://localhost:5000/d/default ") + text.count(
        "http://localhost:5000/d/default)") == 1, text
    assert "Issuer:" not in text
    carol = next(line for line in text.splitlines() if line.strip().startswith("carol /"))
    assert "carol@example.org" in carol, carol
    assert "+447911123456" in carol, carol


def test_the_wheel_holds_every_template_and_catalogue_and_builds_without_warnings(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {str(path.relative_to(ROOT)) for pattern in (
        "idp/web/templates/**/*.html", "idp/methods/*/templates/**/*.html",
        "clients/portal/templates/*.html", "idp/translations/*/LC_MESSAGES/*.po",
        "idp/methods/*/translations/*/LC_MESSAGES/*.po", "idp/web/static/*")
        for path in ROOT.glob(pattern)}
    assert len(wanted) > 80
    assert wanted <= names, sorted(wanted - names)
    assert not [name for name in names if "__pycache__" in name]


def test_the_readme_describes_the_product_without_links_outside_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "../" not in re.sub(r"```.*?```", "", readme, flags=re.S)
    assert "## What it does" in readme
    for term in ("Directories", "points", "acr_values", "Step-up", "Nobody locked out"):
        assert term in readme, term
