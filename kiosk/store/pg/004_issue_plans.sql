-- Version 4: kiosk_issue never reads a whole table. plpgsql keeps each statement's plan
-- for the session; after five calls it may keep one generic plan, costed with the
-- statistics of that moment. Planned on an empty or just-emptied table (a new
-- database, a table truncated and analyzed, before autovacuum analyzes it again) the
-- key lookup and the people-ahead count became sequential scans of issue_key and
-- ticket, kept while the tables grew: the CPU per issue grew with the day's tickets,
-- not the service's queue (bench/README.md, issue 13 item 2, helper branch
-- wt-pgcount: 0.4 -> 1.7 ms of PostgreSQL CPU per ticket over 6,000 tickets). Every
-- statement here has an index for its conditions; with sequential scans off for the
-- function's own statements the planner takes it whatever the statistics say.
ALTER FUNCTION kiosk_issue(DATE, TEXT, TEXT, TEXT, TEXT, TEXT, TIMESTAMPTZ, INTEGER, INTEGER,
                           TEXT, TEXT, TEXT, INTEGER, INTEGER, INTEGER)
    SET enable_seqscan = off;
