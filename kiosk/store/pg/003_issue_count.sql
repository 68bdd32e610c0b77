-- Version 3: kiosk_issue of 002 with a cheaper people-ahead count, the same number.
-- 002 built both rank row values of every waiting ticket of the service (five CASEs a
-- side) and compared them; the new ticket is always a walk-in, so the comparison comes
-- down to one test per kind, worked out below. The count visits the same rows (the
-- service's waiting tickets of the day: it grows with the queue) at about half the CPU
-- per row (EXPLAIN ANALYZE, 120 waiting: 0.089 -> 0.046 ms; bench/README.md, issue 13
-- item 2). tests/unit/test_store_ahead_issue.py compares it with people_ahead.
-- VOLATILE as in 002: the count's snapshot is taken after this issue holds the counter row.
CREATE OR REPLACE FUNCTION kiosk_issue(
    p_day DATE, p_prefix TEXT, p_service TEXT, p_reference TEXT, p_terminal TEXT,
    p_lang TEXT, p_now TIMESTAMPTZ, p_max INTEGER, p_quota INTEGER, p_device TEXT,
    p_key TEXT, p_request TEXT, p_pw INTEGER, p_pe INTEGER, p_pa INTEGER)
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
    -- the rank of kiosk/store/ahead_sql.py _RANK, compared with the new walk-in's
    -- (p_pw, 2, 0, epoch, v_id) and worked out per kind: a walk-in is ahead when it
    -- came first; an emergency (p_pe, 0, ...) when p_pe <= p_pw; a begun appointment
    -- (p_pa, 1, ...) when p_pa <= p_pw; an early one (3, 3, ...) when 3 < p_pw
    RETURN QUERY SELECT v_id, v_number, NULL::TEXT, (
        SELECT COUNT(*) FROM ticket w
        WHERE w.business_day = p_day AND w.state = 'waiting' AND w.service = p_service
          AND CASE WHEN w.kind <> 'appointment' THEN w.id < v_id
                   WHEN w.priority_rank IS NOT NULL THEN p_pe <= p_pw
                   WHEN w.slot_start IS NULL OR w.slot_start <= p_now THEN p_pa <= p_pw
                   ELSE 3 < p_pw END);
END;
$$;
