"""Tell an operator the truth about every configured device: probe each one and report
online, paper near end, paper out, cover open, error (with cause) or offline. Also the
printer test page."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Callable

from kiosk.domain.clock import local
from kiosk.domain.documents import Align, Barcode, Document, Feed, QrCode, Rule, Size, Text

OK_STATES = {"online", "paper_near_end"}


@dataclass(frozen=True)
class DeviceReport:
    kind: str  # printer | display | scanner
    name: str
    where: str  # device path, URL or USB id: configuration, never personal data
    state: str  # online | paper_near_end | paper_out | cover_open | error | offline
    cause: str = ""

    @property
    def ok(self) -> bool:
        return self.state in OK_STATES

    def line(self) -> str:
        cause = f" ({self.cause})" if self.cause else ""
        return f"{self.kind:8} {self.name:12} {self.state.replace('_', ' ')}{cause}  [{self.where}]"

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


Probe = Callable[[], tuple[str, str]]  # returns (state, cause)


def probe_all(probes: list[tuple[str, str, str, Probe]]) -> list[DeviceReport]:
    reports = []
    for kind, name, where, probe in probes:
        try:
            state, cause = probe()
        except Exception as err:  # noqa: BLE001 - one broken probe must not hide the rest
            state, cause = "error", f"probe failed: {type(err).__name__}"
        reports.append(DeviceReport(kind, name, where, state, cause))
    return reports


def test_page(office: str, terminal_id: str, columns: int, now: datetime) -> Document:
    """Code pages with umlauts and €, a script printed as an image, QR, barcode, ruler."""
    ruler = "".join(str(i % 10) for i in range(1, columns + 1))
    return Document((
        Text("TESTSEITE / TEST PAGE", size=Size.LARGE, bold=True),
        Text(f"{office} · {terminal_id}".replace("·", "-")),
        Text(local(now).strftime("%d.%m.%Y %H:%M")),
        Rule(),
        Text("Deutsch: ÄÖÜ äöü ß € – „Grüße“", align=Align.LEFT),
        Text("Türkçe: İ ı Ğ ğ Ş ş Ç ç", align=Align.LEFT, lang="tr"),
        Text("Polski/Hrvatski: ą ć ę ł ń ś ź ż č đ š", align=Align.LEFT, lang="pl"),
        Text("Українська / Русский: Ґ Є І Ї Ж Щ Ы", align=Align.LEFT, lang="uk"),
        Text("Ελληνικά: Α Β Γ Δ Ω", align=Align.LEFT, lang="el"),
        Text("العربية: تسجيل السكن", lang="ar"),
        Text("فارسی: ثبت محل سکونت", lang="fa"),
        Rule(),
        Text(ruler, align=Align.LEFT),
        Feed(),
        QrCode("KIOSK-TEST-" + terminal_id),
        Barcode("KIOSK-TEST"),
    ))
