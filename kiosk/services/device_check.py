"""Tell an operator the truth about every configured device: probe each one and report
online, paper near end, paper out, cover open, error (with cause) or offline. Also the
printer test page."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import cache
from typing import TYPE_CHECKING, Callable

from kiosk.domain.clock import local
from kiosk.domain.documents import Align, Barcode, Document, Feed, QrCode, Rule, Size, Text

if TYPE_CHECKING:
    from kiosk.health.state_file import KioskView

OK_STATES = {"online", "paper_near_end"}
# What a probe returns as its state when another process holds the device (exclusive
# lock, EBUSY): only the kiosk's state snapshot can then say how the device is.
HELD = "held"
PROBED = "probe"


@dataclass(frozen=True)
class DeviceReport:
    kind: str  # printer | display | scanner
    name: str
    where: str  # device path, URL or USB id: configuration, never personal data
    state: str  # online | paper_near_end | paper_out | cover_open | error | offline
    cause: str = ""
    source: str = PROBED  # or "running kiosk (pid N)": the app's own view of a device it holds
    since: str | None = None  # from the running kiosk: when its view began (ISO, UTC)

    @property
    def ok(self) -> bool:
        return self.state in OK_STATES

    def line(self) -> str:
        cause = f" ({self.cause})" if self.cause else ""
        via = f"  via {self.source}" if self.source != PROBED else ""
        return (f"{self.kind:8} {self.name:12} {self.state.replace('_', ' ')}{cause}"
                f"  [{self.where}]{via}")

    def reason(self) -> str:
        """One line for stderr when the device is not usable."""
        cause = f" ({self.cause})" if self.cause else ""
        via = f", as reported by the {self.source}" if self.source != PROBED else ""
        return f"{self.kind} {self.name}: {self.state.replace('_', ' ')}{cause}{via}"

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


Probe = Callable[[], tuple[str, str]]  # returns (state, cause); state HELD when busy


def probe_all(probes: list[tuple[str, str, str, Probe]],
              running: Callable[[], KioskView] | None = None) -> list[DeviceReport]:
    """Probe each device; a held one is answered from the running kiosk's snapshot,
    which `running` reads (at most once, and only when a device is held)."""
    view = cache(running) if running is not None else None
    reports = []
    for kind, name, where, probe in probes:
        try:
            state, cause = probe()
        except Exception as err:  # noqa: BLE001 - one broken probe must not hide the rest
            state, cause = "error", f"probe failed: {type(err).__name__}"
        if state == HELD:
            reports.append(held_report(kind, name, where, view() if view else None))
        else:
            reports.append(DeviceReport(kind, name, where, state, cause))
    return reports


def held_report(kind: str, name: str, where: str, view: KioskView | None) -> DeviceReport:
    """A device another process holds: the kiosk's own view of it when a live kiosk
    reports it, else an error that says why nobody can vouch for it."""
    snapshot = view.snapshot if view is not None else None
    if snapshot is None:
        problem = view.problem if view is not None else "no kiosk state file"
        return DeviceReport(kind, name, where, "error", f"held by another process; {problem}")
    mine = snapshot.device(kind, where)
    if mine is None:
        return DeviceReport(kind, name, where, "error",
                            f"held by another process; the running kiosk (pid "
                            f"{snapshot.pid}) does not report it")
    return DeviceReport(kind, name, where, mine.state, mine.cause,
                        source=f"running kiosk (pid {snapshot.pid})",
                        since=mine.since.astimezone(timezone.utc).isoformat(timespec="seconds"))


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
