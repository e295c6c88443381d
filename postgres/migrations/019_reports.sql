-- Reports (docs/indicators.md). Two derived tables, both rebuilt from the
-- facts on demand and checked against a recount:
--
--   ticket_cycles  one row per dispatch (or reopen) of a ticket: the
--                  department, its deadlines and what became of it. A
--                  trigger on ticket_events keeps it in the transaction
--                  of each action, so the history stays the one source.
--   report_daily   every indicator's counters per local day and grouping
--                  key (dim '' is the day's total). The application
--                  recounts a day from the facts (postgres/reports.go);
--                  report_days says which days are final.
--
-- A write to a fact marks the days it counts on as not final, under a
-- shared advisory lock per day; a recount takes the same lock exclusively,
-- so a write is either seen by the recount or marks the day again.

CREATE TABLE report_config (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    tz  text NOT NULL
);
INSERT INTO report_config (tz) VALUES ('Asia/Shanghai');

CREATE TABLE ticket_cycles (
    ticket_id          bigint NOT NULL REFERENCES tickets (id),
    n                  integer NOT NULL CHECK (n > 0),
    origin             text NOT NULL CHECK (origin IN ('dispatch', 'reopen')),
    department         text NOT NULL,
    agent              text NOT NULL,
    dispatched_at      timestamptz NOT NULL,
    sign_due_at        timestamptz,
    signed_at          timestamptz,
    due_at             timestamptz,
    extended_at        timestamptz,
    ended_at           timestamptz,
    end_action         text CHECK (end_action IN ('reply', 'return', 'merge', 'reject', 'close', 'close_directly')),
    replied_at         timestamptz,
    reply_working_days integer,
    callback_at        timestamptz,
    satisfied          boolean,
    -- When the sign and the completion are decided: signing, the deadline
    -- or the end of the cycle, whichever comes first; a cycle ended
    -- before its due date without a reply is not measured for completion.
    sign_decided_at       timestamptz GENERATED ALWAYS AS (least(signed_at, sign_due_at, ended_at)) STORED,
    completion_decided_at timestamptz GENERATED ALWAYS AS (CASE
        WHEN replied_at IS NOT NULL THEN least(replied_at, due_at)
        WHEN ended_at IS NOT NULL AND (due_at IS NULL OR ended_at <= due_at) THEN NULL
        ELSE due_at END) STORED,
    PRIMARY KEY (ticket_id, n)
);
CREATE INDEX ticket_cycles_dispatched_at ON ticket_cycles (dispatched_at);
CREATE INDEX ticket_cycles_sign_decided_at ON ticket_cycles (sign_decided_at);
CREATE INDEX ticket_cycles_completion_decided_at ON ticket_cycles (completion_decided_at);
CREATE INDEX ticket_cycles_due_at ON ticket_cycles (due_at);
CREATE INDEX ticket_cycles_ended_at ON ticket_cycles (ended_at);
CREATE INDEX ticket_cycles_extended_at ON ticket_cycles (extended_at) WHERE extended_at IS NOT NULL;
CREATE INDEX ticket_cycles_callback_at ON ticket_cycles (callback_at) WHERE callback_at IS NOT NULL;

-- The local day of a moment, in the reports' time zone.
CREATE FUNCTION report_day(ts timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT (ts AT TIME ZONE (SELECT tz FROM report_config))::date
$$;

-- Working days after day a up to and including day b, by the calendar
-- (calendar_years; a year without one has weekends off).
CREATE FUNCTION report_working_days(a date, b date) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM generate_series(a + 1, b, interval '1 day') AS g (d)
    LEFT JOIN calendar_years c ON c.year = extract(year FROM g.d)
    WHERE CASE WHEN g.d::date = ANY (c.workdays) THEN true
               WHEN g.d::date = ANY (c.holidays) THEN false
               ELSE extract(isodow FROM g.d) < 6 END
$$;

-- Applies one history event to the ticket's cycles.
CREATE FUNCTION ticket_cycle_apply(e ticket_events) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    CASE e.action
    WHEN 'dispatch', 'reopen' THEN
        UPDATE ticket_cycles SET ended_at = e.at, end_action = 'close'
            WHERE ticket_id = e.ticket_id AND ended_at IS NULL;
        INSERT INTO ticket_cycles (ticket_id, n, origin, department, agent, dispatched_at, sign_due_at, due_at)
        SELECT e.ticket_id, coalesce(max(n), 0) + 1, e.action, coalesce(e.payload ->> 'department', ''),
               e.actor_name, e.at, (e.payload ->> 'sign_due_at')::timestamptz, (e.payload ->> 'due_at')::timestamptz
        FROM ticket_cycles WHERE ticket_id = e.ticket_id;
    WHEN 'sign' THEN
        UPDATE ticket_cycles SET signed_at = e.at
            WHERE ticket_id = e.ticket_id AND ended_at IS NULL AND signed_at IS NULL;
    WHEN 'approve_extension' THEN
        UPDATE ticket_cycles SET due_at = (e.payload ->> 'due_at')::timestamptz, extended_at = e.at
            WHERE ticket_id = e.ticket_id AND ended_at IS NULL;
    WHEN 'reply' THEN
        UPDATE ticket_cycles SET ended_at = e.at, end_action = 'reply', replied_at = e.at,
                reply_working_days = report_working_days(report_day(dispatched_at), report_day(e.at))
            WHERE ticket_id = e.ticket_id AND ended_at IS NULL;
    WHEN 'return', 'merge', 'reject', 'close', 'close_directly' THEN
        UPDATE ticket_cycles SET ended_at = e.at, end_action = e.action
            WHERE ticket_id = e.ticket_id AND ended_at IS NULL;
    WHEN 'callback' THEN
        UPDATE ticket_cycles SET callback_at = e.at, satisfied = (e.payload ->> 'satisfied')::boolean
            WHERE ticket_id = e.ticket_id AND n = (SELECT max(n) FROM ticket_cycles
                WHERE ticket_id = e.ticket_id AND end_action = 'reply');
    ELSE NULL;
    END CASE;
END
$$;

CREATE FUNCTION ticket_events_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_cycle_apply(NEW);
    RETURN NULL;
END
$$;

-- The counters of each day and grouping key, in the order of
-- postgres/reports.go; all are sums except wait_max.
CREATE TABLE report_daily (
    dim text NOT NULL CHECK (dim IN ('', 'channel', 'kind', 'category', 'region', 'department', 'agent', 'queue')),
    day date NOT NULL,
    key text NOT NULL,
    tickets_created bigint NOT NULL, closed_directly bigint NOT NULL, dispatched bigint NOT NULL, reopens bigint NOT NULL,
    sign_measured bigint NOT NULL, signed_on_time bigint NOT NULL, completion_measured bigint NOT NULL, completed_on_time bigint NOT NULL,
    returns bigint NOT NULL, replies bigint NOT NULL, reply_days_sum bigint NOT NULL, extensions bigint NOT NULL,
    callbacks_rated bigint NOT NULL, callbacks_satisfied bigint NOT NULL, overdue_in bigint NOT NULL, overdue_out bigint NOT NULL,
    ivr_calls bigint NOT NULL, calls_offered bigint NOT NULL, calls_answered bigint NOT NULL, calls_abandoned bigint NOT NULL,
    short_abandons bigint NOT NULL, answered_15s bigint NOT NULL, answered_in_sl bigint NOT NULL, wait_sum bigint NOT NULL,
    wait_count bigint NOT NULL, wait_max bigint NOT NULL, talk_sum bigint NOT NULL, talk_count bigint NOT NULL,
    outbound_calls bigint NOT NULL, outbound_reached bigint NOT NULL, callbacks_due bigint NOT NULL, callbacks_reached bigint NOT NULL,
    callback_seconds_sum bigint NOT NULL, chats_offered bigint NOT NULL, chats_bot_only bigint NOT NULL, chats_handed_off bigint NOT NULL,
    chats_answered bigint NOT NULL, first_response_sum bigint NOT NULL, first_response_count bigint NOT NULL, chat_seconds_sum bigint NOT NULL,
    chat_seconds_count bigint NOT NULL, chats_rated bigint NOT NULL, chats_rated_good bigint NOT NULL, chats_left_message bigint NOT NULL,
    PRIMARY KEY (dim, day, key)
);

-- Which days are final: recounted after their end, and not written since.
CREATE TABLE report_days (
    day          date PRIMARY KEY,
    refreshed_at timestamptz NOT NULL,
    final        boolean NOT NULL
);

-- Marks the local days of the given moments as not final. The shared
-- lock makes a concurrent recount of the day wait for this transaction.
CREATE FUNCTION report_touch(VARIADIC moments timestamptz[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    d date;
BEGIN
    FOR d IN SELECT DISTINCT report_day(m) FROM unnest(moments) AS m WHERE m IS NOT NULL LOOP
        PERFORM pg_advisory_xact_lock_shared(12345019, d - date '2000-01-01');
        UPDATE report_days SET final = false WHERE day = d AND final;
    END LOOP;
END
$$;

CREATE FUNCTION report_touch_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM report_touch(OLD.dispatched_at, OLD.sign_decided_at, OLD.completion_decided_at, OLD.due_at,
            OLD.ended_at, OLD.extended_at, OLD.callback_at);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM report_touch(NEW.dispatched_at, NEW.sign_decided_at, NEW.completion_decided_at, NEW.due_at,
            NEW.ended_at, NEW.extended_at, NEW.callback_at);
    END IF;
    RETURN NULL;
END
$$;

-- A ticket counts on its creation day; a change of the fields reports
-- group by moves every day its cycles count on.
CREATE FUNCTION report_touch_ticket() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    c ticket_cycles;
BEGIN
    PERFORM report_touch(NEW.created_at);
    IF TG_OP = 'UPDATE' AND (OLD.kind, OLD.channel, OLD.category, OLD.region, OLD.created_at)
            IS DISTINCT FROM (NEW.kind, NEW.channel, NEW.category, NEW.region, NEW.created_at) THEN
        PERFORM report_touch(OLD.created_at);
        FOR c IN SELECT * FROM ticket_cycles WHERE ticket_id = NEW.id LOOP
            PERFORM report_touch(c.dispatched_at, c.sign_decided_at, c.completion_decided_at, c.due_at,
                c.ended_at, c.extended_at, c.callback_at);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION report_touch_started() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.started_at <> NEW.started_at THEN
        PERFORM report_touch(OLD.started_at);
    END IF;
    PERFORM report_touch(NEW.started_at);
    RETURN NULL;
END
$$;

CREATE FUNCTION report_touch_created() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_touch(NEW.created_at);
    RETURN NULL;
END
$$;

-- The chat's hand-off to the agents' queue, for the first response time.
ALTER TABLE chats ADD COLUMN queued_at timestamptz;

-- Existing history becomes cycles before the triggers start.
SELECT ticket_cycle_apply(e) FROM (SELECT * FROM ticket_events ORDER BY id) AS e;

CREATE TRIGGER ticket_events_cycle AFTER INSERT ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_cycle();
CREATE TRIGGER ticket_cycles_report AFTER INSERT OR UPDATE OR DELETE ON ticket_cycles
    FOR EACH ROW EXECUTE FUNCTION report_touch_cycle();
CREATE TRIGGER tickets_report AFTER INSERT OR UPDATE OF kind, channel, category, region, status, created_by, created_at
    ON tickets FOR EACH ROW EXECUTE FUNCTION report_touch_ticket();
CREATE TRIGGER calls_report AFTER INSERT OR UPDATE ON calls
    FOR EACH ROW EXECUTE FUNCTION report_touch_started();
CREATE TRIGGER chats_report AFTER INSERT OR UPDATE OF started_at, state, queue, agent, outcome, satisfaction, ended_at, queued_at
    ON chats FOR EACH ROW EXECUTE FUNCTION report_touch_started();
CREATE TRIGGER callbacks_report AFTER INSERT OR UPDATE ON callbacks
    FOR EACH ROW EXECUTE FUNCTION report_touch_created();

---- create above / drop below ----

DROP TRIGGER callbacks_report ON callbacks;
DROP TRIGGER chats_report ON chats;
DROP TRIGGER calls_report ON calls;
DROP TRIGGER tickets_report ON tickets;
DROP TRIGGER ticket_events_cycle ON ticket_events;
ALTER TABLE chats DROP COLUMN queued_at;
DROP TABLE report_daily;
DROP TABLE report_days;
DROP TABLE ticket_cycles;
DROP FUNCTION report_touch_created();
DROP FUNCTION report_touch_started();
DROP FUNCTION report_touch_ticket();
DROP FUNCTION report_touch_cycle();
DROP FUNCTION report_touch(timestamptz[]);
DROP FUNCTION ticket_events_cycle();
DROP FUNCTION ticket_cycle_apply(ticket_events);
DROP FUNCTION report_working_days(date, date);
DROP FUNCTION report_day(timestamptz);
DROP TABLE report_config;
