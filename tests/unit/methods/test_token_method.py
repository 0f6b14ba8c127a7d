"""Hardware OATH tokens: reading vendors' files (CSV, PSKC RFC 6030), HOTP look-ahead and
resynchronisation, TOTP steps, each code once, binding a token by its serial and two codes."""

from __future__ import annotations

import base64
import threading

import pyotp
import pytest
from sqlalchemy import select

from idp.methods import MethodContext, MethodFailed, NotAGuess, Verified
from idp.methods.token import TokenMethod
from idp.methods.token.inventory import (
    InventoryError,
    assign_token,
    find_token,
    import_tokens,
    move_counter,
)
from idp.methods.token.models import HardwareToken
from idp.methods.token.otp import TokenKey, hotp_match, hotp_resync, totp_pair, totp_step
from idp.methods.token.parsers import (
    TokenFileError,
    TokenRecord,
    decode_seed,
    read_csv,
    read_pskc,
    read_tokens,
)
from idp.storage import db
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory

# RFC 4226 appendix D: the test key and its 6-digit codes of counters 0-9.
RFC4226_SEED = b"12345678901234567890"
RFC4226_CODES = ["755224", "287082", "359152", "969429", "338314",
                 "254676", "287922", "162583", "399871", "520489"]
NOW = 1_700_000_025.0  # the middle of a 30-second step

# RFC 6030 figure 3: one HOTP key, plain, with its device's serial number.
FIGURE_3 = b"""<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" Id="exampleID1" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
    <KeyPackage>
        <DeviceInfo>
            <Manufacturer>Manufacturer</Manufacturer>
            <SerialNo>987654321</SerialNo>
            <UserId>DC=example-bank,DC=net</UserId>
        </DeviceInfo>
        <CryptoModuleInfo><Id>CM_ID_001</Id></CryptoModuleInfo>
        <Key Id="12345678" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
            <Issuer>Issuer</Issuer>
            <AlgorithmParameters>
                <ResponseFormat Length="8" Encoding="DECIMAL"/>
            </AlgorithmParameters>
            <Data>
                <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=
                    </PlainValue></Secret>
                <Counter><PlainValue>0</PlainValue></Counter>
            </Data>
            <UserId>UID=jsmith,DC=example-bank,DC=net</UserId>
        </Key>
    </KeyPackage>
</KeyContainer>
"""

# RFC 6030 figure 6: the same key encrypted with AES-128-CBC under a pre-shared key, and
# its MAC key encrypted with it too.
FIGURE_6_KEY = bytes.fromhex("12345678901234567890123456789012")
FIGURE_6 = b"""<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0"
    xmlns="urn:ietf:params:xml:ns:keyprov:pskc"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">
    <EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></EncryptionKey>
    <MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">
        <MACKey>
            <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
            <xenc:CipherData>
                <xenc:CipherValue>
    ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX
                </xenc:CipherValue>
            </xenc:CipherData>
        </MACKey>
    </MACMethod>
    <KeyPackage>
        <DeviceInfo>
            <Manufacturer>Manufacturer</Manufacturer>
            <SerialNo>987654321</SerialNo>
        </DeviceInfo>
        <CryptoModuleInfo><Id>CM_ID_001</Id></CryptoModuleInfo>
        <Key Id="12345678" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
            <Issuer>Issuer</Issuer>
            <AlgorithmParameters>
                <ResponseFormat Length="8" Encoding="DECIMAL"/>
            </AlgorithmParameters>
            <Data>
                <Secret>
                    <EncryptedValue>
                        <xenc:EncryptionMethod
                        Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
                        <xenc:CipherData>
                            <xenc:CipherValue>
    AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv
                            </xenc:CipherValue>
                        </xenc:CipherData>
                    </EncryptedValue>
                    <ValueMAC>Su+NvtQfmvfJzF6bmQiJqoLRExc=
                    </ValueMAC>
                </Secret>
                <Counter><PlainValue>0</PlainValue></Counter>
            </Data>
        </Key>
    </KeyPackage>
</KeyContainer>
"""

# A TOTP key in the profile of RFC 6030 section 10.2 (time-based, 30 s, 6 digits).
TOTP_PSKC = b"""<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
    <KeyPackage>
        <DeviceInfo><Manufacturer>Vendor</Manufacturer><SerialNo>TOTP-0001</SerialNo>
        </DeviceInfo>
        <Key Id="t1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
            <AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/>
            </AlgorithmParameters>
            <Data>
                <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>
                <Time><PlainValue>0</PlainValue></Time>
                <TimeInterval><PlainValue>30</PlainValue></TimeInterval>
            </Data>
        </Key>
    </KeyPackage>
</KeyContainer>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">&lol2;</KeyContainer>
"""


# --- reading vendors' files (no database) -----------------------------------------------


def test_the_rfc_6030_figure_3_document_gives_its_hotp_token():
    [record] = read_pskc(FIGURE_3)

    assert record.serial == "987654321"
    assert record.key == TokenKey(RFC4226_SEED, "hotp", 8, 30, "sha1")
    assert record.counter == 0
    assert record.key.code(0) == "84755224"  # RFC 4226 counter 0, 8 digits


def test_the_rfc_6030_figure_6_document_is_read_with_its_pre_shared_key():
    [record] = read_pskc(FIGURE_6, FIGURE_6_KEY)

    assert record.serial == "987654321"
    assert record.key.seed == RFC4226_SEED


@pytest.mark.parametrize("key", [None, bytes(16)], ids=["no-key", "wrong-key"])
def test_an_encrypted_pskc_document_is_refused_without_its_key(key):
    with pytest.raises(TokenFileError):
        read_pskc(FIGURE_6, key)


def test_a_totp_pskc_key_gives_a_totp_token():
    [record] = read_tokens(TOTP_PSKC)

    assert (record.serial, record.key.kind, record.key.period) == ("TOTP-0001", "totp", 30)
    assert record.key.code(int(NOW // 30)) == pyotp.TOTP(
        base64.b32encode(RFC4226_SEED).decode()).at(NOW)


def test_a_pskc_document_with_entity_expansion_is_refused():
    with pytest.raises(TokenFileError):
        read_tokens(BILLION_LAUGHS)


def test_csv_lines_give_hotp_and_totp_tokens_with_hex_or_base32_seeds():
    base32 = base64.b32encode(RFC4226_SEED).decode().rstrip("=")
    records = read_tokens(
        b"serial,seed,kind,digits,period_or_counter,algorithm\n"
        b"# a comment\n"
        + f"H-1,{RFC4226_SEED.hex()},hotp,6,7\n".encode()
        + f"T-1,{base32},TOTP,8,60,sha256\n".encode())

    assert records == [
        TokenRecord("H-1", TokenKey(RFC4226_SEED, "hotp", 6, 30, "sha1"), 7),
        TokenRecord("T-1", TokenKey(RFC4226_SEED, "totp", 8, 60, "sha256"), 0),
    ]


@pytest.mark.parametrize(("line", "reason"), [
    ("A,zz!!,hotp,6,0", "neither hex nor base32"),
    ("A,3132,hotp,6,0", "10 to 128 bytes"),
    ("A,3132333435363738393031323334353637383930,motp,6,0", "hotp or totp"),
    ("A,3132333435363738393031323334353637383930,hotp,5,0", "6, 7 or 8"),
    ("A,3132333435363738393031323334353637383930,totp,6,5", "10 to 300"),
    ("A,3132333435363738393031323334353637383930,hotp,6", "expected serial"),
    ("A B,3132333435363738393031323334353637383930,hotp,6,0", "serial"),
])
def test_a_bad_csv_line_is_refused_naming_its_line(line, reason):
    with pytest.raises(TokenFileError, match=reason) as refused:
        read_csv("serial,seed,kind,digits,period\n" + line + "\n")
    assert str(refused.value).startswith("line 2:")


def test_a_seed_of_hex_digits_is_read_as_hex():
    assert decode_seed("3132 3334 3536 3738 3930") == b"1234567890"


# --- the codes (no database) ---------------------------------------------------------------

HOTP = TokenKey(RFC4226_SEED)


def test_hotp_codes_are_those_of_rfc_4226():
    assert [HOTP.code(counter) for counter in range(10)] == RFC4226_CODES


def test_hotp_looks_ahead_ten_counters_and_no_further():
    assert hotp_match(HOTP, RFC4226_CODES[9], 0) == 9
    assert hotp_match(HOTP, HOTP.code(10), 0) is None
    assert hotp_match(HOTP, RFC4226_CODES[2], 3) is None  # behind the counter


def test_hotp_resynchronises_on_two_consecutive_codes_within_a_hundred():
    assert hotp_resync(HOTP, HOTP.code(57), HOTP.code(58), 0) == 58
    assert hotp_resync(HOTP, HOTP.code(57), HOTP.code(59), 0) is None  # not consecutive
    assert hotp_resync(HOTP, HOTP.code(100), HOTP.code(101), 0) is None  # too far


def test_totp_accepts_one_step_either_side_and_two_consecutive_steps():
    totp = TokenKey(RFC4226_SEED, "totp")
    step = int(NOW // 30)
    assert [totp_step(totp, totp.code(step + d), NOW) for d in (-1, 0, 1)] == [
        step - 1, step, step + 1]
    assert totp_step(totp, totp.code(step + 2), NOW) is None
    assert totp_pair(totp, totp.code(step - 1), totp.code(step), NOW) == step
    assert totp_pair(totp, totp.code(step - 2), totp.code(step), NOW) is None


# --- the method, on each storage backend --------------------------------------------------


@pytest.fixture
def inventory(directory, svc):
    """Return a function adding a token to the test directory (assigned to `user`, if given)."""

    def add(serial: str, kind: str = "hotp", counter: int = 0, user=None) -> HardwareToken:
        directory_row = get_directory(directory.slug)
        [token] = import_tokens(directory_row, [TokenRecord(
            serial, TokenKey(RFC4226_SEED, kind), counter)], svc.sealer, NOW)
        if user is not None:
            assert assign_token(token, find_user(directory_row, user.username), NOW)
        db.session.commit()
        return token

    return add


def verify(ctx: MethodContext, code: str, code2: str = "") -> Verified:
    """Verify as a request does: committed when accepted, rolled back when refused."""
    try:
        verified = TokenMethod().verify(ctx, {"code": code, "code2": code2})
    except MethodFailed:
        db.session.rollback()
        raise
    db.session.commit()
    return verified


def bind(ctx: MethodContext, serial: str, code: str, code2: str) -> Verified:
    try:
        verified = TokenMethod().finish_enrolment(ctx, {"serial": serial, "code": code,
                                                        "code2": code2})
    except MethodFailed:
        db.session.rollback()
        raise
    db.session.commit()
    return verified


@pytest.mark.storage
def test_the_seed_is_sealed_at_rest(directory, svc, inventory):
    token = inventory("S-1")
    stored = db.session.scalars(select(HardwareToken.seed_sealed).where(
        HardwareToken.id == token.id)).one()
    assert RFC4226_SEED not in stored and RFC4226_SEED.hex().encode() not in stored
    assert svc.sealer.unseal(stored) == RFC4226_SEED


@pytest.mark.storage
def test_a_serial_twice_in_a_directory_refuses_the_whole_batch(directory, svc, inventory):
    inventory("S-1")
    batch = [TokenRecord(s, TokenKey(RFC4226_SEED)) for s in ("S-2", "S-1")]
    with pytest.raises(InventoryError, match="S-1"):
        import_tokens(get_directory(directory.slug), batch, svc.sealer, NOW)
    db.session.rollback()
    assert find_token(get_directory(directory.slug), "S-2") is None


@pytest.mark.storage
def test_an_hotp_code_within_the_window_is_accepted_once_and_moves_the_counter(
        directory, inventory, context):
    user = directory.add_user()
    token = inventory("H-1", user=user)

    assert verify(context(user, NOW), RFC4226_CODES[4]) == Verified(amr=("otp",))
    with pytest.raises(NotAGuess, match="already used"):
        verify(context(user, NOW), RFC4226_CODES[4])
    with pytest.raises(MethodFailed, match="not right"):
        verify(context(user, NOW), RFC4226_CODES[2])  # older than the last one used
    db.session.expire_all()
    assert db.session.get(HardwareToken, token.id).counter == 5
    assert verify(context(user, NOW), RFC4226_CODES[5]).amr == ("otp",)


@pytest.mark.storage
def test_an_hotp_token_pressed_too_often_is_resynchronised_by_two_codes(
        directory, inventory, context):
    user = directory.add_user()
    inventory("H-1", user=user)

    with pytest.raises(MethodFailed, match="not right"):
        verify(context(user, NOW), HOTP.code(40))
    assert verify(context(user, NOW), HOTP.code(41), HOTP.code(42)).amr == ("otp",)
    with pytest.raises(NotAGuess, match="already used"):
        verify(context(user, NOW), HOTP.code(42))
    assert verify(context(user, NOW), HOTP.code(43)).amr == ("otp",)


@pytest.mark.storage
def test_a_totp_token_code_is_accepted_once(directory, inventory, context):
    user = directory.add_user()
    inventory("T-1", kind="totp", user=user)
    totp = TokenKey(RFC4226_SEED, "totp")
    code = totp.code(int(NOW // 30))

    assert verify(context(user, NOW), code).amr == ("otp",)
    with pytest.raises(NotAGuess, match="already used"):
        verify(context(user, NOW + 10), code)
    assert verify(context(user, NOW + 30), totp.code(int(NOW // 30) + 1)).amr == ("otp",)


@pytest.mark.storage
def test_a_counter_is_moved_on_once_when_two_requests_race(directory, inventory, app):
    token_id = inventory("H-1").id  # read here: the threads have sessions of their own
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def claim():
        with app.app_context():
            row = db.session.get(HardwareToken, token_id)
            barrier.wait(timeout=30)
            results.append(move_counter(row, 0, 5, NOW))
            db.session.commit()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [False, True]


@pytest.mark.storage
def test_binding_a_token_takes_its_serial_and_two_consecutive_codes(
        directory, inventory, context):
    user, other = directory.add_user(), directory.add_user()
    inventory("H-1", counter=3)

    assert bind(context(user, NOW), " H-1 ", HOTP.code(8), HOTP.code(9)).amr == ("otp",)
    assert TokenMethod().is_enrolled(context(user, NOW).user)
    with pytest.raises(MethodFailed, match="serial number or the codes"):
        bind(context(other, NOW), "H-1", HOTP.code(10), HOTP.code(11))  # taken already
    assert verify(context(user, NOW), HOTP.code(10)).amr == ("otp",)


@pytest.mark.storage
@pytest.mark.parametrize("case", ["unknown-serial", "not-consecutive", "one-code-twice"])
def test_binding_is_refused_alike_for_an_unknown_serial_or_wrong_codes(
        directory, inventory, context, case):
    user = directory.add_user()
    inventory("H-1")
    serial, first, second = {
        "unknown-serial": ("H-2", HOTP.code(0), HOTP.code(1)),
        "not-consecutive": ("H-1", HOTP.code(0), HOTP.code(2)),
        "one-code-twice": ("H-1", HOTP.code(0), HOTP.code(0)),
    }[case]

    with pytest.raises(MethodFailed, match="serial number or the codes") as refused:
        bind(context(user, NOW), serial, first, second)

    assert refused.value.counts_as_failure
    assert not TokenMethod().is_enrolled(context(user, NOW).user)


@pytest.mark.storage
def test_a_totp_token_is_bound_with_the_codes_of_two_consecutive_steps(
        directory, inventory, context):
    user = directory.add_user()
    inventory("T-1", kind="totp")
    totp, step = TokenKey(RFC4226_SEED, "totp"), int(NOW // 30)

    bind(context(user, NOW), "T-1", totp.code(step - 1), totp.code(step))

    with pytest.raises(NotAGuess, match="already used"):
        verify(context(user, NOW), totp.code(step))
