"""Sealing finished intakes to the office's X25519 public key (PyNaCl SealedBox): the
terminal can seal but never open them; only the counter, with the private key, can.
Key files are text (a header line, then the key in base64); every PyNaCl error is turned
into KeyFileError or WrongKey here, in one place.

Key file format (written by write_keypair, `kiosk intake keygen`):

    kiosk-intake-public-key v1        (or kiosk-intake-private-key v1)
    <32-byte key, standard base64>

Lines starting with '#' and blank lines are ignored. The key id is the first 12 hex
characters of SHA-256 over the raw public key; it is stored beside each sealed blob so
the counter knows which key opens it (and says so when it holds another)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import nacl.exceptions
import nacl.public

from kiosk.paths import UnreadableFile, make_private_dir, read_bounded

PUBLIC_HEADER = "kiosk-intake-public-key v1"
PRIVATE_HEADER = "kiosk-intake-private-key v1"
PRIVATE_NAME, PUBLIC_NAME = "intake.key", "intake.pub"
KEY_ID_HEX = 12
_MAX_KEY_FILE = 4096  # a key file is ~80 bytes; anything large is not one
_KEY_REASONS = {"folder": "is a folder, not a key file",
                "too_large": "too large for a key file"}


class KeyFileError(Exception):
    """A key file is missing or not a key file; the message is "FILE: what is wrong"."""


class WrongKey(Exception):
    """The blob was not sealed to this key (or is damaged)."""


@dataclass(frozen=True)
class PublicKeyRef:
    key_id: str
    key: nacl.public.PublicKey


def key_id(public: nacl.public.PublicKey) -> str:
    return hashlib.sha256(bytes(public)).hexdigest()[:KEY_ID_HEX]


def _encode(header: str, raw: bytes) -> str:
    return f"{header}\n{base64.b64encode(raw).decode('ascii')}\n"


def write_keypair(out_dir: Path) -> tuple[Path, Path]:
    """A new key pair in out_dir: (private key file, mode 0600; public key file). Refuses
    to overwrite an existing key (that would make waiting intakes unreadable)."""
    out_dir = make_private_dir(Path(out_dir))  # a new folder is 0700
    private_path, public_path = out_dir / PRIVATE_NAME, out_dir / PUBLIC_NAME
    for path in (private_path, public_path):
        if path.exists():
            raise KeyFileError(f"{path}: already exists; a new key would make the intakes "
                               f"sealed to the old one unreadable; choose another folder")
    private = nacl.public.PrivateKey.generate()
    # O_EXCL and the mode at creation: the private key is never readable by others,
    # not even for a moment
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(_encode(PRIVATE_HEADER, bytes(private)))
        f.flush()
        os.fsync(f.fileno())
    public_path.write_text(_encode(PUBLIC_HEADER, bytes(private.public_key)), encoding="ascii")
    return private_path, public_path


def _read_key(path: Path, header: str) -> bytes:
    path = Path(path)
    try:
        data = read_bounded(path, _MAX_KEY_FILE)
    except UnreadableFile as err:
        raise KeyFileError(f"{path}: {_KEY_REASONS.get(err.kind, err.reason)}") from None
    try:
        lines = [line.strip() for line in data.decode("ascii").splitlines()]
    except UnicodeDecodeError:
        raise KeyFileError(f"{path}: not a key file (not text)") from None
    lines = [line for line in lines if line and not line.startswith("#")]
    other = PRIVATE_HEADER if header == PUBLIC_HEADER else PUBLIC_HEADER
    if lines and lines[0] == other:
        kind = "private" if other == PRIVATE_HEADER else "public"
        raise KeyFileError(f"{path}: this is the {kind} key; expected a "
                           f"{'public' if kind == 'private' else 'private'} key file")
    if len(lines) != 2 or lines[0] != header:
        raise KeyFileError(f"{path}: not a key file (expected a first line "
                           f"'{header}' and the key on the second)")
    try:
        raw = base64.b64decode(lines[1], validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{path}: the key is not valid base64") from None
    if len(raw) != nacl.public.PublicKey.SIZE:
        raise KeyFileError(f"{path}: the key has {len(raw)} bytes, expected "
                           f"{nacl.public.PublicKey.SIZE}")
    return raw


def load_public_keys(paths: Iterable[str | Path]) -> list[PublicKeyRef]:
    """The configured public keys in order (intakes are sealed to the first)."""
    keys = []
    for path in paths:
        raw = _read_key(Path(path), PUBLIC_HEADER)
        public = nacl.public.PublicKey(raw)
        keys.append(PublicKeyRef(key_id(public), public))
    return keys


def load_private_key(path: str | Path) -> nacl.public.PrivateKey:
    return nacl.public.PrivateKey(_read_key(Path(path), PRIVATE_HEADER))


def private_key_id(private: nacl.public.PrivateKey) -> str:
    return key_id(private.public_key)


def seal(plaintext: bytes, key: PublicKeyRef) -> bytes:
    """The plaintext sealed to the key: an ephemeral key pair per call, so two seals of
    the same intake differ and nothing on the terminal can open either."""
    return nacl.public.SealedBox(key.key).encrypt(plaintext)


def unseal(blob: bytes, key: nacl.public.PrivateKey) -> bytes:
    try:
        return nacl.public.SealedBox(key).decrypt(bytes(blob))
    except (nacl.exceptions.CryptoError, nacl.exceptions.TypeError,
            nacl.exceptions.ValueError) as err:
        raise WrongKey("the intake cannot be opened with this key (sealed to another "
                       "key, or damaged)") from err
