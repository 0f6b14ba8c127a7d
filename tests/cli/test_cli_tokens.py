"""`idp token import|list|assign|unassign`: the inventory of hardware OATH tokens."""

from __future__ import annotations

import base64

import pyotp
from sqlalchemy import select

from idp.methods.token.inventory import find_token, key_of, tokens_of
from idp.services import services
from idp.storage import db
from idp.storage.models import AuditEvent
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory
from tests.cli.helpers import provider, run_idp

SEED = b"12345678901234567890"  # RFC 4226 appendix D
PSKC = b"""<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
    <KeyPackage>
        <DeviceInfo><Manufacturer>Vendor</Manufacturer><SerialNo>987654321</SerialNo>
        </DeviceInfo>
        <Key Id="1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
            <AlgorithmParameters><ResponseFormat Length="8" Encoding="DECIMAL"/>
            </AlgorithmParameters>
            <Data>
                <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>
                <Counter><PlainValue>0</PlainValue></Counter>
            </Data>
        </Key>
    </KeyPackage>
</KeyContainer>
"""


def _csv(tmp_path, *lines: str):
    path = tmp_path / "tokens.csv"
    path.write_text("serial,seed,kind,digits,period_or_counter\n" + "\n".join(lines) + "\n")
    return str(path)


def test_tokens_are_imported_listed_assigned_and_unassigned(any_database, idp, tmp_path):
    idp(any_database, "init").assert_ok()
    idp(any_database, "user", "add", "--directory", "default", "--username", "carol",
        stdin="a long enough password\n").assert_ok()
    csv_file = _csv(tmp_path, f"H-1,{SEED.hex()},hotp,6,0",
                    f"T-1,{base64.b32encode(SEED).decode()},totp,6,30")
    pskc_file = tmp_path / "tokens.pskc"
    pskc_file.write_bytes(PSKC)

    imported = run_idp(any_database, "token", "import", csv_file).assert_ok()
    idp(any_database, "token", "import", str(pskc_file), "--directory", "default").assert_ok()
    assigned = run_idp(any_database, "token", "assign", "H-1", "carol").assert_ok()
    listed = idp(any_database, "token", "list").assert_ok()

    assert imported.stdout.strip() == "Imported 2 tokens into default."
    assert assigned.stdout.strip() == "Assigned token H-1 to carol."
    rows = [line.split("\t")[:4] for line in listed.stdout.splitlines()]
    assert rows == [["987654321", "hotp", "8", "-"], ["H-1", "hotp", "6", "carol"],
                    ["T-1", "totp", "6", "-"]]
    assert SEED.hex() not in listed.stdout
    with provider(any_database):
        directory = get_directory("default")
        [token] = tokens_of(find_user(directory, "carol"))
        assert token.serial == "H-1"
        assert key_of(token, services().sealer).code(0) == pyotp.HOTP(
            base64.b32encode(SEED).decode()).at(0)

    idp(any_database, "token", "unassign", "H-1").assert_ok()
    with provider(any_database):
        assert find_token(get_directory("default"), "H-1").user_id is None
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.event, e.detail) for e in events if e.event.startswith("method.")] == [
            ("method.enrolled", {"method": "token", "name": "H-1"}),
            ("method.removed", {"method": "token", "name": "H-1"})]


def test_importing_a_serial_the_directory_has_refuses_the_whole_file(any_database, idp,
                                                                      tmp_path):
    idp(any_database, "init").assert_ok()
    idp(any_database, "token", "import", _csv(tmp_path, f"H-1,{SEED.hex()},hotp,6,0"))\
        .assert_ok()

    again = run_idp(any_database, "token", "import",
                    _csv(tmp_path, f"H-2,{SEED.hex()},hotp,6,0", f"H-1,{SEED.hex()},hotp,6,0"))

    again.assert_one_line_error("already in default", "H-1")
    with provider(any_database):
        assert find_token(get_directory("default"), "H-2") is None


def test_a_bad_file_is_refused_naming_its_line(initialized, idp, tmp_path):
    idp(initialized, "token", "import", _csv(tmp_path, "H-1,not-a-seed!,hotp,6,0"))\
        .assert_one_line_error("line 2", "hex nor base32")
    idp(initialized, "token", "import", str(tmp_path / "missing.csv"))\
        .assert_one_line_error("cannot read")


def test_assigning_an_unknown_token_or_user_or_a_token_given_already_is_refused(
        initialized, idp, tmp_path):
    idp(initialized, "token", "import", _csv(tmp_path, f"A-1,{SEED.hex()},hotp,6,0"))\
        .assert_ok()
    for name in ("dave", "erin"):
        idp(initialized, "user", "add", "--directory", "default", "--username", name,
            stdin="a long enough password\n").assert_ok()

    idp(initialized, "token", "assign", "NOPE", "dave").assert_one_line_error("no token")
    idp(initialized, "token", "assign", "A-1", "nobody").assert_one_line_error("no user")
    idp(initialized, "token", "assign", "A-1", "dave").assert_ok()
    idp(initialized, "token", "assign", "A-1", "erin").assert_one_line_error("assigned already")


def test_a_pskc_file_with_encrypted_seeds_is_imported_with_its_pre_shared_key(initialized, idp,
                                                                              tmp_path):
    from tests.unit.methods.test_token_method import FIGURE_6, FIGURE_6_KEY

    path = tmp_path / "figure6.pskcxml"
    path.write_bytes(FIGURE_6)

    idp(initialized, "token", "import", str(path)).assert_one_line_error("encrypted")
    idp(initialized, "token", "import", str(path), "--pskc-key", "zz")\
        .assert_one_line_error("--pskc-key")
    run_idp(initialized, "token", "import", str(path), "--pskc-key",
            FIGURE_6_KEY.hex()).assert_ok()
    with provider(initialized):
        token = find_token(get_directory("default"), "987654321")
        assert key_of(token, services().sealer).seed == SEED
