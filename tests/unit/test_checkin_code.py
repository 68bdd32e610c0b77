"""The code parser: our signed payload, ZMS links and typed codes are accepted; every
everyday code a visitor might hold up is refused with its kind; nothing raises.
All examples are invented (Erika Mustermann is the specimen name on German ID cards)."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.domain.appointment import BookingCode, CodeKind, CodeRefusal
from kiosk.domain.checkin_code import (MAX_LENGTH, host_of, make_signed_code, parse_code,
                                       parse_typed, typed_state)
from tests.conftest import ROOT

KEY = bytes.fromhex("3c1f0a5e9b2d4c6f8a7e1b3d5f9c2a4e6b8d0f1a3c5e7092b4d6f8a1c3e5f709")
OLD_KEY = bytes.fromhex("a0b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e9f")
STRANGER_KEY = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
OFFICE = "bb-mitte"
ZMS_HOST = "termine.example.org"

# hypothesis: no speed is asserted (no deadline) and nothing is written into the repo
FUZZ = settings(deadline=None, database=None, max_examples=300,
                suppress_health_check=[HealthCheck.too_slow])


def parse(raw, keys=(KEY,), office_id=OFFICE):
    return parse_code(raw, keys=keys, office_id=office_id, zms_hosts=(ZMS_HOST,))


def zms_link(payload, host=ZMS_HOST, encode=base64.b64encode):
    token = encode(json.dumps(payload).encode()).decode()
    return f"https://{host}/terminvereinbarung/#/appointment/confirm/{token}"


def booking_side_code(reference: str, key: bytes, office: str) -> str:
    """How the booking side makes the code, written from the format alone."""
    body = f"KB1:{office.upper()}:{reference}"
    mac = base64.b32encode(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
    return f"{body}:{mac.decode('ascii')[:16]}"


@functools.cache
def readme_example():
    """The README's Python example for the booking side, run as it is printed there."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Booking QR codes", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # its own assert checks the vector
    return namespace["checkin_code"]


# --- our signed payload -------------------------------------------------------------------

def test_signed_code_has_the_agreed_format_byte_for_byte():
    # a fixed vector: the booking side can check its implementation against it
    assert make_signed_code("12345678", bytes(range(32)), "bb-mitte") == \
        "KB1:BB-MITTE:12345678:DAKE7F5TYH4H2YYG"
    assert make_signed_code("0042", KEY, OFFICE) == booking_side_code("0042", KEY, OFFICE)


@FUZZ
@given(reference=st.from_regex(r"[0-9]{4,12}", fullmatch=True),
       office=st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True))
def test_readme_example_for_the_booking_side_makes_our_codes(reference, office):
    assert readme_example()(reference, office, KEY.hex()) == \
        make_signed_code(reference, KEY, office)


def test_signed_code_round_trip():
    code = make_signed_code("20261206", KEY, OFFICE)
    assert parse(code) == BookingCode(CodeKind.SIGNED, "20261206", office=OFFICE)


@pytest.mark.parametrize("wrap", [
    lambda c: c + "\r", lambda c: c + "\n", lambda c: c + "\r\n", lambda c: "  " + c + " \t",
    str.lower,                       # a HID scanner with Caps Lock on
    lambda c: c.lower() + "\r\n",
], ids=["cr", "lf", "crlf", "spaces", "lowercase", "lowercase-crlf"])
def test_scanner_terminators_and_letter_case_are_tolerated(wrap):
    assert parse(wrap(make_signed_code("20261206", KEY, OFFICE))) == \
        BookingCode(CodeKind.SIGNED, "20261206", office=OFFICE)


def test_old_key_is_accepted_during_rotation():
    code = make_signed_code("55501234", OLD_KEY, OFFICE)
    assert parse(code, keys=(KEY, OLD_KEY)).reference == "55501234"
    # and the codes signed with the new key, which is the first of the two
    assert parse(make_signed_code("55501235", KEY, OFFICE), keys=(KEY, OLD_KEY)).reference \
        == "55501235"
    # after the change-over, when the old key has left the file
    assert parse(code, keys=(KEY,)) is CodeRefusal.BAD_SIGNATURE


def test_unknown_key_is_refused():
    code = make_signed_code("55501234", STRANGER_KEY, OFFICE)
    assert parse(code, keys=(KEY, OLD_KEY)) is CodeRefusal.BAD_SIGNATURE


def test_without_keys_no_signed_code_is_accepted():
    assert parse(make_signed_code("55501234", KEY, OFFICE), keys=()) is \
        CodeRefusal.BAD_SIGNATURE


@pytest.mark.parametrize("tamper", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),          # last MAC character
    lambda c: c.replace(":55501234:", ":55501235:"),              # another reference
    lambda c: c.replace(":BB-MITTE:", ":BB-OST:"),                # another office
], ids=["mac", "reference", "office"])
def test_tampered_code_is_refused(tamper):
    code = make_signed_code("55501234", KEY, OFFICE)
    assert parse(tamper(code)) is CodeRefusal.BAD_SIGNATURE


def test_code_of_another_office_names_that_office():
    # the same key for two offices: the code is genuine; the caller says where to go
    code = make_signed_code("55501234", KEY, "bb-ost")
    assert parse(code) == BookingCode(CodeKind.SIGNED, "55501234", office="BB-OST")


@pytest.mark.parametrize("raw", [
    "KB2:BB-MITTE:55501234:ABCDEFGHIJKLMNOP",
    "kb9:bb-mitte:55501234:abcdefghijklmnop",
    "KB10:BB-MITTE:55501234",
    "KB0:",
])
def test_unknown_version_is_named(raw):
    assert parse(raw) is CodeRefusal.UNKNOWN_VERSION


@pytest.mark.parametrize("raw", [
    "KB1:",
    "KB1:BB-MITTE:55501234",                                   # no MAC
    "KB1:BB-MITTE:555:ABCDEFGHIJKLMNOP",                        # reference too short
    "KB1:BB-MITTE:1234567890123:ABCDEFGHIJKLMNOP",              # reference too long
    "KB1:BB-MITTE:5550I234:ABCDEFGHIJKLMNOP",                   # letter in the reference
    "KB1:BB-MITTE:55501234:ABCDEFGHIJKLMNO",                    # MAC one short
    "KB1:BB-MITTE:55501234:ABCDEFGHIJKLMNOPQ",                  # MAC one long
    "KB1:BB-MITTE:55501234:ABCDEFGHIJKLMN01",                   # 0 and 1 are not base32
    "KB1:BB-MITTE:55501234:ABCDEFGHIJKLMNOP:EXTRA",
    "KB1:BB MITTE:55501234:ABCDEFGHIJKLMNOP",                   # a space inside
    "KB1:BB_MITTE:55501234:ABCDEFGHIJKLMNOP",
    "KB1:BB-MITTE:55501234:\nABCDEFGHIJKLMNOP",
    "kb1:bb-mıtte:55501234:abcdefghijklmnop",                   # dotless i would upper to I
])
def test_broken_signed_code_is_malformed(raw):
    assert parse(raw) is CodeRefusal.MALFORMED


# --- ZMS confirmation links ---------------------------------------------------------------

def test_zms_link_with_base64_json_is_accepted():
    link = zms_link({"id": 100044, "authKey": "5e3f"})
    code = parse(link)
    assert code == BookingCode(CodeKind.ZMS_LINK, "100044", auth_key="5e3f")


@pytest.mark.parametrize("payload,encode", [
    ({"id": 100044, "authKey": "5e3f"}, base64.urlsafe_b64encode),
    ({"id": "100044", "authKey": "0123456789abcdef" * 4}, base64.b64encode),  # long key
    ({"authKey": "A1", "id": 7, "extra": [1, 2]}, base64.b64encode),
], ids=["urlsafe", "long-key", "extra-field"])
def test_zms_link_variants(payload, encode):
    code = parse(zms_link(payload, encode=encode))
    assert code.kind is CodeKind.ZMS_LINK
    assert code.reference == str(payload["id"]) and code.auth_key == payload["authKey"]


def test_zms_link_without_padding_and_with_trailing_slash():
    token = base64.b64encode(b'{"id":100044,"authKey":"5e3f"}').decode().rstrip("=")
    link = f"https://{ZMS_HOST}/#/appointment/confirm/{token}/"
    assert parse(link) == BookingCode(CodeKind.ZMS_LINK, "100044", auth_key="5e3f")


def test_zms_link_auth_key_is_not_in_repr():
    code = parse(zms_link({"id": 100044, "authKey": "5e3f"}))
    assert "5e3f" not in repr(code)


@pytest.mark.parametrize("url,host", [
    ("https://Termine.Example.ORG:8443/terminvereinbarung/api/2", "termine.example.org"),
    ("http://termine.example.org./", "termine.example.org"),
    ("termine.example.org", None), ("https://[::1", None), ("", None), (None, None),
])
def test_host_of_the_booking_system_url(url, host):
    assert host_of(url) == host


def test_link_host_from_the_api_url_is_accepted():
    hosts = (host_of("https://termine.example.org/terminvereinbarung/api/2"),)
    link = zms_link({"id": 100044, "authKey": "5e3f"}).replace(ZMS_HOST, "TERMINE.example.org")
    assert parse_code(link, keys=(), office_id=OFFICE, zms_hosts=hosts).reference == "100044"


@pytest.mark.parametrize("payload", [
    {"id": 100044},                               # no authKey
    {"id": 100044, "authKey": ""},
    {"id": 100044, "authKey": "xyz!"},            # not hex
    {"id": 100044, "authKey": "a" * 65},
    {"id": True, "authKey": "5e3f"},
    {"id": -5, "authKey": "5e3f"},
    {"id": 10**12, "authKey": "5e3f"},
    {"id": 1.5, "authKey": "5e3f"},
    {"id": "0012", "authKey": "5e3f"},
    [100044, "5e3f"],
    "100044",
])
def test_broken_zms_link_is_malformed(payload):
    assert parse(zms_link(payload)) is CodeRefusal.MALFORMED


@pytest.mark.parametrize("link", [
    f"https://{ZMS_HOST}/#/appointment/confirm/!!!notbase64",
    f"https://{ZMS_HOST}/#/appointment/confirm/" + base64.b64encode(b"not json").decode(),
    f"https://{ZMS_HOST}/#/appointment/confirm/" + base64.b64encode(b"\xff\xfe").decode(),
    f"https://{ZMS_HOST}/#/appointment/confirm/A",
])
def test_zms_link_with_broken_token_is_malformed(link):
    assert parse(link) is CodeRefusal.MALFORMED


# --- everyday codes -----------------------------------------------------------------------

EPC_GIROCODE = ("BCD\n002\n1\nSCT\nBFSWDE33XXX\nStadtkasse Musterstadt\n"
                "DE02120300000000202051\nEUR25.00\n\n\nGebuehr Aktenzeichen 4711\n")
VCARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Mustermann;Erika;;;\r\nFN:Erika Mustermann\r\n"
         "TEL;TYPE=CELL:+49 170 0000000\r\nEND:VCARD\r\n")
BOARDING_PASS = ("M1MUSTERMANN/ERIKA    EABC123 STRFRALH 0123 340Y012A0042 100"
                 ">5180  B1A              2A00000000000000 LH                        N")


@pytest.mark.parametrize("raw,kind", [
    ("WIFI:T:WPA;S:Buergerbuero-Gast;P:Sommer2026!;H:false;;", CodeRefusal.WIFI),
    ("wifi:S:Gast;T:nopass;;", CodeRefusal.WIFI),
    (VCARD, CodeRefusal.CONTACT),
    ("BEGIN:VCARD", CodeRefusal.CONTACT),   # a HID scanner ends the scan at the first line
    ("MECARD:N:Mustermann,Erika;TEL:+4917000000000;EMAIL:erika@example.org;;",
     CodeRefusal.CONTACT),
    (BOARDING_PASS, CodeRefusal.BOARDING_PASS),
    ("M2MUSTERMANN/ERIKA    EXYZ789 STRMUCLH 2101 341M003C0017 10D", CodeRefusal.BOARDING_PASS),
    (EPC_GIROCODE, CodeRefusal.PAYMENT),
    (EPC_GIROCODE.replace("\n", "\r\n"), CodeRefusal.PAYMENT),
    ("SPC\r\n0200\r\n1\r\nCH4431999123000889012\r\n", CodeRefusal.PAYMENT),
    ("SPD*1.0*ACC:CZ5855000000001265098001*AM:480.50*CC:CZK*", CodeRefusal.PAYMENT),
    ("bank://singlepaymentsepa?name=Stadtkasse&iban=DE02120300000000202051",
     CodeRefusal.PAYMENT),
    ("bitcoin:bc1qexampleexampleexample?amount=0.01", CodeRefusal.PAYMENT),
    ("https://www.example.com/gutschein?id=7", CodeRefusal.OTHER_WEBSITE),
    ("HTTP://EXAMPLE.COM/", CodeRefusal.OTHER_WEBSITE),
    ("www.example.com/speisekarte", CodeRefusal.OTHER_WEBSITE),
    # ZMS-shaped links on hosts that are not ours
    (zms_link({"id": 100044, "authKey": "5e3f"}, host="termine.example.net"),
     CodeRefusal.OTHER_WEBSITE),
    (zms_link({"id": 100044, "authKey": "5e3f"}, host=ZMS_HOST + ".evil.example"),
     CodeRefusal.OTHER_WEBSITE),
    (zms_link({"id": 100044, "authKey": "5e3f"}, host=f"{ZMS_HOST}@evil.example"),
     CodeRefusal.OTHER_WEBSITE),
    (zms_link({"id": 100044, "authKey": "5e3f"}, host=f"evil.example@{ZMS_HOST}"),
     CodeRefusal.OTHER_WEBSITE),
    (zms_link({"id": 100044, "authKey": "5e3f"}, host=f"evil.example\\@{ZMS_HOST}"),
     CodeRefusal.OTHER_WEBSITE),
    ("https://[::1/#/appointment/confirm/eyJ9", CodeRefusal.OTHER_WEBSITE),
    (f"https://{ZMS_HOST}/terminvereinbarung/", CodeRefusal.OTHER_WEBSITE),  # start page
    (f"https://{ZMS_HOST}/#/appointment/confirm", CodeRefusal.MALFORMED),
    ("geo:48.7758,9.1829?q=Rathaus", CodeRefusal.OTHER_CODE),
    ("tel:+4971100000000", CodeRefusal.OTHER_CODE),
    ("mailto:info@example.org?subject=Termin", CodeRefusal.OTHER_CODE),
    ("SMSTO:+4917000000000:Hallo", CodeRefusal.OTHER_CODE),
    ("otpauth://totp/Example:erika@example.org?secret=JBSWY3DPEHPK3PXP&issuer=Example",
     CodeRefusal.OTHER_CODE),
    ("market://details?id=org.example.app", CodeRefusal.OTHER_CODE),
    ("BEGIN:VEVENT\nSUMMARY:Termin\nEND:VEVENT", CodeRefusal.OTHER_CODE),
    ("4006381333931", CodeRefusal.OTHER_CODE),      # EAN-13 of a product
    ("96385074", CodeRefusal.OTHER_CODE),           # EAN-8: digits of reference length
    ("55501234", CodeRefusal.OTHER_CODE),           # a bare number is never scanned as ours
    ("Herzlich willkommen im Bürgerbüro!", CodeRefusal.OTHER_CODE),
    ("", CodeRefusal.EMPTY),
    ("\r\n", CodeRefusal.EMPTY),
    ("KB1:BB-MITTE:55501234:\x00BCDEFGHIJKLMNOP", CodeRefusal.CONTROL_CHARACTERS),
    ("\x1b[2J\x1b[31mKB1:", CodeRefusal.CONTROL_CHARACTERS),
    ("https://example.com/\u202egpj.exe", CodeRefusal.CONTROL_CHARACTERS),  # bidi override
    ("KB1:BB-MITTE\u200b:55501234", CodeRefusal.CONTROL_CHARACTERS),        # zero-width space
    ("ab\udc80cd", CodeRefusal.CONTROL_CHARACTERS),                          # lone surrogate
    ("line\u2028break", CodeRefusal.CONTROL_CHARACTERS),
    ("K" * (MAX_LENGTH + 1), CodeRefusal.TOO_LONG),
    (VCARD * 10, CodeRefusal.TOO_LONG),
])
def test_everyday_codes_are_refused_with_their_kind(raw, kind):
    assert parse(raw) is kind


def test_length_is_checked_before_anything_else():
    # a signed code padded with terminators past the limit is still too long
    code = make_signed_code("55501234", KEY, OFFICE)
    assert parse(code + "\n" * (MAX_LENGTH - len(code))) == \
        BookingCode(CodeKind.SIGNED, "55501234", office=OFFICE)
    assert parse(code + "\n" * (MAX_LENGTH - len(code) + 1)) is CodeRefusal.TOO_LONG


@pytest.mark.parametrize("raw", [None, b"KB1:BB-MITTE:55501234:ABCDEFGHIJKLMNOP", 12345678])
def test_not_a_string_is_malformed_not_an_exception(raw):
    assert parse(raw) is CodeRefusal.MALFORMED
    assert parse_typed(raw) is CodeRefusal.MALFORMED
    assert typed_state(raw) == "invalid"


# --- typed codes --------------------------------------------------------------------------

@pytest.mark.parametrize("text,reference", [
    ("1234", "1234"), ("123456789012", "123456789012"), ("0042", "0042"),
    (" 55501234 ", "55501234"), ("٥٥٥٠١٢٣٤", "55501234"), ("۵۵۵۰۱۲۳۴", "55501234"),
])
def test_typed_code_is_the_appointment_number(text, reference):
    assert parse_typed(text) == BookingCode(CodeKind.TYPED, reference)


@pytest.mark.parametrize("text,refusal", [
    ("", CodeRefusal.EMPTY), ("   ", CodeRefusal.EMPTY), ("123", CodeRefusal.MALFORMED),
    ("1234567890123", CodeRefusal.MALFORMED), ("12a4", CodeRefusal.MALFORMED),
    ("12 34", CodeRefusal.MALFORMED), ("-1234", CodeRefusal.MALFORMED),
    ("12\x0034", CodeRefusal.CONTROL_CHARACTERS), ("1" * 65, CodeRefusal.TOO_LONG),
])
def test_typed_code_refusals(text, refusal):
    assert parse_typed(text) is refusal


@pytest.mark.parametrize("text,state", [
    ("", "incomplete"), ("1", "incomplete"), ("123", "incomplete"), ("1234", "valid"),
    ("123456789012", "valid"), ("1234567890123", "invalid"), ("12a", "invalid"),
    ("٥٥٥", "incomplete"),
])
def test_typed_state_validates_as_you_type(text, state):
    assert typed_state(text) == state


# --- property-based fuzzing ---------------------------------------------------------------

_ALPHABET = st.sampled_from(list("KB1:-ABCDEFGHIJKLMNOPQRSTUVWXYZ234567890 \r\n\t\x00é/#=+"))
_OURS_LIKE = st.builds(lambda tail: "KB1:" + tail, st.text(_ALPHABET, max_size=60))
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "authKey", "x"]), children, max_size=3), max_leaves=10)
_ZMS_LIKE = st.builds(lambda v: zms_link(v), _JSON_VALUES)
_URL_LIKE = st.builds(
    lambda scheme, host, path, fragment: f"{scheme}://{host}{path}#{fragment}",
    st.sampled_from(["https", "http", "HTTPS", "ftp"]),
    st.one_of(st.just(ZMS_HOST), st.text(max_size=30), st.just(f"x@{ZMS_HOST}:99999")),
    st.text(max_size=30),
    st.one_of(st.text(max_size=60), st.builds(lambda t: "/appointment/confirm/" + t,
                                              st.text(max_size=80))))


@FUZZ
@given(st.one_of(st.text(max_size=MAX_LENGTH + 50), _OURS_LIKE, _ZMS_LIKE, _URL_LIKE,
                 st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_no_input_raises_and_every_answer_is_a_code_or_a_refusal(raw):
    result = parse(raw)
    assert isinstance(result, (BookingCode, CodeRefusal))
    if isinstance(result, BookingCode):
        assert result.kind in (CodeKind.SIGNED, CodeKind.ZMS_LINK)
        assert result.reference.isascii() and result.reference.isdigit()
    assert isinstance(parse_typed(raw), (BookingCode, CodeRefusal))
    assert typed_state(raw) in ("incomplete", "valid", "invalid")


@FUZZ
@given(reference=st.from_regex(r"[0-9]{4,12}", fullmatch=True),
       office=st.from_regex(r"[A-Za-z0-9-]{1,20}", fullmatch=True),
       key=st.binary(min_size=16, max_size=64),
       other_keys=st.lists(st.binary(min_size=16, max_size=64), max_size=3),
       lower=st.booleans(), terminator=st.sampled_from(["", "\r", "\n", "\r\n"]))
def test_round_trip_make_signed_code_then_parse_code(reference, office, key, other_keys,
                                                      lower, terminator):
    code = make_signed_code(reference, key, office)
    assert len(code) <= 4 + 21 + 13 + 16
    raw = (code.lower() if lower else code) + terminator
    position = len(other_keys) // 2  # the matching key first, last or in between
    keys = [*other_keys[:position], key, *other_keys[position:]]
    result = parse_code(raw, keys=keys, office_id=office)
    assert result == BookingCode(CodeKind.SIGNED, reference, office=office)


@FUZZ
@given(reference=st.from_regex(r"[0-9]{4,12}", fullmatch=True), data=st.data())
def test_any_single_changed_character_is_never_accepted(reference, data):
    code = make_signed_code(reference, KEY, OFFICE)
    i = data.draw(st.integers(0, len(code) - 1))
    replacement = data.draw(st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ:-"))
    tampered = code[:i] + replacement + code[i + 1:]
    if tampered.upper() == code:
        return
    assert isinstance(parse(tampered), CodeRefusal)


@FUZZ
@given(st.text(st.characters(), max_size=20))
def test_typed_state_agrees_with_parse_typed(text):
    state = typed_state(text)
    parsed = parse_typed(text)
    assert (state == "valid") == isinstance(parsed, BookingCode)


@pytest.mark.parametrize("reference,key,office", [
    ("123", KEY, OFFICE), ("1234567890123", KEY, OFFICE), ("12a4", KEY, OFFICE),
    ("1234", b"short", OFFICE), ("1234", KEY, "bb mitte"), ("1234", KEY, ""),
    ("1234", KEY, "x" * 21), ("1234", KEY, "bü-mitte"), ("1234", KEY, "straße"),
])
def test_make_signed_code_refuses_what_cannot_be_in_a_code(reference, key, office):
    with pytest.raises(ValueError):
        make_signed_code(reference, key, office)
