"""Prometheus metrics over the state snapshot: a custom prometheus_client Collector that
turns the snapshot the health server holds into metric families at scrape time. Only
counts, states and times; every label value is a service id, a device name or a code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from kiosk.health.assess import Verdict, ui_age_s
from kiosk.health.snapshot import Snapshot

# Every state a device worker reports (printer states; displays use online/offline),
# exported as a state set so a dashboard sees a 0 before a state first happens.
DEVICE_STATES = ("online", "paper_near_end", "paper_out", "cover_open", "error", "offline")
STATUSES = ("ok", "degraded", "down")

# counter family in the snapshot -> (metric name without _total, label name, help).
# Tickets and check-ins are the store's figures of the business day (every kiosk process
# on the terminal, the `kiosk ticket` CLI too): counters that only grow during a day and
# start again from 0 at the day change, which Prometheus' increase() and rate() read as a
# counter reset (as after a restart). The others count in the app's process.
COUNTERS = {
    "tickets": ("kiosk_tickets_issued", "service",
                "Walk-in tickets issued today, per service (from the store; 0 again at "
                "the day change)"),
    "checkins": ("kiosk_checkins", "outcome",
                 "Appointment check-ins today, per outcome (from the store: checked_in_"
                 "early/on_time/late, refused_<why>, no_show; 0 again at the day change)"),
    "intakes": ("kiosk_intakes", "outcome", "Intakes, per outcome"),
    "print_jobs": ("kiosk_print_jobs", "result",
                   "Ticket print jobs, per result (printed or the failure's class)"),
}


class SnapshotCollector(Collector):
    """`current()` returns (snapshot or None, verdict, now); called once per scrape."""

    def __init__(self, current: Callable[[], tuple[Snapshot | None, Verdict, datetime]],
                 version: str) -> None:
        self.current, self.version = current, version

    def collect(self):
        snapshot, verdict, now = self.current()
        status = GaugeMetricFamily("kiosk_health_status",
                                   "1 for the terminal's health status (as GET /health)",
                                   labels=["status"])
        for name in STATUSES:
            status.add_metric([name], 1.0 if verdict.status == name else 0.0)
        yield status
        fresh = GaugeMetricFamily("kiosk_snapshot_fresh",
                                  "1 when the app's state snapshot is current")
        fresh.add_metric([], 0.0 if snapshot is None else 1.0)
        yield fresh
        if snapshot is None:
            return  # nothing the kiosk says can be trusted: no stale numbers
        yield from self._counters(snapshot)
        yield from self._devices(snapshot)
        yield from self._gauges(snapshot, now)

    def _counters(self, snapshot: Snapshot):
        services = sorted(set(snapshot.open_services) | set(snapshot.queues or {}))
        for family, (name, label, text) in COUNTERS.items():
            metric = CounterMetricFamily(name, text, labels=[label])
            counts = dict(snapshot.counter(family))
            if family == "tickets":  # a series per service from the start: increase() == 0
                for service in services:  # can only alert on a series that exists
                    counts.setdefault(service, 0)
            for value, count in sorted(counts.items()):
                metric.add_metric([value], float(count))
            yield metric

    def _devices(self, snapshot: Snapshot):
        up = GaugeMetricFamily("kiosk_device_up", "1 when the device is online",
                               labels=["kind", "name"])
        state = GaugeMetricFamily("kiosk_device_state", "1 for the device's current state",
                                  labels=["kind", "name", "state"])
        for device in snapshot.devices:
            up.add_metric([device.kind, device.name], 1.0 if device.state == "online" else 0.0)
            for name in sorted(set(DEVICE_STATES) | {device.state}):
                state.add_metric([device.kind, device.name, name],
                                 1.0 if device.state == name else 0.0)
        yield up
        yield state
        paper = GaugeMetricFamily("kiosk_paper_low", "1 when the printer reports paper near "
                                                     "end or out")
        paper.add_metric([], 1.0 if snapshot.paper_low else 0.0)
        yield paper

    def _gauges(self, snapshot: Snapshot, now: datetime):
        waiting = GaugeMetricFamily("kiosk_queue_waiting", "Tickets waiting today, per "
                                                           "service", labels=["service"])
        for service, count in sorted((snapshot.queues or {}).items()):
            waiting.add_metric([service], float(count))
        yield waiting
        opened = GaugeMetricFamily("kiosk_open", "1 when the service is open now (hours "
                                                 "and switch)", labels=["service"])
        for service, is_open in sorted(snapshot.open_services.items()):
            opened.add_metric([service], 1.0 if is_open else 0.0)
        yield opened
        age = ui_age_s(snapshot, now)
        if age is not None:
            frame = GaugeMetricFamily("kiosk_ui_frame_age_seconds",
                                      "Seconds since the UI loop last ran (heartbeat)")
            frame.add_metric([], max(0.0, age))
            yield frame
        snap_age = GaugeMetricFamily("kiosk_snapshot_age_seconds",
                                     "Seconds since the app last wrote its state snapshot")
        snap_age.add_metric([], max(0.0, snapshot.age_s(now)))
        yield snap_age
        uptime = GaugeMetricFamily("kiosk_uptime_seconds", "Seconds since the app started")
        uptime.add_metric([], max(0.0, (now - snapshot.started_at).total_seconds()))
        yield uptime
        if snapshot.last_ticket_at is not None:
            last = GaugeMetricFamily("kiosk_last_ticket_timestamp_seconds",
                                     "Unix time of the last ticket issued (any service)")
            last.add_metric([], snapshot.last_ticket_at.timestamp())
            yield last
        if snapshot.store_bytes is not None:
            size = GaugeMetricFamily("kiosk_store_bytes", "Size of the SQLite store file")
            size.add_metric([], float(snapshot.store_bytes))
            yield size
        if snapshot.server is not None:
            yield from _server_gauges(snapshot.server)
        info = GaugeMetricFamily("kiosk_build_info", "Version and config file hash (value 1)",
                                 labels=["terminal", "version", "config_hash"])
        info.add_metric([snapshot.terminal_id, snapshot.version or self.version,
                         snapshot.config_hash], 1.0)
        yield info


def _server_gauges(server: dict):
    """[store] backend "http": the office server link and the outbox (counts only)."""
    reachable = GaugeMetricFamily("kiosk_server_reachable", "1 when the office server "
                                  "answered the last request, 0 when not (absent: not asked)")
    if server.get("reachable") is not None:
        reachable.add_metric([], 1.0 if server["reachable"] else 0.0)
    yield reachable
    length = GaugeMetricFamily("kiosk_outbox_entries", "Check-ins, intakes and offline "
                               "tickets waiting in the outbox for the office server")
    length.add_metric([], float(server.get("outbox") or 0))
    yield length
    oldest = GaugeMetricFamily("kiosk_outbox_oldest_seconds", "Seconds the oldest outbox "
                               "entry has waited (0 when empty)")
    oldest.add_metric([], float(server.get("outbox_oldest_s") or 0.0))
    yield oldest
    rejected = GaugeMetricFamily("kiosk_outbox_rejected", "Outbox entries the office "
                                 "server refused for good (kept for staff, without content)")
    rejected.add_metric([], float(server.get("outbox_rejected") or 0))
    yield rejected
