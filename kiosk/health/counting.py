"""Counts what the ticket service does for the health counters: a thin wrapper around
TicketService that passes every call through and, after a ticket is issued or printed,
calls `count(...)` (the snapshot writer's). Service ids and result classes only."""

from __future__ import annotations

from collections.abc import Callable


def print_result_class(report) -> str:
    """'printed', or why not as a printer state code (paper_out, offline, ...), else
    'failed': a class of reasons, never the free-text error."""
    if report.printed:
        return "printed"
    value = getattr(report.state, "value", None)
    return value if isinstance(value, str) and value != "online" else "failed"


class CountingTickets:
    def __init__(self, tickets, count: Callable[[str, str], None]) -> None:
        self._tickets, self._count = tickets, count

    def __getattr__(self, name: str):
        return getattr(self._tickets, name)  # everything else: the service itself

    def issue(self, service_id: str, lang: str):
        issued = self._tickets.issue(service_id, lang)  # a refusal raises: not counted
        self._count("tickets", issued.service.id)
        return issued

    def print_ticket(self, issued):
        report = self._tickets.print_ticket(issued)
        self._count("print_jobs", print_result_class(report))
        return report


class CountingCheckIn:
    """The same for the check-in service: every attempt counted by its outcome code
    (checked_in, too_early, wifi codes as not_a_booking, ...); tickets and print jobs
    are counted by the CountingTickets the service prints and issues walk-ins through."""

    def __init__(self, check_in, count: Callable[[str, str], None]) -> None:
        self._service, self._count = check_in, count

    def __getattr__(self, name: str):
        return getattr(self._service, name)

    def check_in(self, raw: str, lang: str, typed: bool = False):
        result = self._service.check_in(raw, lang, typed)
        self._count("checkins", result.outcome.value)
        return result
