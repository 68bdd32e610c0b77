"""The office server (`kiosk serve`): one shared queue for terminals, counters and
call-up boards, over HTTP under /api/v1 (kiosk/server/app.py)."""
