"""What a visitor's code says: our signed QR payload (KB1), a ZMS confirmation link or a
typed booking code becomes a BookingCode; everything else a person might hold up (Wi-Fi,
vCard, boarding pass, GiroCode, another site's URL ...) becomes a CodeRefusal of its kind.

Pure and strict: the input is bounded before any other work, nothing here raises for any
string, and no refusal carries the payload (callers must not log or show it either).

Decisions (see README "Booking QR codes"):
- Scanners add a terminator (CR, LF, CR LF) and some add spaces: leading and trailing
  ASCII whitespace is dropped. Our payload is accepted in any letter case (a HID scanner
  with Caps Lock on types it in lowercase; the MAC is checked over the uppercase form, so
  this accepts nothing that was not signed). ZMS links are base64 and keep their case.
- Tab, CR and LF are allowed inside a code only so that multi-line everyday codes (vCard,
  GiroCode) are named by their kind; any other control or format character refuses the
  code as CONTROL_CHARACTERS.
- A scanned code of digits only is refused as OTHER_CODE: our confirmations never carry
  a bare number as a code, and product barcodes (EAN-8 has 8 digits) and ticket numbers
  would otherwise pass for a booking reference. The keypad path (parse_typed) takes the
  appointment number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Sequence
from typing import Literal
from urllib.parse import unquote, urlsplit

from kiosk.domain.appointment import BookingCode, CodeKind, CodeRefusal

MAX_LENGTH = 512          # characters of a scanned code; anything longer is refused first
MAX_TYPED_LENGTH = 64     # characters of a typed code (the keypad allows 12)
VERSION = "KB1"
MAC_LENGTH = 16           # base32 characters (80 bits) of HMAC-SHA256
REFERENCE = re.compile(r"[0-9]{4,12}")
OFFICE = re.compile(r"[A-Z0-9-]{1,20}")

_SIGNED_V1 = re.compile(r"KB1:([A-Z0-9-]{1,20}):([0-9]{4,12}):([A-Z2-7]{%d})" % MAC_LENGTH)
_OUR_PREFIX = re.compile(r"KB([0-9]{1,4}):", re.IGNORECASE)
_ZMS_FRAGMENT = re.compile(r"/appointment/confirm/([A-Za-z0-9+/_=%-]{1,400}?)/?")
_AUTH_KEY = re.compile(r"[0-9A-Fa-f]{1,64}")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,31}):")
# IATA Resolution 792 (BCBP), the mandatory items of the first leg: format code M, legs
# 1-4, name (20), e-ticket indicator, PNR (7), from, to, carrier (3 each), flight (5),
# Julian date (3 digits)
_BOARDING_PASS = re.compile(r"M[1-4].{20}[E ].{7}[A-Z]{3}[A-Z]{3}[A-Z0-9 ]{3}[A-Z0-9 ]{5}"
                            r"[0-9]{3}", re.DOTALL)
_ALLOWED_CONTROL = "\t\r\n"

_CONTACT_PREFIXES = ("BEGIN:VCARD", "MECARD:", "BIZCARD:")
# first lines of bank-transfer codes: EPC069-12 GiroCode, Swiss QR-bill, Czech SPAYD
_PAYMENT_FIRST_LINES = ("BCD", "SPC")
_PAYMENT_PREFIXES = ("SPD*",)
_PAYMENT_SCHEMES = {"bank", "bitcoin", "ethereum", "litecoin", "lightning", "upi", "payto",
                    "paypal"}
_WEBSITE_SCHEMES = {"http", "https"}


def _screened(raw: object, limit: int) -> str | CodeRefusal:
    """What every code goes through first: text, at most `limit` characters (checked
    before any other work), without the blanks and line ends scanners add, not empty,
    no control characters."""
    if not isinstance(raw, str):
        return CodeRefusal.MALFORMED
    if len(raw) > limit:
        return CodeRefusal.TOO_LONG
    text = raw.strip(" \t\r\n")
    if not text:
        return CodeRefusal.EMPTY
    if _has_control(text):
        return CodeRefusal.CONTROL_CHARACTERS
    return text


def parse_code(raw: str, *, keys: Sequence[bytes], office_id: str,
               zms_hosts: Sequence[str] = ()) -> BookingCode | CodeRefusal:
    """A scanned code as a BookingCode (SIGNED or ZMS_LINK), or why it is not one.

    keys: the HMAC keys of the key file, newest first (every one is tried; none: every
    signed code is BAD_SIGNATURE). office_id: this terminal's [appointments] office_id;
    a correctly signed code of another office is still returned (with .office naming it)
    so that the caller can say where to go. zms_hosts: host names whose confirmation
    links are ours; a ZMS-shaped link on any other host is OTHER_WEBSITE.
    """
    text = _screened(raw, MAX_LENGTH)
    if isinstance(text, CodeRefusal):
        return text
    ours = _OUR_PREFIX.match(text)
    if ours:
        if ours.group(1) != "1":
            return CodeRefusal.UNKNOWN_VERSION
        return _parse_signed(text, keys, office_id)
    everyday = _everyday_kind(text)
    if everyday is not None:
        return everyday
    return _parse_link(text, zms_hosts)


def parse_typed(text: str) -> BookingCode | CodeRefusal:
    """The appointment number typed on the keypad (or given to `kiosk checkin`): 4 to 12
    digits. Digits of other scripts (Arabic-Indic, Persian) count as the same digits."""
    stripped = _screened(text, MAX_TYPED_LENGTH)
    if isinstance(stripped, CodeRefusal):
        return stripped
    digits = _ascii_digits(stripped)
    if digits is None or not REFERENCE.fullmatch(digits):
        return CodeRefusal.MALFORMED
    return BookingCode(CodeKind.TYPED, digits)


def typed_state(text: str) -> Literal["incomplete", "valid", "invalid"]:
    """For validating as the visitor types: too few digits yet, a complete code, or
    something that no further typing can make valid."""
    if not isinstance(text, str) or len(text) > MAX_TYPED_LENGTH:
        return "invalid"
    stripped = text.strip(" \t\r\n")
    if not stripped:
        return "incomplete"
    digits = _ascii_digits(stripped)
    if digits is None or len(digits) > 12:
        return "invalid"
    return "valid" if len(digits) >= 4 else "incomplete"


def make_signed_code(reference: str, key: bytes, office_id: str) -> str:
    """The KB1 payload the booking side prints as a QR code for this booking.
    Raises ValueError for a reference, key or office id that cannot be in one."""
    if not isinstance(reference, str) or not REFERENCE.fullmatch(reference):
        raise ValueError("the booking reference must be 4 to 12 digits")
    office = office_id.upper() if isinstance(office_id, str) and office_id.isascii() else ""
    if not OFFICE.fullmatch(office):
        raise ValueError("the office id must be 1 to 20 letters A-Z, digits or '-'")
    if not isinstance(key, bytes) or len(key) < 16:
        raise ValueError("the key must be at least 16 bytes")
    body = f"{VERSION}:{office}:{reference}"
    return f"{body}:{_mac(key, body)}"


def host_of(url: str) -> str | None:
    """The host name of a URL as parse_code compares it (lower case, no port, no trailing
    dot), e.g. for zms_hosts from [appointments.zms] url; None when it has none."""
    try:
        host = urlsplit(url.strip()).hostname
    except (ValueError, AttributeError):
        return None
    return (host or "").rstrip(".") or None


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:MAC_LENGTH]


def _parse_signed(text: str, keys: Sequence[bytes], office_id: str) -> BookingCode | CodeRefusal:
    # isascii first: str.upper() maps a few non-ASCII letters (the dotless i) onto A-Z
    if not text.isascii():
        return CodeRefusal.MALFORMED
    match = _SIGNED_V1.fullmatch(text.upper())
    if match is None:
        return CodeRefusal.MALFORMED
    office, reference, mac = match.groups()
    body = f"{VERSION}:{office}:{reference}"
    matched = False
    for key in keys:  # every key, no early exit: the time taken does not say which matched
        matched |= hmac.compare_digest(_mac(key, body), mac)
    if not matched:
        return CodeRefusal.BAD_SIGNATURE
    ours = isinstance(office_id, str) and office_id.upper() == office
    return BookingCode(CodeKind.SIGNED, reference, office=office_id if ours else office)


def _has_control(text: str) -> bool:
    for ch in text:
        if ch in _ALLOWED_CONTROL:
            continue
        # Cc control, Cf format (bidi overrides, zero-width), Cs lone surrogates,
        # Co private use, Cn unassigned; Zl/Zp line and paragraph separators
        category = unicodedata.category(ch)
        if category[0] == "C" or category in ("Zl", "Zp"):
            return True
    return False


def _ascii_digits(text: str) -> str | None:
    out = []
    for ch in text:
        if "0" <= ch <= "9":
            out.append(ch)
        elif unicodedata.category(ch) == "Nd":
            out.append(str(unicodedata.decimal(ch)))
        else:
            return None
    return "".join(out)


def _everyday_kind(text: str) -> CodeRefusal | None:
    """The kind of a common non-booking code, recognised by its standard's first bytes."""
    head = text[:16].upper()
    first_line = text.split("\n", 1)[0].strip(" \t\r").upper()
    if head.startswith("WIFI:"):
        return CodeRefusal.WIFI
    if head.startswith(_CONTACT_PREFIXES):
        return CodeRefusal.CONTACT
    if first_line in _PAYMENT_FIRST_LINES or head.startswith(_PAYMENT_PREFIXES):
        return CodeRefusal.PAYMENT
    if _BOARDING_PASS.match(text):
        return CodeRefusal.BOARDING_PASS
    return None


def _parse_link(text: str, zms_hosts: Sequence[str]) -> BookingCode | CodeRefusal:
    scheme = _SCHEME.match(text)
    if scheme is None:
        if text.lower().startswith("www."):
            return CodeRefusal.OTHER_WEBSITE
        # plain text, digits only (a product or ticket barcode), multi-line notes ...
        return CodeRefusal.OTHER_CODE
    name = scheme.group(1).lower()
    if name in _PAYMENT_SCHEMES:
        return CodeRefusal.PAYMENT
    if name not in _WEBSITE_SCHEMES:
        # geo:, tel:, mailto:, smsto:, otpauth:, market:, BEGIN:VEVENT ...
        return CodeRefusal.OTHER_CODE
    return _parse_zms_link(text, zms_hosts)


def _parse_zms_link(text: str, zms_hosts: Sequence[str]) -> BookingCode | CodeRefusal:
    if any(ch.isspace() for ch in text) or "\\" in text:
        return CodeRefusal.OTHER_WEBSITE
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return CodeRefusal.OTHER_WEBSITE
    host = (parts.hostname or "").rstrip(".")
    allowed = {h.lower().rstrip(".") for h in zms_hosts if isinstance(h, str) and h}
    # a link with user info ("https://our.host@other.host/") names another site however
    # it reads; only an exact host of ours counts
    if "@" in parts.netloc or not host or host not in allowed:
        return CodeRefusal.OTHER_WEBSITE
    match = _ZMS_FRAGMENT.fullmatch(parts.fragment)
    if match is None:
        # a page of the booking site that is not a confirmation (the start page ...)
        if parts.fragment.startswith("/appointment/confirm"):
            return CodeRefusal.MALFORMED
        return CodeRefusal.OTHER_WEBSITE
    return _zms_token(unquote(match.group(1)))


def _zms_token(token: str) -> BookingCode | CodeRefusal:
    """base64 (standard or URL-safe, padding optional) of {"id": 123, "authKey": "ab12"}."""
    token = token.rstrip("=").replace("-", "+").replace("_", "/")
    if not token or len(token) % 4 == 1:
        return CodeRefusal.MALFORMED
    try:
        data = json.loads(base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
                          .decode("utf-8"))
    except (binascii.Error, ValueError, RecursionError):  # JSON and Unicode errors are ValueErrors
        return CodeRefusal.MALFORMED
    if not isinstance(data, dict):
        return CodeRefusal.MALFORMED
    process_id, auth_key = data.get("id"), data.get("authKey")
    if isinstance(process_id, bool):
        return CodeRefusal.MALFORMED
    if isinstance(process_id, int) and 0 < process_id < 10**12:
        reference = str(process_id)
    elif isinstance(process_id, str) and re.fullmatch(r"[1-9][0-9]{0,11}", process_id):
        reference = process_id
    else:
        return CodeRefusal.MALFORMED
    if not isinstance(auth_key, str) or not _AUTH_KEY.fullmatch(auth_key):
        return CodeRefusal.MALFORMED
    return BookingCode(CodeKind.ZMS_LINK, reference, auth_key=auth_key)
