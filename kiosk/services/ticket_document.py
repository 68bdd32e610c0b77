"""Build the printed ticket as a device-neutral Document: office, service (German and the
visitor's language), the number in very large type, time, for a checked-in appointment
its slot ("Termin 10:30"), people ahead, the estimate and a reference QR code with a
German caption for the staff. Nothing personal is on it, nor why someone is called
first."""

from __future__ import annotations

from datetime import datetime

from kiosk.domain.clock import local
from kiosk.domain.documents import Document, Feed, QrCode, Size, Text
from kiosk.domain.estimate import WaitEstimate
from kiosk.i18n import N_, gettext_for

OFFICE_LANGUAGE = "de"  # staff read German; the visitor's language comes in addition
# Under the QR code, in the office language: what the code is for. Short: every byte of
# a ticket crosses a 9600 baud line (bench/bench_ticket_bytes.py).
QR_CAPTION = N_("Show at the counter")


def people_ahead_text(_, count: int) -> str:
    return _("People ahead of you: {count}").format(count=count)


def estimate_text(_, estimate: WaitEstimate) -> str:
    if estimate.minutes is None:
        return _("Waiting time: not known yet")
    return _("Estimated waiting time: about {minutes} min").format(minutes=estimate.minutes)


def slot_text(_, slot: datetime) -> str:
    return _("Appointment {time}").format(time=local(slot).strftime("%H:%M"))


def ticket_document(*, office: str, number: str, service_name_de: str,
                    service_name_visitor: str, lang: str, issued_at: datetime,
                    estimate: WaitEstimate, reference: str | None,
                    slot: datetime | None = None) -> Document:
    _ = gettext_for(lang)
    blocks: list = [Text(office, lang=OFFICE_LANGUAGE), Text(service_name_de, bold=True,
                                                             lang=OFFICE_LANGUAGE)]
    if lang != OFFICE_LANGUAGE and service_name_visitor != service_name_de:
        blocks.append(Text(service_name_visitor, lang=lang))
    blocks += [
        Feed(),
        Text(number, size=Size.HUGE, bold=True, lang=OFFICE_LANGUAGE),
        Feed(),
        Text(local(issued_at).strftime("%d.%m.%Y %H:%M"), lang=OFFICE_LANGUAGE),
    ]
    if slot is not None:
        blocks.append(Text(slot_text(_, slot), bold=True, lang=lang))
    if estimate.people_ahead is not None:
        blocks.append(Text(people_ahead_text(_, estimate.people_ahead), lang=lang))
    blocks += [
        Text(estimate_text(_, estimate), lang=lang),
        Text(_("Please watch the display."), lang=lang),
    ]
    if reference:
        blocks += [QrCode(reference), Text(gettext_for(OFFICE_LANGUAGE)(QR_CAPTION),
                                           lang=OFFICE_LANGUAGE)]
    return Document(tuple(blocks))
