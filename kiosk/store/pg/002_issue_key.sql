-- Version 2: the Idempotency-Key of an issue (the office server), written by the
-- issuing statement itself, so the key and its ticket commit together: a retry after a
-- crash at any moment finds the first ticket and is never given a second number. Kept
-- KEEP_DAYS (kiosk/store/issue_key.py); only device names, keys and ids, nothing personal.
CREATE TABLE issue_key (
    device TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request TEXT NOT NULL,
    ticket_id BIGINT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (device, idem_key)
);
CREATE INDEX issue_key_at ON issue_key (at);
