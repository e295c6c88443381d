-- Call records (CDRs) of the voice channel, the events of each call in
-- order, and the missed-call list (漏接回拨): at most one open entry per
-- phone number, which a caller's next missed call refreshes.

CREATE TABLE calls (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    direction     text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    caller        text NOT NULL CHECK (length(caller) <= 64),
    callee        text NOT NULL CHECK (length(callee) <= 64),
    started_at    timestamptz NOT NULL,
    queued_at     timestamptz,
    answered_at   timestamptz,
    ended_at      timestamptz,
    ivr_path      text NOT NULL DEFAULT '' CHECK (length(ivr_path) <= 64),
    queue         text NOT NULL DEFAULT '',
    agent         text NOT NULL DEFAULT '',
    outcome       text CHECK (outcome IN ('ivr', 'abandoned', 'answered', 'voicemail', 'callback_requested', 'failed')),
    wait_seconds  integer NOT NULL DEFAULT 0 CHECK (wait_seconds >= 0),
    talk_seconds  integer NOT NULL DEFAULT 0 CHECK (talk_seconds >= 0),
    hangup_by     text CHECK (hangup_by IN ('caller', 'agent', 'system')),
    satisfaction  smallint CHECK (satisfaction BETWEEN 1 AND 5),
    recording     text NOT NULL DEFAULT '' CHECK (recording !~ '[/\\]' AND recording NOT IN ('.', '..')),
    ticket_id     bigint REFERENCES tickets (id),
    CHECK ((outcome IS NULL) = (ended_at IS NULL))
);

-- The list is newest first (ORDER BY id DESC, keyset on id); each filter
-- has an index that yields that order.
CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX calls_caller ON calls (caller, id);
CREATE INDEX calls_agent ON calls (agent, id) WHERE agent <> '';
CREATE INDEX calls_outcome ON calls (outcome, id);

CREATE TABLE call_events (
    call_id bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seq     integer NOT NULL,
    at      timestamptz NOT NULL,
    event   text NOT NULL,
    detail  text NOT NULL DEFAULT '' CHECK (length(detail) <= 200),
    PRIMARY KEY (call_id, seq)
);

CREATE TABLE callbacks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone      text NOT NULL,
    reason     text NOT NULL CHECK (reason IN ('abandoned', 'missed', 'requested', 'voicemail')),
    call_id    bigint NOT NULL REFERENCES calls (id),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    due_at     timestamptz NOT NULL,
    state      text NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),
    attempts   integer NOT NULL DEFAULT 1 CHECK (attempts >= 1)
);

CREATE UNIQUE INDEX callbacks_open_phone ON callbacks (phone) WHERE state = 'open';
CREATE INDEX callbacks_state ON callbacks (state, id);

---- create above / drop below ----

DROP TABLE callbacks;
DROP TABLE call_events;
DROP TABLE calls;
