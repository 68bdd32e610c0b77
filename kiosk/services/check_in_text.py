"""What a check-in result says to the visitor, in their language: kind, and what to do
instead (come back at HH:MM, take a walk-in ticket, ask at the information desk). Used by
the result screen and `kiosk checkin`. Never quotes the scanned code."""

from __future__ import annotations

from kiosk.domain.appointment import CodeRefusal
from kiosk.domain.clock import local
from kiosk.i18n import N_, gettext_for
from kiosk.services.check_in_result import CheckInOutcome, CheckInResult

# What a code that is not a booking code of ours is (first sentence) ...
_NOT_OURS = {
    CodeRefusal.WIFI: N_("This is a Wi-Fi code, not an appointment confirmation."),
    CodeRefusal.CONTACT: N_("This is a contact card, not an appointment confirmation."),
    CodeRefusal.BOARDING_PASS: N_("This is a boarding pass, not an appointment "
                                  "confirmation."),
    CodeRefusal.PAYMENT: N_("This is a payment code, not an appointment confirmation."),
    CodeRefusal.OTHER_WEBSITE: N_("This is a link to a website, not an appointment "
                                  "confirmation."),
}
_OTHER = N_("This code is not an appointment confirmation.")
# ... our own format or a booking link, but broken or not signed by us
_INVALID = {CodeRefusal.BAD_SIGNATURE, CodeRefusal.MALFORMED, CodeRefusal.UNKNOWN_VERSION}
_INVALID_TEXT = N_("This appointment code is not valid.")
# ... and what to do instead (second sentence)
_SCAN_OR_WALK_IN = N_("Please scan the QR code from your appointment confirmation, or take "
                      "a walk-in ticket.")
_TYPE_OR_ASK = N_("Please type your appointment number or ask at the information desk.")
_EMPTY = N_("No code was read. Please try again.")

_PLAIN = {
    CheckInOutcome.WRONG_OFFICE: N_("This appointment is for a different office. Please ask "
                                    "at the information desk."),
    CheckInOutcome.CANCELLED: N_("This appointment was cancelled. You can take a walk-in "
                                 "ticket instead."),
    CheckInOutcome.UNKNOWN: N_("This appointment was not found. Please check the number or "
                               "ask at the information desk."),
    CheckInOutcome.UNREACHABLE: N_("The appointment system cannot be reached right now. "
                                   "Please ask at the information desk."),
    CheckInOutcome.NOT_AVAILABLE: N_("Check-in is not possible right now. Please ask at the "
                                     "information desk."),
    # the office server is away: the check-in waits in the terminal's outbox
    CheckInOutcome.QUEUED: N_("Your check-in has been recorded. This terminal cannot reach "
                              "the office server right now, so your number cannot be shown "
                              "here: please ask at the information desk for it."),
}


def _hhmm(moment) -> str:
    return local(moment).strftime("%H:%M")


def refusal_text(refusal: CodeRefusal | None, lang: str) -> str:
    """For a code that names no booking: what it is and what to do instead."""
    _ = gettext_for(lang)
    if refusal is CodeRefusal.EMPTY:
        return _(_EMPTY)
    if refusal in _INVALID:
        return f"{_(_INVALID_TEXT)} {_(_TYPE_OR_ASK)}"
    return f"{_(_NOT_OURS.get(refusal, _OTHER))} {_(_SCAN_OR_WALK_IN)}"


def reason_text(result: CheckInResult, lang: str) -> str:
    """One or two sentences for the visitor, translated into `lang`."""
    _ = gettext_for(lang)
    outcome = result.outcome
    if outcome is CheckInOutcome.CHECKED_IN:
        return _("You are checked in for your appointment at {time}. Your number is "
                 "{number}.").format(time=_hhmm(result.slot), number=result.number)
    if outcome is CheckInOutcome.ALREADY_CHECKED_IN:
        if result.number:
            return _("You are already checked in. Your number is {number}.").format(
                number=result.number)
        return _("You are already checked in. Please ask at the information desk.")
    if outcome is CheckInOutcome.TOO_EARLY and result.slot and result.come_back_at:
        return _("It is too early to check in for your appointment at {time}. Please come "
                 "back at {come_back}.").format(time=_hhmm(result.slot),
                                                come_back=_hhmm(result.come_back_at))
    if outcome is CheckInOutcome.TOO_LATE and result.slot:
        return _("It is too late to check in for your appointment at {time}. You can take "
                 "a walk-in ticket instead.").format(time=_hhmm(result.slot))
    if outcome is CheckInOutcome.WRONG_DAY and result.slot:
        return _("This appointment is on {date}, not today. Please come back on that "
                 "day.").format(date=local(result.slot).strftime("%d.%m.%Y"))
    if outcome is CheckInOutcome.NOT_A_BOOKING:
        return refusal_text(result.refusal, lang)
    return _(_PLAIN.get(outcome, _PLAIN[CheckInOutcome.NOT_AVAILABLE]))
