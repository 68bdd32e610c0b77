"""Versioned SQL files of the PostgreSQL store (applied in order at start)."""
