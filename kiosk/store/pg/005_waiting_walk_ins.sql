-- Version 5: the waiting walk-ins of a (day, prefix) kept as a number in the counter
-- row that the issue already bumps, so kiosk_issue no longer counts them ticket by
-- ticket (that count grew with the queue: 240 waiting per service by the end of a
-- 10-s bench round; bench/README.md, issue 13 item 2, helper branch wt-pgcount).
-- walk_ins already counts every walk-in of the prefix (issued, adopted from a
-- terminal's offline range, imported from a terminal's file); `gone` counts those that
-- are no longer waiting. A trigger keeps it on every state change wherever it comes
-- from (a counter's call, done, no-show, the expiry of earlier days, a ticket back to
-- waiting, a walk-in imported as already called, a deleted ticket), in the same
-- transaction, under the counter row's lock -- the lock every issue of the prefix
-- takes -- so an issue sees a call either whole or not at all, as the count did.
-- The walk-ins waiting before a new one are then walk_ins - gone - 1 (a prefix is one
-- service's: the configuration refuses a prefix twice). Waiting appointments of the
-- service (few; another prefix) are still counted, by a partial index of their own.
-- tests/unit/test_store_waiting_count.py compares it with people_ahead.
ALTER TABLE ticket_counter ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;

-- back-filled: whatever walk_ins says, walk_ins - gone is the waiting walk-ins now
UPDATE ticket_counter c SET gone = c.walk_ins - (
    SELECT COUNT(*) FROM ticket t
    WHERE t.business_day = c.business_day AND t.prefix = c.prefix
      AND t.kind <> 'appointment' AND t.state = 'waiting');

CREATE INDEX ticket_waiting_appointment ON ticket (business_day, service)
    WHERE state = 'waiting' AND kind = 'appointment';

-- one walk-in left the waiting ones (+1) or came back to them (-1); the row is made
-- when missing (an import stores its tickets before its counters)
CREATE FUNCTION kiosk_walk_in_gone() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_day DATE;
    v_prefix TEXT;
    v_step INTEGER := 1;
BEGIN
    IF TG_OP = 'DELETE' THEN
        v_day := OLD.business_day;
        v_prefix := OLD.prefix;
    ELSE
        v_day := NEW.business_day;
        v_prefix := NEW.prefix;
        IF TG_OP = 'UPDATE' AND NEW.state = 'waiting' THEN
            v_step := -1;
        END IF;
    END IF;
    INSERT INTO ticket_counter AS c (business_day, prefix, last_seq, walk_ins, gone)
    VALUES (v_day, v_prefix, 0, 0, v_step)
    ON CONFLICT (business_day, prefix) DO UPDATE SET gone = c.gone + v_step;
    RETURN NULL;
END;
$$;

-- the WHEN conditions keep the trigger off the issue's own insert (a waiting walk-in)
-- and off appointments: an issue pays nothing for it
CREATE TRIGGER ticket_walk_in_moved AFTER UPDATE OF state ON ticket FOR EACH ROW
    WHEN (NEW.kind <> 'appointment' AND (OLD.state = 'waiting') <> (NEW.state = 'waiting'))
    EXECUTE FUNCTION kiosk_walk_in_gone();
CREATE TRIGGER ticket_walk_in_stored_gone AFTER INSERT ON ticket FOR EACH ROW
    WHEN (NEW.kind <> 'appointment' AND NEW.state <> 'waiting')
    EXECUTE FUNCTION kiosk_walk_in_gone();
CREATE TRIGGER ticket_walk_in_deleted AFTER DELETE ON ticket FOR EACH ROW
    WHEN (OLD.kind <> 'appointment' AND OLD.state = 'waiting')
    EXECUTE FUNCTION kiosk_walk_in_gone();

-- kiosk_issue of 003/004 with the walk-ins ahead read from the counter row it bumps
-- (walk_ins - gone, less the new ticket) and only the service's waiting appointments
-- counted, by kiosk/store/ahead_sql.py's rank worked out per kind as in 003 (an
-- emergency is ahead when p_pe <= p_pw, a begun appointment when p_pa <= p_pw, an
-- early one when 3 < p_pw) and not looked at when no kind can be ahead. Sequential
-- scans off as in 004 (a plan kept from an empty table).
CREATE OR REPLACE FUNCTION kiosk_issue(
    p_day DATE, p_prefix TEXT, p_service TEXT, p_reference TEXT, p_terminal TEXT,
    p_lang TEXT, p_now TIMESTAMPTZ, p_max INTEGER, p_quota INTEGER, p_device TEXT,
    p_key TEXT, p_request TEXT, p_pw INTEGER, p_pe INTEGER, p_pa INTEGER)
RETURNS TABLE (ticket_id BIGINT, ticket_number TEXT, prior_request TEXT, ahead BIGINT)
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
    v_id BIGINT;
    v_number TEXT;
    v_request TEXT;
    v_ahead BIGINT;
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
        RETURNING last_seq, walk_ins - gone - 1 AS waiting),
    made AS (
        INSERT INTO ticket (business_day, service, prefix, seq, number, reference, terminal,
                            lang, issued_at, state)
        SELECT p_day, p_service, p_prefix, last_seq, p_prefix || lpad(last_seq::TEXT, 3, '0'),
               p_reference, p_terminal, p_lang, p_now, 'waiting'
        FROM bump
        RETURNING id, number)
    SELECT made.id, made.number, bump.waiting INTO v_id, v_number, v_ahead FROM made, bump;
    IF v_id IS NULL THEN
        RETURN;
    END IF;
    IF p_key IS NOT NULL THEN
        INSERT INTO issue_key (device, idem_key, request, ticket_id, at)
        VALUES (p_device, p_key, p_request, v_id, p_now);
    END IF;
    IF p_pe <= p_pw OR p_pa <= p_pw OR 3 < p_pw THEN
        v_ahead := v_ahead + (
            SELECT COUNT(*) FROM ticket w
            WHERE w.business_day = p_day AND w.state = 'waiting' AND w.service = p_service
              AND w.kind = 'appointment'
              AND CASE WHEN w.priority_rank IS NOT NULL THEN p_pe <= p_pw
                       WHEN w.slot_start IS NULL OR w.slot_start <= p_now THEN p_pa <= p_pw
                       ELSE 3 < p_pw END);
    END IF;
    RETURN QUERY SELECT v_id, v_number, NULL::TEXT, v_ahead;
END;
$$;
