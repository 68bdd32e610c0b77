"""`kiosk intake keygen / submit / export / purge` through kiosk.cli.main: exit codes
0 / 1 / 2, one line per problem with its JSON path, never a traceback; export writes the
file before it deletes the sealed intake, and a wrong key or a failed write deletes
nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk.cli import main
from kiosk.domain.clock import business_day, utc_now
from kiosk.domain.intake_json import to_dict
from kiosk.domain.intake_reference import display, normalize
from kiosk.store.sqlite import SqliteStore
from tests.conftest import MINIMAL_CONFIG, write_config
from tests.intake_people import two_persons


@pytest.fixture
def office(tmp_path, capsys):
    assert main(["intake", "keygen", "--out", str(tmp_path / "office")]) == 0
    out = capsys.readouterr().out
    assert "intake.key" in out and "intake.pub" in out and "key id:" in out
    return tmp_path / "office"


@pytest.fixture
def config_file(tmp_path, office):
    return write_config(tmp_path, MINIMAL_CONFIG.replace(
        "{printer_path}", str(tmp_path / "printer.bin"))
        + f'\n[intake]\npublic_key_files = ["{office / "intake.pub"}"]\n')


def intake_file(tmp_path, change=None, name="intake.json") -> Path:
    data = to_dict(two_persons(business_day(utc_now())))
    if change:
        change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.out, captured.err


def store_file(data_dir) -> Path:
    return data_dir / "kiosk.sqlite3"


def submit(capsys, tmp_path, config_file, *extra, change=None):
    return run(capsys, "intake", "submit", str(intake_file(tmp_path, change)), "--config",
               str(config_file), *extra)


def sealed_refs(data_dir) -> list[str]:
    db = sqlite3.connect(store_file(data_dir))
    try:
        return [r[0] for r in db.execute("SELECT reference FROM sealed_intake")]
    finally:
        db.close()


def test_keygen_files_and_never_over_an_existing_key(tmp_path, office, capsys):
    assert stat.S_IMODE(os.stat(office / "intake.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(office).st_mode) == 0o700
    before = (office / "intake.key").read_bytes()
    code, _, err = run(capsys, "intake", "keygen", "--out", str(office))
    assert code == 2 and "already exists" in err and len(err.strip().splitlines()) == 1
    assert (office / "intake.key").read_bytes() == before


def test_submit_prints_the_reference(tmp_path, config_file, capsys, data_dir):
    code, out, err = submit(capsys, tmp_path, config_file)
    assert code == 0, err
    reference = normalize(out.strip())
    assert reference and out.strip() == display(reference)
    assert sealed_refs(data_dir) == [reference]


def test_submit_json(tmp_path, config_file, capsys, data_dir):
    code, out, _ = submit(capsys, tmp_path, config_file, "--json")
    result = json.loads(out)
    assert code == 0 and result["problems"] == []
    assert sealed_refs(data_dir) == [result["reference"]]
    assert result["display"] == display(result["reference"])


def _outside_postcode(data):
    data["haushalt"]["anschrift"]["postleitzahl"] = "10115"


def test_warnings_are_printed_and_accepted_unless_strict(tmp_path, config_file, capsys,
                                                         data_dir):
    code, out, err = submit(capsys, tmp_path, config_file, "--strict",
                            change=_outside_postcode)
    assert code == 2 and sealed_refs(data_dir) == [] if store_file(data_dir).exists() \
        else code == 2
    assert "$.haushalt.anschrift.postleitzahl: warning:" in err
    assert "refused (0 error(s), 1 warning(s) with --strict); nothing stored" in err
    code, out, err = submit(capsys, tmp_path, config_file, change=_outside_postcode)
    assert code == 0 and normalize(out.strip())
    assert err.count("$.haushalt.anschrift.postleitzahl: warning:") == 1
    assert sealed_refs(data_dir) == [normalize(out.strip())]


def test_rule_errors_one_line_each_exit_2(tmp_path, config_file, capsys, data_dir):
    def bad(data):
        data["personen"][1]["familienname"] = ""
        data["haushalt"]["anschrift"]["postleitzahl"] = "7017"

    code, out, err = submit(capsys, tmp_path, config_file, change=bad)
    path = tmp_path / "intake.json"
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert f"{path}: $.personen[1].familienname: error: " in err
    assert f"{path}: $.haushalt.anschrift.postleitzahl: error: " in err
    assert lines[-1].startswith(f"{path}: refused (2 error(s)")
    assert not store_file(data_dir).exists() or sealed_refs(data_dir) == []


def test_a_bad_file_one_message_per_field(tmp_path, config_file, capsys):
    def bad(data):
        data["personen"][0]["geburtsdatum"] = "12.03.1985"
        data["haushalt"]["wohnungsgeberbestaetigung"] = "ja"
        data["personen"][1]["telefon"] = "0711"

    code, out, err = submit(capsys, tmp_path, config_file, change=bad)
    path = tmp_path / "intake.json"
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 3
    assert {line.split(": ")[1] for line in lines} == {
        "$.personen[0].geburtsdatum", "$.haushalt.wohnungsgeberbestaetigung",
        "$.personen[1].telefon"}
    assert all(line.startswith(f"{path}: $.") for line in lines)


@pytest.mark.parametrize("content, message", [
    ('{"schema": "kiosk.anmeldung/1",\n  "haushalt": {,}', ":2: not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (None, "no such file"),
])
def test_unreadable_files_exit_2(tmp_path, config_file, capsys, content, message):
    path = tmp_path / "x.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        path.write_bytes(content)
    code, _, err = run(capsys, "intake", "submit", str(path), "--config", str(config_file))
    assert code == 2 and message in err and str(path) in err
    assert len(err.strip().splitlines()) == 1


def test_submit_without_a_usable_key_is_a_config_error(tmp_path, capsys):
    config = write_config(tmp_path, MINIMAL_CONFIG.replace(
        "{printer_path}", str(tmp_path / "p.bin"))
        + f'\n[intake]\npublic_key_files = ["{tmp_path / "missing.pub"}"]\n', "k2.toml")
    code, _, err = run(capsys, "intake", "submit", str(intake_file(tmp_path)), "--config",
                       str(config))
    assert code == 2 and f"{tmp_path / 'missing.pub'}: no such file" in err


# -- export ------------------------------------------------------------------------------

def _submitted(tmp_path, config_file, capsys) -> str:
    code, out, err = submit(capsys, tmp_path, config_file)
    assert code == 0, err
    return normalize(out.strip())


def export(capsys, reference, key, fmt, data_dir, out, *extra):
    return run(capsys, "intake", "export", reference, "--key", str(key), "--format", fmt,
               "--store", str(store_file(data_dir)), "--out", str(out), *extra)


def test_export_json_then_the_intake_is_gone(tmp_path, config_file, office, capsys,
                                             data_dir):
    reference = _submitted(tmp_path, config_file, capsys)
    out = tmp_path / "counter" / "out.json"
    out.parent.mkdir()
    code, stdout, err = export(capsys, display(reference).lower(), office / "intake.key",
                               "json", data_dir, out)
    assert code == 0, err
    assert f"{display(reference)}: written to {out}" in stdout
    exported = json.loads(out.read_text(encoding="utf-8"))
    text = json.dumps(exported, ensure_ascii=False)
    assert reference in text and "Mustermann" in text and "Maxçelik" in text
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert sealed_refs(data_dir) == []
    code, _, err = export(capsys, reference, office / "intake.key", "json", data_dir,
                          tmp_path / "again.json")
    assert code == 1 and f"no sealed intake {display(reference)}" in err
    assert not (tmp_path / "again.json").exists()


def test_export_pdf(tmp_path, config_file, office, capsys, data_dir):
    reference = _submitted(tmp_path, config_file, capsys)
    out = tmp_path / "form.pdf"
    code, _, err = export(capsys, reference, office / "intake.key", "pdf", data_dir, out)
    assert code == 0, err
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Mustermann" in text and reference in text.replace("-", "")
    assert sealed_refs(data_dir) == []


def test_wrong_key_exit_1_and_nothing_deleted(tmp_path, config_file, capsys, data_dir):
    reference = _submitted(tmp_path, config_file, capsys)
    assert main(["intake", "keygen", "--out", str(tmp_path / "other")]) == 0
    capsys.readouterr()
    out = tmp_path / "x.json"
    code, _, err = export(capsys, reference, tmp_path / "other" / "intake.key", "json",
                          data_dir, out)
    assert code == 1 and f"intake {reference} is sealed to key " in err
    assert "nothing deleted" in err and len(err.strip().splitlines()) == 1
    assert sealed_refs(data_dir) == [reference] and not out.exists()


def test_damaged_blob_exit_1_and_nothing_deleted(tmp_path, config_file, office, capsys,
                                                 data_dir):
    reference = _submitted(tmp_path, config_file, capsys)
    db = sqlite3.connect(store_file(data_dir))
    [blob] = db.execute("SELECT sealed FROM sealed_intake").fetchone()
    damaged = blob[:100] + bytes([blob[100] ^ 1]) + blob[101:]
    db.execute("UPDATE sealed_intake SET sealed = ?", (damaged,))
    db.commit()
    db.close()
    code, _, err = export(capsys, reference, office / "intake.key", "json", data_dir,
                          tmp_path / "x.json")
    assert code == 1 and "cannot be opened with this key" in err
    assert sealed_refs(data_dir) == [reference]


def test_a_failed_write_deletes_nothing(tmp_path, config_file, office, capsys, data_dir):
    reference = _submitted(tmp_path, config_file, capsys)
    code, _, err = export(capsys, reference, office / "intake.key", "json", data_dir,
                          tmp_path / "no-such-folder" / "x.json")
    assert code == 1 and "no-such-folder" in err
    assert sealed_refs(data_dir) == [reference]


@pytest.mark.parametrize("argv_change, message", [
    (lambda a: a.__setitem__(2, "K7QM4XHPT2"), "is not an intake reference"),
    (lambda a: a.__setitem__(4, "/nonexistent/intake.key"), "no such file"),
    (lambda a: a.__setitem__(8, "/nonexistent/store.sqlite3"), "no such store file"),
    (lambda a: a.__setitem__(10, __file__), "already exists; choose another --out"),
])
def test_export_usage_errors(tmp_path, config_file, office, capsys, data_dir, argv_change,
                             message):
    reference = _submitted(tmp_path, config_file, capsys)
    argv = ["intake", "export", reference, "--key", str(office / "intake.key"), "--format",
            "json", "--store", str(store_file(data_dir)), "--out", str(tmp_path / "x.json")]
    argv_change(argv)
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err
    assert not Path("/nonexistent/store.sqlite3").exists()
    assert sealed_refs(data_dir) == [reference]


def test_export_with_the_public_key_file(tmp_path, config_file, office, capsys, data_dir):
    reference = _submitted(tmp_path, config_file, capsys)
    code, _, err = export(capsys, reference, office / "intake.pub", "json", data_dir,
                          tmp_path / "x.json")
    assert code == 2 and "this is the public key" in err
    assert sealed_refs(data_dir) == [reference]


def test_purge(tmp_path, config_file, capsys, data_dir):
    store = SqliteStore(store_file(data_dir))
    try:
        store.put_sealed("OLD", b"x", "k", datetime.now(timezone.utc) - timedelta(days=15))
        store.put_sealed("NEW", b"y", "k", datetime.now(timezone.utc) - timedelta(days=13))
    finally:
        store.close()
    code, out, _ = run(capsys, "intake", "purge", "--config", str(config_file))
    assert code == 0 and out.strip() == "purged 1 sealed intake(s) older than 14 days"
    assert sealed_refs(data_dir) == ["NEW"]
