"""Sealing to the office's key: round trip, the public key alone cannot open a blob,
a wrong key is refused, and missing or garbled key files get a "FILE: what" message."""

from __future__ import annotations

import os
import stat

import pytest

from kiosk.services.intake_seal import (PRIVATE_HEADER, PUBLIC_HEADER, KeyFileError,
                                        WrongKey, load_private_key, load_public_keys,
                                        private_key_id, seal, unseal, write_keypair)

PLAIN = '{"familienname": "Mustermann"}'.encode()


@pytest.fixture
def keys(tmp_path):
    return write_keypair(tmp_path / "office")


def test_round_trip_and_key_id(keys):
    private_path, public_path = keys
    [public] = load_public_keys([public_path])
    blob = seal(PLAIN, public)
    assert PLAIN not in blob and b"Mustermann" not in blob
    private = load_private_key(private_path)
    assert unseal(blob, private) == PLAIN
    assert private_key_id(private) == public.key_id and len(public.key_id) == 12
    assert seal(PLAIN, public) != blob  # a fresh ephemeral key per seal


def test_private_key_file_is_0600_and_keygen_never_overwrites(keys, tmp_path):
    private_path, public_path = keys
    assert stat.S_IMODE(os.stat(private_path).st_mode) == 0o600
    assert private_path.read_text().startswith(PRIVATE_HEADER + "\n")
    assert public_path.read_text().startswith(PUBLIC_HEADER + "\n")
    before = private_path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        write_keypair(tmp_path / "office")
    assert private_path.read_bytes() == before


def test_terminal_cannot_unseal_with_what_it_has(keys):
    """The terminal holds only the public key file: nothing in it opens the blob."""
    _, public_path = keys
    [public] = load_public_keys([public_path])
    blob = seal(PLAIN, public)
    with pytest.raises(KeyFileError, match="public key"):
        load_private_key(public_path)
    import nacl.public
    # the public key's bytes taken as a private key open nothing either
    as_private = nacl.public.PrivateKey(bytes(public.key))
    with pytest.raises(WrongKey):
        unseal(blob, as_private)


def test_wrong_key_and_damaged_blob(keys, tmp_path):
    [public] = load_public_keys([keys[1]])
    other_private, _ = write_keypair(tmp_path / "other")
    blob = seal(PLAIN, public)
    with pytest.raises(WrongKey):
        unseal(blob, load_private_key(other_private))
    with pytest.raises(WrongKey):
        unseal(blob[:-1] + bytes([blob[-1] ^ 1]), load_private_key(keys[0]))
    with pytest.raises(WrongKey):
        unseal(b"short", load_private_key(keys[0]))


def test_two_public_keys_in_order(keys, tmp_path):
    _, second = write_keypair(tmp_path / "next")
    refs = load_public_keys([keys[1], second])
    assert len({r.key_id for r in refs}) == 2
    assert refs[0].key_id == private_key_id(load_private_key(keys[0]))


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"", "not a key file"),
    (b"\xff\xfe\x00garbage", "not text"),
    (PUBLIC_HEADER.encode() + b"\n!!!not base64!!!\n", "not valid base64"),
    (PUBLIC_HEADER.encode() + b"\nAAAA\n", "has 3 bytes, expected 32"),
    (b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\n", "not a key file"),
    (PRIVATE_HEADER.encode() + b"\n" + b"A" * 43 + b"=\n", "this is the private key"),
    (b"x" * 5000, "too large"),
])
def test_bad_public_key_files(tmp_path, content, message):
    path = tmp_path / "office.pub"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(KeyFileError) as err:
        load_public_keys([path])
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_key_file_that_is_a_folder(tmp_path):
    with pytest.raises(KeyFileError, match="is a folder"):
        load_private_key(tmp_path)
