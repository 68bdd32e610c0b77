"""One module (and its .kv) per screen. Screens are thin: they call the app's services
and show results; every visible string goes through gettext."""
