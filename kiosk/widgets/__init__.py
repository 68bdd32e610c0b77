"""Shared touch widgets: big buttons, themed labels, the accessibility bar, the idle
warning. Kivy lives here, in screens/ and in app.py only."""
