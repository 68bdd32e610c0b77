"""The printed receipt of a sealed intake as a device-neutral Document (like
ticket_document.py): the reference in large grouped print, a QR code holding only the
reference, what to bring to the counter, the queue number when one was issued, and the
last day the data waits. In the visitor's language with German lines for the clerk;
nothing personal is on it."""

from __future__ import annotations

from datetime import datetime, timedelta

from kiosk.domain.clock import local
from kiosk.domain.documents import Align, Document, Feed, QrCode, Rule, Size, Text
from kiosk.domain.intake_reference import display
from kiosk.i18n import N_, gettext_for
from kiosk.services.ticket_document import OFFICE_LANGUAGE

TITLE = N_("Registration prepared")
REFERENCE_LABEL = N_("Your reference")
BRING = N_("Please bring to the counter:")
BRING_IDS = N_("the identity card or passport of every person")
BRING_LANDLORD = N_("the landlord's confirmation (Wohnungsgeberbestätigung)")
NUMBER = N_("Your queue number")
WATCH = N_("Please watch the display.")
KEEP_UNTIL = N_("Please come by {date}. After that your data is deleted.")
# for the clerk, always in German under the QR code
CLERK_CAPTION = N_("Pre-registration: scan the code to export")


def _both(lang: str, message: str, **values) -> list[Text]:
    """The line in the visitor's language, and in German below it when that differs."""
    visitor = gettext_for(lang)(message).format(**values)
    lines = [Text(visitor, lang=lang)]
    if lang != OFFICE_LANGUAGE:
        german = gettext_for(OFFICE_LANGUAGE)(message).format(**values)
        if german != visitor:
            lines.append(Text(german, lang=OFFICE_LANGUAGE))
    return lines


def receipt_document(*, office: str, reference: str, lang: str, sealed_at: datetime,
                     retention_days: int, ticket_number: str | None = None) -> Document:
    _ = gettext_for(lang)
    # the daily purge may run any time on the last day: promise the day before it
    last_day = local(sealed_at) + timedelta(days=max(0, retention_days - 1))
    keep_until = last_day.strftime("%d.%m.%Y")
    blocks: list = [Text(office, lang=OFFICE_LANGUAGE)]
    blocks += [Text(t.text, bold=True, lang=t.lang) for t in _both(lang, TITLE)]
    blocks += [Feed(), Text(_(REFERENCE_LABEL), lang=lang),
               # Latin letters and digits: printed in the office script, never mirrored
               Text(display(reference), size=Size.LARGE, bold=True, lang=OFFICE_LANGUAGE),
               QrCode(reference),
               Text(gettext_for(OFFICE_LANGUAGE)(CLERK_CAPTION), lang=OFFICE_LANGUAGE),
               Text(local(sealed_at).strftime("%d.%m.%Y %H:%M"), lang=OFFICE_LANGUAGE)]
    if ticket_number:
        blocks += [Rule(), Text(_(NUMBER), lang=lang),
                   Text(ticket_number, size=Size.HUGE, bold=True, lang=OFFICE_LANGUAGE),
                   Text(_(WATCH), lang=lang)]
    blocks += [Rule(), Text(_(BRING), bold=True, align=Align.CENTER, lang=lang)]
    # for the visitor only: the clerk has the German title and caption above
    blocks += [Text("- " + _(item), lang=lang) for item in (BRING_IDS, BRING_LANDLORD)]
    blocks += [Feed(), Text(_(KEEP_UNTIL).format(date=keep_until), lang=lang)]
    return Document(tuple(blocks))
