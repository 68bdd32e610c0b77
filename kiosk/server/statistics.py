"""The statistics export of the office server: one CSV row per business day and
service (issued, called, done, no-show, median wait, check-ins) and one "*" row per
day with the totals and the finished intakes. Counts and minutes only: nothing
personal."""

from __future__ import annotations

import csv
import io
import statistics
from datetime import date, timedelta

COLUMNS = ["day", "service", "issued", "called", "done", "no_show", "median_wait_min",
           "checkins", "intakes"]
ALL = "*"


def _median_min(waits: list[float]) -> str:
    waits = [w for w in waits if w >= 0]  # a clock that went back says nothing
    return f"{statistics.median(waits) / 60:.1f}" if waits else ""


def statistics_csv(store, first: date, last: date) -> str:
    rows: dict[tuple[date, str], list] = {}
    for day, service, issued, called, done, no_show, waits in store.queue_stats(first, last):
        rows[(day, service)] = [issued, called, done, no_show, list(waits), 0]
    day = first
    while day <= last:
        for service, outcome, count in store.checkin_stats(day):
            if outcome.startswith("checked_in") and service:
                rows.setdefault((day, service), [0, 0, 0, 0, [], 0])[5] += count
        day += timedelta(days=1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    day = first
    while day <= last:
        services = sorted(s for d, s in rows if d == day)
        total = [0, 0, 0, 0, [], 0]
        for service in services:
            r = rows[(day, service)]
            writer.writerow([day.isoformat(), service, *r[:4], _median_min(r[4]), r[5], ""])
            for i in (0, 1, 2, 3, 5):
                total[i] += r[i]
            total[4] += r[4]
        intakes = sum(count for event, _step, _persons, count, _s in store.intake_stats(day)
                      if event == "finished")
        if services or intakes:
            writer.writerow([day.isoformat(), ALL, *total[:4], _median_min(total[4]),
                             total[5], intakes])
        day += timedelta(days=1)
    return out.getvalue()
