"""Wrong staff PINs: after five in a row staff mode is locked, each lock twice as long as
the one before (30 s, 60 s, 120 s ... at most an hour). Times are epoch seconds passed in,
so a lock survives a restart of the app."""

from __future__ import annotations

from dataclasses import dataclass

ATTEMPTS = 5
FIRST_DELAY_S = 30
MAX_DELAY_S = 3600


@dataclass(frozen=True)
class Lockout:
    failures: int = 0  # wrong PINs since the last lock (or the last right PIN)
    locks: int = 0  # locks since the last right PIN: sets the next delay
    until: float = 0.0  # epoch seconds; locked while now < until

    def remaining_s(self, now: float) -> float:
        return max(0.0, self.until - now)

    def locked(self, now: float) -> bool:
        return self.remaining_s(now) > 0

    def as_dict(self) -> dict:
        return {"failures": self.failures, "locks": self.locks, "until": self.until}

    @classmethod
    def from_dict(cls, data) -> Lockout:
        """A stored state; anything malformed reads as the strictest sane state rather
        than as 'no lock' (a damaged row must not reset the count)."""
        try:
            return cls(max(0, int(data["failures"])), max(0, int(data["locks"])),
                       float(data["until"]))
        except (KeyError, TypeError, ValueError):
            return cls(failures=ATTEMPTS - 1)


def delay_s(locks: int) -> int:
    """The length of the `locks`-th lock (1 = the first)."""
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** max(0, locks - 1))


def after_failure(state: Lockout, now: float) -> Lockout:
    failures = state.failures + 1
    if failures < ATTEMPTS:
        return Lockout(failures, state.locks, state.until)
    locks = state.locks + 1
    return Lockout(0, locks, now + delay_s(locks))


def after_success() -> Lockout:
    return Lockout()
