"""Self-service terminal for public offices: walk-in tickets, check-in and intake."""

__version__ = "0.1.0"
