"""Queue stores behind one interface: SQLite embedded now; PostgreSQL and the office
server's HTTP client later (see services.ports.QueueStore)."""
