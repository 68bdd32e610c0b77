"""The words of the counter page and the TV board, marked for the catalogs and put into
the pages in the server's [kiosk] default_language (one office, one staff language)."""

from __future__ import annotations

from kiosk.i18n import N_, gettext_for

# key -> msgid; the keys are what the page's HTML and JavaScript refer to
COUNTER = {
    "title": N_("Counter"),
    "sign_in": N_("Sign in"),
    "token": N_("Device token"),
    "counter": N_("Counter number"),
    "services": N_("Services of this counter"),
    "call_next": N_("Call next"),
    "recall": N_("Call again"),
    "no_show": N_("Did not come"),
    "done": N_("Done"),
    "sign_out": N_("Sign out"),
    "current": N_("Current ticket"),
    "no_current": N_("No current ticket"),
    "service": N_("Service"),
    "waiting": N_("Waiting"),
    "closed": N_("closed"),
    "called": N_("{number} is called to counter {counter}."),
    "nobody": N_("Nobody is waiting."),
    "unreachable": N_("The server cannot be reached. Your last action may not have been "
                      "carried out; try again in a moment."),
    "bad_token": N_("The token was not accepted. Please sign in again."),
    "not_counter": N_("This token is not a counter's token."),
    "no_call": N_("There is no current call at this counter."),
    "refused": N_("The server refused: {reason}"),
    "choose": N_("Choose at least one service."),
}

BOARD = {
    "title": N_("Now calling"),
    "ticket": N_("Ticket"),
    "counter": N_("Counter"),
    "counter_of": N_("Counter {counter}"),
    "reconnecting": N_("Connection lost, reconnecting …"),
    "sign_in": N_("This board is not signed in: open its address with #token= and the "
                  "board token at the end."),
}


def texts(table: dict[str, str], language: str) -> dict[str, str]:
    """The table's words in one language (English where its catalog lacks one)."""
    _ = gettext_for(language)
    return {key: _(msgid) for key, msgid in table.items()}
