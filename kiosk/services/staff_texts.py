"""The prepared texts staff can put in front of visitors: messages on a closed service's
button and notices on the start screen. Only these exist, each translated into every
language, so a visitor never sees a text staff typed in one language."""

from __future__ import annotations

from kiosk.i18n import N_

# id -> English msgid; ids are what the store keeps (a removed id is ignored on read)
SERVICE_MESSAGES = {
    "appointment_only": N_("Today only with an appointment"),
    "closed_today": N_("Closed today"),
    "no_more_tickets": N_("No more tickets today"),
}

NOTICES = {
    "longer_waits": N_("Waiting times are longer today."),
    "card_only": N_("Card payment only today."),
    "closes_early": N_("The office closes early today."),
}

OUT_OF_SERVICE = N_("This terminal is out of order. Please ask at the information desk.")

# Device states in words for the staff screen (states of health.snapshot.DeviceView)
DEVICE_STATES = {
    "online": N_("working"),
    "paper_near_end": N_("paper is running low"),
    "paper_out": N_("paper is out"),
    "cover_open": N_("cover is open"),
    "error": N_("has a fault"),
    "offline": N_("not connected"),
}
