-- The queue store on PostgreSQL, version 1: the same tables as the SQLite store's
-- schema version 7 (kiosk/store/schema.py), with real dates and times, and a counter row
-- per business day and prefix that the issuing statement bumps (its row lock makes
-- numbers unique and gapless; see kiosk/store/postgres.py). Never edit an applied file:
-- add 002_*.sql.

CREATE TABLE ticket (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_day DATE NOT NULL,
    service TEXT NOT NULL,
    prefix TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 999),
    number TEXT NOT NULL,
    reference TEXT NOT NULL,
    terminal TEXT NOT NULL,
    lang TEXT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL,
    counter TEXT,
    called_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    printed BOOLEAN,
    print_error TEXT,
    printed_at TIMESTAMPTZ,
    call_seq INTEGER,
    kind TEXT NOT NULL DEFAULT 'walk_in',
    slot_start TIMESTAMPTZ,
    priority_rank INTEGER,
    UNIQUE (business_day, prefix, seq)
);
CREATE INDEX ticket_state ON ticket (state, business_day, service, seq);
CREATE INDEX ticket_service_called ON ticket (service, called_at) WHERE called_at IS NOT NULL;
CREATE INDEX ticket_calls ON ticket (business_day, call_seq) WHERE call_seq IS NOT NULL;
CREATE INDEX ticket_terminal ON ticket (terminal, id);

-- last_seq: the day's last number of the prefix; walk_ins: how many of them were
-- walk-ins (the quota counts those; checked-in appointments never count)
CREATE TABLE ticket_counter (
    business_day DATE NOT NULL,
    prefix TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    walk_ins INTEGER NOT NULL,
    PRIMARY KEY (business_day, prefix)
);

-- the day's call order (the sign shows the latest call first, whatever the wall clock)
CREATE TABLE call_counter (
    business_day DATE PRIMARY KEY,
    last_call INTEGER NOT NULL
);

CREATE TABLE appointment (
    reference TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    office TEXT NOT NULL,
    start TIMESTAMPTZ NOT NULL,
    duration_min INTEGER NOT NULL,
    status TEXT NOT NULL,
    priority_rank INTEGER,
    imported_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX appointment_open ON appointment (status, start);

CREATE TABLE checkin (
    reference TEXT PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES ticket (id),
    business_day DATE NOT NULL,
    checked_in_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE checkin_stat (
    business_day DATE NOT NULL,
    service TEXT NOT NULL,
    outcome TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (business_day, service, outcome)
);

CREATE TABLE staff_setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    for_day DATE,
    set_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE staff_audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    action TEXT NOT NULL,
    terminal TEXT NOT NULL,
    detail TEXT
);

CREATE TABLE sealed_intake (
    reference TEXT PRIMARY KEY,
    sealed BYTEA NOT NULL,
    key_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sealed_intake_created ON sealed_intake (created_at);

CREATE TABLE intake_stat (
    business_day DATE NOT NULL,
    event TEXT NOT NULL,
    step TEXT NOT NULL DEFAULT '',
    persons INTEGER NOT NULL DEFAULT 0,
    count INTEGER NOT NULL,
    seconds_total DOUBLE PRECISION NOT NULL DEFAULT 0,
    seconds_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (business_day, event, step, persons)
);
