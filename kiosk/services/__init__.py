"""Use cases (issue a ticket, call, check in...). Screens and the CLI call these; they
reach the store and devices only through the Protocols in ports.py."""
