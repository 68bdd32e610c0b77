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

-- The office server's issue in ONE round trip: the Idempotency-Key looked up (a kept
-- key answers with its ticket and request, nothing bumped), the ISSUE statement of
-- kiosk/store/postgres.py, the key kept with the ticket, and the people ahead of the
-- new walk-in counted by the calling order's rank of kiosk/store/ahead_sql.py _RANK
-- (p_pw, p_pe, p_pa: the service's class positions; 3: an early appointment). VOLATILE:
-- the count takes a snapshot of its own, after this issue holds the counter row, so
-- every earlier ticket of the service (committed before that row was free) is seen.
-- Refused (quota, last number): no row. A concurrent issue with the same key makes
-- the key's insert fail and the whole call roll back (the caller sends it again).
CREATE FUNCTION kiosk_issue(p_day DATE, p_prefix TEXT, p_service TEXT, p_reference TEXT,
                            p_terminal TEXT, p_lang TEXT, p_now TIMESTAMPTZ,
                            p_max INTEGER, p_quota INTEGER, p_device TEXT, p_key TEXT,
                            p_request TEXT, p_pw INTEGER, p_pe INTEGER, p_pa INTEGER)
RETURNS TABLE (ticket_id BIGINT, ticket_number TEXT, prior_request TEXT, ahead BIGINT)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    v_id BIGINT;
    v_number TEXT;
    v_request TEXT;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT k.ticket_id, k.request INTO v_id, v_request FROM issue_key k
        WHERE k.device = p_device AND k.idem_key = p_key;
        IF FOUND THEN
            RETURN QUERY SELECT v_id, NULL::TEXT, v_request, NULL::BIGINT;
            RETURN;
        END IF;
    END IF;
    WITH bump AS (
        INSERT INTO ticket_counter AS c (business_day, prefix, last_seq, walk_ins)
        VALUES (p_day, p_prefix, 1, 1)
        ON CONFLICT (business_day, prefix) DO UPDATE
            SET last_seq = c.last_seq + 1, walk_ins = c.walk_ins + 1
            WHERE c.last_seq < p_max AND c.walk_ins < p_quota
        RETURNING last_seq)
    INSERT INTO ticket (business_day, service, prefix, seq, number, reference, terminal,
                        lang, issued_at, state)
    SELECT p_day, p_service, p_prefix, last_seq, p_prefix || lpad(last_seq::TEXT, 3, '0'),
           p_reference, p_terminal, p_lang, p_now, 'waiting'
    FROM bump
    RETURNING id, number INTO v_id, v_number;
    IF v_id IS NULL THEN
        RETURN;
    END IF;
    IF p_key IS NOT NULL THEN
        INSERT INTO issue_key (device, idem_key, request, ticket_id, at)
        VALUES (p_device, p_key, p_request, v_id, p_now);
    END IF;
    RETURN QUERY SELECT v_id, v_number, NULL::TEXT, (
        SELECT COUNT(*) FROM ticket w
        WHERE w.business_day = p_day AND w.state = 'waiting' AND w.service = p_service
          AND w.id <> v_id
          AND (CASE WHEN w.kind <> 'appointment' THEN p_pw
                    WHEN w.priority_rank IS NOT NULL THEN p_pe
                    WHEN w.slot_start IS NULL OR w.slot_start <= p_now THEN p_pa ELSE 3 END,
               CASE WHEN w.kind <> 'appointment' THEN 2 WHEN w.priority_rank IS NOT NULL THEN 0
                    WHEN w.slot_start IS NULL OR w.slot_start <= p_now THEN 1 ELSE 3 END,
               CASE WHEN w.kind = 'appointment' AND w.priority_rank IS NOT NULL
                    THEN w.priority_rank ELSE 0 END,
               CASE WHEN w.kind = 'appointment' AND w.priority_rank IS NULL
                    THEN COALESCE(w.slot_start, '1970-01-01 00:00:00+00'::TIMESTAMPTZ)
                    ELSE '1970-01-01 00:00:00+00'::TIMESTAMPTZ END,
               w.id)
              < (p_pw, 2, 0, '1970-01-01 00:00:00+00'::TIMESTAMPTZ, v_id));
END;
$$;
