"""The issue's Idempotency-Key kept by the store itself (both engines): a key issues
once, answers with its first ticket after that, and is forgotten after KEEP_DAYS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kiosk.domain.clock import business_day
from kiosk.store.issue_key import KEEP_DAYS, IssuedBefore, IssueKey
from tests.store_sql import rows

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


def issue(store, key=None, at=NOW):
    return store.issue("anmeldung", "A", "de", at, business_day(at), None,
                       terminal="term-1", request_key=key)


def test_a_key_issues_once_and_then_answers_with_its_first_ticket(engine_store):
    key = IssueKey("term-1", "k-1", "hash-a")
    first = issue(engine_store, key)
    with pytest.raises(IssuedBefore) as again:
        issue(engine_store, key)
    assert again.value.ticket.id == first.id and again.value.ticket.number == "A001"
    assert again.value.request == "hash-a"
    # the same key of another device is another request
    assert issue(engine_store, IssueKey("term-2", "k-1", "hash-a")).number == "A002"
    assert issue(engine_store).number == "A003"
    assert engine_store.kept_request("term-1", "k-1") == "hash-a"
    assert engine_store.kept_request("term-1", "k-2") is None
    assert rows(engine_store, "SELECT COUNT(*) FROM issue_key") == [(2,)]


def test_keys_older_than_keep_days_are_forgotten_at_the_day_change(engine_store):
    issue(engine_store, IssueKey("term-1", "old", "h"), NOW - timedelta(days=KEEP_DAYS + 1))
    issue(engine_store, IssueKey("term-1", "recent", "h"), NOW - timedelta(days=1))
    issue(engine_store, at=NOW)
    assert engine_store.kept_request("term-1", "old") is None
    assert engine_store.kept_request("term-1", "recent") == "h"
