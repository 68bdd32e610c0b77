"""Printer models as data: paper width, dots per line, native QR, code pages. Uses the
numbers of python-escpos's capability profiles and adds the models it lacks."""

from __future__ import annotations

from dataclasses import dataclass, field

# ESC t n numbers shared by Epson's 80 mm models (TM-T88V manual, python-escpos data).
_EPSON_PAGES = {
    "CP437": 0, "CP850": 2, "CP858": 19, "CP852": 18, "CP857": 13, "CP866": 17,
    "CP737": 14, "CP1252": 16, "CP1250": 45, "CP1251": 46, "CP1253": 47, "CP1254": 48,
    "ISO8859-15": 40, "ISO8859-2": 39,
}
_BASIC_PAGES = {"CP437": 0, "CP850": 2, "CP858": 19, "CP866": 17, "CP852": 18}


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    escpos_profile: str  # the python-escpos profile our bytes are rendered with
    width_mm: int
    dots_per_line: int
    dpi: int
    native_qr: bool
    code_pages: dict[str, int] = field(default_factory=dict)

    def with_width(self, width_mm: int | None) -> "PrinterProfile":
        """`width_mm` from the config overrides the profile (58 mm roll in an 80 mm model)."""
        if width_mm is None or width_mm == self.width_mm:
            return self
        dots = 384 if width_mm == 58 else (512 if self.dpi == 180 else 576)
        return PrinterProfile(self.name, self.escpos_profile, width_mm, dots, self.dpi,
                              self.native_qr, self.code_pages)


PROFILES: dict[str, PrinterProfile] = {
    p.name: p
    for p in (
        PrinterProfile("TM-T88V", "TM-T88V", 80, 512, 180, True, _EPSON_PAGES),
        PrinterProfile("TM-T88IV", "TM-T88IV", 80, 512, 180, True,
                       {k: v for k, v in _EPSON_PAGES.items() if v < 20}),
        PrinterProfile("TM-T20II", "TM-T20II", 80, 576, 203, True, _EPSON_PAGES),
        # Not shipped by python-escpos 3.1: our data, rendered with the closest profile.
        PrinterProfile("TM-T88VI", "TM-T88V", 80, 512, 180, True, _EPSON_PAGES),
        PrinterProfile("TM-T20III", "TM-T20II", 80, 576, 203, True, _EPSON_PAGES),
        PrinterProfile("generic-80", "default", 80, 576, 203, False, _BASIC_PAGES),
        PrinterProfile("generic-58", "default", 58, 384, 203, False, _BASIC_PAGES),
    )
}

# Order in which code pages are tried for a line: the euro-capable Western page first.
CODE_PAGE_PREFERENCE = ("CP858", "CP437", "CP850", "CP1252", "CP852", "CP857", "CP866",
                        "CP1251", "CP737", "CP1253", "CP1250", "CP1254")
